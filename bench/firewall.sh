#!/usr/bin/env bash
# rampart's proxy throughput with 1,000 firewall rules, as a ratio to the same rampart
# with no rules, side by side in one run, on loopback.
#
#   bash bench/firewall.sh [path/to/rampart]        (default: build/release/rampart)
#
# One rampart per variant (BENCH_VARIANTS), all in front of the shared origin of
# bench/run.sh (a separate nginx answering with a fixed 13-byte body). The rules come from
# bench/firewall_rules.py: half config-wide, half the site's, none matching the benchmark
# request, so each request is checked against all of them (or what the rule index leaves)
# and forwarded. Each config is checked with `rampart validate` first; each rampart must
# block a few probe requests (so the rules are live) and forward the benchmark request.
# Then rounds of: per variant, wrk warm-up and `wrk -t1 -cC -dSs --latency` with a
# browser-like request, measuring the CPU time rampart and the origin used. Rounds rotate
# the order. Prints tables and writes the section FIREWALL_HEADING (bench/lib.sh) of
# BENCH_RESULTS, replacing it or appending it; the rest of the file is kept.
#
# Environment (as bench/run.sh where the names match):
#   BENCH_WORKERS=1          rampart worker threads
#   BENCH_SECONDS=10         measured wrk duration per run
#   BENCH_WARMUP_SECONDS=3   wrk warm-up before each measured run
#   BENCH_CONNS=64           wrk connections
#   BENCH_ROUNDS=3           measured runs per variant (interleaved); the report shows medians
#   BENCH_RULES=1000         rules per variant (config-wide + site)
#   BENCH_VARIANTS="none mixed worst unindexed"   rule sets, one rampart each; "none" is required (the
#                            baseline). Also only-eq, only-in, only-prefix, only-wildcard,
#                            only-ua, only-hdr, only-ip: all rules of one kind
#   BENCH_MAX_OTHER_LOAD=10  before each measured run, wait until other processes use at
#   BENCH_QUIET_WAIT=120     most this % of all CPUs, for up to this many seconds
#   BENCH_NICE=0             nice level for origin, rampart and wrk
#   BENCH_PIN=0              1 pins rampart to CPU 1 and origin + wrk to CPU 0
#   BENCH_RESULTS=bench/RESULTS.md   the file whose firewall section is written
#   BENCH_KEEP_TMP=0         1 keeps the temp dir (configs, logs, raw wrk output)
#
# Everything listens on 127.0.0.1 only. Every process started here is stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup firewall.sh "${1:-}" 3

C=${BENCH_CONNS:-64}
NRULES=${BENCH_RULES:-1000}
read -r -a VARIANTS <<<"${BENCH_VARIANTS:-none mixed worst unindexed}"
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
NICE=${BENCH_NICE:-0}
PIN=${BENCH_PIN:-0}
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
for val in "$W" "$SECS" "$WARM" "$C" "$ROUNDS" "$NRULES" "$MAX_OTHER" "$QUIET_WAIT"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
[[ ${VARIANTS[0]:-} == none ]] || die "BENCH_VARIANTS must start with \"none\" (the baseline)"
((${#VARIANTS[@]} >= 2)) || die "BENCH_VARIANTS needs \"none\" and at least one rule set"
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx wrk curl pgrep timeout flock sha256sum /usr/bin/python3
[[ -x $RAMPART ]] || die "rampart binary not found or not executable: $RAMPART (ninja -C build/release rampart)"
bench_lock "another benchmark"  # one benchmark at a time on this machine (the lock bench/run.sh takes too)

# The benchmark request: what a browser sends for a page. No rule matches it.
REQ_PATH="/app/item/42?ref=home"
REQ_HEADERS=(
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
  "Accept-Language: en-US,en;q=0.5"
  "Cookie: session=3f9a1c0e7b2d4a58; theme=dark"
)
WRK_H=() CURL_H=()
for h in "${REQ_HEADERS[@]}"; do WRK_H+=(-H "$h"); CURL_H+=(-H "$h"); done

# ---------------------------------------------------------------- processes

# TMP, STARTED, REAPED, the traps, the watchdog, CLK_TCK, NPROC, NOFILE (see bench/lib.sh).
bench_prepare fwbench $((120 + ROUNDS * ${#VARIANTS[@]} * (SECS + WARM + QUIET_WAIT + 45)))

mapfile -t PORTS < <(free_ports $((1 + 2 * ${#VARIANTS[@]})))
((${#PORTS[@]} == 1 + 2 * ${#VARIANTS[@]})) || die "could not find free ports"
ORIGIN_PORT=${PORTS[0]}
start_origin "$ORIGIN_PORT" "$NOFILE" "${PIN_OTHERS[@]}"

mkdir -p "$TMP/bin"
cp "$RAMPART" "$TMP/bin/rampart" || die "cannot copy $RAMPART"  # a rebuild mid-run changes nothing
RAMPART_SHA=$(sha256sum "$TMP/bin/rampart" | cut -c1-16)
RAMPART_VERSION=$(timeout 5 "$TMP/bin/rampart" version 2>&1 | head -n 1)

declare -A PID_OF PORT_OF ADMIN_OF SUMMARY PROBES LABEL
NRULES_FMT=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$NRULES")  # 1000 -> 1,000
label_of() {
  case $1 in
    none) echo "no rules" ;;
    mixed) echo "$NRULES_FMT rules, realistic mix" ;;
    worst) echo "$NRULES_FMT rules, prefix/wildcard/contains only" ;;
    unindexed) echo "$NRULES_FMT rules, none indexable (ends_with, matches)" ;;
    *) echo "$NRULES_FMT rules, ${1#only-} only" ;;
  esac
}

# rampart_config VARIANT PORT ADMIN: bench/run.sh's rampart config plus the rules.
rampart_config() {
  local dir=$TMP/$1
  rampart_base_config "Generated by bench/firewall.sh: bench/run.sh's rampart config plus $1 rules." "$2" "$3"
  cat "$dir/top.yaml"
  cat <<EOF
sites:
  - name: origin
    default: true
    hosts: [127.0.0.1, localhost]
    origin:
      endpoints: [127.0.0.1:$ORIGIN_PORT]
EOF
  cat "$dir/site.yaml"
}

# rule_matches VARIANT: "RULES MATCHES" from rampart's /metrics.
rule_matches() {
  curl -s --max-time 5 "http://127.0.0.1:${ADMIN_OF[$1]}/metrics" |
    awk '/^rampart_rule_matches_total/ { s += $NF; n++ } END { print n + 0, s + 0 }'
}

i=1
for v in "${VARIANTS[@]}"; do
  PORT_OF[$v]=${PORTS[i]} ADMIN_OF[$v]=${PORTS[i + 1]}
  i=$((i + 2))
  dir=$TMP/$v
  mkdir -p "$dir"
  /usr/bin/python3 "$here/firewall_rules.py" "$v" "$NRULES" "$dir" || die "firewall_rules.py $v failed"
  SUMMARY[$v]=$(cat "$dir/summary.txt") LABEL[$v]=$(label_of "$v")
  log "$v: ${SUMMARY[$v]}; rampart on 127.0.0.1:${PORT_OF[$v]}"
  start_variant_rampart "$v"  # bench/lib.sh: writes the config, validates it, waits for it
  # The benchmark request is forwarded; every probe is blocked.
  url="http://127.0.0.1:${PORT_OF[$v]}$REQ_PATH"
  status=$(curl -s -o "$dir/check.body" -w '%{http_code}' --max-time 5 "${CURL_H[@]}" "$url")
  body=$(cat "$dir/check.body"; echo x)
  [[ $status == 200 && ${body%x} == "$ORIGIN_BODY" ]] ||
    die "rampart ($v): the benchmark request got status $status, body $(printf %q "${body%x}" | head -c 200)"
  n=0
  while IFS=$'\t' read -r want path header; do
    hdr=(); [[ -n $header ]] && hdr=(-H "$header")
    got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${hdr[@]}" "http://127.0.0.1:${PORT_OF[$v]}$path")
    [[ $got == "$want" ]] || die "rampart ($v): probe $path${header:+ ($header)} got $got, expected $want: rules not applied?"
    n=$((n + 1))
  done <"$dir/probes.tsv"
  PROBES[$v]=$n
  read -r nr _ < <(rule_matches "$v")
  [[ $nr == "$NRULES" || $v == none ]] || die "rampart ($v) reports $nr rules in /metrics, expected $NRULES"
  log "$v: $nr rules loaded, $n probe(s) blocked, benchmark request forwarded"
done
declare -A MATCHES_BEFORE
for v in "${VARIANTS[@]}"; do read -r _ m < <(rule_matches "$v"); MATCHES_BEFORE[$v]=$m; done

# ---------------------------------------------------------------- load

declare -A RPS P50 P99 CPU_US ORIGIN_CPU_US OTHER_PCT NON2XX SOCKERR NOTE

run_load() { wrk_variant_round "$@"; }  # bench/lib.sh

run_rounds  # run_load over VARIANTS, ROUNDS times, rotating the order

# Medians over the rounds; per-round throughput ratios to "none" for their spread.
declare -A RATIO_RANGE RPS_RANGE MATCHED
for v in "${VARIANTS[@]}"; do
  median_rounds "$v"
  RATIO_RANGE[$v]=$(round_ratios "$v" none)
  read -r _ m < <(rule_matches "$v")
  MATCHED[$v]=$((m - ${MATCHES_BEFORE[$v]}))  # rule matches caused by the load: must be 0
  ((${MATCHED[$v]} == 0)) || NOTE[$v]+="${NOTE[$v]:+; }${MATCHED[$v]} rule match(es) during the load: the rules matched the benchmark request"
  kill -0 "${PID_OF[$v]}" 2>/dev/null || NOTE[$v]+="${NOTE[$v]:+; }rampart exited before the end of the run"
done

# ---------------------------------------------------------------- report

load_table() { variant_load_table; }
ratio_table() { variant_ratio_table 0.9; }

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_CONNS=$C BENCH_ROUNDS=$ROUNDS BENCH_RULES=$NRULES BENCH_VARIANTS=\"${VARIANTS[*]}\" BENCH_NICE=$NICE BENCH_PIN=$PIN"
[[ -n ${BENCH_RESULTS:-} ]] && env_prefix+=" BENCH_RESULTS=$BENCH_RESULTS"

section() {
  cat <<EOF
$FIREWALL_HEADING

Generated by \`bench/firewall.sh\` (rules from \`bench/firewall_rules.py\`); every number
in this section comes from the run it describes. The rest of this file is \`bench/run.sh\`'s.

- **Date:** $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- **Command:** \`$env_prefix $invocation\`
- **Machine:** $NPROC CPUs ($CPU_MODEL), Linux $(uname -r)
- **rampart:** $RAMPART_VERSION (\`${RAMPART#"$repo"/}\`, sha256 $RAMPART_SHA…), W=$W worker thread(s), one instance per config below, same settings as in \`bench/run.sh\` plus the rules
- **Load:** \`wrk -t1 -c$C -d${SECS}s --latency\` \`GET $REQ_PATH\` with a browser's User-Agent, Accept, Accept-Language and a \`session\` cookie, $ROUNDS round(s), each config after a ${WARM}s warm-up; round r starts with config r (rotating), so drift does not favour one config
- **Origin:** \`bench/run.sh\`'s: a separate nginx (1 worker) answering with a 13-byte 200, upstream connections kept alive
- **Checks before the load:** \`rampart validate\` accepts each config; /metrics lists $NRULES rules; the benchmark request is forwarded (200, origin's body); probe requests, one per rule kind and ruleset, are blocked (403). No rule matched during the load (rule counters unchanged) unless the table says so.

### Throughput, latency, CPU (medians over $ROUNDS round(s))

$(load_table)

### With rules ÷ without

$(ratio_table)

### The rules

$(for v in "${VARIANTS[@]:1}"; do printf -- '- **%s:** %s; %s probe request(s) blocked\n' "${LABEL[$v]}" "${SUMMARY[$v]}" "${PROBES[$v]}"; done)

Kinds: **eq** \`http.request.uri.path eq "/blocked/N"\` (every 10th: \`… eq "/admin/N" and not
ip.src in \$office\`); **in** \`http.request.uri.path in {8 paths}\`; **prefix**
\`starts_with(http.request.uri.path, "/private/N/")\`; **wildcard** \`http.request.uri.path
wildcard "/tenant-N/*"\`; **ua** \`http.user_agent contains "badbot-N"\`; **hdr** an
\`x-api-key\` header, \`session\` cookie or \`token\` query argument \`eq\` a value, \`http.referer
contains\`, or \`any(http.request.headers["x-forwarded-host"][*] eq …)\`; **ip** \`ip.src in
\$bad_networks_K\` (list files) or \`ip.src in {8 CIDRs}\`; **suffix**
\`ends_with(http.request.uri.path, "/gone-N")\`; **regex** \`http.request.uri.query matches
"^secret-N="\`. Rule order is shuffled; odd and even rules go to the config-wide and the
site's rules; every 200th rule is \`log\`, the rest \`block\`. The rule index (rulesets of 16+
rules) picks candidates for eq, in, hdr (by each value), prefix and wildcard (by prefix),
ua and referer (one multi-literal scan) and ip (one lookup in the union of the sets);
suffix and regex rules have no index and are evaluated one by one for every request.

### How to read this

- CPU µs/req = utime+stime of the rampart process (all threads) during the measured run ÷
  requests wrk completed; "origin" the same for the shared origin. "added CPU µs/req" is the
  rules' cost per request. "CPU/req in origin units" divides by the origin's CPU/req in the
  same runs, cancelling slowdowns of the whole machine. "other load" is CPU used by
  anything besides rampart, origin and wrk, as % of all $NPROC CPUs; rows marked ⚠ (over 5%)
  were disturbed.
- wrk, the origin and rampart share $NPROC CPUs$( ((PIN)) && echo " (pinned: rampart on CPU 1, origin and wrk on CPU 0)"), so req/s ratios
  understate the difference in rampart's own cost; CPU µs/req is the cleaner measure.

$(variant_raw_output)
EOF
}

finish_variant_report "$RESULTS" "$FIREWALL_HEADING" "rampart with firewall rules vs none (W=$W, -c$C, ${SECS}s x $ROUNDS rounds, $NPROC CPUs)"
exit 0
