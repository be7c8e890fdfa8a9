#!/usr/bin/env bash
# The CDN cache: cache hits through rampart vs Debian's Varnish and nginx proxy_cache in
# front of the same origin and object set, in one run on loopback; then the memory each
# spends per cached object.
#
#   bash bench/cache.sh [path/to/rampart]        (default: build/release/rampart)
#
# Origin: a separate nginx (1 worker) serving static files with `Cache-Control: public,
# max-age=3600`: the load set /o/0 .. /o/(N-1) (of every 20 objects: one 128 KiB, four
# 16 KiB, fifteen 1 KiB) and the memory set /m/0 .. /m/(M-1) (1 KiB each). Its
# stub_status counts the requests it served.
#
# Proxies, each with W workers and room for every object in memory:
#   rampart   site `cache: {enabled: true}`, top-level `cache: {memory: 256MiB}`
#   varnish   `varnishd -F -b origin -s malloc,256m`, thread_pools=W, the builtin VCL
#   nginx     `proxy_cache` (keys_zone, files under the temp dir), worker_processes W,
#             the origin's Cache-Control decides freshness
#
# 1. Warm-up: every object of the load set once through each proxy, then a second pass
#    that must reach the origin 0 times; one object's second answer must say hit
#    (rampart Cache-Status, varnish two X-Varnish ids, nginx $upstream_cache_status).
# 2. Load: `wrk -t1 -cC -dSs --latency -s bench/cache_load.lua` (uniform and Zipf over
#    the load set), each after a warm-up run with the same settings, ROUNDS rounds,
#    rotating the order (run_rounds); the origin requests during each measured run are
#    counted (all hits: 0).
# 3. Memory: each proxy's Rss and Pss (all its processes) before and after the memory
#    set goes through it once; (growth − bodies) ÷ M is the overhead per object. A second
#    pass must reach the origin 0 times (every object was kept).
# Writes the section CACHE_HEADING (bench/lib.sh) of BENCH_RESULTS; the rest is kept.
#
# Environment (as bench/run.sh where the names match):
#   BENCH_WORKERS=2          rampart worker threads / varnish thread pools / nginx workers
#   BENCH_SECONDS=10         measured wrk duration per run
#   BENCH_WARMUP_SECONDS=2   wrk warm-up before each measured run
#   BENCH_CONNS="64 256"     wrk connections
#   BENCH_ROUNDS=3           measured runs per proxy and load (interleaved); medians shown
#   BENCH_CACHE_DISTS="uniform zipf"   request distributions over the load set
#   BENCH_CACHE_OBJECTS=1000 objects in the load set (a multiple of 20)
#   BENCH_CACHE_ZIPF_S=1.0   Zipf exponent
#   BENCH_CACHE_MEM_OBJECTS=20000  objects in the memory set (0: no memory test)
#   BENCH_MAX_OTHER_LOAD=10  before each measured run, wait until other processes use at
#   BENCH_QUIET_WAIT=120     most this % of all CPUs, for up to this many seconds
#   BENCH_NICE=0             nice level for origin, proxies and wrk
#   BENCH_PIN=0              1 pins the proxies to CPU 1 and origin + wrk to CPU 0
#   BENCH_PERF=0             1 records `perf record -g` of rampart during its first
#                            measured run of each load into the temp dir (kept)
#   BENCH_RESULTS=bench/RESULTS.md   the file whose section is written
#   BENCH_KEEP_TMP=0         1 keeps the temp dir (configs, logs, raw wrk output)
#
# With the defaults a run takes about 12 minutes (3 proxies x 2 loads x 2 -c x 3 rounds
# x ~15 s, plus the warm-ups and the memory test). Everything listens on 127.0.0.1 only;
# every process started here is stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup cache.sh "${1:-}" 2 2

read -r -a CONNS <<<"${BENCH_CONNS:-64 256}"
read -r -a DISTS <<<"${BENCH_CACHE_DISTS:-uniform zipf}"
NOBJ=${BENCH_CACHE_OBJECTS:-1000}
ZIPF_S=${BENCH_CACHE_ZIPF_S:-1.0}
MEMOBJ=${BENCH_CACHE_MEM_OBJECTS:-20000}
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
NICE=${BENCH_NICE:-0}
PIN=${BENCH_PIN:-0}
PERF=${BENCH_PERF:-0}
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
for val in "$W" "$SECS" "$WARM" "$ROUNDS" "$NOBJ" "$MAX_OTHER" "$QUIET_WAIT" "${CONNS[@]}"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
[[ $MEMOBJ =~ ^[0-9]+$ ]] || die "BENCH_CACHE_MEM_OBJECTS must be a number"
((NOBJ % 20 == 0)) || die "BENCH_CACHE_OBJECTS must be a multiple of 20"
[[ $ZIPF_S =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_CACHE_ZIPF_S must be a number"
for d in "${DISTS[@]}"; do [[ $d == uniform || $d == zipf ]] || die "unknown distribution: $d"; done
((${#DISTS[@]} > 0)) || die "BENCH_CACHE_DISTS is empty"
[[ $PERF == 0 || $PERF == 1 ]] || die "BENCH_PERF must be 0 or 1"
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx varnishd wrk curl pgrep timeout flock sha256sum /usr/bin/python3
((PERF)) && bench_need_tools perf
[[ -x $RAMPART ]] || die "rampart binary not found or not executable: $RAMPART (ninja -C build/release rampart)"
bench_lock "another benchmark"

PEERS=(rampart varnish nginx)
STATUS_PATH=/origin-status
MEM_BODY=1024  # bytes per object of the memory set

# TMP, STARTED, REAPED, the traps, the watchdog, CLK_TCK, NPROC, NOFILE (see bench/lib.sh).
nruns=$((ROUNDS * ${#PEERS[@]} * ${#DISTS[@]} * ${#CONNS[@]}))
bench_prepare cachebench $((600 + nruns * (SECS + WARM + QUIET_WAIT + 30)))
# shellcheck disable=SC2034  # read by cleanup (bench/lib.sh): keep the perf recordings
((PERF)) && BENCH_KEEP_TMP=1

mapfile -t PORTS < <(free_ports 5)
((${#PORTS[@]} == 5)) || die "could not find free ports"
ORIGIN_PORT=${PORTS[0]} ADMIN_PORT=${PORTS[4]}
declare -A PORT_OF=([rampart]=${PORTS[1]} [varnish]=${PORTS[2]} [nginx]=${PORTS[3]}) PID_OF

# ---------------------------------------------------------------- origin

# object_size I: the body size of load-set object I.
object_size() {
  if (($1 % 20 == 19)); then echo 131072
  elif (($1 % 5 == 2)); then echo 16384
  else echo 1024; fi
}

mkdir -p "$TMP/origin/www/o" "$TMP/origin/www/m"
/usr/bin/python3 - "$TMP/origin/www" "$NOBJ" "$MEMOBJ" "$MEM_BODY" <<'PY' || die "could not write the object set"
import os, sys
root, n, m, mem_body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def size(i):
    return 131072 if i % 20 == 19 else 16384 if i % 5 == 2 else 1024
for i in range(n):
    with open(os.path.join(root, "o", str(i)), "wb") as f:
        f.write((b"%d " % i).ljust(size(i), b"o"))
for i in range(m):
    with open(os.path.join(root, "m", str(i)), "wb") as f:
        f.write((b"%d " % i).ljust(mem_body, b"m"))
PY
LOAD_BYTES=0
for ((i = 0; i < NOBJ; i++)); do LOAD_BYTES=$((LOAD_BYTES + $(object_size "$i"))); done

{
  nginx_common "$TMP/origin"
  cat <<NGX
worker_processes 1;
worker_rlimit_nofile $NOFILE;
events {
    worker_connections 4096;
}
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    sendfile on;
    default_type application/octet-stream;
$(nginx_temp_paths "$TMP/origin")
    server {
        listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
        root $TMP/origin/www;
        location / {
            add_header Cache-Control "public, max-age=3600";
        }
        location = $STATUS_PATH {
            stub_status;
        }
    }
}
NGX
} >"$TMP/origin/nginx.conf"
log "origin nginx on 127.0.0.1:$ORIGIN_PORT ($NOBJ + $MEMOBJ static objects)"
start_nginx origin "${PIN_OTHERS[@]}"
ORIGIN_PID=$NGINX_STARTED_PID
wait_http "http://127.0.0.1:$ORIGIN_PORT/o/0" 10 "$ORIGIN_PID" || die "origin nginx did not start"

# origin_requests: requests the origin has served so far (each reading counts itself).
origin_requests() {
  curl -s --max-time 5 "http://127.0.0.1:$ORIGIN_PORT$STATUS_PATH" | awk 'NR == 3 { print $3 }'
}
# origin_delta BEFORE AFTER: requests between two readings, less the second reading.
origin_delta() { echo $(($2 - $1 - 1)); }

# ---------------------------------------------------------------- proxies

mkdir -p "$TMP/bin"
cp "$RAMPART" "$TMP/bin/rampart" || die "cannot copy $RAMPART"  # a rebuild mid-run changes nothing
RAMPART_SHA=$(sha256sum "$TMP/bin/rampart" | cut -c1-16)
RAMPART_VERSION=$(timeout 5 "$TMP/bin/rampart" version 2>&1 | head -n 1)
VARNISH_VERSION=$(varnishd -V 2>&1 | head -n 1 | sed 's/^varnishd (//; s/ revision.*//')
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')
MAXC=$(printf '%s\n' "${CONNS[@]}" | sort -n | tail -n 1)

# rampart
mkdir -p "$TMP/rampart"
{
  rampart_base_config "Generated by bench/cache.sh: rampart caching in front of one origin." \
    "${PORT_OF[rampart]}" "$ADMIN_PORT"
  cat <<EOF
cache:
  memory: 256MiB
  max_object_size: 8MiB
sites:
  - name: bench
    default: true
    hosts: [127.0.0.1, localhost]
    origin:
      endpoints: [127.0.0.1:$ORIGIN_PORT]
    cache:
      enabled: true
EOF
} >"$TMP/rampart/rampart.yaml"
timeout 60 "$TMP/bin/rampart" validate "$TMP/rampart/rampart.yaml" >"$TMP/rampart/validate.log" 2>&1 ||
  die "rampart validate rejected $TMP/rampart/rampart.yaml: $(head -n 3 "$TMP/rampart/validate.log")"
"${PRIO[@]}" "${PIN_PROXY[@]}" "$TMP/bin/rampart" run -c "$TMP/rampart/rampart.yaml" >"$TMP/rampart/out.log" 2>&1 9>&- &
PID_OF[rampart]=$!
STARTED+=("${PID_OF[rampart]}")

# varnish: the builtin VCL with -b; enough threads per pool for every connection wrk
# opens, created at start (thread_pool_min), so none are made during a measured run.
VARNISH_POOL_MIN=$((MAXC / W + 100))
mkdir -p "$TMP/varnish/work"
# shellcheck disable=SC2054  # malloc,256m is one argument
VARNISH_ARGS=(-F -n "$TMP/varnish/work" -a "127.0.0.1:${PORT_OF[varnish]}" -b "127.0.0.1:$ORIGIN_PORT"
  -s malloc,256m -T none -p "thread_pools=$W" -p "thread_pool_min=$VARNISH_POOL_MIN"
  -p "thread_pool_max=$((VARNISH_POOL_MIN + 1000))")
# As root varnishd drops to its own user (Debian's "varnish"/"vcache"), which must reach
# the work dir.
chmod 755 "$TMP/varnish" "$TMP/varnish/work"
"${PRIO[@]}" "${PIN_PROXY[@]}" varnishd "${VARNISH_ARGS[@]}" >"$TMP/varnish/out.log" 2>&1 9>&- &
PID_OF[varnish]=$!
STARTED+=("${PID_OF[varnish]}")

# nginx proxy_cache
dir=$TMP/nginx
mkdir -p "$dir/cache"
{
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
    sendfile on;
$(nginx_temp_paths "$dir")
    # Bodies live in files under the temp dir; keys and metadata in the shared zone.
    proxy_cache_path $dir/cache levels=1:2 keys_zone=bench:64m max_size=2g inactive=1d use_temp_path=off;
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:${PORT_OF[nginx]} reuseport;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bench;
            proxy_cache_lock on;
            # Only for responses without Cache-Control/Expires: the origin's max-age wins.
            proxy_cache_valid 200 10m;
            add_header X-Cache-Status \$upstream_cache_status;
        }
    }
}
EOF
} >"$dir/nginx.conf"
start_nginx nginx "${PIN_PROXY[@]}"
PID_OF[nginx]=$NGINX_STARTED_PID

for p in "${PEERS[@]}"; do
  wait_http "http://127.0.0.1:${PORT_OF[$p]}/ready-check" 30 "${PID_OF[$p]}" || {
    tail -n 20 "$TMP/$p/out.log" "$TMP/$p/error.log" 2>/dev/null >&2
    die "$p did not come up on 127.0.0.1:${PORT_OF[$p]}"
  }
  log "$p up on 127.0.0.1:${PORT_OF[$p]} (pid ${PID_OF[$p]})"
done

# ---------------------------------------------------------------- warm-up and checks

# fetch_all PEER PREFIX COUNT: GETs PREFIXi for i < COUNT through PEER on one keep-alive
# connection; prints how many answered 200.
fetch_all() {
  local p=$1 prefix=$2 n=$3 list=$TMP/urls-$1-${2//\//}.txt i
  if [[ ! -s $list ]]; then
    for ((i = 0; i < n; i++)); do
      printf 'url = "http://127.0.0.1:%s%s%s"\noutput = "/dev/null"\n' "${PORT_OF[$p]}" "$prefix" "$i"
    done >"$list"
  fi
  timeout 300 curl -s -w '%{http_code}\n' -K "$list" | grep -c '^200$'
}

# hit_evidence PEER PATH: the response fields that show PATH was answered from PEER's cache.
hit_evidence() {
  local h
  h=$(curl -s -D - -o /dev/null --max-time 5 "http://127.0.0.1:${PORT_OF[$1]}$2" | tr -d '\r')
  case $1 in
    rampart) grep -i '^cache-status:' <<<"$h" ;;
    varnish) grep -i '^x-varnish:\|^age:' <<<"$h" | paste -sd ' ' ;;
    nginx) grep -i '^x-cache-status:' <<<"$h" ;;
  esac
}
is_hit() {
  case $1 in
    rampart) [[ $2 =~ [Cc]ache-[Ss]tatus:\ rampart\;\ hit ]] ;;
    varnish) [[ $2 =~ [Xx]-[Vv]arnish:\ [0-9]+\ [0-9]+ ]] ;;
    nginx) [[ $2 =~ [Xx]-[Cc]ache-[Ss]tatus:\ HIT ]] ;;
  esac
}

declare -A WARM_FIRST WARM_SECOND HIT_SHOWN
for p in "${PEERS[@]}"; do
  q0=$(origin_requests)
  ok=$(fetch_all "$p" /o/ "$NOBJ")
  q1=$(origin_requests)
  ((ok == NOBJ)) || die "$p: only $ok of $NOBJ objects answered 200"
  WARM_FIRST[$p]=$(origin_delta "$q0" "$q1")
  ok=$(fetch_all "$p" /o/ "$NOBJ")
  q2=$(origin_requests)
  WARM_SECOND[$p]=$(origin_delta "$q1" "$q2")
  HIT_SHOWN[$p]=$(hit_evidence "$p" /o/19)
  log "$p: first pass over $NOBJ objects reached the origin ${WARM_FIRST[$p]} times, second ${WARM_SECOND[$p]}; /o/19: ${HIT_SHOWN[$p]}"
  is_hit "$p" "${HIT_SHOWN[$p]}" || die "$p: a second request for /o/19 was not a hit (${HIT_SHOWN[$p]})"
  ((WARM_SECOND[$p] == 0)) || die "$p: the second pass reached the origin ${WARM_SECOND[$p]} times (expected 0)"
done

# ---------------------------------------------------------------- load

declare -A RPS P50 P99 CPU_US ORIGIN_CPU_US OTHER_PCT NON2XX SOCKERR NOTE ORIGIN_REQS RPS_RANGE MIBS
VARIANTS=()
for d in "${DISTS[@]}"; do
  for c in "${CONNS[@]}"; do
    for p in "${PEERS[@]}"; do VARIANTS+=("$p-$d-c$c"); done
  done
done
vpeer() { echo "${1%%-*}"; }
vdist() { local x=${1#*-}; echo "${x%-c*}"; }
vconns() { echo "${1##*-c}"; }

PERF_DONE=()
# run_load VARIANT ROUND: warm-up, then one measured wrk run; results under "VARIANT,ROUND".
run_load() {
  local v=$1 key="$1,$2" p d c pid url out t0 o0 s0 t1 o1 s1 q0 q1 parsed rps reqs p50 p99 n2 se
  p=$(vpeer "$v") d=$(vdist "$v") c=$(vconns "$v")
  pid=${PID_OF[$p]} url="http://127.0.0.1:${PORT_OF[$p]}/"
  out="$TMP/wrk-$v-r$2.txt"
  local script=(-s "$here/cache_load.lua" "$url" -- "$d" "$NOBJ" "$ZIPF_S" "$2")
  wait_quiet
  "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((WARM + 30)) wrk -t1 -c"$c" -d"${WARM}s" "${script[@]}" >"$TMP/wrk-warmup-$v.txt" 2>&1
  sleep 1
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="$p died during warm-up"; return 1; }
  log "$v round $2/$ROUNDS: wrk -t1 -c$c -d${SECS}s --latency ($d over $NOBJ objects)"
  local perf_pid=""
  if ((PERF)) && [[ $p == rampart && " ${PERF_DONE[*]} " != *" $d-c$c "* ]]; then
    PERF_DONE+=("$d-c$c")
    perf record -g -F 999 -p "$pid" -o "$TMP/perf-$d-c$c.data" -- sleep "$SECS" >"$TMP/perf-$d-c$c.log" 2>&1 9>&- &
    perf_pid=$!
    STARTED+=("$perf_pid")
  fi
  q0=$(origin_requests)
  t0=$(tree_cpu_ticks "$pid"); o0=$(tree_cpu_ticks "$ORIGIN_PID"); s0=$(system_busy_ticks)
  TIMEFORMAT='%3U %3S'
  { time "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((SECS + 30)) wrk -t1 -c"$c" -d"${SECS}s" --latency "${script[@]}" >"$out" 2>&1; } 2>"$out.time"
  t1=$(tree_cpu_ticks "$pid"); o1=$(tree_cpu_ticks "$ORIGIN_PID"); s1=$(system_busy_ticks)
  q1=$(origin_requests)
  [[ -n $perf_pid ]] && { wait "$perf_pid" 2>/dev/null; REAPED[$perf_pid]=1; }
  sed 's/^/    /' "$out" >&2
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="$p died during the measured run"; return 1; }
  parsed=$(parse_wrk "$out") || { NOTE[$key]="could not parse wrk output"; return 1; }
  read -r rps reqs p50 p99 n2 se <<<"$parsed"
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 NON2XX[$key]=$n2 SOCKERR[$key]=$se
  CPU_US[$key]=$(us_per_req $((t1 - t0)) "$reqs")
  ORIGIN_CPU_US[$key]=$(us_per_req $((o1 - o0)) "$reqs")
  ORIGIN_REQS[$key]=$(origin_delta "$q0" "$q1")
  OTHER_PCT[$key]=$(other_load_pct $((s1 - s0)) $((t1 - t0)) $((o1 - o0)) "$out.time")
  MIBS[$key]=$(awk '/^Transfer\/sec:/ { v = $2 + 0; u = $2; sub(/^[0-9.]+/, "", u)
    m = (u == "GB") ? 1024 : (u == "MB") ? 1 : (u == "KB") ? 1 / 1024 : 1 / 1048576; printf "%.0f\n", v * m }' "$out")
  ((n2 > 0 || se > 0)) && NOTE[$key]="wrk saw $n2 non-2xx/3xx responses and $se socket errors"
  return 0
}

run_rounds  # run_load over VARIANTS, ROUNDS times, rotating the order

for v in "${VARIANTS[@]}"; do
  median_rounds "$v"
  total=0 mib=()
  for ((r = 1; r <= ROUNDS; r++)); do total=$((total + ORIGIN_REQS[$v,$r])) mib+=("${MIBS[$v,$r]}"); done
  ORIGIN_REQS[$v]=$total
  MIBS[$v]=$(median "${mib[@]}")
  kill -0 "${PID_OF[$(vpeer "$v")]}" 2>/dev/null || NOTE[$v]+="${NOTE[$v]:+; }exited before the end of the run"
done

# ---------------------------------------------------------------- memory per object

declare -A RSS0 RSS1 PSS0 PSS1 MEM_ORIGIN MEM_AGAIN BPO_RSS BPO_PSS DISK_BPO MEM_NOTE
if ((MEMOBJ > 0)); then
  for p in "${PEERS[@]}"; do
    pid=${PID_OF[$p]}
    sleep 1
    RSS0[$p]=$(tree_mem_kb "$pid" Rss) PSS0[$p]=$(tree_mem_kb "$pid" Pss)
    disk0=0
    [[ $p == nginx ]] && disk0=$(du -sk "$TMP/nginx/cache" | cut -f1)
    q0=$(origin_requests)
    ok=$(fetch_all "$p" /m/ "$MEMOBJ")
    q1=$(origin_requests)
    sleep 1
    RSS1[$p]=$(tree_mem_kb "$pid" Rss) PSS1[$p]=$(tree_mem_kb "$pid" Pss)
    ((ok == MEMOBJ)) || MEM_NOTE[$p]="only $ok of $MEMOBJ answered 200"
    MEM_ORIGIN[$p]=$(origin_delta "$q0" "$q1")
    fetch_all "$p" /m/ "$MEMOBJ" >/dev/null
    q2=$(origin_requests)
    MEM_AGAIN[$p]=$(origin_delta "$q1" "$q2")
    ((MEM_AGAIN[$p] > 0)) && MEM_NOTE[$p]+="${MEM_NOTE[$p]:+; }${MEM_AGAIN[$p]} objects were not kept (fetched again on the second pass)"
    kept=$((MEMOBJ - MEM_AGAIN[$p]))
    BPO_RSS[$p]=$(awk -v a="${RSS0[$p]}" -v b="${RSS1[$p]}" -v n="$kept" -v body="$MEM_BODY" \
      'BEGIN { printf "%.0f\n", ((b - a) * 1024 - n * body) / n }')
    BPO_PSS[$p]=$(awk -v a="${PSS0[$p]}" -v b="${PSS1[$p]}" -v n="$kept" -v body="$MEM_BODY" \
      'BEGIN { printf "%.0f\n", ((b - a) * 1024 - n * body) / n }')
    if [[ $p == nginx ]]; then
      disk1=$(du -sk "$TMP/nginx/cache" | cut -f1)
      DISK_BPO[$p]=$(awk -v a="$disk0" -v b="$disk1" -v n="$kept" 'BEGIN { printf "%.0f\n", (b - a) * 1024 / n }')
      # nginx keeps bodies in files, so its process memory grows by the metadata only:
      # the body bytes taken off above are not in it.
      BPO_RSS[$p]=$(awk -v a="${RSS0[$p]}" -v b="${RSS1[$p]}" -v n="$kept" 'BEGIN { printf "%.0f\n", (b - a) * 1024 / n }')
      BPO_PSS[$p]=$(awk -v a="${PSS0[$p]}" -v b="${PSS1[$p]}" -v n="$kept" 'BEGIN { printf "%.0f\n", (b - a) * 1024 / n }')
    fi
    log "$p: $MEMOBJ objects of $MEM_BODY bytes: Rss ${RSS0[$p]} -> ${RSS1[$p]} kB, Pss ${PSS0[$p]} -> ${PSS1[$p]} kB;" \
      "origin fetches ${MEM_ORIGIN[$p]}, again ${MEM_AGAIN[$p]}; overhead ${BPO_RSS[$p]} B/object (Rss), ${BPO_PSS[$p]} (Pss)"
  done
fi

# ---------------------------------------------------------------- report

has() { [[ -n ${RPS[$1]:-} ]]; }
dist_label() {
  if [[ $1 == zipf ]]; then echo "Zipf (s=$ZIPF_S)"; else echo "uniform"; fi
}

load_table() {
  echo "| load | wrk -c | proxy | req/s | MiB/s | p50 | p99 | CPU µs/req (proxy) | CPUs used (proxy) | origin requests | other load | errors |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  local d c p v rps other
  for d in "${DISTS[@]}"; do
    for c in "${CONNS[@]}"; do
      for p in "${PEERS[@]}"; do
        v=$p-$d-c$c
        rps=$(printf '%.0f' "${RPS[$v]}")
        ((ROUNDS > 1)) && rps+=" (${RPS_RANGE[$v]})"
        other="${OTHER_PCT[$v]}%"
        awk -v o="${OTHER_PCT[$v]}" 'BEGIN { exit !(o > 5) }' && other+=" ⚠"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(dist_label "$d")" "$c" "$p" "$rps" \
          "${MIBS[$v]}" "$(fmt_us "${P50[$v]}")" "$(fmt_us "${P99[$v]}")" "${CPU_US[$v]}" \
          "$(awk -v r="${RPS[$v]}" -v u="${CPU_US[$v]}" 'BEGIN { printf "%.2f\n", r * u / 1e6 }')" "${ORIGIN_REQS[$v]}" \
          "$other" "${NON2XX[$v]} non-2xx, ${SOCKERR[$v]} socket${NOTE[$v]:+; ${NOTE[$v]}}"
      done
    done
  done
}

declare -A TARGET=([varnish]=1.3 [nginx]=1.1)  # issue 5: rampart's req/s ÷ the peer's
ratio_table() {
  echo "| load | wrk -c | rampart ÷ | req/s | per round | target | met | p99 | CPU µs/req |"
  echo "|---|---:|---|---:|---:|---:|---|---:|---:|"
  local d c peer a b r
  for d in "${DISTS[@]}"; do
    for c in "${CONNS[@]}"; do
      for peer in varnish nginx; do
        a=rampart-$d-c$c b=$peer-$d-c$c
        r=$(ratio "${RPS[$a]}" "${RPS[$b]}")
        printf '| %s | %s | %s | %s | %s | ≥ %s | %s | %s | %s |\n' "$(dist_label "$d")" "$c" "$peer" "$r" \
          "$(round_ratios "$a" "$b")" "${TARGET[$peer]}" "$(check "$r" ge "${TARGET[$peer]}")" \
          "$(ratio "${P99[$a]}" "${P99[$b]}")" "$(ratio "${CPU_US[$a]}" "${CPU_US[$b]}")"
      done
    done
  done
}

memory_table() {
  echo "| proxy | objects | origin fetches (fill / second pass) | Rss before → after | Pss before → after | bytes/object beyond the body (Rss) | (Pss) | on disk per object | note |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  local p
  for p in "${PEERS[@]}"; do
    printf '| %s | %s | %s / %s | %s → %s kB | %s → %s kB | %s | %s | %s | %s |\n' "$p" "$MEMOBJ" \
      "${MEM_ORIGIN[$p]}" "${MEM_AGAIN[$p]}" "${RSS0[$p]}" "${RSS1[$p]}" "${PSS0[$p]}" "${PSS1[$p]}" \
      "${BPO_RSS[$p]}" "${BPO_PSS[$p]}" "${DISK_BPO[$p]:-—}" "${MEM_NOTE[$p]:-}"
  done
}

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_CONNS=\"${CONNS[*]}\" BENCH_ROUNDS=$ROUNDS BENCH_CACHE_DISTS=\"${DISTS[*]}\" BENCH_CACHE_OBJECTS=$NOBJ BENCH_CACHE_ZIPF_S=$ZIPF_S BENCH_CACHE_MEM_OBJECTS=$MEMOBJ BENCH_MAX_OTHER_LOAD=$MAX_OTHER BENCH_QUIET_WAIT=$QUIET_WAIT BENCH_NICE=$NICE BENCH_PIN=$PIN"
[[ -n ${BENCH_RESULTS:-} ]] && env_prefix+=" BENCH_RESULTS=$BENCH_RESULTS"

section() {
  cat <<EOF
$CACHE_HEADING

Generated by \`bench/cache.sh\`; every number in this section comes from the run it
describes. The rest of this file comes from the other bench scripts.

- **Date:** $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- **Command:** \`$env_prefix $invocation\`
- **Machine:** $NPROC CPUs ($CPU_MODEL), Linux $(uname -r)
- **rampart:** $RAMPART_VERSION (\`${RAMPART#"$repo"/}\`, sha256 $RAMPART_SHA…), W=$W worker threads, site \`cache: {enabled: true}\`, \`cache: {memory: 256MiB, max_object_size: 8MiB}\`
- **Varnish:** $VARNISH_VERSION (Debian), \`varnishd ${VARNISH_ARGS[*]//$TMP/TMP}\` (the builtin VCL)
- **nginx:** $NGINX_VERSION (Debian), \`worker_processes $W\`, \`proxy_cache\` with \`proxy_cache_path … keys_zone=bench:64m use_temp_path=off\`, \`sendfile on\`; bodies in files under /tmp (disk-backed here, so hits come from the page cache)
- **Origin:** a separate nginx (1 worker) serving static files with \`Cache-Control: public, max-age=3600\`; load set: $NOBJ objects /o/0 … (of every 20: one 128 KiB, four 16 KiB, fifteen 1 KiB; $((LOAD_BYTES / 1024)) KiB in all), memory set: $MEMOBJ objects of $MEM_BODY bytes
- **Warm-up checks:** every load-set object through each proxy once (origin fetches: $(for p in "${PEERS[@]}"; do printf '%s %s, ' "$p" "${WARM_FIRST[$p]}"; done | sed 's/, $//')), then again with 0 origin fetches for each; a second request for /o/19 says hit: $(for p in "${PEERS[@]}"; do printf '%s `%s`; ' "$p" "${HIT_SHOWN[$p]}"; done | sed 's/; $//')
- **Load:** \`wrk -t1 -cC -d${SECS}s --latency -s bench/cache_load.lua URL -- DIST $NOBJ $ZIPF_S ROUND\` (uniform or Zipf over the load set; the round number seeds the choice, so every proxy gets the same sequence in a round), $ROUNDS round(s), each after a ${WARM}s warm-up with the same settings; round r starts with the r-th of the runs (rotating)

### Cache hits: throughput, latency, CPU (medians over $ROUNDS round(s))

$(load_table)

### rampart ÷ Varnish and rampart ÷ nginx

$(ratio_table)

### Memory per cached object

$(if ((MEMOBJ > 0)); then memory_table; else echo "(not measured: BENCH_CACHE_MEM_OBJECTS=0)"; fi)

### How to read this

- "origin requests" counts what reached the origin during the measured runs (summed
  over the rounds): 0 means every request was a cache hit.
- CPU µs/req = utime+stime of the proxy's processes (all threads; varnishd's manager and
  child, nginx's master and workers) during the measured run ÷ requests wrk completed.
  "CPUs used" = req/s × CPU µs/req: how much of the machine the proxy got. "other load"
  is CPU used by anything besides the proxy, the origin and wrk, as % of all $NPROC CPUs;
  rows marked ⚠ (over 5%) were disturbed. On a busy machine the scheduler shares CPU
  between runnable threads, which favours a proxy with a thread per connection (Varnish
  runs hundreds) over one with W event-loop threads (rampart, nginx) unless BENCH_NICE
  puts the benchmark ahead of the other work (this run: BENCH_NICE=$NICE).
- wrk (1 thread) and the proxy share $NPROC CPUs$( ((PIN)) && echo " (pinned: proxy on CPU 1, origin and wrk on CPU 0)"),
  so req/s ratios understate differences in the proxies' own cost.
- Memory: the growth of the proxy's Rss and Pss (summed over its processes) while the
  $MEMOBJ objects were stored, less their $MEM_BODY-byte bodies, per object. It holds each
  proxy's own bookkeeping, the stored response header fields, allocator slack and the
  memory pools it grows on the way. nginx keeps bodies in files and only metadata in its
  keys zone and workers, so for nginx nothing is taken off and "on disk per object" (the
  growth of the cache directory, whole file-system blocks) is where the bodies are;
  the page cache holding them is not in any process's memory. Varnish's \`malloc\`
  storage and rampart hold bodies in process memory.
EOF
  printf '\n<details><summary>raw wrk output</summary>\n\n'
  local v r
  for v in "${VARIANTS[@]}"; do
    for ((r = 1; r <= ROUNDS; r++)); do
      printf '%s, round %s (origin requests: %s):\n```\n%s\n```\n' "$v" "$r" "${ORIGIN_REQS[$v,$r]}" "$(cat "$TMP/wrk-$v-r$r.txt")"
    done
  done
  printf '</details>\n'
}

section >"$TMP/section.md"
replace_results_section "$RESULTS" "$CACHE_HEADING" "$TMP/section.md" || die "could not write $RESULTS"

echo
echo "== cache hits: rampart vs varnish and nginx proxy_cache (W=$W, ${SECS}s x $ROUNDS rounds, $NPROC CPUs) =="
echo
print_tables load_table ratio_table
((MEMOBJ > 0)) && print_tables memory_table
((PERF)) && echo "perf recordings of rampart: $TMP/perf-*.data (perf report -i FILE)"
echo
echo "section \"${CACHE_HEADING#\#\# }\" written to ${RESULTS#"$repo"/}"
exit 0
