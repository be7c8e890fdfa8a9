#!/usr/bin/env bash
# The managed WAF's cost (issue 7): plain nginx, nginx + ModSecurity v3 + the OWASP CRS at
# paranoia levels 1 and 4, and rampart without and with its WAF running the same CRS, side
# by side in one run, on loopback, in front of the same origin.
#
#   bash bench/waf.sh [path/to/rampart]        (default: build/release/rampart)
#
# Peers (BENCH_WAF_PEERS picks and orders them):
#   nginx          Debian's nginx proxying to the origin (as in bench/tls.sh, without TLS)
#   modsec-pl1     the same nginx with `modsecurity on` and the rules Debian ships: a copy of
#   modsec-pl4     /etc/nginx/modsecurity.conf (SecRuleEngine On, SecStatusEngine Off, audit
#                  log per BENCH_MODSEC_AUDIT), crs-setup.conf, SecAction 900000 setting
#                  tx.paranoia_level, the exclusion files and /usr/share/modsecurity-crs/rules
#                  in the order of owasp-crs.load (as tests/waf/run_modsecurity.py does)
#   rampart        rampart without a WAF                          } run when RAMPART_WAF_CONFIG
#   rampart-pl1    rampart with the WAF section, paranoia level 1 } names the YAML fragment
#   rampart-pl4    rampart with the WAF section, paranoia level 4 } that enables rampart's WAF
# RAMPART_WAF_CONFIG=FILE: a YAML fragment appended at the top level of rampart's config,
# with `{{PARANOIA}}` replaced by 1 or 4 (the format tests/waf/run_rampart.py --waf-yaml
# takes). Without it the default peers are the nginx ones.
#
# Loads (bench/waf_load.lua, the same requests for every peer; BENCH_WAF_LOADS):
#   get-benign   browser GETs of 16 pages and assets
#   get-attack   GETs with SQLi/XSS/LFI/RCE/PHP/Java/Node.js payloads in the query string
#                (a blocking WAF answers 403: counted as "blocked", not as errors)
#   post-form    4 KB application/x-www-form-urlencoded POSTs (BENCH_BODY_BYTES)
#   post-json    4 KB application/json POSTs
# Each: `wrk -t1 -cC -dSs --latency -s bench/waf_load.lua URL -- LOAD BYTES` after a warm-up
# with the same settings; rounds rotate the order (run_rounds). The proxies' CPU time and the
# origin's are measured around each run; Rss and Pss at start and after all runs. Writes the
# section WAF_HEADING (bench/lib.sh) of BENCH_RESULTS, replacing it or appending it.
#
# Environment (as bench/run.sh where the names match):
#   BENCH_WORKERS=1          nginx worker processes / rampart worker threads
#   BENCH_SECONDS=10         measured duration per run
#   BENCH_WARMUP_SECONDS=2   warm-up before each measured run
#   BENCH_ROUNDS=3           measured runs per peer and load (interleaved); medians shown
#   BENCH_CONNS=16           wrk connections (fewer than bench/run.sh's 64: ModSecurity inspects
#                            all the requests it has read before answering any, see wait_idle)
#   BENCH_WRK_TIMEOUT=30     wrk's per-request timeout in seconds (its default, 2 s, is shorter
#                            than a queued request's wait behind ModSecurity at 64 connections)
#   BENCH_WAF_PEERS="nginx modsec-pl1 modsec-pl4" (plus "rampart rampart-pl1 rampart-pl4"
#                            when RAMPART_WAF_CONFIG is set)
#   BENCH_WAF_LOADS="get-benign get-attack post-form post-json"
#   BENCH_BODY_BYTES=4096    POST body size
#   BENCH_MODSEC_AUDIT=0     1: ModSecurity's audit log as Debian ships it (RelevantOnly,
#                            to the temp dir); 0: SecAuditEngine Off (rampart's access log is
#                            off in this bench too)
#   BENCH_NGINX_KEEPALIVE=1024 idle upstream connections each proxy keeps per worker
#   BENCH_IDLE_WAIT=240      after each warm-up and measured run, wait up to this many seconds
#                            for the peer to finish the requests wrk abandoned (wait_idle)
#   BENCH_MAX_OTHER_LOAD=10  before each measured run, wait until other processes use at
#   BENCH_QUIET_WAIT=60      most this % of all CPUs, for up to this many seconds
#   BENCH_NICE=0             nice level for origin, proxies and wrk
#   BENCH_PIN=1              1 pins the proxies to CPU 1 and origin + wrk to CPU 0
#   BENCH_RESULTS=bench/RESULTS.md   the file whose section is written
#   BENCH_KEEP_TMP=0         1 keeps the temp dir (configs, logs, raw outputs)
#
# With the defaults and the three nginx peers a run takes 15-30 minutes (3 peers x 4 loads x 3
# rounds x ~15 s, plus the time ModSecurity needs to work off what wrk leaves). Everything listens on 127.0.0.1 only; every process started here is
# stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup waf.sh "${1:-}"

CONNS=${BENCH_CONNS:-16}
WRK_TIMEOUT=${BENCH_WRK_TIMEOUT:-30}
IDLE_WAIT=${BENCH_IDLE_WAIT:-240}
BODY=${BENCH_BODY_BYTES:-4096}
AUDIT=${BENCH_MODSEC_AUDIT:-0}
NGINX_KEEPALIVE=${BENCH_NGINX_KEEPALIVE:-1024}
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
NICE=${BENCH_NICE:-0}
PIN=${BENCH_PIN:-1}
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
WAF_FRAGMENT=${RAMPART_WAF_CONFIG:-}
default_peers="nginx modsec-pl1 modsec-pl4"
[[ -n $WAF_FRAGMENT ]] && default_peers+=" rampart rampart-pl1 rampart-pl4"
read -r -a PEERS <<<"${BENCH_WAF_PEERS:-$default_peers}"
read -r -a LOADS <<<"${BENCH_WAF_LOADS:-get-benign get-attack post-form post-json}"
for val in "$W" "$SECS" "$WARM" "$ROUNDS" "$CONNS" "$WRK_TIMEOUT" "$IDLE_WAIT" "$BODY" "$NGINX_KEEPALIVE" "$MAX_OTHER" "$QUIET_WAIT"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
((${#PEERS[@]} > 0 && ${#LOADS[@]} > 0)) || die "BENCH_WAF_PEERS and BENCH_WAF_LOADS must not be empty"
for l in "${LOADS[@]}"; do
  [[ $l =~ ^(get-benign|get-attack|post-form|post-json)$ ]] || die "unknown load: $l"
done
NEED_RAMPART=0
for p in "${PEERS[@]}"; do
  [[ $p =~ ^(nginx|modsec-pl[1-4]|rampart|rampart-pl[1-4])$ ]] || die "unknown peer: $p"
  [[ $p == rampart* ]] && NEED_RAMPART=1
  [[ $p == rampart-pl* && -z $WAF_FRAGMENT ]] && die "peer $p needs RAMPART_WAF_CONFIG (the WAF's YAML fragment)"
done
[[ $AUDIT == 0 || $AUDIT == 1 ]] || die "BENCH_MODSEC_AUDIT must be 0 or 1"
[[ -z $WAF_FRAGMENT || -r $WAF_FRAGMENT ]] || die "RAMPART_WAF_CONFIG: cannot read $WAF_FRAGMENT"
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx wrk curl pgrep timeout flock sha256sum /usr/bin/python3
MODSEC_MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
[[ -r $MODSEC_MODULE && -d /usr/share/modsecurity-crs/rules ]] ||
  die "nginx's ModSecurity module or the CRS is missing (scripts/install-deps.sh)"
((NEED_RAMPART)) && { [[ -x $RAMPART ]] || die "rampart binary not found: $RAMPART (ninja -C build/release rampart)"; }
bench_lock "another benchmark"

# TMP, STARTED, REAPED, the traps, the watchdog, CLK_TCK, NPROC, NOFILE (see bench/lib.sh).
bench_prepare wafbench $((300 + ROUNDS * ${#PEERS[@]} * ${#LOADS[@]} * (SECS + WARM + QUIET_WAIT + 2 * IDLE_WAIT + 40)))

# Per peer: the port the load goes to, and a side port (nginx: a stub_status server outside
# ModSecurity; rampart: its admin listener) from which served_requests reads its count.
mapfile -t PORTS < <(free_ports $((2 * ${#PEERS[@]} + 1)))
((${#PORTS[@]} == 2 * ${#PEERS[@]} + 1)) || die "could not find free ports"
ORIGIN_PORT=${PORTS[0]}
declare -A PORT_OF SIDE_OF PID_OF
for i in "${!PEERS[@]}"; do PORT_OF[${PEERS[i]}]=${PORTS[2 * i + 1]} SIDE_OF[${PEERS[i]}]=${PORTS[2 * i + 2]}; done

start_origin "$ORIGIN_PORT" "$NOFILE" "${PIN_OTHERS[@]}"  # sets ORIGIN_PID
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')
MODSEC_VERSION=$(dpkg-query -W -f '${Version}' libmodsecurity3 2>/dev/null || echo unknown)
CRS_VERSION=$(dpkg-query -W -f '${Version}' modsecurity-crs 2>/dev/null || echo unknown)

# ---------------------------------------------------------------- nginx peers

# modsec_rules DIR PL: ModSecurity's config for one nginx peer, in DIR.
modsec_rules() {
  local dir=$1 pl=$2 audit_engine=Off
  ((AUDIT)) && audit_engine=RelevantOnly
  awk -v dir="$dir" -v ae="$audit_engine" '
    $1 == "SecRuleEngine" { print "SecRuleEngine On"; next }
    $1 == "SecAuditEngine" { print "SecAuditEngine " ae; next }
    $1 == "SecAuditLog" { print "SecAuditLog " dir "/audit.log"; next }
    $1 == "SecTmpDir" || $1 == "SecDataDir" { print $1 " " dir "/"; next }
    $1 == "SecUnicodeMapFile" { print "SecUnicodeMapFile /etc/nginx/unicode.mapping " $3; next }
    $1 == "SecStatusEngine" { print "SecStatusEngine Off"; next }
    { print }' /etc/nginx/modsecurity.conf >"$dir/modsecurity.conf"
  cat >"$dir/main.conf" <<EOF
Include $dir/modsecurity.conf
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=$pl"
Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf
Include /usr/share/modsecurity-crs/rules/*.conf
Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf
EOF
}

# start_nginx_peer PEER: plain nginx, or with ModSecurity + CRS at the peer's paranoia level.
start_nginx_peer() {
  local p=$1 dir=$TMP/$1 load="" modsec=""
  mkdir -p "$dir"
  if [[ $p == modsec-pl* ]]; then
    modsec_rules "$dir" "${p#modsec-pl}"
    load="load_module $MODSEC_MODULE;"
    modsec=$'        modsecurity on;\n        modsecurity_rules_file '"$dir/main.conf;"
  fi
  {
    echo "$load"
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
    client_max_body_size 20m;
    client_body_buffer_size 64k;
$(nginx_temp_paths "$dir")
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive $NGINX_KEEPALIVE;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:${PORT_OF[$p]} reuseport backlog=4096;
        server_name shop.example.com;
$modsec
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
$(nginx_forward_headers)
        }
    }
    server {
        listen 127.0.0.1:${SIDE_OF[$p]};
        location = /status {
            stub_status;
        }
    }
}
EOF
  } >"$dir/nginx.conf"
  start_nginx "$p" "${PIN_PROXY[@]}"
  PID_OF[$p]=$NGINX_STARTED_PID
}

# ---------------------------------------------------------------- rampart peers

# rampart_waf_yaml PL: the YAML that turns rampart's WAF on at paranoia level PL (the
# RAMPART_WAF_CONFIG fragment with {{PARANOIA}} substituted); empty for PL 0 (no WAF).
rampart_waf_yaml() {
  (($1 > 0)) || return 0
  sed "s/{{PARANOIA}}/$1/g" "$WAF_FRAGMENT"
}

# start_rampart_peer PEER: rampart (no WAF) or rampart-plN (the WAF at level N).
start_rampart_peer() {
  local p=$1 dir=$TMP/$1 pl=0
  [[ $p == rampart-pl* ]] && pl=${p#rampart-pl}
  mkdir -p "$dir"
  [[ -e $TMP/bin/rampart ]] || { mkdir -p "$TMP/bin"; cp "$RAMPART" "$TMP/bin/rampart" || die "cannot copy $RAMPART"; }
  {
    rampart_base_config "Generated by bench/waf.sh: rampart ${pl:+(WAF at PL$pl) }in front of one origin." \
      "${PORT_OF[$p]}" "${SIDE_OF[$p]}"
    cat <<EOF
sites:
  - name: bench
    default: true
    hosts: [shop.example.com, 127.0.0.1]
    origin:
      endpoints: [127.0.0.1:$ORIGIN_PORT]
      max_idle: $NGINX_KEEPALIVE
EOF
    rampart_waf_yaml "$pl"
  } >"$dir/rampart.yaml"
  timeout 120 "$TMP/bin/rampart" validate "$dir/rampart.yaml" >"$dir/validate.log" 2>&1 ||
    die "rampart validate rejected $dir/rampart.yaml: $(head -n 5 "$dir/validate.log")"
  "${PRIO[@]}" "${PIN_PROXY[@]}" "$TMP/bin/rampart" run -c "$dir/rampart.yaml" >"$dir/out.log" 2>&1 9>&- &
  PID_OF[$p]=$!
  STARTED+=("${PID_OF[$p]}")
}

declare -A RSS0 PSS0 RSS1 PSS1 PROBE
for p in "${PEERS[@]}"; do
  case $p in
    rampart*) start_rampart_peer "$p" ;;
    *) start_nginx_peer "$p" ;;
  esac
done
for p in "${PEERS[@]}"; do
  wait_http "http://127.0.0.1:${PORT_OF[$p]}/" 120 "${PID_OF[$p]}" || {
    tail -n 20 "$TMP/$p/out.log" "$TMP/$p/error.log" 2>/dev/null >&2
    die "$p did not come up on http://127.0.0.1:${PORT_OF[$p]}"
  }
  # A probe: a benign page must reach the origin; an attack must be blocked by a WAF peer.
  ok=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: shop.example.com' -A 'Mozilla/5.0' \
    -H 'Accept: text/html' "http://127.0.0.1:${PORT_OF[$p]}/products?page=2")
  bad=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: shop.example.com' -A 'Mozilla/5.0' \
    -H 'Accept: text/html' "http://127.0.0.1:${PORT_OF[$p]}/search?q=%27+OR+%271%27%3D%271")
  [[ $ok == 200 ]] || die "$p answered $ok to a benign GET"
  if [[ $p == modsec-* || $p == rampart-pl* ]]; then
    [[ $bad == 403 ]] || die "$p answered $bad to an SQL injection (its WAF is not blocking)"
  else
    [[ $bad == 200 ]] || die "$p answered $bad to a GET it should forward"
  fi
  PROBE[$p]="benign $ok, SQLi $bad"
  sleep 1
  RSS0[$p]=$(tree_mem_kb "${PID_OF[$p]}" Rss) PSS0[$p]=$(tree_mem_kb "${PID_OF[$p]}" Pss)
  log "$p up on 127.0.0.1:${PORT_OF[$p]} (pid ${PID_OF[$p]}): ${PROBE[$p]}; Rss ${RSS0[$p]} kB"
done

# ---------------------------------------------------------------- load

declare -A RPS P50 P99 CPU_US CPUS_USED ORIGIN_CPU_US OTHER_PCT NON2XX SOCKERR NOTE RPS_RANGE REQS
VARIANTS=()
for l in "${LOADS[@]}"; do
  for p in "${PEERS[@]}"; do VARIANTS+=("$l@$p"); done
done

# wait_idle PEER: waits (up to IDLE_WAIT seconds) until the peer's processes use under 3% of a
# CPU over one second. A WAF that needs a quarter of a second per request still has dozens of
# requests to work through when wrk stops and closes its connections (nginx finishes each
# one it has read); without this wait that backlog would land in the next measured run.
wait_idle() {
  local pid=${PID_OF[$1]} deadline=$((SECONDS + IDLE_WAIT)) c0 c1
  while :; do
    c0=$(tree_cpu_ticks "$pid"); sleep 1; c1=$(tree_cpu_ticks "$pid")
    (((c1 - c0) * 100 < 3 * CLK_TCK)) && return 0
    if ((SECONDS >= deadline)); then
      bench_log "$1 still busy after ${IDLE_WAIT}s (a backlog of abandoned requests); measuring anyway"
      return 0
    fi
  done
}

# served_requests PEER: the requests the peer has handled so far (nginx: stub_status, which
# counts its own request; rampart: rampart_requests_total summed over sites and classes).
served_requests() {
  case $1 in
    rampart*) curl -s --max-time 5 "http://127.0.0.1:${SIDE_OF[$1]}/metrics" |
      awk '/^rampart_requests_total[{ ]/ { n += $NF } END { printf "%d\n", n }' ;;
    *) curl -s --max-time 5 "http://127.0.0.1:${SIDE_OF[$1]}/status" | awk 'NR == 3 { print $3 }' ;;
  esac
}

# run_load VARIANT ROUND: warm-up, then one measured run; results under "VARIANT,ROUND".
# req/s and latencies are wrk's. CPU µs/req is measured from the start of the run until the
# peer has gone idle again, over every request it handled meanwhile (served_requests): an
# nginx worker inspecting 64 slow requests in one event-loop pass relays their answers only
# after the pass, so a 10 s window can end before a slow WAF completes any request although
# it did the work; counting until idle charges that work to the requests it belongs to.
run_load() {
  local v=$1 key="$1,$2" l=${1%@*} p=${1#*@} pid out t0 o0 s0 t1 o1 s1 t2 r0 r2 parsed rps reqs p50 p99 n2 se
  local -a cmd
  pid=${PID_OF[$p]} out="$TMP/out-$l-$p-r$2.txt"
  cmd=(wrk -t1 "-c$CONNS" "-d${SECS}s" "--timeout=${WRK_TIMEOUT}s" --latency -s "$here/waf_load.lua" "http://127.0.0.1:${PORT_OF[$p]}/" -- "$l" "$BODY")
  wait_quiet
  "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((WARM + WRK_TIMEOUT + 30)) wrk -t1 "-c$CONNS" "-d${WARM}s" "--timeout=${WRK_TIMEOUT}s" -s "$here/waf_load.lua" \
    "http://127.0.0.1:${PORT_OF[$p]}/" -- "$l" "$BODY" >"$TMP/warmup-$l-$p.txt" 2>&1 9>&-
  wait_idle "$p"
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="$p died during warm-up"; return 1; }
  log "$v round $2/$ROUNDS: ${cmd[*]//$here/bench}"
  r0=$(served_requests "$p")
  t0=$(tree_cpu_ticks "$pid"); o0=$(tree_cpu_ticks "$ORIGIN_PID"); s0=$(system_busy_ticks)
  TIMEFORMAT='%3U %3S'
  { time "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((SECS + WRK_TIMEOUT + 30)) "${cmd[@]}" >"$out" 2>&1 9>&-; } 2>"$out.time"
  t1=$(tree_cpu_ticks "$pid"); o1=$(tree_cpu_ticks "$ORIGIN_PID"); s1=$(system_busy_ticks)
  sed 's/^/    /' "$out" >&2
  kill -0 "$pid" 2>/dev/null || { NOTE[$key]="$p died during the measured run"; return 1; }
  wait_idle "$p"
  t2=$(tree_cpu_ticks "$pid"); r2=$(served_requests "$p")
  [[ $r0 =~ ^[0-9]+$ && $r2 =~ ^[0-9]+$ ]] || { NOTE[$key]="could not read $p's request count"; return 1; }
  [[ $p == rampart* ]] || r2=$((r2 - 1))  # stub_status counted the second reading
  parsed=$(parse_wrk "$out") || { NOTE[$key]="could not parse wrk's output"; return 1; }
  read -r rps reqs p50 p99 n2 se <<<"$parsed"
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 NON2XX[$key]=$n2 SOCKERR[$key]=$se REQS[$key]=$reqs
  CPU_US[$key]=$(us_per_req $((t2 - t0)) $((r2 - r0)))
  CPUS_USED[$key]=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v s="$SECS" 'BEGIN { printf "%.2f\n", t / hz / s }')
  ORIGIN_CPU_US[$key]=$(us_per_req $((o1 - o0)) "$reqs")
  OTHER_PCT[$key]=$(other_load_pct $((s1 - s0)) $((t1 - t0)) $((o1 - o0)) "$out.time")
  ((se > 0)) && NOTE[$key]="$se socket errors"
  return 0
}

run_rounds  # run_load over VARIANTS, ROUNDS times, rotating the order

declare -A BLOCKED_PCT
for v in "${VARIANTS[@]}"; do
  median_rounds "$v"
  n2=0 reqs=0
  for ((r = 1; r <= ROUNDS; r++)); do n2=$((n2 + NON2XX[$v,$r])) reqs=$((reqs + REQS[$v,$r])); done
  cu=()
  for ((r = 1; r <= ROUNDS; r++)); do cu+=("${CPUS_USED[$v,$r]}"); done
  CPUS_USED[$v]=$(median "${cu[@]}")
  BLOCKED_PCT[$v]=$(awk -v a="$n2" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.1f%%\n", 100 * a / n; else print "n/a" }')
  kill -0 "${PID_OF[${v#*@}]}" 2>/dev/null || NOTE[$v]+="${NOTE[$v]:+; }exited before the end of the run"
done
for p in "${PEERS[@]}"; do
  RSS1[$p]=$(tree_mem_kb "${PID_OF[$p]}" Rss) PSS1[$p]=$(tree_mem_kb "${PID_OF[$p]}" Pss)
done

# ---------------------------------------------------------------- report

have_peer() { [[ " ${PEERS[*]} " == *" $1 "* ]]; }

load_label() {
  case $1 in
    get-benign) echo "benign GETs" ;;
    get-attack) echo "GETs with attacks" ;;
    post-form) echo "$BODY B form POSTs" ;;
    post-json) echo "$BODY B JSON POSTs" ;;
  esac
}

# per_cpu CPU_US: requests per second of one CPU at that cost (1e6 / CPU µs/req), or n/a.
per_cpu() {
  awk -v u="$1" 'BEGIN { if (u == "n/a" || u + 0 == 0) print "n/a"; else printf "%.0f\n", 1e6 / u }'
}

load_table() {
  echo "| load | proxy | req/s | p50 | p99 | CPU µs/req (proxy) | req/s per CPU (proxy) | CPUs used (proxy) | CPU µs/req (origin) | non-2xx (blocked) | other load | notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  local l p v rps other
  for l in "${LOADS[@]}"; do
    for p in "${PEERS[@]}"; do
      v=$l@$p
      rps=$(printf '%.0f' "${RPS[$v]}")
      ((ROUNDS > 1)) && rps+=" (${RPS_RANGE[$v]})"
      other="${OTHER_PCT[$v]}%"
      awk -v o="${OTHER_PCT[$v]}" 'BEGIN { exit !(o > 5) }' && other+=" ⚠"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(load_label "$l")" "$p" "$rps" \
        "$(fmt_us "${P50[$v]}")" "$(fmt_us "${P99[$v]}")" "${CPU_US[$v]}" "$(per_cpu "${CPU_US[$v]}")" "${CPUS_USED[$v]}" \
        "${ORIGIN_CPU_US[$v]}" "${BLOCKED_PCT[$v]}" "$other" "${NOTE[$v]:-}"
    done
  done
}

# The comparisons of issue 7, each printed when both of its peers ran:
#   A B TARGET   A's req/s ÷ B's (TARGET "-" when the issue sets none)
COMPARISONS=(
  "modsec-pl1 nginx -"
  "modsec-pl4 nginx -"
  "rampart nginx -"
  "rampart-pl1 modsec-pl1 25"
  "rampart-pl4 modsec-pl4 -"
  "rampart-pl1 rampart 0.7"
  "rampart-pl4 rampart 0.5"
)
ratio_table() {
  echo "| load | comparison | req/s ratio | per round | req/s per CPU ratio | target | met (req/s; per CPU) | CPU µs/req ratio | extra CPU µs/req |"
  echo "|---|---|---:|---:|---:|---:|---|---:|---:|"
  local l c a b t r rc
  for l in "${LOADS[@]}"; do
    for c in "${COMPARISONS[@]}"; do
      read -r a b t <<<"$c"
      have_peer "$a" && have_peer "$b" || continue
      r=$(ratio "${RPS[$l@$a]}" "${RPS[$l@$b]}")
      rc=$(ratio "${CPU_US[$l@$b]}" "${CPU_US[$l@$a]}" 3)
      printf '| %s | %s ÷ %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(load_label "$l")" "$a" "$b" "$r" \
        "$(round_ratios "$l@$a" "$l@$b")" "$rc" "$([[ $t == - ]] && echo - || echo "≥ $t")" \
        "$([[ $t == - ]] && echo - || echo "$(check "$r" ge "$t"); $(check "$rc" ge "$t")")" \
        "$(ratio "${CPU_US[$l@$a]}" "${CPU_US[$l@$b]}")" \
        "$(awk -v x="${CPU_US[$l@$a]}" -v y="${CPU_US[$l@$b]}" \
          'BEGIN { if (x == "n/a" || y == "n/a") print "n/a"; else printf "%.1f\n", x - y }')"
    done
  done
}

memory_table() { peer_memory_table; }

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_ROUNDS=$ROUNDS BENCH_CONNS=$CONNS BENCH_WRK_TIMEOUT=$WRK_TIMEOUT BENCH_IDLE_WAIT=$IDLE_WAIT BENCH_WAF_PEERS=\"${PEERS[*]}\" BENCH_WAF_LOADS=\"${LOADS[*]}\" BENCH_BODY_BYTES=$BODY BENCH_MODSEC_AUDIT=$AUDIT BENCH_NGINX_KEEPALIVE=$NGINX_KEEPALIVE BENCH_MAX_OTHER_LOAD=$MAX_OTHER BENCH_QUIET_WAIT=$QUIET_WAIT BENCH_NICE=$NICE BENCH_PIN=$PIN"
[[ -n $WAF_FRAGMENT ]] && env_prefix+=" RAMPART_WAF_CONFIG=$WAF_FRAGMENT"
[[ -n ${BENCH_RESULTS:-} ]] && env_prefix+=" BENCH_RESULTS=$BENCH_RESULTS"
rampart_line="not run (set RAMPART_WAF_CONFIG)"
((NEED_RAMPART)) && rampart_line="$(timeout 5 "$TMP/bin/rampart" version 2>&1 | head -n 1) (\`${RAMPART#"$repo"/}\`, sha256 $(sha256sum "$TMP/bin/rampart" | cut -c1-16)…), W=$W worker threads, no access log; WAF section from \`$WAF_FRAGMENT\`"

section() {
  cat <<EOF
$WAF_HEADING

Generated by \`bench/waf.sh\`; every number in this section comes from the run it
describes. **The machine is shared with other engineers' builds and tests**: see "other
load" per row.

- **Date:** $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- **Command:** \`$env_prefix $invocation\`
- **Machine:** $NPROC CPUs ($CPU_MODEL), Linux $(uname -r)
- **nginx:** $NGINX_VERSION (Debian), \`worker_processes $W\`, upstream \`keepalive $NGINX_KEEPALIVE\`, forwarding headers as rampart's, no access log
- **ModSecurity:** libmodsecurity3 $MODSEC_VERSION with libnginx-mod-http-modsecurity, Debian's modsecurity.conf (request and response body access on) with SecRuleEngine On, audit log $( ((AUDIT)) && echo "RelevantOnly" || echo "off"); CRS $CRS_VERSION, paranoia level from the peer's name, default anomaly thresholds
- **rampart:** $rampart_line
- **Origin:** a separate nginx, 1 worker, 13-byte body, over kept-alive HTTP/1.1; $( ((PIN)) && echo "pinned: proxies on CPU 1, origin and wrk on CPU 0" || echo "not pinned")
- **Probes before the load:** $(for p in "${PEERS[@]}"; do printf '%s: %s; ' "$p" "${PROBE[$p]}"; done)
- **Load:** \`wrk -t1 -c$CONNS -d${SECS}s --timeout=${WRK_TIMEOUT}s --latency -s bench/waf_load.lua URL -- LOAD $BODY\`
- **Rounds:** $ROUNDS, each run after a ${WARM}s warm-up with the same settings and after the peer
  finished the requests the warm-up left (wait_idle); rotating order

### Throughput, latency, CPU (medians over $ROUNDS round(s))

$(load_table)

### Ratios

$(ratio_table)

### Proxy memory

$(memory_table)

### How to read this

- CPU µs/req = utime+stime of the proxy's processes from the start of the measured run
  until the proxy was idle again ÷ the requests it handled meanwhile (its own counter:
  nginx's stub_status, rampart's rampart_requests_total) — the requests wrk gave up on at
  the end included, so a slow WAF's work is charged to the requests it did. "req/s per CPU"
  = 1e6 ÷ CPU µs/req: the throughput one whole CPU would give, the fairer comparison on a
  shared machine. "extra CPU µs/req" in the ratio table is the WAF's cost per request
  (A − B). "CPUs used" = the proxy's CPU time during the wrk run ÷ its duration: under 1.0
  the proxy did not get (or need) a whole CPU.
- nginx + ModSecurity inspects every request it has read in one event-loop pass before it
  relays any answer, so with many connections and a slow inspection (a 4 KB JSON body costs
  it a large fraction of a second) answers come in bursts: wrk's req/s and latencies for
  it are coarse, and a run can end before the first burst (0 req/s) although the CPU
  column still measures the work.
- "non-2xx (blocked)": the share of answers that were not 2xx/3xx — for a WAF peer, the
  requests it blocked (403). Attacks should be blocked; benign loads should not be, but the
  CRS at PL4 blocks some everyday requests (false positives), which then skip the origin.
EOF
  printf '\n<details><summary>raw wrk output</summary>\n\n'
  local v r l p
  for v in "${VARIANTS[@]}"; do
    l=${v%@*} p=${v#*@}
    for ((r = 1; r <= ROUNDS; r++)); do
      printf '%s, round %s:\n```\n%s\n```\n' "$v" "$r" "$(cat "$TMP/out-$l-$p-r$r.txt")"
    done
  done
  printf '</details>\n'
}

section >"$TMP/section.md"
replace_results_section "$RESULTS" "$WAF_HEADING" "$TMP/section.md" || die "could not write $RESULTS"

echo
echo "== WAF: nginx, nginx + ModSecurity + CRS, rampart (W=$W, ${SECS}s x $ROUNDS rounds, $NPROC CPUs) =="
echo
print_tables load_table ratio_table memory_table
echo "section \"${WAF_HEADING#\#\# }\" written to ${RESULTS#"$repo"/}"
exit 0
