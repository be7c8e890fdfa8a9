#!/usr/bin/env bash
# rampart's proxy throughput with 10 rate-limit rules, as a ratio to the same rampart with
# none, side by side in one run, on loopback.
#
#   bash bench/ratelimit.sh [path/to/rampart]        (default: build/release/rampart)
#
# Two rampart instances ("none" and "rules"), both in front of the shared origin of
# bench/run.sh (a separate nginx answering with a fixed 13-byte body). The "rules"
# instance has 10 rate-limit rules, 5 config-wide and 5 the site's: 9 of them match and
# count the benchmark request under different characteristics (ip.src, ip.src/24, host,
# path, a header, a cookie, a query argument, two values combined, one counting on
# responses) at a rate far above what the load reaches, so every request is counted
# nine times and forwarded; one (a login limit) matches only its probe. Each config is
# checked with `rampart validate` first; the "rules" rampart must refuse the 6th login
# probe with 429 (so the rules are live) and forward the benchmark request. Then rounds
# of: per variant, wrk warm-up and `wrk -t1 -cC -dSs --latency`, measuring the CPU time
# rampart and the origin used. Prints tables and writes the section RATELIMIT_HEADING
# (bench/lib.sh) of BENCH_RESULTS, replacing it or appending it.
#
# Environment (as bench/firewall.sh):
#   BENCH_WORKERS=1  BENCH_SECONDS=10  BENCH_WARMUP_SECONDS=3  BENCH_CONNS=64  BENCH_ROUNDS=3
#   BENCH_MAX_OTHER_LOAD=10  BENCH_QUIET_WAIT=120  BENCH_NICE=0  BENCH_PIN=0
#   BENCH_RESULTS=bench/RESULTS.md  BENCH_KEEP_TMP=0
#   BENCH_MICRO_BIN=build/release/rampart_micro_bench   also runs its RateLimit benchmarks
#
# Everything listens on 127.0.0.1 only. Every process started here is stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup ratelimit.sh "${1:-}" 3

C=${BENCH_CONNS:-64}
VARIANTS=(none rules)
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
NICE=${BENCH_NICE:-0}
PIN=${BENCH_PIN:-0}
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
for val in "$W" "$SECS" "$WARM" "$C" "$ROUNDS" "$MAX_OTHER" "$QUIET_WAIT"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx wrk curl pgrep timeout flock sha256sum /usr/bin/python3
[[ -x $RAMPART ]] || die "rampart binary not found or not executable: $RAMPART (ninja -C build/release rampart)"
bench_lock "another benchmark"

# The benchmark request: what a browser sends for a page.
REQ_PATH="/app/item/42?ref=home"
REQ_HEADERS=(
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
  "Accept-Language: en-US,en;q=0.5"
  "Cookie: session=3f9a1c0e7b2d4a58; theme=dark"
)
WRK_H=() CURL_H=()
for h in "${REQ_HEADERS[@]}"; do WRK_H+=(-H "$h"); CURL_H+=(-H "$h"); done

bench_prepare rlbench $((120 + ROUNDS * ${#VARIANTS[@]} * (SECS + WARM + QUIET_WAIT + 45)))

mapfile -t PORTS < <(free_ports 5)
((${#PORTS[@]} == 5)) || die "could not find free ports"
ORIGIN_PORT=${PORTS[0]}
start_origin "$ORIGIN_PORT" "$NOFILE" "${PIN_OTHERS[@]}"

mkdir -p "$TMP/bin"
cp "$RAMPART" "$TMP/bin/rampart" || die "cannot copy $RAMPART"
RAMPART_SHA=$(sha256sum "$TMP/bin/rampart" | cut -c1-16)
RAMPART_VERSION=$(timeout 5 "$TMP/bin/rampart" version 2>&1 | head -n 1)

declare -A PID_OF PORT_OF ADMIN_OF LABEL
LABEL[none]="no rate-limit rules"
LABEL[rules]="10 rate-limit rules (9 counting each request)"

# A rule that counts every benchmark request at a rate the load cannot reach.
counting_rule() {  # ID EXPRESSION CHARACTERISTICS [EXTRA]
  cat <<EOF
    - id: $1
      expression: '$2'
      characteristics: $3
      period: 1s
      requests_per_period: 1000000
EOF
  [[ -n ${4:-} ]] && echo "      $4"
  return 0
}

rules_yaml() {  # SCOPE: top or site
  if [[ $1 == top ]]; then
    echo "rate_limit:"
    echo "  rules:"
    counting_rule per-ip 'true' '[ip.src]'
    counting_rule per-24 'starts_with(http.request.uri.path, "/app/")' '[ip.src/24]'
    counting_rule per-host 'true' '[http.host]'
    counting_rule per-path 'http.request.method eq "GET"' '[http.request.uri.path]'
    counting_rule errors 'true' '[ip.src]' 'counting_expression: http.response.code ge 500'
  else
    echo "    rate_limit:"
    echo "      rules:"
    {
      counting_rule per-ua 'true' "['http.request.headers[\"user-agent\"]']"
      counting_rule per-session 'true' "['http.request.cookies[\"session\"]']"
      counting_rule per-ref 'true' "['http.request.uri.args[\"ref\"]']"
      counting_rule per-ip-ua 'true' '[ip.src, http.user_agent]'
      cat <<EOF
    - id: login
      expression: 'http.request.uri.path eq "/login"'
      characteristics: [ip.src]
      period: 60s
      requests_per_period: 5
EOF
    } | sed 's/^/    /'
  fi
}

rampart_config() {  # VARIANT PORT ADMIN
  rampart_base_config "Generated by bench/ratelimit.sh: bench/run.sh's rampart config plus $1." "$2" "$3"
  [[ $1 == rules ]] && rules_yaml top
  cat <<EOF
sites:
  - name: origin
    default: true
    hosts: [127.0.0.1, localhost]
    origin:
      endpoints: [127.0.0.1:$ORIGIN_PORT]
EOF
  [[ $1 == rules ]] && rules_yaml site
  return 0
}

# rl_metric VARIANT NAME: "RULES SUM" of a rampart_rate_limit_* counter over the rules,
# leaving out the login rule.
rl_metric() {
  curl -s --max-time 5 "http://127.0.0.1:${ADMIN_OF[$1]}/metrics" |
    awk -v m="$2" 'index($1, m "{") == 1 && $1 !~ /"login"/ { s += $NF; n++ } END { print n + 0, s + 0 }'
}

i=1
for v in "${VARIANTS[@]}"; do
  PORT_OF[$v]=${PORTS[i]} ADMIN_OF[$v]=${PORTS[i + 1]}
  i=$((i + 2))
  dir=$TMP/$v
  start_variant_rampart "$v"
  url="http://127.0.0.1:${PORT_OF[$v]}$REQ_PATH"
  status=$(curl -s -o "$dir/check.body" -w '%{http_code}' --max-time 5 "${CURL_H[@]}" "$url")
  body=$(cat "$dir/check.body"; echo x)
  [[ $status == 200 && ${body%x} == "$ORIGIN_BODY" ]] ||
    die "rampart ($v): the benchmark request got status $status"
  if [[ $v == rules ]]; then
    got=""
    for _ in 1 2 3 4 5 6; do
      got+=" $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${PORT_OF[$v]}/login")"
    done
    [[ $got == " 200 200 200 200 200 429" ]] || die "rampart ($v): login probes got$got, expected 5 x 200 then 429"
    read -r nr _ < <(rl_metric "$v" rampart_rate_limit_counted_total)
    [[ $nr == 9 ]] || die "rampart ($v) reports $nr counting rules in /metrics, expected 9 (and login)"
  fi
  log "$v: rampart on 127.0.0.1:${PORT_OF[$v]}, benchmark request forwarded"
done
read -r _ COUNTED_BEFORE < <(rl_metric rules rampart_rate_limit_counted_total)

# ---------------------------------------------------------------- load

declare -A RPS P50 P99 CPU_US ORIGIN_CPU_US OTHER_PCT NON2XX SOCKERR NOTE REQS

run_load() { wrk_variant_round "$@"; }  # bench/lib.sh

run_rounds  # run_load over VARIANTS, ROUNDS times, rotating the order

declare -A RATIO_RANGE RPS_RANGE
for v in "${VARIANTS[@]}"; do
  median_rounds "$v"
  RATIO_RANGE[$v]=$(round_ratios "$v" none)
  kill -0 "${PID_OF[$v]}" 2>/dev/null || NOTE[$v]+="${NOTE[$v]:+; }rampart exited before the end of the run"
done
read -r _ COUNTED_AFTER < <(rl_metric rules rampart_rate_limit_counted_total)
read -r _ LIMITED < <(rl_metric rules rampart_rate_limit_limited_total)
COUNTED=$((COUNTED_AFTER - COUNTED_BEFORE))
((LIMITED == 0)) || NOTE[rules]+="${NOTE[rules]:+; }$LIMITED request(s) limited by the counting rules: the load went past their rate"

# ---------------------------------------------------------------- the decision alone

# The micro-benchmark of one decision (bench/micro/ratelimit_bench.cc), when built.
MICRO_BIN=${BENCH_MICRO_BIN:-$repo/build/release/rampart_micro_bench}
MICRO_TABLE="(not run: $MICRO_BIN not built; ninja -C build/release rampart_micro_bench)"
if [[ -x $MICRO_BIN ]]; then
  log "rampart_micro_bench --benchmark_filter=RateLimit x5"
  if timeout 300 "$MICRO_BIN" --benchmark_filter=RateLimit --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_format=json >"$TMP/micro.json" 2>"$TMP/micro.err"; then
    MICRO_TABLE=$(/usr/bin/python3 - "$TMP/micro.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
print("| benchmark | CPU time per decision (median of 5) | wall time per decision |")
print("|---|---:|---:|")
for b in data["benchmarks"]:
    if b.get("aggregate_name") == "median":
        print(f"| `{b['run_name']}` | {b['cpu_time']:.1f} {b['time_unit']} | {b['real_time']:.1f} {b['time_unit']} |")
PY
    )
  else
    MICRO_TABLE="(the micro-benchmark failed: $(head -c 300 "$TMP/micro.err"))"
  fi
fi

# ---------------------------------------------------------------- report

load_table() { variant_load_table; }
ratio_table() { variant_ratio_table 0.95; }

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_CONNS=$C BENCH_ROUNDS=$ROUNDS BENCH_MAX_OTHER_LOAD=$MAX_OTHER BENCH_QUIET_WAIT=$QUIET_WAIT BENCH_NICE=$NICE BENCH_PIN=$PIN"
[[ -n ${BENCH_RESULTS:-} ]] && env_prefix+=" BENCH_RESULTS=$BENCH_RESULTS"

section() {
  cat <<EOF
$RATELIMIT_HEADING

Generated by \`bench/ratelimit.sh\`; every number in this section comes from the run it
describes.

- **Date:** $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- **Command:** \`$env_prefix $invocation\`
- **Machine:** $NPROC CPUs ($CPU_MODEL), Linux $(uname -r)
- **rampart:** $RAMPART_VERSION (\`${RAMPART#"$repo"/}\`, sha256 $RAMPART_SHA…), W=$W worker thread(s), one instance per config below, same settings as in \`bench/run.sh\` plus the rules
- **Load:** \`wrk -t1 -c$C -d${SECS}s --latency\` \`GET $REQ_PATH\` with a browser's User-Agent, Accept, Accept-Language and a \`session\` cookie, $ROUNDS round(s), each config after a ${WARM}s warm-up, rotating which goes first
- **Rules:** 5 config-wide, 5 the site's. Nine count every benchmark request, each under its own key: \`ip.src\`, \`ip.src/24\`, \`http.host\`, \`http.request.uri.path\`, the \`user-agent\` header, the \`session\` cookie, the \`ref\` query argument, \`[ip.src, http.user_agent]\`, and \`ip.src\` with \`counting_expression: http.response.code ge 500\` (checked on the request, evaluated on each response); all at 1,000,000 per 1s, so none limits. The tenth (\`/login\`, 5 per 60s) limits only its probe.
- **Checks:** \`rampart validate\` accepts both configs; the benchmark request is forwarded (200, origin's body) by both; the 6th \`/login\` probe gets 429; /metrics lists the 9 counting rules. During the load the counting rules counted $COUNTED requests and limited $LIMITED.

### Throughput, latency, CPU (medians over $ROUNDS round(s))

$(load_table)

### With rules ÷ without

$(ratio_table)

### One decision (\`bench/micro/ratelimit_bench.cc\`)

A clock reading, the keyed hash of a 16-byte client address and one GCRA decision in a table
sized for 1,000,000 keys, shared by the threads: a million distinct clients (\`ManyKeys\`,
nearly every decision a cache miss), 10,000 (\`10kKeys\`) and one (\`OneKey\`, every
thread on the same set lock); \`KeyHash\` is the hash alone. Target: under 100 ns.
\`RateLimitModule10Rules\` (\`bench/micro/ratelimit_module_bench.cc\`) is not one decision but one
whole request through the phase with this section's ten rules: a fresh request context,
\`on_request\` and \`on_response\`; \`RateLimitModuleContextOnly\` is the context alone.

$MICRO_TABLE

### How to read this

- CPU µs/req = utime+stime of the rampart process during the measured run ÷ requests wrk
  completed; "added CPU µs/req" is the nine rules' cost per request (nine hashes, nine
  table decisions, nine characteristic evaluations). "CPU/req in origin units" divides by
  the origin's CPU/req in the same runs. "other load" is CPU used by anything besides
  rampart, origin and wrk, as % of all $NPROC CPUs; rows marked ⚠ (over 5%) were disturbed.
- wrk, the origin and rampart share $NPROC CPUs, so req/s ratios understate the difference
  in rampart's own cost; CPU µs/req is the cleaner measure.
- The micro-benchmark's threads share the machine with everything else running; "wall
  time" above CPU time means they waited for a CPU.

$(variant_raw_output)
EOF
}

finish_variant_report "$RESULTS" "$RATELIMIT_HEADING" "rampart with 10 rate-limit rules vs none (W=$W, -c$C, ${SECS}s x $ROUNDS rounds, $NPROC CPUs)"
exit 0
