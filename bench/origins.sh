#!/usr/bin/env bash
# Load balancing across 4 origins: rampart vs Debian's HAProxy and nginx with the same
# steering policy, side by side in one run, on loopback.
#
#   bash bench/origins.sh [path/to/rampart]        (default: build/release/rampart)
#
# Four origins of the kind bench/run.sh uses (each a separate nginx, 1 worker, answering
# with the same 13-byte body, on its own loopback port, with a stub_status location so
# the requests each one served can be counted). In front of them, for each policy:
#   round robin:        rampart `steering: round_robin`, haproxy `balance roundrobin`,
#                       nginx's default upstream balancing
#   least connections:  rampart `steering: least_outstanding`, haproxy `balance leastconn`,
#                       nginx `least_conn`
# plus rampart with a 1-endpoint pool in front of the first origin only: the difference
# with 4-endpoint round robin is what steering adds per request. Every proxy keeps
# upstream connections alive (rampart: its per-worker pool; haproxy: `http-reuse always`;
# nginx: `keepalive`), runs W worker threads/processes (haproxy `nbthread W`) and, with
# BENCH_FORWARD_HEADERS=1, adds the forwarding headers rampart adds.
#
# rampart gets a named pool (`pools:` + the site's `origin: {pool: …}`, or failing that
# `origin: {pools: […]}`). A build that accepts neither (checked with `rampart validate`
# and by starting it) gets the
# `origin: {endpoints: […]}` shorthand instead, which is round robin; least connections is
# then reported as not supported by this build.
#
# Each proxy must answer the benchmark request with the origin's body and spread 40
# sequential requests over all 4 origins (the 1-endpoint pool: all to the first). Then
# rounds of: per proxy, a wrk warm-up and `wrk -t1 -cC -dSs --latency`, measuring the
# CPU time of the proxy and of the 4 origins and the requests each origin served. Rounds
# rotate the order. Prints tables and writes the section ORIGINS_HEADING (bench/lib.sh) of
# BENCH_RESULTS, replacing it or appending it; the rest of the file is kept.
# When rampart_micro_bench sits next to the rampart binary and has the Balancer
# benchmarks (bench/micro/balancer_bench.cc), their medians go in the section too.
#
# Environment (as bench/run.sh where the names match):
#   BENCH_WORKERS=1          rampart worker threads / haproxy threads / nginx worker processes
#   BENCH_SECONDS=10         measured wrk duration per run
#   BENCH_WARMUP_SECONDS=2   wrk warm-up before each measured run
#   BENCH_CONNS=64           wrk connections
#   BENCH_ROUNDS=3           measured runs per proxy and policy (interleaved); medians shown
#   BENCH_NGINX_KEEPALIVE=256 idle upstream connections nginx keeps per worker
#   BENCH_FORWARD_HEADERS=1  haproxy and nginx add the forwarding headers rampart adds
#                            (X-Forwarded-For/-Proto, Forwarded, Via, X-Request-Id); 0: not
#   BENCH_MICRO=1            0 skips the Balancer micro-benchmarks
#   BENCH_MAX_OTHER_LOAD=10  before each measured run, wait until other processes use at
#   BENCH_QUIET_WAIT=120     most this % of all CPUs, for up to this many seconds
#   BENCH_NICE=0             nice level for origins, proxies and wrk
#   BENCH_PIN=0              1 pins the proxies to CPU 1 and origins + wrk to CPU 0
#   BENCH_RESULTS=bench/RESULTS.md   the file whose section is written
#   BENCH_KEEP_TMP=0         1 keeps the temp dir (configs, logs, raw wrk output)
#
# With the defaults a run takes about 5-6 minutes (7 proxies x 3 rounds x ~15 s).
# Everything listens on 127.0.0.1 only. Every process started here is stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup origins.sh "${1:-}"

C=${BENCH_CONNS:-64}
NGINX_KEEPALIVE=${BENCH_NGINX_KEEPALIVE:-256}
FWD=${BENCH_FORWARD_HEADERS:-1}
MICRO=${BENCH_MICRO:-1}
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
NICE=${BENCH_NICE:-0}
PIN=${BENCH_PIN:-0}
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
for val in "$W" "$SECS" "$WARM" "$C" "$ROUNDS" "$NGINX_KEEPALIVE" "$MAX_OTHER" "$QUIET_WAIT"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
[[ $FWD == 0 || $FWD == 1 ]] || die "BENCH_FORWARD_HEADERS must be 0 or 1"
[[ $MICRO == 0 || $MICRO == 1 ]] || die "BENCH_MICRO must be 0 or 1"
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx haproxy wrk curl pgrep timeout flock sha256sum /usr/bin/python3
[[ -x $RAMPART ]] || die "rampart binary not found or not executable: $RAMPART (ninja -C build/release rampart)"
bench_lock "another benchmark"  # one benchmark at a time on this machine (the lock bench/run.sh takes too)

NORIGINS=4
STATUS_PATH=/origin-status  # each origin's stub_status (never requested through a proxy)

# Proxies under test: KIND-POLICY, plus rampart with a 1-endpoint pool.
ALL_VARIANTS=(rampart-rr haproxy-rr nginx-rr rampart-lc haproxy-lc nginx-lc rampart-one)
declare -A KIND=([rampart-rr]=rampart [haproxy-rr]=haproxy [nginx-rr]=nginx [rampart-lc]=rampart
  [haproxy-lc]=haproxy [nginx-lc]=nginx [rampart-one]=rampart)
declare -A POLICY=([rampart-rr]=rr [haproxy-rr]=rr [nginx-rr]=rr [rampart-lc]=lc
  [haproxy-lc]=lc [nginx-lc]=lc [rampart-one]=one)
declare -A POLICY_LABEL=([rr]="round robin" [lc]="least connections" [one]="1 endpoint (no choice)")
declare -A POLICY_DIRECTIVE=(
  [rampart-rr]="steering: round_robin" [rampart-lc]="steering: least_outstanding"
  [rampart-one]="steering: round_robin, 1 endpoint"
  [haproxy-rr]="balance roundrobin" [haproxy-lc]="balance leastconn"
  [nginx-rr]="default round robin" [nginx-lc]="least_conn")

# ---------------------------------------------------------------- processes

# TMP, STARTED, REAPED, the traps, the watchdog, CLK_TCK, NPROC, NOFILE (see bench/lib.sh).
bench_prepare lbbench $((240 + ROUNDS * ${#ALL_VARIANTS[@]} * (SECS + WARM + QUIET_WAIT + 45)))

# Ports: 4 origins, then a listener per proxy and an admin port per rampart.
NPORTS=$((NORIGINS + ${#ALL_VARIANTS[@]} + 3))
mapfile -t PORTS < <(free_ports "$NPORTS")
((${#PORTS[@]} == NPORTS)) || die "could not find free ports"
ORIGIN_PORTS=("${PORTS[@]:0:NORIGINS}")
declare -A PORT_OF ADMIN_OF PID_OF
i=$NORIGINS
for v in "${ALL_VARIANTS[@]}"; do
  PORT_OF[$v]=${PORTS[i]}
  i=$((i + 1))
  if [[ ${KIND[$v]} == rampart ]]; then ADMIN_OF[$v]=${PORTS[i]}; i=$((i + 1)); fi
done

ORIGIN_PIDS=()
for ((k = 0; k < NORIGINS; k++)); do
  ORIGIN_NAME=origin$((k + 1)) ORIGIN_STATUS_PATH=$STATUS_PATH \
    start_origin "${ORIGIN_PORTS[k]}" "$NOFILE" "${PIN_OTHERS[@]}"
  ORIGIN_PIDS+=("$ORIGIN_PID")
done

# origin_requests: the requests each origin has served so far, space-separated (each
# read of the status page counts itself, which origin_deltas takes off).
origin_requests() {
  local port n vals=()
  for port in "${ORIGIN_PORTS[@]}"; do
    n=$(curl -s --max-time 5 "http://127.0.0.1:$port$STATUS_PATH" | awk 'NR == 3 { print $3 }')
    vals+=("${n:-0}")
  done
  echo "${vals[*]}"
}
# origin_deltas BEFORE AFTER: per-origin requests between two origin_requests readings.
origin_deltas() {
  local -a b a
  read -r -a b <<<"$1"
  read -r -a a <<<"$2"
  local k vals=()
  for ((k = 0; k < NORIGINS; k++)); do vals+=($((a[k] - b[k] - 1))); done
  echo "${vals[*]}"
}
origins_cpu_ticks() {
  local p all=()
  for p in "${ORIGIN_PIDS[@]}"; do mapfile -t -O "${#all[@]}" all < <(proc_tree "$p"); done
  cpu_ticks "${all[@]}"
}

# ---------------------------------------------------------------- configs

endpoint_list() {  # endpoint_list N: "127.0.0.1:P1, 127.0.0.1:P2, ..." for the first N origins
  local k out=""
  for ((k = 0; k < $1; k++)); do out+="${out:+, }127.0.0.1:${ORIGIN_PORTS[k]}"; done
  echo "$out"
}

# rampart_config VARIANT FORM: FORM is "pool" (a named pool, `origin: {pool: NAME}`),
# "pools" (the same with `origin: {pools: [NAME]}`) or "shorthand" (`origin: {endpoints:
# […]}`, round robin, no steering setting).
rampart_config() {
  local v=$1 form=$2 n=$NORIGINS steering=round_robin pool=four
  [[ ${POLICY[$v]} == lc ]] && steering=least_outstanding
  [[ ${POLICY[$v]} == one ]] && n=1 pool=one
  rampart_base_config "Generated by bench/origins.sh: ${KIND[$v]} ${POLICY_LABEL[${POLICY[$v]}]} in front of $n origin(s), $form form." \
    "${PORT_OF[$v]}" "${ADMIN_OF[$v]}"
  if [[ $form == shorthand ]]; then
    cat <<EOF
sites:
  - name: bench
    default: true
    hosts: [127.0.0.1, localhost]
    origin:
      endpoints: [$(endpoint_list "$n")]
EOF
    return
  fi
  local ref="pool: $pool"
  [[ $form == pools ]] && ref="pools: [$pool]"
  cat <<EOF
pools:
  $pool:
    steering: $steering
    endpoints: [$(endpoint_list "$n")]
sites:
  - name: bench
    default: true
    hosts: [127.0.0.1, localhost]
    origin: { $ref }
EOF
}

haproxy_config() {  # haproxy_config VARIANT
  local v=$1 balance=roundrobin k
  [[ ${POLICY[$v]} == lc ]] && balance=leastconn
  cat <<EOF
# Generated by bench/origins.sh: haproxy ${POLICY_LABEL[${POLICY[$v]}]} in front of $NORIGINS origins.
global
    nbthread $W
    maxconn $(((NOFILE - 256) / 2))
    pidfile $TMP/$v/haproxy.pid
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 60s
    timeout http-keep-alive 300s
    option http-keep-alive
    # Idle server connections are shared by all client connections, as in rampart's
    # per-worker upstream pool (the default, "safe", keeps a client's first request
    # on a fresh or its own connection).
    http-reuse always
frontend bench
    bind 127.0.0.1:${PORT_OF[$v]}
    default_backend origins
EOF
  if ((FWD)); then
    cat <<'EOF'
    # What rampart adds by default, for a like-for-like comparison.
    option forwardfor
    unique-id-format %[uuid()]
    http-request set-header X-Forwarded-Proto http
    http-request set-header Forwarded "for=%[src];proto=http;host=\"%[req.hdr(host)]\""
    http-request set-header Via "1.1 haproxy"
    http-request set-header X-Request-Id %[unique-id]
    http-response set-header Via "1.1 haproxy"
    http-response set-header X-Request-Id %[unique-id]
EOF
  fi
  printf 'backend origins\n    balance %s\n' "$balance"
  for ((k = 0; k < NORIGINS; k++)); do
    echo "    server origin$((k + 1)) 127.0.0.1:${ORIGIN_PORTS[k]}"
  done
}

nginx_config() {  # nginx_config VARIANT
  local v=$1 dir=$TMP/$1 k lc="" fwd=""
  [[ ${POLICY[$v]} == lc ]] && lc=$'\n        least_conn;'
  ((FWD)) && fwd=$(nginx_forward_headers)
  nginx_common "$dir"
  cat <<EOF
worker_processes $W;
worker_rlimit_nofile $NOFILE;
events {
    worker_connections $((NOFILE - 256));
}
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
$(nginx_temp_paths "$dir")
    upstream origins {$lc
$(for ((k = 0; k < NORIGINS; k++)); do echo "        server 127.0.0.1:${ORIGIN_PORTS[k]};"; done)
        keepalive $NGINX_KEEPALIVE;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:${PORT_OF[$v]} reuseport;
        location / {
            proxy_pass http://origins;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
$fwd
        }
    }
}
EOF
}

# ---------------------------------------------------------------- start the proxies

mkdir -p "$TMP/bin"
cp "$RAMPART" "$TMP/bin/rampart" || die "cannot copy $RAMPART"  # a rebuild mid-run changes nothing
RAMPART_SHA=$(sha256sum "$TMP/bin/rampart" | cut -c1-16)
RAMPART_VERSION=$(timeout 5 "$TMP/bin/rampart" version 2>&1 | head -n 1)
HAPROXY_VERSION=$(haproxy -v 2>&1 | head -n 1 | sed 's/^HA-\{0,1\}Proxy version //I; s/ - https.*//')
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')

# start_rampart VARIANT FORM: writes the config, validates it, starts rampart. Fails
# (returning 1, with the reason in START_NOTE) when validate rejects the config or
# rampart does not come up; a crash of validate is fatal.
START_NOTE=""
start_rampart() {
  local v=$1 form=$2 dir=$TMP/$1 rc
  mkdir -p "$dir"
  rampart_config "$v" "$form" >"$dir/rampart.yaml"
  timeout 60 "$TMP/bin/rampart" validate "$dir/rampart.yaml" >"$dir/validate.log" 2>&1; rc=$?
  ((rc > 128)) && die "rampart validate crashed (signal $((rc - 128))) on $dir/rampart.yaml"
  if ((rc != 0)); then
    START_NOTE="rampart validate rejected the $form form: $( (grep -m1 -i 'error' "$dir/validate.log" || head -n 1 "$dir/validate.log") |
      sed 's/^.*error: //' | cut -c1-100)"
    return 1
  fi
  "${PRIO[@]}" "${PIN_PROXY[@]}" "$TMP/bin/rampart" run -c "$dir/rampart.yaml" >"$dir/out.log" 2>&1 9>&- &
  PID_OF[$v]=$!
  STARTED+=("${PID_OF[$v]}")
  if ! wait_http "http://127.0.0.1:${PORT_OF[$v]}/" 30 "${PID_OF[$v]}"; then
    START_NOTE="rampart run did not come up with the $form form: $(tail -n 3 "$dir/out.log" | tr '\n' ' ')"
    stop_pid "${PID_OF[$v]}"
    return 1
  fi
  return 0
}

# rampart's config form: the first of pool, pools, shorthand that rampart-rr accepts.
RAMPART_FORM=""
FORM_NOTES=()
for form in pool pools shorthand; do
  if start_rampart rampart-rr "$form"; then RAMPART_FORM=$form; break; fi
  log "$START_NOTE"
  FORM_NOTES+=("$START_NOTE")
  [[ $form == shorthand ]] && die "rampart did not start even with the endpoints: shorthand (see $TMP/rampart-rr)"
done
VARIANTS=()  # the proxies that run
declare -A SKIPPED
if [[ $RAMPART_FORM == shorthand ]]; then
  SKIPPED[rampart-lc]="not supported by this build (no \`pools:\`; the \`endpoints:\` shorthand is round robin)"
  log "rampart least connections: ${SKIPPED[rampart-lc]}"
  POLICY_DIRECTIVE[rampart-rr]="endpoints: shorthand (round robin)"
  POLICY_DIRECTIVE[rampart-one]="endpoints: shorthand, 1 endpoint"
fi
log "rampart ($RAMPART_VERSION, W=$W): ${RAMPART_FORM} form"

for v in "${ALL_VARIANTS[@]}"; do
  [[ -n ${SKIPPED[$v]:-} ]] && continue
  dir=$TMP/$v
  mkdir -p "$dir"
  case ${KIND[$v]} in
    rampart)
      if [[ $v == rampart-lc ]] && ! start_rampart "$v" "$RAMPART_FORM"; then
        # A build with pools but without this steering policy: the rest still runs.
        SKIPPED[$v]="not supported by this build ($START_NOTE)"
        log "rampart least connections: ${SKIPPED[$v]}"
        continue
      fi
      [[ $v == rampart-rr || $v == rampart-lc ]] || start_rampart "$v" "$RAMPART_FORM" || die "rampart ($v): $START_NOTE"
      ;;
    haproxy)
      haproxy_config "$v" >"$dir/haproxy.cfg"
      if ! timeout 10 haproxy -c -q -f "$dir/haproxy.cfg" >"$dir/test.log" 2>&1; then
        cat "$dir/test.log" >&2
        die "haproxy ($v) config check failed: $dir/haproxy.cfg"
      fi
      # -db: stay in the foreground, one process (nbthread threads), so the pid is the server's.
      "${PRIO[@]}" "${PIN_PROXY[@]}" haproxy -db -f "$dir/haproxy.cfg" >"$dir/out.log" 2>&1 9>&- &
      PID_OF[$v]=$!
      STARTED+=("${PID_OF[$v]}")
      wait_http "http://127.0.0.1:${PORT_OF[$v]}/" 10 "${PID_OF[$v]}" || {
        cat "$dir/out.log" >&2
        die "haproxy ($v) did not start"
      }
      ;;
    nginx)
      nginx_config "$v" >"$dir/nginx.conf"
      start_nginx "$v" "${PIN_PROXY[@]}"
      PID_OF[$v]=$NGINX_STARTED_PID
      wait_http "http://127.0.0.1:${PORT_OF[$v]}/" 10 "${PID_OF[$v]}" || {
        cat "$dir/error.log" >&2
        die "nginx ($v) did not start"
      }
      ;;
  esac
  VARIANTS+=("$v")
  log "$v (${POLICY_DIRECTIVE[$v]}) on 127.0.0.1:${PORT_OF[$v]}"
done

# Checks: the origin's body through every proxy, and 40 sequential requests reaching
# every origin (the 1-endpoint pool: only the first).
SPREAD_N=40
declare -A SPREAD
for v in "${VARIANTS[@]}"; do
  url="http://127.0.0.1:${PORT_OF[$v]}/"
  status=$(curl -s -o "$TMP/$v/check.body" -w '%{http_code}' --max-time 5 "$url")
  body=$(cat "$TMP/$v/check.body"; echo x)
  [[ $status == 200 && ${body%x} == "$ORIGIN_BODY" ]] ||
    die "$v: GET / got status $status, body $(printf %q "${body%x}" | head -c 200)"
  before=$(origin_requests)
  for ((k = 0; k < SPREAD_N; k++)); do
    curl -s -o /dev/null --max-time 5 "$url" || die "$v: request $k of the spread check failed"
  done
  SPREAD[$v]=$(origin_deltas "$before" "$(origin_requests)")
  read -r -a d <<<"${SPREAD[$v]}"
  total=0
  for n in "${d[@]}"; do total=$((total + n)); done
  ((total == SPREAD_N)) || die "$v: the origins counted $total of $SPREAD_N requests (${SPREAD[$v]})"
  if [[ ${POLICY[$v]} == one ]]; then
    ((d[0] == SPREAD_N)) || die "$v: the 1-endpoint pool sent requests elsewhere than origin 1 (${SPREAD[$v]})"
  else
    for n in "${d[@]}"; do ((n > 0)) || die "$v: $SPREAD_N requests did not reach every origin (${SPREAD[$v]})"; done
  fi
  log "$v: GET / forwarded; $SPREAD_N requests per origin: ${SPREAD[$v]}"
done

# ---------------------------------------------------------------- load

declare -A RPS P50 P99 CPU_US ORIGIN_CPU_US OTHER_PCT NON2XX SOCKERR NOTE SHARE

# run_load VARIANT ROUND: warm-up, then one measured wrk run; results under "VARIANT,ROUND".
run_load() {
  local v=$1 key="$1,$2" pid=${PID_OF[$1]} url="http://127.0.0.1:${PORT_OF[$1]}/"
  local out="$TMP/wrk-$1-r$2.txt" t0 o0 s0 t1 o1 s1 q0 q1 parsed rps reqs p50 p99 n2 se
  wait_quiet
  log "$v: warm-up ${WARM}s"
  "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((WARM + 30)) wrk -t1 -c"$C" -d"${WARM}s" "$url" >"$TMP/wrk-warmup-$v.txt" 2>&1
  sleep 1
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="${KIND[$v]} died during warm-up"; return 1; }
  log "$v round $2/$ROUNDS: wrk -t1 -c$C -d${SECS}s --latency $url"
  q0=$(origin_requests)
  t0=$(tree_cpu_ticks "$pid"); o0=$(origins_cpu_ticks); s0=$(system_busy_ticks)
  TIMEFORMAT='%3U %3S'
  { time "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((SECS + 30)) wrk -t1 -c"$C" -d"${SECS}s" --latency "$url" >"$out" 2>&1; } 2>"$out.time"
  t1=$(tree_cpu_ticks "$pid"); o1=$(origins_cpu_ticks); s1=$(system_busy_ticks)
  q1=$(origin_requests)
  sed 's/^/    /' "$out" >&2
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="${KIND[$v]} died during the measured run"; return 1; }
  parsed=$(parse_wrk "$out") || { NOTE[$key]="could not parse wrk output"; return 1; }
  read -r rps reqs p50 p99 n2 se <<<"$parsed"
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 NON2XX[$key]=$n2 SOCKERR[$key]=$se
  CPU_US[$key]=$(us_per_req $((t1 - t0)) "$reqs")
  ORIGIN_CPU_US[$key]=$(us_per_req $((o1 - o0)) "$reqs")
  SHARE[$key]=$(origin_deltas "$q0" "$q1")
  OTHER_PCT[$key]=$(other_load_pct $((s1 - s0)) $((t1 - t0)) $((o1 - o0)) "$out.time")
  ((n2 > 0 || se > 0)) && NOTE[$key]="wrk saw $n2 non-2xx/3xx responses and $se socket errors"
  return 0
}

run_rounds  # run_load over VARIANTS, ROUNDS times, rotating the order

# share_range "N1 N2 N3 N4": "min–max%" of the requests each origin served.
share_range() {
  awk -v s="$1" 'BEGIN { n = split(s, a, " "); t = 0; for (i = 1; i <= n; i++) t += a[i]
    if (t <= 0) { print "n/a"; exit }
    lo = 100; hi = 0; for (i = 1; i <= n; i++) { p = 100 * a[i] / t; if (p < lo) lo = p; if (p > hi) hi = p }
    printf "%.1f–%.1f%%\n", lo, hi }'
}

# Medians over the rounds; per-round ratios for their spread; origin shares summed.
declare -A RPS_RANGE
for v in "${VARIANTS[@]}"; do
  median_rounds "$v"
  notes=${NOTE[$v]} sums=(0 0 0 0)
  for ((r = 1; r <= ROUNDS; r++)); do
    read -r -a d <<<"${SHARE[$v,$r]}"
    for ((k = 0; k < NORIGINS; k++)); do sums[k]=$((sums[k] + d[k])); done
  done
  SHARE[$v]="${sums[*]}"
  if [[ ${POLICY[$v]} != one ]]; then
    # An origin with under 10% of the requests: the policy did not spread the load.
    low=$(awk -v s="${SHARE[$v]}" 'BEGIN { n = split(s, a, " "); t = 0; for (i = 1; i <= n; i++) t += a[i]
      for (i = 1; i <= n; i++) if (t > 0 && a[i] / t < 0.10) { print i; exit } }')
    [[ -n $low ]] && notes+="${notes:+; }origin $low served under 10% of the requests"
  elif ((sums[1] + sums[2] + sums[3] > 0)); then
    notes+="${notes:+; }origins 2-4 served $((sums[1] + sums[2] + sums[3])) requests (expected none)"
  fi
  NOTE[$v]=$notes
  kill -0 "${PID_OF[$v]}" 2>/dev/null || NOTE[$v]+="${NOTE[$v]:+; }${KIND[$v]} exited before the end of the run"
done

# ---------------------------------------------------------------- micro-benchmarks

MICRO_BIN=$(dirname "$RAMPART")/rampart_micro_bench
MICRO_ROWS="" MICRO_NOTE=""
if ((MICRO)); then
  if [[ ! -x $MICRO_BIN ]]; then
    MICRO_NOTE="not run: no rampart_micro_bench next to the rampart binary"
  elif ! timeout 30 "$MICRO_BIN" --benchmark_list_tests --benchmark_filter=Balancer 2>/dev/null | grep -q .; then
    MICRO_NOTE="not run: this rampart_micro_bench has no Balancer benchmarks (bench/micro/balancer_bench.cc)"
  else
    log "rampart_micro_bench --benchmark_filter=Balancer x3"
    if timeout 300 "${PRIO[@]}" "$MICRO_BIN" --benchmark_filter=Balancer --benchmark_repetitions=3 --benchmark_min_time=0.2 \
      --benchmark_report_aggregates_only=true --benchmark_format=json >"$TMP/micro.json" 2>"$TMP/micro.err"; then
      MICRO_ROWS=$(/usr/bin/python3 - "$TMP/micro.json" <<'PY'
import json, re, sys
rows = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    m = re.match(r"BM_Balancer_(\w+)/(\d+)", b["run_name"])
    if not m:
        continue
    ns = b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
    rows.setdefault(m.group(1), {})[m.group(2)] = ns
names = {"RoundRobin": "round_robin", "Random": "random", "LeastOutstanding": "least_outstanding",
         "PowerOfTwo": "p2c", "Latency": "latency", "Hash": "hash"}
for k, v in rows.items():
    print(f"| `{names.get(k, k)}` | {v.get('4', float('nan')):.1f} ns | {v.get('64', float('nan')):.1f} ns |")
PY
)
      [[ -n $MICRO_ROWS ]] || MICRO_NOTE="the Balancer benchmarks printed no results"
    else
      MICRO_NOTE="rampart_micro_bench failed: $(tail -n 2 "$TMP/micro.err" | tr '\n' ' ')"
    fi
  fi
  [[ -n $MICRO_NOTE ]] && log "micro-benchmarks: $MICRO_NOTE"
else
  MICRO_NOTE="not run (BENCH_MICRO=0)"
fi

# ---------------------------------------------------------------- report

has() { [[ -n ${RPS[$1]:-} ]]; }
proxy_label() { echo "${KIND[$1]}$([[ ${POLICY[$1]} == one ]] && echo " (1-endpoint pool)")"; }

load_table() {
  echo "| policy | proxy | directive | req/s | p50 | p99 | CPU µs/req (proxy) | CPU µs/req (4 origins) | requests per origin | other load | errors |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---|---:|---|"
  local v rps other err share
  for v in "${ALL_VARIANTS[@]}"; do
    if ! has "$v"; then
      printf '| %s | %s | %s | n/a | n/a | n/a | n/a | n/a | n/a | n/a | %s |\n' "${POLICY_LABEL[${POLICY[$v]}]}" \
        "$(proxy_label "$v")" "${POLICY_DIRECTIVE[$v]}" "${SKIPPED[$v]:-not run}"
      continue
    fi
    rps=$(printf '%.0f' "${RPS[$v]}")
    ((ROUNDS > 1)) && rps+=" (${RPS_RANGE[$v]})"
    other="${OTHER_PCT[$v]}%"
    awk -v o="${OTHER_PCT[$v]}" 'BEGIN { exit !(o > 5) }' && other+=" ⚠"
    err="${NON2XX[$v]} non-2xx, ${SOCKERR[$v]} socket${NOTE[$v]:+; ${NOTE[$v]}}"
    share=$(share_range "${SHARE[$v]}")
    [[ ${POLICY[$v]} == one ]] && share="all to origin 1"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${POLICY_LABEL[${POLICY[$v]}]}" \
      "$(proxy_label "$v")" "${POLICY_DIRECTIVE[$v]}" "$rps" "$(fmt_us "${P50[$v]}")" "$(fmt_us "${P99[$v]}")" \
      "${CPU_US[$v]}" "${ORIGIN_CPU_US[$v]}" "$share" "$other" "$err"
  done
}


ratio_table() {
  echo "| policy | rampart ÷ | req/s | per round | p99 | CPU µs/req | CPU/req in origin units |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  local pol peer a b
  for pol in rr lc; do
    for peer in haproxy nginx; do
      a=rampart-$pol b=$peer-$pol
      if has "$a" && has "$b"; then
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${POLICY_LABEL[$pol]}" "$peer" \
          "$(ratio "${RPS[$a]}" "${RPS[$b]}")" "$(round_ratios "$a" "$b")" "$(ratio "${P99[$a]}" "${P99[$b]}")" \
          "$(ratio "${CPU_US[$a]}" "${CPU_US[$b]}")" "$(in_origin_units "$a" "$b")"
      else
        printf '| %s | %s | n/a | n/a | n/a | n/a | n/a |\n' "${POLICY_LABEL[$pol]}" "$peer"
      fi
    done
  done
}

# Steering cost: rampart with 4 endpoints (round robin) minus rampart with a 1-endpoint
# pool, per round (paired: the two ran in the same round) and as the difference of medians.
steering_table() {
  local a=rampart-rr b=rampart-one r diffs=() d
  if ! has "$a" || ! has "$b"; then echo "(not measured)"; return; fi
  for ((r = 1; r <= ROUNDS; r++)); do
    diffs+=("$(awk -v x="${CPU_US[$a,$r]}" -v y="${CPU_US[$b,$r]}" 'BEGIN { printf "%.2f\n", x - y }')")
  done
  d=$(printf '%s\n' "${diffs[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf (lo == hi ? "%+.2f" : "%+.2f to %+.2f"), lo, hi }')
  echo "| rampart | req/s | p99 | CPU µs/req (rampart) | CPU µs/req (origins) |"
  echo "|---|---:|---:|---:|---:|"
  printf '| 4 endpoints, round robin | %.0f | %s | %s | %s |\n' "${RPS[$a]}" "$(fmt_us "${P99[$a]}")" "${CPU_US[$a]}" "${ORIGIN_CPU_US[$a]}"
  printf '| 1 endpoint | %.0f | %s | %s | %s |\n' "${RPS[$b]}" "$(fmt_us "${P99[$b]}")" "${CPU_US[$b]}" "${ORIGIN_CPU_US[$b]}"
  printf '| **difference (4 − 1)** | %s | | **%s µs/req** (median of rounds: %s; per round: %s) | |\n' \
    "$(ratio "${RPS[$a]}" "${RPS[$b]}") ×" \
    "$(awk -v x="${CPU_US[$a]}" -v y="${CPU_US[$b]}" 'BEGIN { printf "%+.2f\n", x - y }')" \
    "$(median "${diffs[@]}" | awk '{ printf "%+.2f\n", $1 }')" "$d"
}

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_CONNS=$C BENCH_ROUNDS=$ROUNDS BENCH_NGINX_KEEPALIVE=$NGINX_KEEPALIVE BENCH_FORWARD_HEADERS=$FWD BENCH_NICE=$NICE BENCH_PIN=$PIN"
[[ -n ${BENCH_RESULTS:-} ]] && env_prefix+=" BENCH_RESULTS=$BENCH_RESULTS"
case $RAMPART_FORM in
  pool) FORM_TEXT="a named pool (\`pools: {four: {steering: …, endpoints: [4 origins]}}\`, site \`origin: {pool: four}\`)" ;;
  pools) FORM_TEXT="a named pool (\`pools: {four: {steering: …, endpoints: [4 origins]}}\`, site \`origin: {pools: [four]}\`)" ;;
  *) FORM_TEXT="the \`origin: {endpoints: [4 origins]}\` shorthand (round robin): this build does not accept \`pools:\` (${FORM_NOTES[0]:-})" ;;
esac

section() {
  cat <<EOF
$ORIGINS_HEADING

Generated by \`bench/origins.sh\`; every number in this section comes from the run it
describes. The rest of this file comes from the other bench scripts.

- **Date:** $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- **Command:** \`$env_prefix $invocation\`
- **Machine:** $NPROC CPUs ($CPU_MODEL), Linux $(uname -r)
- **rampart:** $RAMPART_VERSION (\`${RAMPART#"$repo"/}\`, sha256 $RAMPART_SHA…), W=$W worker thread(s), \`bench/run.sh\`'s settings, origin as $FORM_TEXT
- **HAProxy:** $HAPROXY_VERSION (Debian), \`nbthread $W\`, \`mode http\`, keep-alive both sides, \`http-reuse always\`
- **nginx:** $NGINX_VERSION (Debian), \`worker_processes $W\`, upstream \`keepalive $NGINX_KEEPALIVE\`
- **Forwarding headers:** $( ((FWD)) && echo "HAProxy and nginx add what rampart adds (X-Forwarded-For/-Proto, Forwarded, Via, X-Request-Id; Via and X-Request-Id on the response too)" || echo "only rampart adds them (BENCH_FORWARD_HEADERS=0)")
- **Origins:** 4 × \`bench/run.sh\`'s origin (a separate nginx, 1 worker, 13-byte 200) on 4 loopback ports; the requests each served are counted (nginx stub_status)
- **Load:** \`wrk -t1 -c$C -d${SECS}s --latency http://127.0.0.1:PORT/\`, $ROUNDS round(s), each proxy after a ${WARM}s warm-up; round r starts with proxy r (rotating)
- **Checks before the load:** each proxy answers with the origin's body; $SPREAD_N sequential requests reach all 4 origins (the 1-endpoint pool: only origin 1)

### Throughput, latency, CPU (medians over $ROUNDS round(s))

$(load_table)

### rampart ÷ HAProxy and rampart ÷ nginx, same policy

$(ratio_table)

### The added cost of steering per request

rampart with a 4-endpoint pool (round robin) vs rampart with a 1-endpoint pool in front
of origin 1, same run:

$(steering_table)

The difference includes more than the pick: four upstream keep-alive pools instead of one,
and the origins' work spread over four processes (cache and scheduling effects).
EOF
  if [[ -n $MICRO_ROWS ]]; then
    cat <<EOF

\`proxy::Balancer\` alone (\`bench/micro/balancer_bench.cc\`: \`pick\` + \`on_start\` +
\`on_finish\` per request, 16 requests in flight, one thread; medians of 3 repetitions,
CPU time):

| steering | 4 endpoints | 64 endpoints |
|---|---:|---:|
$MICRO_ROWS
EOF
  else
    printf '\nBalancer micro-benchmarks: %s.\n' "$MICRO_NOTE"
  fi
  cat <<EOF

### How to read this

- CPU µs/req = utime+stime of the proxy's processes (all threads; nginx master + workers)
  during the measured run ÷ requests wrk completed; "4 origins" is the same summed over
  the four origins. "CPU/req in origin units" divides each proxy's CPU/req by the origins'
  in the same runs, cancelling slowdowns of the whole machine. "requests per origin" is
  the smallest–largest share of the requests the origins served during the measured runs.
  "other load" is CPU used by anything besides the proxy, the origins and wrk, as % of
  all $NPROC CPUs; rows marked ⚠ (over 5%) were disturbed.
- wrk, the 4 origins and the proxy share $NPROC CPUs$( ((PIN)) && echo " (pinned: proxy on CPU 1, origins and wrk on CPU 0)"), so req/s ratios
  understate differences in the proxies' own cost; CPU µs/req is the cleaner measure.
- Least connections with 4 equal origins on loopback behaves close to round robin; the
  policies differ mostly in how they break ties between equally busy origins (rampart:
  weighted random among them; HAProxy and nginx: round robin among them) and in the cost
  of the bookkeeping. "requests per origin" shows the resulting spread.$([[ -n ${SKIPPED[rampart-lc]:-} ]] && printf '\n- rampart least connections: %s.' "${SKIPPED[rampart-lc]}")

<details><summary>proxy configs (upstream parts)</summary>

$(for v in "${VARIANTS[@]}"; do
  # shellcheck disable=SC2016  # sed addresses, not shell expansions
  case ${KIND[$v]} in
    rampart) printf '%s:\n```yaml\n%s\n```\n' "$v" "$(sed -n '/^\(pools\|sites\):/,$p' "$TMP/$v/rampart.yaml")" ;;
    haproxy) printf '%s:\n```\n%s\n```\n' "$v" "$(sed -n '/^defaults/,$p' "$TMP/$v/haproxy.cfg")" ;;
    nginx) printf '%s:\n```nginx\n%s\n```\n' "$v" "$(sed -n '/upstream origins/,/^    }$/p' "$TMP/$v/nginx.conf")" ;;
  esac
done)
</details>

<details><summary>raw wrk output</summary>

$(for v in "${VARIANTS[@]}"; do for ((r = 1; r <= ROUNDS; r++)); do
  printf '%s, round %s (requests per origin: %s):\n```\n%s\n```\n' "$v" "$r" "${SHARE[$v,$r]}" "$(cat "$TMP/wrk-$v-r$r.txt")"; done; done)
</details>
EOF
}

section >"$TMP/section.md"
replace_results_section "$RESULTS" "$ORIGINS_HEADING" "$TMP/section.md" || die "could not write $RESULTS"

echo
echo "== load balancing across 4 origins: rampart vs haproxy and nginx (W=$W, -c$C, ${SECS}s x $ROUNDS rounds, $NPROC CPUs) =="
echo "rampart origin form: $RAMPART_FORM"
echo
print_tables load_table ratio_table steering_table
if [[ -n $MICRO_ROWS ]]; then
  echo
  printf '| steering | 4 endpoints | 64 endpoints |\n%s\n' "$MICRO_ROWS" | column -t -s '|' -o '|' 2>/dev/null
else
  echo "Balancer micro-benchmarks: $MICRO_NOTE"
fi
echo
echo "section \"${ORIGINS_HEADING#\#\# }\" written to ${RESULTS#"$repo"/}"
exit 0
