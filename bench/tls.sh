#!/usr/bin/env bash
# TLS termination: rampart vs Debian's nginx, side by side in one run, on loopback, both
# terminating TLS with the same ECDSA P-256 certificate in front of the same origin.
#
#   bash bench/tls.sh [path/to/rampart]        (default: build/release/rampart)
#
# Origin: the one bench/run.sh uses (a separate nginx, 1 worker, 13-byte body). Proxies,
# W workers each, TLS 1.2 and 1.3 allowed, session tickets on (both defaults), no access
# log, keep-alive to the origin, HTTP/2 over ALPN:
#   rampart   a listener with `tls: {}`, the site with `tls: {certificates: [...]}`
#   nginx     `listen ... ssl http2`, ssl_certificate/ssl_certificate_key, upstream keepalive
# The certificate is made here with openssl (self-signed, ECDSA P-256, for localhost).
#
# Three loads, each measured on both proxies:
#   handshake  full handshakes per second: bench/tools/tls_handshakes.cc (compiled here
#              with g++ -lssl -lcrypto) keeps BENCH_HANDSHAKE_CONNS connections in flight,
#              each a new TCP connection with a full TLS 1.3 handshake (X25519, ECDSA
#              P-256 SHA-256, no session reuse), one `GET /` with `Connection: close`, the
#              whole response, close
#   h1         HTTP/1.1 over TLS with keep-alive: `wrk -tT -cC -dSs --latency https://...`
#   h2         HTTP/2 over TLS (ALPN h2): `h2load -t1 -cC -mM -DS` (latencies from its
#              --log-file)
# Each measured run follows a warm-up with the same settings; rounds rotate the order
# (run_rounds). The proxies' CPU time and the origin's are measured around each run; the
# proxies' Rss and Pss are read at start and after all runs. Writes the section
# TLS_HEADING (bench/lib.sh) of BENCH_RESULTS, replacing it or appending it.
#
# Environment (as bench/run.sh where the names match):
#   BENCH_WORKERS=1          nginx worker processes / rampart worker threads
#   BENCH_SECONDS=10         measured duration per run
#   BENCH_WARMUP_SECONDS=2   warm-up before each measured run
#   BENCH_ROUNDS=3           measured runs per proxy and load (interleaved); medians shown
#   BENCH_TLS_LOADS="handshake h1 h2"   which loads to run
#   BENCH_HANDSHAKE_CONNS=32 connections in flight for the handshake load
#   BENCH_WRK_CONNS=64       wrk connections (h1)
#   BENCH_WRK_THREADS=1      wrk threads (h1)
#   BENCH_H2_CONNS=8         h2load connections (h2)
#   BENCH_H2_STREAMS=100     h2load concurrent streams per connection (h2)
#   BENCH_NGINX_KEEPALIVE=1024 idle upstream connections each proxy keeps per worker
#                            (nginx `keepalive`, rampart the pool's `max_idle`)
#   BENCH_NGINX_FORWARD_HEADERS=1  nginx adds the forwarding headers rampart adds (0: not)
#   BENCH_MAX_OTHER_LOAD=10  before each measured run, wait until other processes use at
#   BENCH_QUIET_WAIT=60      most this % of all CPUs, for up to this many seconds
#   BENCH_NICE=0             nice level for origin, proxies and load generators
#   BENCH_PIN=1              1 pins the proxies to CPU 1 and origin + load generator to
#                            CPU 0 (0: the scheduler places them)
#   BENCH_PERF=0             1 records `perf record` of rampart during its first
#                            measured run of each load into the temp dir (kept)
#   BENCH_PERF_CALLGRAPH=dwarf  call graphs for BENCH_PERF: dwarf (the release build and
#                            Debian's libcrypto keep no frame pointers) or fp (smaller)
#   BENCH_RESULTS=bench/RESULTS.md   the file whose section is written
#   BENCH_KEEP_TMP=0         1 keeps the temp dir (configs, logs, raw outputs)
#
# With the defaults a run takes about 4-5 minutes (2 proxies x 3 loads x 3 rounds x ~15 s).
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup tls.sh "${1:-}"

read -r -a LOADS <<<"${BENCH_TLS_LOADS:-handshake h1 h2}"
HS_CONNS=${BENCH_HANDSHAKE_CONNS:-32}
WRK_CONNS=${BENCH_WRK_CONNS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
H2_CONNS=${BENCH_H2_CONNS:-8}
H2_STREAMS=${BENCH_H2_STREAMS:-100}
NGINX_KEEPALIVE=${BENCH_NGINX_KEEPALIVE:-1024}
NGINX_FWD=${BENCH_NGINX_FORWARD_HEADERS:-1}
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
NICE=${BENCH_NICE:-0}
PIN=${BENCH_PIN:-1}
PERF=${BENCH_PERF:-0}
PERF_CALLGRAPH=${BENCH_PERF_CALLGRAPH:-dwarf}
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
for val in "$W" "$SECS" "$WARM" "$ROUNDS" "$HS_CONNS" "$WRK_CONNS" "$WRK_THREADS" "$H2_CONNS" \
  "$H2_STREAMS" "$NGINX_KEEPALIVE" "$MAX_OTHER" "$QUIET_WAIT"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
((${#LOADS[@]} > 0)) || die "BENCH_TLS_LOADS is empty"
for l in "${LOADS[@]}"; do [[ $l == handshake || $l == h1 || $l == h2 ]] || die "unknown load: $l"; done
[[ $NGINX_FWD == 0 || $NGINX_FWD == 1 ]] || die "BENCH_NGINX_FORWARD_HEADERS must be 0 or 1"
[[ $PERF == 0 || $PERF == 1 ]] || die "BENCH_PERF must be 0 or 1"
# shellcheck disable=SC2054  # dwarf,8192 is one argument
case $PERF_CALLGRAPH in
  dwarf) PERF_ARGS=(--call-graph dwarf,8192 -F 499) ;;
  fp) PERF_ARGS=(-g -F 999) ;;
  *) die "BENCH_PERF_CALLGRAPH must be dwarf or fp" ;;
esac
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx wrk h2load openssl g++ curl pgrep timeout flock sha256sum /usr/bin/python3
((PERF)) && bench_need_tools perf
[[ -x $RAMPART ]] || die "rampart binary not found or not executable: $RAMPART (ninja -C build/release rampart)"
bench_lock "another benchmark"

PEERS=(rampart nginx)
SNI=localhost

# TMP, STARTED, REAPED, the traps, the watchdog, CLK_TCK, NPROC, NOFILE (see bench/lib.sh).
nruns=$((ROUNDS * ${#PEERS[@]} * ${#LOADS[@]}))
bench_prepare tlsbench $((300 + nruns * (SECS + WARM + QUIET_WAIT + 40)))
# shellcheck disable=SC2034  # read by cleanup (bench/lib.sh): keep the perf recordings
((PERF)) && BENCH_KEEP_TMP=1

mapfile -t PORTS < <(free_ports 4)
((${#PORTS[@]} == 4)) || die "could not find free ports"
ORIGIN_PORT=${PORTS[0]} ADMIN_PORT=${PORTS[3]}
declare -A PORT_OF=([rampart]=${PORTS[1]} [nginx]=${PORTS[2]}) PID_OF

# ---------------------------------------------------------------- certificate and client

mkdir -p "$TMP/tls" "$TMP/bin"
CERT=$TMP/tls/cert.pem KEY=$TMP/tls/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" -out "$CERT" \
  -days 2 -subj "/CN=$SNI" -addext "subjectAltName=DNS:$SNI,IP:127.0.0.1" >"$TMP/tls/openssl.log" 2>&1 ||
  die "openssl could not make the certificate: $(tail -n 3 "$TMP/tls/openssl.log")"
HS_TOOL=$TMP/bin/tls_handshakes
g++ -O2 -std=c++20 -o "$HS_TOOL" "$here/tools/tls_handshakes.cc" -lssl -lcrypto >"$TMP/bin/g++.log" 2>&1 ||
  die "could not build bench/tools/tls_handshakes.cc: $(head -n 5 "$TMP/bin/g++.log")"

# ---------------------------------------------------------------- origin

ORIGIN_STATUS_PATH=/origin-status  # its stub_status counts the connections proxies open
start_origin "$ORIGIN_PORT" "$NOFILE" "${PIN_OTHERS[@]}"  # sets ORIGIN_PID

# origin_accepts: connections the origin has accepted so far (each reading opens one).
origin_accepts() {
  curl -s --max-time 5 "http://127.0.0.1:$ORIGIN_PORT$ORIGIN_STATUS_PATH" | awk 'NR == 3 { print $1 }'
}

# ---------------------------------------------------------------- proxies

cp "$RAMPART" "$TMP/bin/rampart" || die "cannot copy $RAMPART"  # a rebuild mid-run changes nothing
RAMPART_SHA=$(sha256sum "$TMP/bin/rampart" | cut -c1-16)
RAMPART_VERSION=$(timeout 5 "$TMP/bin/rampart" version 2>&1 | head -n 1)
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')
OPENSSL_VERSION=$(openssl version)

# rampart: the base config's one listener, made a TLS listener.
mkdir -p "$TMP/rampart"
{
  rampart_base_config "Generated by bench/tls.sh: rampart terminating TLS in front of one origin." \
    "${PORT_OF[rampart]}" "$ADMIN_PORT" |
    sed "/^    address: 127.0.0.1:${PORT_OF[rampart]}\$/a\\    tls: {}"
  cat <<EOF
sites:
  - name: bench
    default: true
    hosts: [$SNI, 127.0.0.1]
    origin:
      endpoints: [127.0.0.1:$ORIGIN_PORT]
      max_idle: $NGINX_KEEPALIVE
    tls:
      certificates:
        - cert: $CERT
          key: $KEY
EOF
} >"$TMP/rampart/rampart.yaml"
grep -q '^    tls: {}$' "$TMP/rampart/rampart.yaml" || die "could not make the rampart listener a TLS one"
timeout 60 "$TMP/bin/rampart" validate "$TMP/rampart/rampart.yaml" >"$TMP/rampart/validate.log" 2>&1 ||
  die "rampart validate rejected $TMP/rampart/rampart.yaml: $(head -n 3 "$TMP/rampart/validate.log")"
"${PRIO[@]}" "${PIN_PROXY[@]}" "$TMP/bin/rampart" run -c "$TMP/rampart/rampart.yaml" >"$TMP/rampart/out.log" 2>&1 9>&- &
PID_OF[rampart]=$!
STARTED+=("${PID_OF[rampart]}")

# nginx: what it needs to match rampart. Debian's nginx 1.22 offers only TLS 1.0-1.2
# unless told; ssl_session_tickets is on by default in both, and neither keeps a server-
# side session cache (nginx's default ssl_session_cache is none).
NGINX_FWD_CONF=""
((NGINX_FWD)) && NGINX_FWD_CONF=$(nginx_forward_headers)
dir=$TMP/nginx
mkdir -p "$dir"
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
$(nginx_temp_paths "$dir")
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive $NGINX_KEEPALIVE;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:${PORT_OF[nginx]} ssl http2 reuseport backlog=4096;
        server_name $SNI;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_tickets on;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
$NGINX_FWD_CONF
        }
    }
}
EOF
} >"$dir/nginx.conf"
start_nginx nginx "${PIN_PROXY[@]}"
PID_OF[nginx]=$NGINX_STARTED_PID

# check_proxy PEER HTTPVERSION: one GET / over TLS (curl --http1.1 or --http2) must answer
# 200 with the origin's body over that protocol; prints what was negotiated.
check_proxy() {
  local p=$1 v=$2 out body
  out=$(curl -sk --max-time 5 "--http$v" -o "$TMP/$p/check.body" -w '%{http_code} HTTP/%{http_version}' \
    --resolve "$SNI:${PORT_OF[$p]}:127.0.0.1" "https://$SNI:${PORT_OF[$p]}/")
  body=$(cat "$TMP/$p/check.body" 2>/dev/null; echo x)
  [[ $out == "200 HTTP/${v%.1}"* && ${body%x} == "$ORIGIN_BODY" ]] || {
    echo "GET / with --http$v answered '$out', body $(printf %q "${body%x}" | head -c 200)"
    return 1
  }
}
declare -A SESSION RSS0 PSS0 RSS1 PSS1
for p in "${PEERS[@]}"; do
  deadline=$((SECONDS + 30))
  until curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:${PORT_OF[$p]}/"; do
    if ! kill -0 "${PID_OF[$p]}" 2>/dev/null || ((SECONDS >= deadline)); then
      tail -n 20 "$TMP/$p/out.log" "$TMP/$p/error.log" 2>/dev/null >&2
      die "$p did not come up on https://127.0.0.1:${PORT_OF[$p]}"
    fi
    sleep 0.1
  done
  note=$(check_proxy "$p" 1.1) || die "$p: $note"
  note=$(check_proxy "$p" 2) || die "$p: $note"
  SESSION[$p]=$(openssl s_client -connect "127.0.0.1:${PORT_OF[$p]}" -servername "$SNI" -alpn h2,http/1.1 \
    </dev/null 2>/dev/null | awk '/^New, / { sub(/^New, /, ""); s = $0 } /^ALPN protocol:/ { a = $3 }
      /^Server Temp Key:/ { sub(/^Server Temp Key: /, ""); k = $0 }
      END { printf "%s; key exchange %s; ALPN %s\n", s, k, a }')
  sleep 1
  RSS0[$p]=$(tree_mem_kb "${PID_OF[$p]}" Rss) PSS0[$p]=$(tree_mem_kb "${PID_OF[$p]}" Pss)
  log "$p up on https://127.0.0.1:${PORT_OF[$p]} (pid ${PID_OF[$p]}): ${SESSION[$p]}; Rss ${RSS0[$p]} kB"
done

# ---------------------------------------------------------------- load

# load_cmd LOAD PEER SECONDS ROUND: the load generator's command line.
load_cmd() {
  local url="https://127.0.0.1:${PORT_OF[$2]}/"
  case $1 in
    handshake) echo "$HS_TOOL 127.0.0.1 ${PORT_OF[$2]} $SNI $HS_CONNS $3" ;;
    h1) echo "wrk -t$WRK_THREADS -c$WRK_CONNS -d${3}s --latency $url" ;;
    h2) echo "h2load -t1 -c$H2_CONNS -m$H2_STREAMS -D$3 --log-file=$TMP/h2log-$2-r$4.tsv $url" ;;
  esac
}

# parse_handshakes FILE: "rps requests p50_us p99_us errors non200" from tls_handshakes.
parse_handshakes() {
  awk -F': ' '{ v[$1] = $2 } END {
    if (v["handshakes_per_sec"] == "") exit 1
    print v["handshakes_per_sec"], v["connections"], v["p50_us"], v["p99_us"], v["errors"] + v["resumed"], v["not_200"] }' "$1"
}

# parse_h2load FILE LOG: "rps requests p50_us p99_us errors non2xx" from h2load's output
# and its --log-file (one line per request; column 3: microseconds to the end of the response).
parse_h2load() {
  local rps line codes
  rps=$(awk '/^finished in/ { gsub(/,/, "", $4); print $4 }' "$1")
  line=$(awk '/^requests:/ { print $2, $10, $12, $14 }' "$1")  # total, failed, errored, timeout
  codes=$(awk '/^status codes:/ { print $3, $5 + $7 + $9 }' "$1")  # 2xx, others
  [[ -n $rps && -n $line && -n $codes && -s $2 ]] || return 1
  local total failed errored tmo other
  read -r total failed errored tmo <<<"$line"
  read -r _ other <<<"$codes"
  cut -f3 "$2" | sort -n | awk -v rps="$rps" -v e=$((failed + errored + tmo)) -v o="$other" \
    '{ a[NR] = $1 } END { if (NR == 0) exit 1
      printf "%s %d %s %s %d %d\n", rps, NR, a[int(0.5 * (NR - 1)) + 1], a[int(0.99 * (NR - 1)) + 1], e, o }'
}

declare -A RPS P50 P99 CPU_US ORIGIN_CPU_US OTHER_PCT NON2XX SOCKERR NOTE RPS_RANGE NEGOTIATED ORIGIN_CONNS REQS
VARIANTS=()
for l in "${LOADS[@]}"; do
  for p in "${PEERS[@]}"; do VARIANTS+=("$l-$p"); done
done

PERF_DONE=()
# run_load VARIANT ROUND: warm-up, then one measured run; results under "VARIANT,ROUND".
run_load() {
  local v=$1 key="$1,$2" l=${1%%-*} p=${1#*-} pid out t0 o0 s0 t1 o1 s1 a0 a1 parsed rps reqs p50 p99 n2 se
  local -a warm cmd
  pid=${PID_OF[$p]} out="$TMP/out-$v-r$2.txt"
  read -r -a warm <<<"$(load_cmd "$l" "$p" "$WARM" warm)"
  read -r -a cmd <<<"$(load_cmd "$l" "$p" "$SECS" "$2")"
  wait_quiet
  "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((WARM + 30)) "${warm[@]}" >"$TMP/warmup-$v.txt" 2>&1 9>&-
  rm -f "$TMP/h2log-$p-rwarm.tsv"
  sleep 1
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="$p died during warm-up"; return 1; }
  log "$v round $2/$ROUNDS: ${cmd[*]//$TMP/TMP}"
  local perf_pid=""
  if ((PERF)) && [[ $p == rampart && " ${PERF_DONE[*]} " != *" $l "* ]]; then
    PERF_DONE+=("$l")
    perf record "${PERF_ARGS[@]}" -p "$pid" -o "$TMP/perf-$l.data" -- sleep "$SECS" >"$TMP/perf-$l.log" 2>&1 9>&- &
    perf_pid=$!
    STARTED+=("$perf_pid")
  fi
  a0=$(origin_accepts)
  t0=$(tree_cpu_ticks "$pid"); o0=$(tree_cpu_ticks "$ORIGIN_PID"); s0=$(system_busy_ticks)
  TIMEFORMAT='%3U %3S'
  { time "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((SECS + 30)) "${cmd[@]}" >"$out" 2>&1 9>&-; } 2>"$out.time"
  t1=$(tree_cpu_ticks "$pid"); o1=$(tree_cpu_ticks "$ORIGIN_PID"); s1=$(system_busy_ticks)
  a1=$(origin_accepts)
  [[ -n $perf_pid ]] && { wait "$perf_pid" 2>/dev/null; REAPED[$perf_pid]=1; }
  sed 's/^/    /' "$out" >&2
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="$p died during the measured run"; return 1; }
  case $l in
    handshake) parsed=$(parse_handshakes "$out") ;;
    h1) parsed=$(parse_wrk "$out") ;;
    h2) parsed=$(parse_h2load "$out" "$TMP/h2log-$p-r$2.tsv") && rm -f "$TMP/h2log-$p-r$2.tsv" ;;
  esac || { NOTE[$key]="could not parse the output of ${cmd[0]##*/}"; return 1; }
  if [[ $l == h1 ]]; then
    read -r rps reqs p50 p99 n2 se <<<"$parsed"
  else
    read -r rps reqs p50 p99 se n2 <<<"$parsed"
  fi
  [[ $l == handshake ]] && NEGOTIATED[$p]=$(awk -F': ' '$1 == "negotiated" { print $2 }' "$out")
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 NON2XX[$key]=$n2 SOCKERR[$key]=$se
  CPU_US[$key]=$(us_per_req $((t1 - t0)) "$reqs")
  ORIGIN_CPU_US[$key]=$(us_per_req $((o1 - o0)) "$reqs")
  # Less the second reading's own connection.
  ORIGIN_CONNS[$key]=$((a1 - a0 - 1)) REQS[$key]=$reqs
  OTHER_PCT[$key]=$(other_load_pct $((s1 - s0)) $((t1 - t0)) $((o1 - o0)) "$out.time")
  ((n2 > 0 || se > 0)) && NOTE[$key]="$n2 non-2xx answers and $se errors"
  return 0
}

run_rounds  # run_load over VARIANTS, ROUNDS times, rotating the order

for v in "${VARIANTS[@]}"; do
  median_rounds "$v"
  conns=0 reqs=0
  for ((r = 1; r <= ROUNDS; r++)); do conns=$((conns + ORIGIN_CONNS[$v,$r])) reqs=$((reqs + REQS[$v,$r])); done
  # Upstream connections the origin accepted per 1,000 requests, over all rounds.
  ORIGIN_CONNS[$v]=$(awk -v c="$conns" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.1f\n", c * 1000 / n; else print "n/a" }')
  kill -0 "${PID_OF[${v#*-}]}" 2>/dev/null || NOTE[$v]+="${NOTE[$v]:+; }exited before the end of the run"
done
for p in "${PEERS[@]}"; do
  RSS1[$p]=$(tree_mem_kb "${PID_OF[$p]}" Rss) PSS1[$p]=$(tree_mem_kb "${PID_OF[$p]}" Pss)
done

# ---------------------------------------------------------------- report

declare -A TARGET=([handshake]=1.0 [h1]=1.2 [h2]=1.2)  # issue 6: rampart's rate ÷ nginx's
load_label() {
  case $1 in
    handshake) echo "full handshakes (TLS 1.3, $HS_CONNS in flight)" ;;
    h1) echo "HTTP/1.1 keep-alive (wrk -c$WRK_CONNS)" ;;
    h2) echo "HTTP/2 (h2load -c$H2_CONNS -m$H2_STREAMS)" ;;
  esac
}

load_table() {
  echo "| load | proxy | req/s (handshakes/s) | p50 | p99 | CPU µs/req (proxy) | CPUs used (proxy) | CPU µs/req (origin) | origin conns per 1k req | other load | errors |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  local l p v rps other
  for l in "${LOADS[@]}"; do
    for p in "${PEERS[@]}"; do
      v=$l-$p
      rps=$(printf '%.0f' "${RPS[$v]}")
      ((ROUNDS > 1)) && rps+=" (${RPS_RANGE[$v]})"
      other="${OTHER_PCT[$v]}%"
      awk -v o="${OTHER_PCT[$v]}" 'BEGIN { exit !(o > 5) }' && other+=" ⚠"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(load_label "$l")" "$p" "$rps" \
        "$(fmt_us "${P50[$v]}")" "$(fmt_us "${P99[$v]}")" "${CPU_US[$v]}" \
        "$(awk -v r="${RPS[$v]}" -v u="${CPU_US[$v]}" 'BEGIN { printf "%.2f\n", r * u / 1e6 }')" \
        "${ORIGIN_CPU_US[$v]}" "${ORIGIN_CONNS[$v]}" "$other" "${NON2XX[$v]} non-2xx, ${SOCKERR[$v]} errors${NOTE[$v]:+; ${NOTE[$v]}}"
    done
  done
}

ratio_table() {
  echo "| load | rampart ÷ nginx req/s | per round | target | met | p50 | p99 | CPU µs/req |"
  echo "|---|---:|---:|---:|---|---:|---:|---:|"
  local l a b r
  for l in "${LOADS[@]}"; do
    a=$l-rampart b=$l-nginx
    r=$(ratio "${RPS[$a]}" "${RPS[$b]}")
    printf '| %s | %s | %s | ≥ %s | %s | %s | %s | %s |\n' "$(load_label "$l")" "$r" "$(round_ratios "$a" "$b")" \
      "${TARGET[$l]}" "$(check "$r" ge "${TARGET[$l]}")" "$(ratio "${P50[$a]}" "${P50[$b]}")" \
      "$(ratio "${P99[$a]}" "${P99[$b]}")" "$(ratio "${CPU_US[$a]}" "${CPU_US[$b]}")"
  done
}

memory_table() { peer_memory_table; }

# bound_notes: one line per load where neither proxy got near a whole CPU: their req/s
# then measures the load generator (or the machine's other load) more than them, and CPU
# per request is the comparison. On a quiet machine the handshake load is such a case.
bound_notes() {
  local l a b ca cb
  for l in "${LOADS[@]}"; do
    a=$l-rampart b=$l-nginx
    ca=$(awk -v r="${RPS[$a]}" -v u="${CPU_US[$a]}" 'BEGIN { printf "%.2f\n", r * u / 1e6 }')
    cb=$(awk -v r="${RPS[$b]}" -v u="${CPU_US[$b]}" 'BEGIN { printf "%.2f\n", r * u / 1e6 }')
    awk -v a="$ca" -v b="$cb" 'BEGIN { exit !(a < 0.9 && b < 0.9) }' || continue
    printf -- '- **%s: proxies not saturated.** rampart used %s CPU, nginx %s (each could use 1): the load generator (or, where "other load" is high, other work on the machine) was the bottleneck, so req/s says little about the proxies. Compare CPU µs per request: rampart ÷ nginx = **%s**.\n' \
      "$(load_label "$l")" "$ca" "$cb" "$(ratio "${CPU_US[$a]}" "${CPU_US[$b]}")"
  done
}

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_ROUNDS=$ROUNDS BENCH_TLS_LOADS=\"${LOADS[*]}\" BENCH_HANDSHAKE_CONNS=$HS_CONNS BENCH_WRK_CONNS=$WRK_CONNS BENCH_WRK_THREADS=$WRK_THREADS BENCH_H2_CONNS=$H2_CONNS BENCH_H2_STREAMS=$H2_STREAMS BENCH_NGINX_KEEPALIVE=$NGINX_KEEPALIVE BENCH_NGINX_FORWARD_HEADERS=$NGINX_FWD BENCH_MAX_OTHER_LOAD=$MAX_OTHER BENCH_QUIET_WAIT=$QUIET_WAIT BENCH_NICE=$NICE BENCH_PIN=$PIN"
[[ -n ${BENCH_RESULTS:-} ]] && env_prefix+=" BENCH_RESULTS=$BENCH_RESULTS"

section() {
  cat <<EOF
$TLS_HEADING

Generated by \`bench/tls.sh\`; every number in this section comes from the run it
describes. The rest of this file comes from the other bench scripts. **The machine is
shared with other engineers' builds and tests**: see "other load" per row.

- **Date:** $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- **Command:** \`$env_prefix $invocation\`
- **Machine:** $NPROC CPUs ($CPU_MODEL), Linux $(uname -r), $OPENSSL_VERSION
- **rampart:** $RAMPART_VERSION (\`${RAMPART#"$repo"/}\`, sha256 $RAMPART_SHA…), W=$W worker threads, listener \`tls: {}\` (defaults: TLS 1.2+, session tickets on), site \`tls: {certificates: [{cert, key}]}\`, HTTP/2 on (default)
- **nginx:** $NGINX_VERSION (Debian), \`worker_processes $W\`, \`listen … ssl http2 reuseport\`, \`ssl_protocols TLSv1.2 TLSv1.3\`, \`ssl_session_tickets on\` (no session cache), upstream \`keepalive $NGINX_KEEPALIVE\`, forwarding headers as rampart's: $( ((NGINX_FWD)) && echo yes || echo no)
- **Both:** the same self-signed ECDSA P-256 certificate for \`$SNI\`, no access log, the same origin (a separate nginx, 1 worker, 13-byte body) over kept-alive HTTP/1.1; $( ((PIN)) && echo "pinned: proxies on CPU 1, origin and load generators on CPU 0" || echo "not pinned")
- **Negotiated (openssl s_client):** rampart: ${SESSION[rampart]}; nginx: ${SESSION[nginx]}
- **Handshake load:** \`bench/tools/tls_handshakes 127.0.0.1 PORT $SNI $HS_CONNS $SECS\` — negotiated: rampart: ${NEGOTIATED[rampart]:-n/a}; nginx: ${NEGOTIATED[nginx]:-n/a}
- **HTTP/1.1 load:** \`wrk -t$WRK_THREADS -c$WRK_CONNS -d${SECS}s --latency https://127.0.0.1:PORT/\`
- **HTTP/2 load:** \`h2load -t1 -c$H2_CONNS -m$H2_STREAMS -D$SECS https://127.0.0.1:PORT/\` (ALPN h2; p50/p99 from its \`--log-file\`)
- **Rounds:** $ROUNDS, each run after a ${WARM}s warm-up with the same settings; round r starts with the r-th of the runs (rotating)

### Throughput, latency, CPU (medians over $ROUNDS round(s))

$(load_table)

### rampart ÷ nginx

$(ratio_table)

$(bound_notes)

### Proxy memory

$(memory_table)

### How to read this

- For the handshake load, "req/s" is full handshakes per second: each connection is a
  new TCP connection, a full TLS 1.3 handshake (X25519, ECDSA P-256; the client keeps no
  session, so nothing is resumed — a resumed handshake counts as an error), one request
  and the server's close. p50/p99 are per connection (connect to close).
- "origin conns per 1k req": new connections the origin accepted from the proxy per
  1,000 requests (its stub_status, over all rounds). Near 0 when the proxy reuses its
  upstream connections; the handshake load opens a client connection per request, not
  an upstream one. With more requests in flight than idle connections a proxy keeps
  (nginx \`keepalive $NGINX_KEEPALIVE\`, rampart \`max_idle: $NGINX_KEEPALIVE\`), the surplus is
  closed and reopened, which costs both the proxy and the origin.
- CPU µs/req = utime+stime of the proxy's processes (all threads; nginx's master and
  workers) during the measured run ÷ requests (or connections) completed. "CPUs used" =
  req/s × CPU µs/req: how much of a CPU the proxy got. "other load" is CPU used by
  anything besides the proxy, the origin and the load generator, as % of all $NPROC CPUs;
  rows marked ⚠ (over 5%) were disturbed by other work on the machine.
- The load generator and the origin share one CPU$( ((PIN)) || echo " with the proxy"). When "CPUs
  used" is well under 1.0 the proxy was not saturated: it waited on them (or on other
  work on the machine), so its req/s says more about the client side than about the
  proxy, and CPU µs/req (the proxy's own cost) is the fairer comparison. A TLS client
  does more work per handshake than the server (it verifies the ECDSA signature, which
  costs about three signatures), so the handshake load is the first to be client-bound.
- Both proxies issue TLS 1.3 session tickets after each full handshake (rampart 1,
  nginx/OpenSSL's default 2); the client ignores them.
- Each proxy runs with its default TLS 1.3 suite order (see "negotiated" above): rampart
  prefers TLS_AES_128_GCM_SHA256, nginx takes OpenSSL's default TLS_AES_256_GCM_SHA384.
  The SHA-256 key schedule is cheaper for both ends of a handshake, so on a client-bound
  handshake load it also lets the client go faster.
EOF
  printf '\n<details><summary>raw load generator output</summary>\n\n'
  local v r
  for v in "${VARIANTS[@]}"; do
    for ((r = 1; r <= ROUNDS; r++)); do
      printf '%s, round %s:\n```\n%s\n```\n' "$v" "$r" "$(sed "s|$TMP|TMP|g" "$TMP/out-$v-r$r.txt")"
    done
  done
  printf '</details>\n'
}

section >"$TMP/section.md"
replace_results_section "$RESULTS" "$TLS_HEADING" "$TMP/section.md" || die "could not write $RESULTS"

echo
echo "== TLS termination: rampart vs nginx (W=$W, ${SECS}s x $ROUNDS rounds, $NPROC CPUs) =="
echo
print_tables load_table ratio_table memory_table
notes=$(bound_notes)
[[ -n $notes ]] && printf '\n%s\n' "$notes"
((PERF)) && echo "perf recordings of rampart: $TMP/perf-*.data (perf report -i FILE)"
echo
echo "section \"${TLS_HEADING#\#\# }\" written to ${RESULTS#"$repo"/}"
exit 0
