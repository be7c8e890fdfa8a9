# Helpers for the bench/*.sh scripts. Sourced, not executed.
# shellcheck shell=bash

bench_log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# free_ports N: prints N distinct free TCP ports on 127.0.0.1, one per line. The
# sockets are all held until every port is chosen, so the ports are distinct.
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

# wait_http URL SECONDS [PID]: waits until URL answers any HTTP status. Fails early when
# PID (the server being waited for) has exited.
wait_http() {
  local url=$1 pid=${3:-} deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# proc_tree PID: PID and all its descendants, one per line.
proc_tree() {
  local pid=$1 child
  [[ -d /proc/$pid ]] || return 0
  echo "$pid"
  for child in $(pgrep -P "$pid" 2>/dev/null); do
    proc_tree "$child"
  done
}

# cpu_ticks PID...: summed utime+stime (clock ticks) of the given processes (all their
# threads). Field 14/15 of /proc/PID/stat; comm (field 2) may hold spaces, so cut
# after the last ')'.
cpu_ticks() {
  local pid stat rest total=0 f
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# tree_cpu_ticks PID: cpu_ticks over PID and its descendants.
tree_cpu_ticks() {
  # shellcheck disable=SC2046
  cpu_ticks $(proc_tree "$1")
}

# tree_mem_kb PID FIELD: sums FIELD (Pss or Rss, in kB) from /proc/P/smaps_rollup over
# PID and its descendants.
tree_mem_kb() {
  local pid total=0 v
  for pid in $(proc_tree "$1"); do
    v=$(awk -v k="$2:" '$1 == k {print $2; exit}' "/proc/$pid/smaps_rollup" 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# system_busy_ticks: busy (non-idle, non-iowait) jiffies of all CPUs from /proc/stat.
system_busy_ticks() {
  awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

# to_us VALUE: converts a wrk latency like 812.00us, 1.23ms or 2.01s to microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000;
    else if (v ~ /m$/) m = 60000000; else if (v ~ /s$/) m = 1000000; else m = -1
    if (m < 0) print "nan"; else printf "%.1f\n", n * m
  }'
}

# parse_wrk FILE: prints "rps requests p50_us p99_us non2xx sockerr" from wrk --latency output.
parse_wrk() {
  local file=$1 rps requests p50 p99 non2xx sockerr
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$file")
  requests=$(awk '/ requests in / {print $1}' "$file")
  p50=$(awk '$1 == "50%" {print $2; exit}' "$file")
  p99=$(awk '$1 == "99%" {print $2; exit}' "$file")
  non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$file")
  sockerr=$(awk '/Socket errors:/ {
      s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i + 0; print s }' "$file")
  [[ -n $rps && -n $requests && -n $p50 && -n $p99 ]] || return 1
  echo "$rps $requests $(to_us "$p50") $(to_us "$p99") ${non2xx:-0} ${sockerr:-0}"
}

# fmt_us MICROS: human form, e.g. 812us or 1.23ms.
fmt_us() {
  awk -v u="$1" 'BEGIN {
    if (u == "" || u == "nan" || u == "n/a") { print "n/a"; exit }
    if (u < 1000) printf "%.0fus\n", u; else if (u < 1000000) printf "%.2fms\n", u / 1000;
    else printf "%.2fs\n", u / 1000000 }'
}

# ratio A B [DIGITS]: A/B, or n/a.
ratio() {
  awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
    if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a";
    else printf "%.*f\n", d, a / b }'
}

# check RATIO OP LIMIT: prints "yes", "no" or "n/a" for RATIO OP LIMIT (OP: ge, le, lt).
check() {
  awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (r == "n/a" || r == "") { print "n/a"; exit }
    ok = (op == "ge") ? (r + 0 >= l + 0) : (op == "le") ? (r + 0 <= l + 0) : (r + 0 < l + 0)
    print ok ? "yes" : "no" }'
}

# ---------------------------------------------------------------- shared by run.sh, firewall.sh, origins.sh
# The functions below use the caller's globals: TMP (the run's temp dir), STARTED (pids
# started, tree roots), REAPED (assoc. array of pids already stopped), WATCHDOG_PID (all
# four set by bench_prepare), PRIO (command prefix: nice; set by bench_prio_pin), and for
# wait_quiet QUIET_WAIT, MAX_OTHER, CLK_TCK, NPROC.

ORIGIN_BODY=$'hello, world\n'  # 13 bytes, what the origin returns
# shellcheck disable=SC2034  # used by run.sh, firewall.sh and origins.sh
FIREWALL_HEADING="## Firewall rules: throughput with 1,000 rules vs none"  # bench/firewall.sh's section
MICRO_HEADING="## Micro-benchmarks: rules and IP lists"  # bench/micro/ results, by hand
# shellcheck disable=SC2034  # used by run.sh and origins.sh
ORIGINS_HEADING="## Load balancing across 4 origins: rampart vs HAProxy and nginx"  # bench/origins.sh's section
# shellcheck disable=SC2034  # used by run.sh and cache.sh
CACHE_HEADING="## CDN cache hits: rampart vs Varnish and nginx proxy_cache"  # bench/cache.sh's section
# shellcheck disable=SC2034  # used by run.sh and tls.sh
TLS_HEADING="## TLS termination: rampart vs nginx (handshakes, HTTP/1.1, HTTP/2)"  # bench/tls.sh's section
# shellcheck disable=SC2034  # used by waf.sh
WAF_HEADING="## Managed WAF: nginx, nginx + ModSecurity + CRS, rampart with and without the CRS"  # bench/waf.sh's section
DDOS_HEADING="## Layer-7 DDoS flood: legitimate visitors through an attack from 4,000 addresses"  # bench/ddos.sh's section

# shellcheck disable=SC2034  # used by ratelimit.sh
RATELIMIT_HEADING="## Rate limiting: throughput with 10 rate-limit rules vs none"  # bench/ratelimit.sh's section

# is_our_child PID: PID is alive and a direct child of this script.
is_our_child() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z && $(awk '{print $2}' <<<"$stat") == "$$" ]]
}

# shellcheck disable=SC2004  # REAPED is an associative array (the caller declares it)
# stop_pid PID: TERM the process, wait up to 5s for it and its descendants, then KILL.
stop_pid() {
  local pid=$1 tree p i
  [[ -n ${REAPED[$pid]:-} ]] && return 0
  if ! is_our_child "$pid"; then
    wait "$pid" 2>/dev/null
    REAPED[$pid]=1
    return 0
  fi
  tree=$(proc_tree "$pid")
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    local alive=0
    for p in $tree; do [[ -d /proc/$p && $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]] && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in $tree; do
    [[ -d /proc/$p ]] && kill -KILL "$p" 2>/dev/null
  done
  wait "$pid" 2>/dev/null
  REAPED[$pid]=1
  return 0
}

# cleanup: the EXIT trap. Stops the watchdog and every started process (newest first);
# removes TMP unless BENCH_KEEP_TMP=1 or the run failed.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WATCHDOG_PID ]]; then kill -TERM "$WATCHDOG_PID" 2>/dev/null; wait "$WATCHDOG_PID" 2>/dev/null; fi
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED[i]}"; done
  if [[ ${BENCH_KEEP_TMP:-0} == 1 || $rc -ne 0 ]]; then
    bench_log "temp dir kept: $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}

# rampart_path REPO [ARG]: the rampart binary named on the command line (ARG, default
# build/release/rampart): absolute, else relative to the current directory if it exists
# there, else to REPO.
rampart_path() {
  local repo=$1 arg=${2:-build/release/rampart}
  if [[ $arg == /* ]]; then echo "$arg"
  elif [[ -e $PWD/$arg ]]; then echo "$PWD/$arg"
  else echo "$repo/$arg"; fi
}

# bench_prio_pin NICE PIN: checks NICE (-20..19) and sets PRIO, the prefix that runs
# origin(s), proxies and wrk at that nice level (negative: ahead of other work on a shared
# machine; nice execs, so the pids stay those of the servers). PIN=1 also sets PIN_PROXY
# (the proxy on CPU 1) and PIN_OTHERS (origin(s) and wrk on CPU 0) (taskset execs too);
# otherwise both are empty.
# shellcheck disable=SC2034  # PRIO, PIN_PROXY, PIN_OTHERS: used by the scripts
bench_prio_pin() {
  local nice=$1 pin=$2
  [[ $nice =~ ^-?[0-9]+$ && $nice -ge -20 && $nice -le 19 ]] || bench_die "BENCH_NICE must be -20..19"
  PRIO=(nice -n "$nice")
  PIN_PROXY=() PIN_OTHERS=()
  if [[ $pin == 1 ]]; then
    (($(nproc) >= 2)) || bench_die "BENCH_PIN=1 needs at least 2 CPUs"
    command -v taskset >/dev/null || bench_die "BENCH_PIN=1 needs taskset"
    PIN_PROXY=(taskset -c 1) PIN_OTHERS=(taskset -c 0)
  fi
}

# bench_need_tools TOOL...: dies unless every TOOL is installed.
bench_need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || bench_die "missing tool: $tool (run scripts/install-deps.sh)"
  done
}

# bench_lock HOLDER: one benchmark at a time on this machine (two runs would measure each
# other): takes /tmp/rampart-bench.lock on fd 9 of the calling shell, waiting up to 30
# minutes while another run has it (HOLDER names it in the message, e.g. "another benchmark"). Processes
# the scripts start get 9>&- so they do not keep the lock after the run.
bench_lock() {
  exec 9>/tmp/rampart-bench.lock
  if ! flock -n 9; then
    bench_log "$1 holds /tmp/rampart-bench.lock; waiting up to 30 minutes"
    flock -w 1800 9 || bench_die "gave up waiting for the other benchmark run"
  fi
}

# bench_prepare NAME MAX_TOTAL: process bookkeeping for a run. Call it in the script's own
# shell (not in $(...) or a pipeline): the variables and traps it sets must be the script's.
# Sets the globals TMP (a new temp dir /tmp/rampart-NAME.XXXXXX, readable by nginx workers,
# which drop to nobody), STARTED=() (every pid the script starts, tree roots: cleanup stops
# them), REAPED=() (pids already stopped or reaped: never signalled again, pid reuse),
# WATCHDOG_PID, CLK_TCK and NPROC; traps EXIT (cleanup), INT and TERM. Starts a watchdog
# that TERMs the script after MAX_TOTAL seconds (a bound on the whole run: every step has
# its own timeout; this catches the rest). Raises the open-file soft limit to the hard one
# (proxies and origins inherit it) and sets OPEN_FILES to it (unlimited: 1048576) and
# NOFILE to it capped at 65536.
bench_prepare() {
  local max_total=$2
  TMP=$(mktemp -d "/tmp/rampart-$1.XXXXXX") || bench_die "mktemp failed"
  chmod 755 "$TMP"
  STARTED=()
  declare -gA REAPED=()
  WATCHDOG_PID=""
  trap cleanup EXIT
  trap 'bench_log "interrupted"; exit 130' INT
  trap 'bench_log "terminated (watchdog or signal)"; exit 143' TERM
  (
    trap 'kill -TERM $sp 2>/dev/null; exit 0' TERM
    sleep "$max_total" & sp=$!
    wait "$sp" && kill -TERM $$ 2>/dev/null
  ) &
  WATCHDOG_PID=$!
  CLK_TCK=$(getconf CLK_TCK)
  NPROC=$(nproc)
  ulimit -n "$(ulimit -Hn)" 2>/dev/null
  OPEN_FILES=$(ulimit -n)
  [[ $OPEN_FILES == unlimited ]] && OPEN_FILES=1048576
  NOFILE=$OPEN_FILES
  ((NOFILE > 65536)) && NOFILE=65536
}

# nginx_common DIR: directives every nginx instance shares.
nginx_common() {
  local dir=$1
  cat <<NGX
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
NGX
}

nginx_temp_paths() {
  local dir=$1
  cat <<NGX
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
NGX
}

# nginx_forward_headers: proxy location directives that add the forwarding headers rampart
# adds by default (X-Forwarded-For/-Proto, Forwarded, Via, X-Request-Id; Via and
# X-Request-Id on the response too), for a like-for-like comparison.
nginx_forward_headers() {
  cat <<'FWD'
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Forwarded "for=$remote_addr;proto=$scheme;host=\"$http_host\"";
            proxy_set_header Via "1.1 nginx";
            proxy_set_header X-Request-Id $request_id;
            add_header Via "1.1 nginx";
            add_header X-Request-Id $request_id;
FWD
}

# start_nginx NAME PIN...: starts nginx with $TMP/NAME/nginx.conf; sets NGINX_STARTED_PID.
start_nginx() {
  local name=$1 dir=$TMP/$1
  shift
  if ! timeout 10 nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/test.log" 2>&1; then
    cat "$dir/test.log" >&2
    bench_die "nginx ($name) config test failed"
  fi
  "${PRIO[@]}" "$@" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 9>&- &
  NGINX_STARTED_PID=$!
  STARTED+=("$NGINX_STARTED_PID")
}

# start_origin PORT NOFILE PIN...: the shared origin, a separate nginx (1 worker) in
# $TMP/origin answering every GET with ORIGIN_BODY; checks it answers; sets ORIGIN_PID.
# Optional globals (bench/origins.sh, which runs several): ORIGIN_NAME (default origin:
# the directory under $TMP and the name in messages) and ORIGIN_STATUS_PATH (when set, an
# exact-match location with nginx's stub_status, for counting the requests it served).
start_origin() {
  local port=$1 nofile=$2 body name=${ORIGIN_NAME:-origin} status_conf=""
  shift 2
  if [[ -n ${ORIGIN_STATUS_PATH:-} ]]; then
    status_conf=$'\n        location = '"$ORIGIN_STATUS_PATH"$' {\n            stub_status;\n        }'
  fi
  mkdir -p "$TMP/$name"
  {
    nginx_common "$TMP/$name"
    cat <<NGX
worker_processes 1;
worker_rlimit_nofile $nofile;
events {
    worker_connections 4096;
}
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
$(nginx_temp_paths "$TMP/$name")
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            default_type text/plain;
            return 200 "hello, world\n";
        }$status_conf
    }
}
NGX
  } >"$TMP/$name/nginx.conf"
  bench_log "$name nginx on 127.0.0.1:$port"
  start_nginx "$name" "$@"
  ORIGIN_PID=$NGINX_STARTED_PID
  wait_http "http://127.0.0.1:$port/" 10 "$ORIGIN_PID" || {
    cat "$TMP/$name/error.log" >&2
    bench_die "$name nginx did not start"
  }
  body=$(curl -s --max-time 5 "http://127.0.0.1:$port/"; echo x)
  [[ ${body%x} == "$ORIGIN_BODY" ]] || bench_die "origin answered an unexpected body: ${body%x}"
}

# wait_quiet: waits (up to QUIET_WAIT seconds) until the rest of the machine uses under
# MAX_OTHER % of all CPUs over one second, so other work (builds, tests) does not
# land in a measured run. Called when our proxies and the origin are idle.
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) b0 b1 pct waited=0
  while :; do
    b0=$(system_busy_ticks); sleep 1; b1=$(system_busy_ticks)
    pct=$(awk -v d=$((b1 - b0)) -v hz="$CLK_TCK" -v n="$NPROC" 'BEGIN { printf "%.0f\n", 100 * d / hz / n }')
    ((pct <= MAX_OTHER)) && break
    if ((SECONDS >= deadline)); then
      bench_log "machine still busy (${pct}% of all CPUs used by other processes); measuring anyway"
      break
    fi
    ((waited++ == 0)) && bench_log "machine busy (${pct}% of all CPUs used by other processes); waiting up to ${QUIET_WAIT}s"
  done
}

# us_per_req TICKS REQUESTS: CPU microseconds per request (TICKS in CLK_TCK units), or n/a.
us_per_req() {
  awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { if (n > 0) printf "%.2f\n", t / hz * 1e6 / n; else print "n/a" }'
}

# other_load_pct SYSTEM PROXY ORIGIN TIMEFILE: CPU used during a measured run of SECS
# seconds by anything other than the proxy, the origin(s) and wrk, as % of all NPROC CPUs.
# SYSTEM, PROXY and ORIGIN are the run's CPU ticks (system_busy_ticks, tree_cpu_ticks);
# TIMEFILE holds wrk's user and system seconds (bash `time` with TIMEFORMAT='%3U %3S').
other_load_pct() {
  local wrk_cpu
  wrk_cpu=$(awk '{print $1 + $2}' "$4" 2>/dev/null)
  awk -v s="$1" -v p="$2" -v o="$3" -v w="${wrk_cpu:-0}" -v hz="$CLK_TCK" -v secs="$SECS" -v n="$NPROC" \
    'BEGIN { x = (s - p - o) / hz - w; if (x < 0) x = 0; printf "%.1f\n", 100 * x / (secs * n) }'
}

# wrk_variant_round VARIANT ROUND: the rules benches' `run_load` (firewall.sh,
# ratelimit.sh): a warm-up, then one measured `wrk` run of GET REQ_PATH with the WRK_H
# headers against the rampart at PORT_OF[VARIANT] (pid PID_OF[VARIANT]); the results go
# under "VARIANT,ROUND" in the caller's RPS, P50, P99, CPU_US, ORIGIN_CPU_US, OTHER_PCT,
# NON2XX, SOCKERR and NOTE. Reads the caller's WARM, SECS, C, ROUNDS, PRIO, PIN_OTHERS,
# ORIGIN_PID and TMP.
# shellcheck disable=SC2034  # associative arrays the caller declares and reads
wrk_variant_round() {
  local v=$1 key="$1,$2" pid=${PID_OF[$1]} url="http://127.0.0.1:${PORT_OF[$1]}$REQ_PATH"
  local out="$TMP/wrk-$1-r$2.txt" t0 o0 s0 t1 o1 s1 parsed rps reqs p50 p99 n2 se
  wait_quiet
  log "$v: warm-up ${WARM}s"
  "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((WARM + 30)) wrk -t1 -c"$C" -d"${WARM}s" "${WRK_H[@]}" "$url" >"$TMP/wrk-warmup-$v.txt" 2>&1
  sleep 1
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="rampart died during warm-up"; return 1; }
  log "$v round $2/$ROUNDS: wrk -t1 -c$C -d${SECS}s --latency $url"
  t0=$(tree_cpu_ticks "$pid"); o0=$(tree_cpu_ticks "$ORIGIN_PID"); s0=$(system_busy_ticks)
  TIMEFORMAT='%3U %3S'
  { time "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((SECS + 30)) wrk -t1 -c"$C" -d"${SECS}s" --latency "${WRK_H[@]}" "$url" >"$out" 2>&1; } 2>"$out.time"
  t1=$(tree_cpu_ticks "$pid"); o1=$(tree_cpu_ticks "$ORIGIN_PID"); s1=$(system_busy_ticks)
  sed 's/^/    /' "$out" >&2
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="rampart died during the measured run"; return 1; }
  parsed=$(parse_wrk "$out") || { NOTE[$key]="could not parse wrk output"; return 1; }
  read -r rps reqs p50 p99 n2 se <<<"$parsed"
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 NON2XX[$key]=$n2 SOCKERR[$key]=$se
  CPU_US[$key]=$(us_per_req $((t1 - t0)) "$reqs")
  ORIGIN_CPU_US[$key]=$(us_per_req $((o1 - o0)) "$reqs")
  OTHER_PCT[$key]=$(other_load_pct $((s1 - s0)) $((t1 - t0)) $((o1 - o0)) "$out.time")
  ((n2 > 0 || se > 0)) && NOTE[$key]="wrk saw $n2 non-2xx/3xx responses and $se socket errors"
  return 0
}

# run_rounds: ROUNDS rounds of the caller's `run_load V R` over every V in VARIANTS;
# round r starts with VARIANTS[r-1] (mod their count), rotating, so drift in the machine's
# state does not favour one. Dies when a run fails, with its NOTE[V,R].
run_rounds() {
  local nv=${#VARIANTS[@]} r k v
  for ((r = 1; r <= ROUNDS; r++)); do
    for ((k = 0; k < nv; k++)); do
      v=${VARIANTS[(r - 1 + k) % nv]}
      run_load "$v" "$r" || bench_die "$v round $r: ${NOTE[$v,$r]}"
      sleep 1
    done
  done
}

# median_rounds V: from V's per-round results (keys "V,1" to "V,ROUNDS") in the caller's
# RPS, P50, P99, CPU_US, ORIGIN_CPU_US, OTHER_PCT, NON2XX, SOCKERR and NOTE, sets V's:
# medians, the error counts summed, RPS_RANGE[V] ("lo–hi" req/s) and NOTE[V] (the rounds'
# notes joined).
# shellcheck disable=SC2004,SC2034  # associative arrays the caller declares and reads
median_rounds() {
  local v=$1 r vr=() vp50=() vp99=() vc=() vo=() vx=() n2=0 se=0 notes=""
  for ((r = 1; r <= ROUNDS; r++)); do
    vr+=("${RPS[$v,$r]}") vp50+=("${P50[$v,$r]}") vp99+=("${P99[$v,$r]}")
    vc+=("${CPU_US[$v,$r]}") vo+=("${ORIGIN_CPU_US[$v,$r]}") vx+=("${OTHER_PCT[$v,$r]}")
    n2=$((n2 + ${NON2XX[$v,$r]})) se=$((se + ${SOCKERR[$v,$r]}))
    [[ -n ${NOTE[$v,$r]:-} ]] && notes+="${notes:+; }round $r: ${NOTE[$v,$r]}"
  done
  RPS[$v]=$(median "${vr[@]}") P50[$v]=$(median "${vp50[@]}") P99[$v]=$(median "${vp99[@]}")
  CPU_US[$v]=$(median "${vc[@]}") ORIGIN_CPU_US[$v]=$(median "${vo[@]}") OTHER_PCT[$v]=$(median "${vx[@]}")
  NON2XX[$v]=$n2 SOCKERR[$v]=$se NOTE[$v]=$notes
  RPS_RANGE[$v]=$(printf '%s\n' "${vr[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f\n", lo, hi }')
}

# in_origin_units A B: (CPU/req of A ÷ origin(s)' CPU/req in A's runs) ÷ (the same for B).
in_origin_units() {
  awk -v a="${CPU_US[$1]}" -v b="${ORIGIN_CPU_US[$1]}" -v x="${CPU_US[$2]}" -v y="${ORIGIN_CPU_US[$2]}" \
    'BEGIN { if (b + 0 == 0 || x + 0 == 0 || y + 0 == 0) print "n/a"; else printf "%.2f\n", (a / b) / (x / y) }'
}

# round_ratios A B: the per-round req/s ratios A/B (RPS["A,R"] / RPS["B,R"]) as "lo–hi"
# (one value when they are all equal).
round_ratios() {
  local r vals=()
  for ((r = 1; r <= ROUNDS; r++)); do vals+=("$(ratio "${RPS[$1,$r]}" "${RPS[$2,$r]}")"); done
  printf '%s\n' "${vals[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print (lo == hi ? lo : lo "–" hi) }'
}

# median VALUES...: the median of numbers (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2];
    else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# results_section FILE HEADING: prints the section of markdown FILE that starts with the
# line HEADING and runs to the next "## " heading outside a ``` block (or the end).
results_section() {
  [[ -f $1 ]] || return 0
  awk -v h="$2" '
    $0 == h { on = 1; print; next }
    on && /^```/ { fence = !fence }
    on && !fence && /^## / { exit }
    on { print }' "$1"
}

# replace_results_section FILE HEADING NEWFILE: writes FILE with the section HEADING
# replaced by NEWFILE's contents (which start with HEADING), or NEWFILE appended when
# FILE has no such section. The rest of FILE is kept byte for byte.
replace_results_section() {
  local file=$1 heading=$2 new=$3 tmp
  tmp=$(mktemp "$file.XXXXXX") || return 1
  if [[ -f $file ]] && grep -qxF -- "$heading" "$file"; then
    awk -v h="$heading" -v new="$new" '
      !done && $0 == h { on = 1; while ((getline l < new) > 0) print l; next }
      on && /^```/ { fence = !fence; next }
      on && !fence && /^## / { on = 0; done = 1; print "" }
      !on { print }' "$file" >"$tmp"
  else
    { [[ -s $file ]] && { cat "$file"; [[ $(tail -c1 "$file") == "" ]] || echo; echo; }; cat "$new"; } >"$tmp"
  fi
  mv "$tmp" "$file"
}

# rampart_base_config COMMENT PORT ADMIN_PORT: the server-wide part of the rampart config
# every bench uses (one listener, admin, no access log, caps and timeouts sized for
# load); the caller appends its lists, rules and sites.
rampart_base_config() {
  cat <<EOF
# $1
version: bench
workers: $W
listeners:
  - name: bench
    address: 127.0.0.1:$2
admin:
  address: 127.0.0.1:$3
  token: bench-$(od -An -tx1 -N16 /dev/urandom | tr -d " \n")
access_log:
  path: off
log_level: warn
limits:
  max_connections: 20000
  max_connections_per_ip: 20000
  max_requests_per_connection: 1000000
timeouts:
  client_idle: 300s
  upstream_idle: 60s
  shutdown_grace: 2s
EOF
}

log() { bench_log "$@"; }
die() { bench_die "$@"; }

# bench_setup SCRIPT ARG [WARM [WORKERS]]: the common start of a side-by-side script.
# Sets repo, invocation (the command line recorded in RESULTS.md), RAMPART (from ARG, see
# rampart_path) and the knobs every script shares: W (BENCH_WORKERS, default WORKERS or
# 1), SECS (BENCH_SECONDS, 10), WARM (BENCH_WARMUP_SECONDS, default WARM or 2) and ROUNDS
# (BENCH_ROUNDS, 3).
# shellcheck disable=SC2034  # set for the calling script
bench_setup() {
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  invocation="bash bench/$1${2:+ $2}"
  RAMPART=$(rampart_path "$repo" "$2")
  W=${BENCH_WORKERS:-${4:-1}}
  SECS=${BENCH_SECONDS:-10}
  WARM=${BENCH_WARMUP_SECONDS:-${3:-2}}
  ROUNDS=${BENCH_ROUNDS:-3}
}

# The report of a script comparing rampart configs ("variants", the first being the
# baseline "none") with wrk_variant_round: VARIANTS, LABEL, RPS, RPS_RANGE, RATIO_RANGE,
# P50, P99, CPU_US, ORIGIN_CPU_US, OTHER_PCT, NON2XX, SOCKERR, NOTE, ROUNDS, TMP.

# variant_load_table: throughput, latency and CPU per variant (markdown).
variant_load_table() {
  echo "| rampart config | req/s | p50 | p99 | CPU µs/req (rampart) | CPU µs/req (origin) | other load | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  local v rps other err
  for v in "${VARIANTS[@]}"; do
    rps=$(printf '%.0f' "${RPS[$v]}")
    ((ROUNDS > 1)) && rps+=" (${RPS_RANGE[$v]})"
    other="${OTHER_PCT[$v]}%"
    awk -v o="${OTHER_PCT[$v]}" 'BEGIN { exit !(o > 5) }' && other+=" ⚠"
    err="${NON2XX[$v]} non-2xx, ${SOCKERR[$v]} socket${NOTE[$v]:+; ${NOTE[$v]}}"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$v]}" "$rps" "$(fmt_us "${P50[$v]}")" \
      "$(fmt_us "${P99[$v]}")" "${CPU_US[$v]}" "${ORIGIN_CPU_US[$v]}" "$other" "$err"
  done
}

# variant_ratio_table TARGET [BASELINE_NAME]: every variant but the first as a ratio to
# the first (called BASELINE_NAME in the headers, default "no rules"), the throughput
# ratio checked against TARGET (markdown).
variant_ratio_table() {
  local base=${VARIANTS[0]} name=${2:-no rules} v r
  echo "| rampart config | req/s ÷ $name | target ≥ $1 | per round | p99 ÷ $name | CPU/req ÷ $name | CPU/req in origin units ÷ $name | added CPU µs/req |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|"
  for v in "${VARIANTS[@]:1}"; do
    r=$(ratio "${RPS[$v]}" "${RPS[$base]}")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$v]}" "$r" "$(check "$r" ge "$1")" \
      "${RATIO_RANGE[$v]}" "$(ratio "${P99[$v]}" "${P99[$base]}")" "$(ratio "${CPU_US[$v]}" "${CPU_US[$base]}")" \
      "$(in_origin_units "$v" "$base")" \
      "$(awk -v a="${CPU_US[$v]}" -v b="${CPU_US[$base]}" 'BEGIN { printf "%+.2f\n", a - b }')"
  done
}

# variant_raw_output: the wrk output of every round, folded (markdown).
variant_raw_output() {
  local v r
  echo "<details><summary>raw wrk output</summary>"
  echo
  for v in "${VARIANTS[@]}"; do for ((r = 1; r <= ROUNDS; r++)); do
    printf '%s, round %s:\n```\n%s\n```\n' "${LABEL[$v]}" "$r" "$(cat "$TMP/wrk-$v-r$r.txt")"
  done; done
  echo "</details>"
}

# print_tables FUNCTION...: each markdown table that FUNCTION prints, aligned in columns
# (when `column` can), followed by an empty line.
print_tables() {
  local t
  for t in "$@"; do
    "$t" | column -t -s '|' -o '|' 2>/dev/null || "$t"
    echo
  done
}

# finish_variant_report RESULTS HEADING TITLE: writes the script's `section` as HEADING of
# RESULTS and prints the tables with TITLE on the terminal.
finish_variant_report() {
  section >"$TMP/section.md"
  replace_results_section "$1" "$2" "$TMP/section.md" || bench_die "could not write $1"
  echo
  echo "== $3 =="
  echo
  print_tables load_table ratio_table
  echo "section \"${2#\#\# }\" written to ${1#"$repo"/}"
}

# peer_memory_table: Rss and Pss of each of PEERS at start (RSS0, PSS0) and after the
# runs (RSS1, PSS1), in kB (markdown).
peer_memory_table() {
  echo "| proxy | Rss at start | Rss after the runs | Pss at start | Pss after the runs |"
  echo "|---|---:|---:|---:|---:|"
  local p
  for p in "${PEERS[@]}"; do
    printf '| %s | %s kB | %s kB | %s kB | %s kB |\n' "$p" "${RSS0[$p]}" "${RSS1[$p]}" "${PSS0[$p]}" "${PSS1[$p]}"
  done
}

# start_variant_rampart VARIANT: writes the script's `rampart_config VARIANT PORT ADMIN`
# (PORT_OF, ADMIN_OF) to $TMP/VARIANT/rampart.yaml, checks it with `rampart validate`,
# starts rampart on it (PID_OF, STARTED; PRIO and PIN_PROXY applied) and waits until it
# answers.
start_variant_rampart() {
  local v=$1 dir=$TMP/$1 rc
  mkdir -p "$dir"
  rampart_config "$v" "${PORT_OF[$v]}" "${ADMIN_OF[$v]}" >"$dir/rampart.yaml"
  timeout 60 "$TMP/bin/rampart" validate "$dir/rampart.yaml" >"$dir/validate.log" 2>&1
  rc=$?
  if ((rc != 0)); then
    head -n 30 "$dir/validate.log" >&2
    ((rc > 128)) && bench_die "rampart validate crashed (signal $((rc - 128))) on the $v config: $dir/rampart.yaml"
    bench_die "rampart validate rejected the $v config (exit status $rc): $dir/rampart.yaml"
  fi
  "${PRIO[@]}" "${PIN_PROXY[@]}" "$TMP/bin/rampart" run -c "$dir/rampart.yaml" >"$dir/out.log" 2>&1 9>&- &
  PID_OF[$v]=$!
  STARTED+=("${PID_OF[$v]}")
  if ! wait_http "http://127.0.0.1:${PORT_OF[$v]}/" 30 "${PID_OF[$v]}"; then
    tail -n 20 "$dir/out.log" >&2
    bench_die "rampart ($v) did not start"
  fi
}
