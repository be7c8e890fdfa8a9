#!/usr/bin/env bash
# rampart vs Debian's nginx as reverse proxies, side by side in one run, on loopback.
#
#   bash bench/run.sh [path/to/rampart]        (default: build/release/rampart)
#
# Both proxies sit in front of one shared origin (a separate nginx answering GET / with
# a fixed 13-byte body). First, on the freshly started proxies, 10,000 idle keep-alive
# connections each and the proxy's memory before/after (bench/idle_conns.py). Then, for
# each proxy in turn: wrk warm-up, then `wrk -t1 -cC -dSs --latency` for each C, with
# the CPU time the proxy's processes used during the measured run. Finally rampart is
# stopped with SIGTERM and must exit 0. Prints a table and writes bench/RESULTS.md.
#
# Environment:
#   BENCH_WORKERS=1          worker processes (nginx) / worker threads (rampart)
#   BENCH_SECONDS=10         measured wrk duration per row
#   BENCH_WARMUP_SECONDS=3   wrk warm-up before each measured row
#   BENCH_CONNS="64 256"     wrk connection counts, one row each
#   BENCH_IDLE_CONNS=10000   idle keep-alive connections for the memory test
#   BENCH_ROUNDS=3           measured runs per proxy and -c (interleaved); the report
#                            shows medians, and the req/s range when ROUNDS > 1
#   BENCH_NGINX_KEEPALIVE=256 idle upstream connections nginx keeps per worker (`keepalive`;
#                            256 matches rampart's per-worker pool)
#   BENCH_NGINX_FORWARD_HEADERS=1  nginx adds the forwarding headers rampart adds (0: not)
#                            (X-Forwarded-For/-Proto, Forwarded, Via, X-Request-Id)
#   BENCH_MAX_OTHER_LOAD=10  before each measured run, wait until other processes use at
#   BENCH_QUIET_WAIT=120     most this % of all CPUs, for up to this many seconds
#   BENCH_NICE=0             nice level for origin, proxies and wrk; e.g. -10 on a shared
#                            machine puts them ahead of other work (slows that work down)
#   BENCH_PIN=0              1 pins the proxy to CPU 1 and origin + wrk to CPU 0
#   BENCH_RESULTS=bench/RESULTS.md   where to write the report
#   BENCH_KEEP_TMP=0         1 keeps the temp dir (configs, logs, raw wrk output)
#
# Everything listens on 127.0.0.1 only. Every process started here is stopped on exit.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
bench_setup run.sh "${1:-}" 3

IDLE=${BENCH_IDLE_CONNS:-10000}
NGINX_KEEPALIVE=${BENCH_NGINX_KEEPALIVE:-256}
NGINX_FWD=${BENCH_NGINX_FORWARD_HEADERS:-1}
[[ $NGINX_FWD == 0 || $NGINX_FWD == 1 ]] || die "BENCH_NGINX_FORWARD_HEADERS must be 0 or 1"
MAX_OTHER=${BENCH_MAX_OTHER_LOAD:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
NICE=${BENCH_NICE:-0}
read -r -a CONNS <<<"${BENCH_CONNS:-64 256}"
RESULTS=${BENCH_RESULTS:-$here/RESULTS.md}
for val in "$W" "$SECS" "$WARM" "$IDLE" "$ROUNDS" "$MAX_OTHER" "$QUIET_WAIT" "$NGINX_KEEPALIVE" "${CONNS[@]}"; do
  [[ $val =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$val' (check BENCH_* variables)"
done
((${#CONNS[@]} > 0)) || die "BENCH_CONNS is empty"
PIN=${BENCH_PIN:-0}
bench_prio_pin "$NICE" "$PIN"  # PRIO, PIN_PROXY, PIN_OTHERS
bench_need_tools nginx wrk curl ss pgrep timeout flock sha256sum /usr/bin/python3
bench_lock "another bench/run.sh"

# ---------------------------------------------------------------- process bookkeeping

# TMP, STARTED, REAPED, the traps, the watchdog (a bound on the whole run), CLK_TCK, NPROC,
# and the open-file limit raised to the hard one (OPEN_FILES; NOFILE capped at 65536).
bench_prepare bench $((120 + 2 * ROUNDS * ${#CONNS[@]} * (SECS + WARM + QUIET_WAIT + 45) + 2 * 420))
# The proxies need >10k descriptors.
if ((OPEN_FILES < IDLE + 1024)); then
  die "open-file limit $OPEN_FILES is too low for $IDLE idle connections (need $((IDLE + 1024)))"
fi

read -r ORIGIN_PORT NGINX_PORT RAMPART_PORT ADMIN_PORT < <(free_ports 4 | tr '\n' ' ')
[[ -n $ADMIN_PORT ]] || die "could not find free ports"

# ---------------------------------------------------------------- origin and nginx

mkdir -p "$TMP/origin" "$TMP/nginx" "$TMP/rampart"

NGINX_WORKER_CONNECTIONS=$((NOFILE - 256))
NGINX_FWD_CONF=""
((NGINX_FWD)) && NGINX_FWD_CONF=$(nginx_forward_headers)  # what rampart adds by default
{
  nginx_common "$TMP/nginx"
  cat <<EOF
worker_processes $W;
worker_rlimit_nofile $NOFILE;
events {
    worker_connections $NGINX_WORKER_CONNECTIONS;
}
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
$(nginx_temp_paths "$TMP/nginx")
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive $NGINX_KEEPALIVE;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT reuseport;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
$NGINX_FWD_CONF
        }
    }
}
EOF
} >"$TMP/nginx/nginx.conf"

start_origin "$ORIGIN_PORT" "$NOFILE" "${PIN_OTHERS[@]}"

log "nginx proxy (W=$W) on 127.0.0.1:$NGINX_PORT"
start_nginx nginx "${PIN_PROXY[@]}"
NGINX_PID=$NGINX_STARTED_PID
wait_http "http://127.0.0.1:$NGINX_PORT/" 10 "$NGINX_PID" || {
  cat "$TMP/nginx/error.log" >&2
  die "nginx proxy did not start"
}
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')

# ---------------------------------------------------------------- rampart

RAMPART_OK=0
RAMPART_NOTE=""
RAMPART_VERSION="n/a"
RAMPART_SHA="n/a"
RAMPART_PID=""

{
  rampart_base_config "Generated by bench/run.sh: the equivalent of the nginx proxy config next to it." \
    "$RAMPART_PORT" "$ADMIN_PORT"
  cat <<EOF
sites:
  - name: origin
    default: true
    hosts: [127.0.0.1, localhost]
    origin:
      endpoints: [127.0.0.1:$ORIGIN_PORT]
EOF
} >"$TMP/rampart/rampart.yaml"

rampart_fail() {  # rampart_fail NOTE: marks rampart unusable for the rest of the run
  RAMPART_OK=0
  RAMPART_NOTE=$1
  log "rampart: $1"
  if [[ -s $TMP/rampart/out.log ]]; then
    log "rampart output (last 20 lines):"
    tail -n 20 "$TMP/rampart/out.log" | sed 's/^/    /' >&2
  fi
}

# rampart_exit_note: how the rampart process ended, once it has.
rampart_exit_note() {
  local rc
  wait "$RAMPART_PID" 2>/dev/null
  rc=$?
  REAPED[$RAMPART_PID]=1
  if ((rc > 128)); then echo "killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))"; else echo "exit status $rc"; fi
}

if [[ ! -x $RAMPART ]]; then
  rampart_fail "binary not found or not executable: $RAMPART"
else
  # Run a copy: a rebuild during the run neither changes what is measured nor fails
  # with "text file busy".
  cp "$RAMPART" "$TMP/rampart/rampart-bin" || die "cannot copy $RAMPART"
  RAMPART_SHA=$(sha256sum "$TMP/rampart/rampart-bin" | cut -c1-16)
  RAMPART_VERSION=$(timeout 5 "$TMP/rampart/rampart-bin" version 2>&1 | head -n 1)
  [[ -n $RAMPART_VERSION ]] || RAMPART_VERSION="unknown (rampart version printed nothing)"
  if ! timeout 10 "$TMP/rampart/rampart-bin" validate "$TMP/rampart/rampart.yaml" >"$TMP/rampart/validate.log" 2>&1; then
    log "rampart validate rejected the bench config:"
    sed 's/^/    /' "$TMP/rampart/validate.log" | head -n 20 >&2
  fi
  log "rampart ($RAMPART_VERSION, W=$W) on 127.0.0.1:$RAMPART_PORT"
  # rampart inherits the raised open-file limit from this shell.
  "${PRIO[@]}" "${PIN_PROXY[@]}" "$TMP/rampart/rampart-bin" run -c "$TMP/rampart/rampart.yaml" >"$TMP/rampart/out.log" 2>&1 9>&- &
  RAMPART_PID=$!
  STARTED+=("$RAMPART_PID")
  if wait_http "http://127.0.0.1:$RAMPART_PORT/" 15 "$RAMPART_PID"; then
    RAMPART_OK=1
  elif ! kill -0 "$RAMPART_PID" 2>/dev/null; then
    rampart_fail "did not start: $(rampart_exit_note) (rampart run -c rampart.yaml)"
  else
    rampart_fail "did not answer on 127.0.0.1:$RAMPART_PORT within 15s"
  fi
fi

# check_proxy NAME PORT: one GET / through the proxy must return 200 and the origin's body.
check_proxy() {
  local name=$1 port=$2 status body
  status=$(curl -s -o "$TMP/$name/check.body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/")
  body=$(cat "$TMP/$name/check.body" 2>/dev/null; echo x)
  if [[ $status != 200 || ${body%x} != "$ORIGIN_BODY" ]]; then
    echo "GET / answered status $status, body $(printf %q "${body%x}" | head -c 200)"
    return 1
  fi
}

note=$(check_proxy nginx "$NGINX_PORT") || die "nginx proxy check failed: $note"
if ((RAMPART_OK)); then
  note=$(check_proxy rampart "$RAMPART_PORT") || rampart_fail "proxy check failed: $note"
fi

PROXIES=(nginx rampart)
declare -A PID_OF=([nginx]=$NGINX_PID [rampart]=$RAMPART_PID)
declare -A PORT_OF=([nginx]=$NGINX_PORT [rampart]=$RAMPART_PORT)
usable() { [[ $1 == nginx ]] || ((RAMPART_OK)); }

# ---------------------------------------------------------------- load: wrk

declare -A RPS P50 P99 NON2XX SOCKERR CPU_US ORIGIN_CPU_US OTHER_PCT ROW_NOTE
ROW_NOTE=()

# run_load NAME CONNS ROUND: one warm-up and one measured wrk run; results under "NAME,CONNS,ROUND".
run_load() {
  local name=$1 c=$2 key="$1,$2,$3" pid=${PID_OF[$1]} port=${PORT_OF[$1]}
  local url="http://127.0.0.1:$port/" out="$TMP/wrk-$1-c$2-r$3.txt"
  local cmd=(wrk -t1 -c"$c" -d"${SECS}s" --latency "$url")

  wait_quiet
  log "$name c=$c: warm-up ${WARM}s"
  "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((WARM + 30)) wrk -t1 -c"$c" -d"${WARM}s" "$url" >"$TMP/wrk-warmup-$name-c$c.txt" 2>&1
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then
    ROW_NOTE[$key]="proxy died during warm-up"
    return 1
  fi

  log "$name c=$c round $3/$ROUNDS: ${cmd[*]}"
  local t0 o0 s0 t1 o1 s1
  t0=$(tree_cpu_ticks "$pid"); o0=$(tree_cpu_ticks "$ORIGIN_PID"); s0=$(system_busy_ticks)
  TIMEFORMAT='%3U %3S'
  { time "${PRIO[@]}" "${PIN_OTHERS[@]}" timeout $((SECS + 30)) "${cmd[@]}" >"$out" 2>&1; } 2>"$out.time"
  t1=$(tree_cpu_ticks "$pid"); o1=$(tree_cpu_ticks "$ORIGIN_PID"); s1=$(system_busy_ticks)
  sed 's/^/    /' "$out" >&2

  if ! kill -0 "$pid" 2>/dev/null; then
    ROW_NOTE[$key]="proxy died during the measured run"
    return 1
  fi
  local parsed
  if ! parsed=$(parse_wrk "$out"); then
    ROW_NOTE[$key]="could not parse wrk output"
    return 1
  fi
  local rps reqs p50 p99 non2xx sockerr
  read -r rps reqs p50 p99 non2xx sockerr <<<"$parsed"
  RPS[$key]=$rps; P50[$key]=$p50; P99[$key]=$p99
  NON2XX[$key]=$non2xx; SOCKERR[$key]=$sockerr
  CPU_US[$key]=$(us_per_req $((t1 - t0)) "$reqs")
  ORIGIN_CPU_US[$key]=$(us_per_req $((o1 - o0)) "$reqs")
  # CPU used by anything other than proxy, origin and wrk, as % of all cores.
  OTHER_PCT[$key]=$(other_load_pct $((s1 - s0)) $((t1 - t0)) $((o1 - o0)) "$out.time")
  if ((non2xx > 0 || sockerr > 0)); then
    ROW_NOTE[$key]="wrk saw $non2xx non-2xx/3xx responses and $sockerr socket errors"
  fi
  return 0
}

# ---------------------------------------------------------------- idle keep-alive memory

declare -A PSS0 PSS1 RSS0 RSS1 HELD STILL_OPEN SERVER_EST IDLE_BPC IDLE_BPC_RSS IDLE_NOTE

json_get() {  # json_get FILE KEY
  /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2" 2>/dev/null
}

# idle_mem NAME
idle_mem() {
  local name=$1 pid=${PID_OF[$1]} port=${PORT_OF[$1]}
  local ready=$TMP/idle-$1.ready.json result=$TMP/idle-$1.result.json ipid i
  sleep 2
  PSS0[$name]=$(tree_mem_kb "$pid" Pss); RSS0[$name]=$(tree_mem_kb "$pid" Rss)
  log "$name: opening $IDLE idle keep-alive connections (Pss before: ${PSS0[$name]} kB)"
  /usr/bin/python3 "$here/idle_conns.py" --port "$port" --count "$IDLE" \
    --hold-seconds 240 --ready-file "$ready" --result-file "$result" >"$TMP/idle-$name.log" 2>&1 9>&- &
  ipid=$!
  STARTED+=("$ipid")
  for ((i = 0; i < 1800; i++)); do
    [[ -s $ready ]] && break
    kill -0 "$ipid" 2>/dev/null || break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ ! -s $ready ]]; then
    stop_pid "$ipid"
    IDLE_NOTE[$name]="idle_conns.py did not finish setup: $(tail -n 3 "$TMP/idle-$name.log" | tr '\n' ' ')"
    kill -0 "$pid" 2>/dev/null || IDLE_NOTE[$name]+=" (proxy died)"
    return 1
  fi
  sleep 3  # let the proxy settle (deferred frees, timers)
  SERVER_EST[$name]=$(ss -Htn state established "( sport = :$port )" | wc -l)
  PSS1[$name]=$(tree_mem_kb "$pid" Pss); RSS1[$name]=$(tree_mem_kb "$pid" Rss)
  kill -TERM "$ipid" 2>/dev/null
  for ((i = 0; i < 300; i++)); do
    [[ -s $result ]] && break
    kill -0 "$ipid" 2>/dev/null || break
    sleep 0.1
  done
  stop_pid "$ipid"
  HELD[$name]=$(json_get "$ready" held)
  STILL_OPEN[$name]=$(json_get "$result" still_open)
  local statuses errors nka
  statuses=$(json_get "$ready" statuses); errors=$(json_get "$ready" errors); nka=$(json_get "$ready" not_keepalive)
  log "$name: held ${HELD[$name]} (statuses $statuses, errors $errors, not keep-alive $nka);" \
    "server-side established ${SERVER_EST[$name]}; still open at the end ${STILL_OPEN[$name]:-?};" \
    "Pss after: ${PSS1[$name]} kB"
  if [[ ${HELD[$name]:-0} -lt $IDLE ]]; then
    IDLE_NOTE[$name]="only ${HELD[$name]:-0} of $IDLE connections held (statuses $statuses, errors $errors, not keep-alive $nka)"
  fi
  local held=${HELD[$name]:-0} still=${STILL_OPEN[$name]:-}
  if [[ $still =~ ^[0-9]+$ && $still -ne $held ]]; then
    IDLE_NOTE[$name]+="${IDLE_NOTE[$name]:+; }the proxy closed $((held - still)) of the held connections while they were idle"
  fi
  if ((${HELD[$name]:-0} > 0)); then
    IDLE_BPC[$name]=$(awk -v a="${PSS0[$name]}" -v b="${PSS1[$name]}" -v n="${HELD[$name]}" 'BEGIN { printf "%.0f\n", (b - a) * 1024 / n }')
    IDLE_BPC_RSS[$name]=$(awk -v a="${RSS0[$name]}" -v b="${RSS1[$name]}" -v n="${HELD[$name]}" 'BEGIN { printf "%.0f\n", (b - a) * 1024 / n }')
  fi
  kill -0 "$pid" 2>/dev/null || { IDLE_NOTE[$name]+="${IDLE_NOTE[$name]:+; }proxy died"; return 1; }
  return 0
}

for p in "${PROXIES[@]}"; do
  usable "$p" || continue
  if ! idle_mem "$p"; then
    log "$p idle test: ${IDLE_NOTE[$p]}"
    if [[ $p == rampart ]]; then
      kill -0 "$RAMPART_PID" 2>/dev/null || rampart_fail "died during the idle-connection test: $(rampart_exit_note)"
    fi
  fi
  sleep 1
done

# The load runs come after the idle test, so the idle test measures fresh processes (see RESULTS.md).
# Rounds interleave the proxies; even rounds run rampart first, so slow drift in the
# machine's state does not always favour the same proxy.
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${PROXIES[@]}")
  ((r % 2 == 0)) && order=(rampart nginx)
  for c in "${CONNS[@]}"; do
    for p in "${order[@]}"; do
      usable "$p" || continue
      if ! run_load "$p" "$c" "$r"; then
        note=${ROW_NOTE[$p,$c,$r]}
        log "$p c=$c round $r: $note"
        if [[ $p == rampart ]]; then
          if kill -0 "$RAMPART_PID" 2>/dev/null; then
            rampart_fail "$note (c=$c, round $r)"
          else
            rampart_fail "$note (c=$c, round $r): $(rampart_exit_note)"
          fi
        else
          die "nginx failed: $note"
        fi
      fi
      sleep 1
    done
  done
done

# Per proxy and -c: medians over the rounds that completed; errors summed; notes joined.
declare -A RPS_RANGE NROUNDS
for p in "${PROXIES[@]}"; do
  for c in "${CONNS[@]}"; do
    declare -a v_rps=() v_p50=() v_p99=() v_cpu=() v_ocpu=() v_other=()
    n2=0; se=0; notes=""
    for ((r = 1; r <= ROUNDS; r++)); do
      k="$p,$c,$r"
      [[ -n ${ROW_NOTE[$k]:-} ]] && notes+="${notes:+; }round $r: ${ROW_NOTE[$k]}"
      [[ -n ${RPS[$k]:-} ]] || continue
      v_rps+=("${RPS[$k]}"); v_p50+=("${P50[$k]}"); v_p99+=("${P99[$k]}")
      v_cpu+=("${CPU_US[$k]}"); v_ocpu+=("${ORIGIN_CPU_US[$k]}"); v_other+=("${OTHER_PCT[$k]}")
      n2=$((n2 + NON2XX[$k])); se=$((se + SOCKERR[$k]))
    done
    k="$p,$c"
    [[ -n $notes ]] && ROW_NOTE[$k]=$notes
    NROUNDS[$k]=${#v_rps[@]}
    ((${#v_rps[@]} > 0)) || continue
    RPS[$k]=$(median "${v_rps[@]}"); P50[$k]=$(median "${v_p50[@]}"); P99[$k]=$(median "${v_p99[@]}")
    CPU_US[$k]=$(median "${v_cpu[@]}"); ORIGIN_CPU_US[$k]=$(median "${v_ocpu[@]}")
    OTHER_PCT[$k]=$(median "${v_other[@]}"); NON2XX[$k]=$n2; SOCKERR[$k]=$se
    RPS_RANGE[$k]=$(printf '%s\n' "${v_rps[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f\n", lo, hi }')
  done
done

if [[ -n $RAMPART_PID ]] && ((RAMPART_OK)) && ! kill -0 "$RAMPART_PID" 2>/dev/null; then
  rampart_fail "exited before the end of the run: $(rampart_exit_note)"
fi

# Stop rampart as an operator would (SIGTERM) and check that it exits cleanly.
RAMPART_STOP="n/a"
if [[ -n $RAMPART_PID ]] && is_our_child "$RAMPART_PID"; then
  kill -TERM "$RAMPART_PID" 2>/dev/null
  for ((i = 0; i < 150; i++)); do
    is_our_child "$RAMPART_PID" || break
    sleep 0.1
  done
  if is_our_child "$RAMPART_PID"; then
    RAMPART_STOP="still running 15s after SIGTERM (killed)"
    stop_pid "$RAMPART_PID"
  else
    RAMPART_STOP=$(rampart_exit_note)
  fi
  log "rampart on SIGTERM: $RAMPART_STOP"
  if [[ $RAMPART_STOP != "exit status 0" ]]; then
    RAMPART_NOTE+="${RAMPART_NOTE:+; }on SIGTERM at the end of the run: $RAMPART_STOP"
    log "rampart output (last 10 lines):"
    tail -n 10 "$TMP/rampart/out.log" | sed 's/^/    /' >&2
  fi
fi

# ---------------------------------------------------------------- report

val() { local -n arr=$1; echo "${arr[$2]:-n/a}"; }

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
DATE=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
env_prefix="BENCH_WORKERS=$W BENCH_SECONDS=$SECS BENCH_WARMUP_SECONDS=$WARM BENCH_CONNS=\"${CONNS[*]}\" BENCH_IDLE_CONNS=$IDLE BENCH_ROUNDS=$ROUNDS BENCH_NGINX_KEEPALIVE=$NGINX_KEEPALIVE BENCH_NGINX_FORWARD_HEADERS=$NGINX_FWD BENCH_NICE=$NICE BENCH_PIN=$PIN"

load_table() {
  echo "| proxy | wrk -c | req/s | p50 | p99 | CPU µs/req (proxy) | CPU µs/req (origin) | other load | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  local rps other
  local c p key err
  for c in "${CONNS[@]}"; do
    for p in "${PROXIES[@]}"; do
      key="$p,$c"
      if [[ -n ${RPS[$key]:-} ]]; then
        err="${NON2XX[$key]} non-2xx, ${SOCKERR[$key]} socket"
        [[ -n ${ROW_NOTE[$key]:-} ]] && err+="; ${ROW_NOTE[$key]}"
        rps=$(printf '%.0f' "${RPS[$key]}")
        ((ROUNDS > 1)) && rps+=" (${RPS_RANGE[$key]}, ${NROUNDS[$key]} rounds)"
        other="${OTHER_PCT[$key]}%"
        awk -v o="${OTHER_PCT[$key]}" 'BEGIN { exit !(o > 5) }' && other+=" ⚠"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$p" "$c" "$rps" \
          "$(fmt_us "${P50[$key]}")" "$(fmt_us "${P99[$key]}")" "${CPU_US[$key]}" \
          "${ORIGIN_CPU_US[$key]}" "$other" "$err"
      else
        printf '| %s | %s | n/a | n/a | n/a | n/a | n/a | n/a | %s |\n' "$p" "$c" \
          "${ROW_NOTE[$key]:-${RAMPART_NOTE:-not run}}"
      fi
    done
  done
}

idle_table() {
  echo "| proxy | conns held | server-side established | Pss before | Pss after | bytes/conn (Pss) | bytes/conn (Rss) | note |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  local p
  for p in "${PROXIES[@]}"; do
    if [[ -n ${PSS1[$p]:-} ]]; then
      printf '| %s | %s | %s | %s kB | %s kB | %s | %s | %s |\n' "$p" "${HELD[$p]}" "${SERVER_EST[$p]}" \
        "${PSS0[$p]}" "${PSS1[$p]}" "${IDLE_BPC[$p]:-n/a}" "${IDLE_BPC_RSS[$p]:-n/a}" "${IDLE_NOTE[$p]:-}"
    else
      printf '| %s | n/a | n/a | n/a | n/a | n/a | n/a | %s |\n' "$p" "${IDLE_NOTE[$p]:-${RAMPART_NOTE:-not run}}"
    fi
  done
}

ratio_table() {
  echo "| metric | $(printf 'c=%s | ' "${CONNS[@]}")target | met |"
  printf '|---|%s---|---|\n' "$(printf -- '---:|%.0s' "${CONNS[@]}")"
  local c r cells met
  # throughput
  cells=""; met=""
  for c in "${CONNS[@]}"; do
    r=$(ratio "$(val RPS "rampart,$c")" "$(val RPS "nginx,$c")"); cells+="$r | "; met+="$(check "$r" ge 1.3) / "
  done
  echo "| throughput (rampart/nginx req/s) | ${cells}≥ 1.30 | ${met% / } |"
  cells=""; met=""
  for c in "${CONNS[@]}"; do
    r=$(ratio "$(val P99 "rampart,$c")" "$(val P99 "nginx,$c")"); cells+="$r | "; met+="$(check "$r" le 1.0) / "
  done
  echo "| p99 latency (rampart/nginx) | ${cells}≤ 1.00 | ${met% / } |"
  cells=""; met=""
  for c in "${CONNS[@]}"; do
    r=$(ratio "$(val CPU_US "rampart,$c")" "$(val CPU_US "nginx,$c")"); cells+="$r | "; met+="$(check "$r" le 0.75) / "
  done
  echo "| CPU per request (rampart/nginx) | ${cells}≤ 0.75 | ${met% / } |"
  # Noise check: each proxy's CPU/request in units of the origin's CPU/request in the
  # same run. The origin does the same work behind either proxy, so machine-wide
  # slowdowns cancel out.
  cells=""
  for c in "${CONNS[@]}"; do
    r=$(awk -v a="$(val CPU_US "rampart,$c")" -v b="$(val ORIGIN_CPU_US "rampart,$c")" \
      -v x="$(val CPU_US "nginx,$c")" -v y="$(val ORIGIN_CPU_US "nginx,$c")" 'BEGIN {
        if (a == "n/a" || b == "n/a" || x == "n/a" || y == "n/a" || b + 0 == 0 || x + 0 == 0 || y + 0 == 0) print "n/a";
        else printf "%.2f\n", (a / b) / (x / y) }')
    cells+="$r | "
  done
  echo "| CPU per request in origin units (rampart/nginx; noise check) | ${cells}— | — |"
  # memory is one number, not per concurrency: it goes in the first column
  r=$(ratio "$(val IDLE_BPC rampart)" "$(val IDLE_BPC nginx)")
  cells="$r | "
  for c in "${CONNS[@]:1}"; do cells+="— | "; done
  echo "| idle memory per connection (rampart/nginx, Pss) | ${cells}< 1.00 | $(check "$r" lt 1.0) |"
}

report() {
  cat <<EOF
# rampart vs nginx — reverse proxy on loopback

Generated by \`bench/run.sh\`; every number below comes from the run it describes.

- **Date:** $DATE
- **Machine:** $NPROC CPUs ($CPU_MODEL), $MEM_TOTAL RAM, Linux $(uname -r)
- **nginx:** $NGINX_VERSION (Debian), as proxy and as origin
- **rampart:** $RAMPART_VERSION (\`${RAMPART#"$repo"/}\`, sha256 $RAMPART_SHA…)
- **rampart on SIGTERM after the run:** $RAMPART_STOP
- **Workers:** W=$W for both (nginx worker processes, rampart worker threads)
- **Command:** \`$env_prefix $invocation\`
- **Load:** $(for c in "${CONNS[@]}"; do printf '`wrk -t1 -c%s -d%ss --latency http://127.0.0.1:PORT/`, ' "$c" "$SECS"; done | sed 's/, $//') against each proxy in turn ($ROUNDS round(s); odd rounds nginx first, even rounds rampart first), each after a ${WARM}s warm-up with the same -c
- **Origin:** a separate nginx (1 worker) answering \`GET /\` with a 13-byte 200; both proxies keep upstream connections alive (nginx: \`keepalive $NGINX_KEEPALIVE\` per worker; rampart: its own pool)
- **Idle test:** $IDLE keep-alive connections, each served one \`GET /\` and then left idle; memory is the proxy's processes' Pss (and Rss) summed over master + workers, before vs after
EOF
  if [[ -n $RAMPART_NOTE ]]; then
    printf '\n**rampart problem in this run:** %s\n' "$RAMPART_NOTE"
  fi
  cat <<EOF

## Throughput, latency, CPU

$(load_table)

CPU µs/req = utime+stime of the proxy's processes (master + workers, all threads) during
the measured run ÷ requests wrk completed. "origin" is the same for the shared origin;
"other load" is CPU used by anything besides proxy, origin and wrk, as % of all $NPROC
CPUs: other work on the machine. Rows marked ⚠ (over 5%) were disturbed and their
numbers, and the ratios built from them, are not trustworthy.

## Idle keep-alive memory

$(idle_table)

## rampart / nginx

$(ratio_table)

## How to read this

- Machine: wrk (1 thread), the origin (1 worker) and the proxy (W=$W) share $NPROC CPUs
  ($( ((PIN)) && echo "pinned: proxy on CPU 1, origin and wrk on CPU 0" || echo "not pinned: the scheduler places them")).
  Origin and wrk cost about the same per request whichever proxy is measured, so
  throughput and latency ratios understate differences in the proxies themselves;
  CPU µs/request is the cleanest of the three.
- "CPU per request in origin units" divides each proxy's CPU/request by the origin's
  CPU/request measured during the same runs. It cancels slowdowns of the whole machine
  (host contention on a VM), which move all CPU/request figures together. It is only
  meaningful when the origin does the same work behind both proxies: not when nginx
  churns upstream connections (next point), and rampart's extra forwarding headers
  (X-Forwarded-*, Forwarded, Via, X-Request-Id) make the origin's work slightly larger
  unless \`BENCH_NGINX_FORWARD_HEADERS=1\` (this run: $NGINX_FWD) makes nginx add them too.
- Upstream keep-alive: nginx keeps at most $NGINX_KEEPALIVE idle upstream connections per
  worker (\`keepalive $NGINX_KEEPALIVE\`); rampart uses its own pool limit. When wrk -c is
  above that number nginx opens and closes origin connections all the time, which shows
  as a higher origin CPU µs/request. In this run nginx keeps $NGINX_KEEPALIVE and the largest
  -c is $(printf '%s\n' "${CONNS[@]}" | sort -n | tail -n 1)$( (($(printf '%s\n' "${CONNS[@]}" | sort -n | tail -n 1) > NGINX_KEEPALIVE)) && echo ": rows above $NGINX_KEEPALIVE connections are not like for like").
- Idle memory is the change in the proxy's user-space memory (Pss; Rss alongside) with
  $IDLE served, idle connections, measured first, on freshly started processes. Kernel
  socket buffers are not in it (the same for both). nginx allocates its connection
  table (worker_connections = $NGINX_WORKER_CONNECTIONS slots) at start, so that part of
  its per-connection cost is in its "before" figure; "Pss after" compares totals.
- Each row is the median of $ROUNDS measured run(s) of ${SECS}s; runs alternate between
  the proxies. Rows marked ⚠ shared the machine with other work.
EOF
  if [[ -n $RAMPART_NOTE && -s $TMP/rampart/out.log ]]; then
    printf '\n<details><summary>rampart output (last 40 lines)</summary>\n\n```\n%s\n```\n</details>\n' \
      "$(tail -n 40 "$TMP/rampart/out.log")"
  fi
  local f
  printf '\n<details><summary>raw wrk output</summary>\n\n'
  for c in "${CONNS[@]}"; do
    for p in "${PROXIES[@]}"; do
      for ((r = 1; r <= ROUNDS; r++)); do
        f=$TMP/wrk-$p-c$c-r$r.txt
        [[ -s $f ]] && printf '%s, -c%s, round %s:\n```\n%s\n```\n' "$p" "$c" "$r" "$(cat "$f")"
      done
    done
  done
  printf '</details>\n'
}

report >"$TMP/RESULTS.md"
# The micro-benchmark, bench/firewall.sh, bench/origins.sh, bench/cache.sh and bench/tls.sh
# sections live in the same file: carry them over unchanged.
for heading in "$MICRO_HEADING" "$FIREWALL_HEADING" "$ORIGINS_HEADING" "$CACHE_HEADING" "$TLS_HEADING"; do
  kept=$(results_section "$RESULTS" "$heading")
  [[ -n $kept ]] && printf '\n%s\n' "$kept" >>"$TMP/RESULTS.md"
done
cp "$TMP/RESULTS.md" "$RESULTS"

echo
echo "== rampart vs nginx (W=$W, ${SECS}s per row, $NPROC CPUs) =="
echo
print_tables load_table idle_table ratio_table
[[ -n $RAMPART_NOTE ]] && echo "rampart problem: $RAMPART_NOTE"
echo "report written to ${RESULTS#"$repo"/}"
exit 0
