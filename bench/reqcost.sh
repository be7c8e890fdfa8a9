#!/usr/bin/env bash
# Per-request cost of one rampart binary on the proxy path (issues 6 and 9): CPU per
# request (utime+stime of rampart / requests; user_us: utime alone, which other load on
# the machine disturbs less than the kernel's share) and heap allocations per request.
#
#   bash bench/reqcost.sh BIN VARIANT LOAD MODE [SECS]
#     VARIANT  off: plain proxy; on: `bot:` + a js_challenge rule on every request, the
#              client carrying a clearance cookie it earned (bot_clearance, bot_score, bot)
#     LOAD     wrk: wrk -t1 -c64 -dSECS; h2: h2load -c8 -m100 -n100000 (cleartext h2);
#              h2tls: the same over TLS (ALPN h2; a listener with `tls: {}`, a self-signed
#              ECDSA P-256 certificate made here with openssl)
#     MODE     cpu | alloc (perf stat on uprobes over jemalloc's malloc, calloc, realloc,
#              operator new and aligned_alloc, which Asio uses for coroutine frames; set
#              them up once with the `perf probe -x .../libjemalloc.so.2` lines below, as
#              root) | prof (perf record -g) | mcall (perf record of the allocation
#              probes with call graphs) | callgrind (rampart under valgrind's callgrind,
#              counters zeroed after the warm-up: instructions per request, steady on a
#              busy machine; use REQCOST_N=20000, it runs ~50x slower)
#   REQCOST_N  requests per h2load run (default 100000)
# Origin: nginx, 1 worker, 13-byte body. rampart: 1 worker, no access log. Loopback only;
# every process started here is stopped at the end.
#   J=/lib/x86_64-linux-gnu/libjemalloc.so.2   (addresses: nm -D $J)
#   perf probe -x $J -a 'jm_malloc=<malloc> size=%di:u64' -a 'jm_calloc=<calloc>' \
#     -a 'jm_realloc=<realloc>' -a 'jm_new=<_Znwm> size=%di:u64' -a 'jm_alal=<aligned_alloc> size=%si:u64'
set -uo pipefail
BIN=$1 VARIANT=$2 LOAD=$3 MODE=$4 SECS=${5:-8}
D=$(mktemp -d); OUT=${REQCOST_OUT:-$D}
N=${REQCOST_N:-100000}
SCHEME=http TLS=0
if [[ $LOAD == h2tls ]]; then
  SCHEME=https TLS=1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $D/key.pem \
    -out $D/cert.pem -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
OP=$((20000 + RANDOM % 5000)); RP=$((OP+1)); AP=$((OP+2))
cat > $D/nginx.conf <<NGX
worker_processes 1; daemon off; pid $D/nginx.pid; error_log $D/ngx.err;
events { worker_connections 4096; }
http { access_log off; keepalive_timeout 300s; keepalive_requests 1000000;
  client_body_temp_path $D; proxy_temp_path $D; fastcgi_temp_path $D; uwsgi_temp_path $D; scgi_temp_path $D;
  server { listen 127.0.0.1:$OP backlog=4096; location / { default_type text/plain; return 200 "hello, world\n"; } } }
NGX
nginx -c $D/nginx.conf -p $D & NPID=$!
KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
{
W=1 rampart_base_config "bench/reqcost.sh, bot modules $VARIANT" "$RP" "$AP" |
  if ((TLS)); then sed "/^    address: 127.0.0.1:$RP\$/a\\    tls: {}"; else cat; fi
[[ $VARIANT == on ]] && cat <<Y
bot:
  difficulty: 12
  puzzles: 4
  keys:
    - id: 1
      secret: $KEY
Y
cat <<Y
sites:
  - name: origin
    default: true
    hosts: [127.0.0.1, localhost]
    origin:
      endpoints: [127.0.0.1:$OP]
Y
((TLS)) && cat <<Y
    tls:
      certificates:
        - cert: $D/cert.pem
          key: $D/key.pem
Y
[[ $VARIANT == on ]] && cat <<Y
    firewall:
      rules:
        - id: pow
          expression: 'true'
          action: js_challenge
Y
} > $D/r.yaml
WRAP=()
[[ $MODE == callgrind ]] && WRAP=(valgrind --tool=callgrind --callgrind-out-file=$OUT/callgrind.$VARIANT.$LOAD.out)
"${WRAP[@]}" $BIN run -c $D/r.yaml > $D/r.log 2>&1 & RPID=$!
for i in $(seq 300); do curl -sk -o /dev/null $SCHEME://127.0.0.1:$RP/ 2>/dev/null && break; sleep 0.1; done
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
H=(-H "User-Agent: $UA" -H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" -H "Accept-Language: en-US,en;q=0.5")
if [[ $VARIANT == on ]]; then
  COOKIE=$(/usr/bin/python3 "$here/tools/earn_clearance.py" $RP "$UA") || { echo "no cookie"; }
  H+=(-H "Cookie: $COOKIE")
fi
URL=$SCHEME://127.0.0.1:$RP/app/item/42?ref=home
code=$(curl -sk -o /dev/null -w '%{http_code}' "${H[@]}" $URL); [[ $code == 200 ]] || echo "WARN check status $code" >&2
cpu() { awk '{print $14+$15}' /proc/$RPID/stat; }
utime() { awk '{print $14}' /proc/$RPID/stat; }
# warm-up
if [[ $LOAD == wrk ]]; then wrk -t1 -c64 -d2s "${H[@]}" $URL >/dev/null; else h2load -c8 -m100 -n20000 "${H[@]}" $URL >/dev/null; fi
[[ $MODE == callgrind ]] && callgrind_control -z $RPID >/dev/null
c0=$(cpu) u0=$(utime)
if [[ $MODE == prof ]]; then
  perf record -F 4000 -g -o $OUT/prof.$VARIANT.$LOAD.data -p $RPID 2>/dev/null &
  PP=$!; sleep 0.3
fi
if [[ $MODE == mcall ]]; then
  perf record -e probe_libjemalloc:jm_alal -e probe_libjemalloc:jm_new -e probe_libjemalloc:jm_malloc --call-graph dwarf,16384 -o $OUT/mcall.$VARIANT.$LOAD.data -p $RPID 2>/dev/null &
  PP=$!; sleep 0.3
fi
if [[ $MODE == alloc ]]; then
  perf stat -x, -e "probe_libjemalloc:*" -p $RPID -o $D/perf.txt &
  PP=$!; sleep 0.3
fi
if [[ $LOAD == wrk ]]; then
  out=$(wrk -t1 -c64 -d${SECS}s "${H[@]}" $URL); reqs=$(echo "$out" | awk '/requests in/ {print $1}')
else
  out=$(h2load -c8 -m100 -n$N "${H[@]}" $URL); reqs=$(echo "$out" | awk '/^requests:/ {print $8}')
  echo "$out" | grep -E "^requests:|^status codes" >&2
fi
if [[ $MODE != cpu && $MODE != callgrind ]]; then sleep 0.2; kill -INT $PP; wait $PP; fi
c1=$(cpu) u1=$(utime)
tck=$(getconf CLK_TCK)
cpuus=$(awk -v a=$c0 -v b=$c1 -v r=$reqs -v t=$tck 'BEGIN{printf "%.2f", (b-a)/t*1e6/r}')
userus=$(awk -v a=$u0 -v b=$u1 -v r=$reqs -v t=$tck 'BEGIN{printf "%.2f", (b-a)/t*1e6/r}')
allocs=""
if [[ $MODE == alloc ]]; then allocs=$(awk -F, -v r=$reqs '{s+=$1} END{printf "%.2f", s/r}' <(grep probe_lib $D/perf.txt)); cat $D/perf.txt >&2; fi
kill $RPID $NPID; wait 2>/dev/null
ir=""
if [[ $MODE == callgrind ]]; then
  ir=$(callgrind_annotate $OUT/callgrind.$VARIANT.$LOAD.out 2>/dev/null |
    awk -v r=$reqs '/PROGRAM TOTALS/ {gsub(",", "", $1); printf "%.0f", $1/r}')
fi
echo "$VARIANT $LOAD $MODE reqs=$reqs cpu_us/req=$cpuus user_us/req=$userus allocs/req=$allocs${ir:+ instructions/req=$ir}"
rm -rf $D
