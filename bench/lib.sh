# Helpers for bench/run.sh. Sourced, not executed.
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
