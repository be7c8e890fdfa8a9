#!/usr/bin/env bash
# `make run`: starts the demo origin and rampart on its embedded demo config, prints
# what to try, and stops both on Ctrl-C.
set -euo pipefail
bin=${1:-build/release/rampart}
cd "$(dirname "$0")/.."

for port in 8080 8081 8082 9901; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use on 127.0.0.1; stop whatever listens there first" >&2
    exit 1
  fi
done

/usr/bin/python3 scripts/demo_origin.py --host 127.0.0.1 --port 8081 --name demo-a &
origin_a=$!
/usr/bin/python3 scripts/demo_origin.py --host 127.0.0.1 --port 8082 --name demo-b &
origin_b=$!
trap 'kill $origin_a $origin_b 2>/dev/null; kill $rampart_pid 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
"$bin" run &
rampart_pid=$!

for _ in $(seq 1 50); do
  curl -fs -o /dev/null http://127.0.0.1:9901/status 2>/dev/null && break
  sleep 0.1
done

cat <<'MSG'

rampart is running on its embedded demo config, in front of a pool of two demo origins
(demo-a on :8081, demo-b on :8082).
Try:
  curl -i http://localhost:8080/                 # proxied page (note Via, X-Request-Id)
  curl -s http://localhost:8080/echo             # what the origin received (X-Forwarded-For, X-Edge)
  curl -sI --http2-prior-knowledge http://localhost:8080/   # the same over HTTP/2 (cleartext)
  curl -i http://localhost:8080/old              # a redirect rule answered at the edge
  curl -si http://localhost:8080/cacheable | grep -E 'Cache-Status|fetch'   # twice: a hit
  curl -si -H 'Accept-Encoding: br' http://localhost:8080/ | grep -i content-encoding
                                                 # compressed on the fly (zstd, br, gzip)
  curl -s -X POST -H 'Authorization: Bearer demo-admin-token-change-me' \
       'http://127.0.0.1:9901/cache/purge?all=1'  # admin: empty the cache
  curl -i http://localhost:8080/.env             # blocked by a firewall rule (403)
  curl -i http://localhost:8080/wp-login.php     # blocked with a custom 404 (rule no-wp-probes)
  ./build/release/rampart rules test --expr 'http.user_agent contains "curl"' \
       --request <(printf 'GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8\r\n\r\n')
                                                 # try an expression against a request
  curl -i -H 'Host: nope.example' http://127.0.0.1:8080/   # still the default site
  curl -s http://127.0.0.1:9901/status           # admin: status
  curl -s http://127.0.0.1:9901/metrics          # admin: Prometheus metrics
  curl -s http://127.0.0.1:9901/origins          # admin: pools, endpoint health, in flight
  curl -s -X POST -H 'Authorization: Bearer demo-admin-token-change-me' \
       http://127.0.0.1:9901/origins/demo/127.0.0.1:8081/drain   # send demo-a no new requests
  curl -s 'http://127.0.0.1:8081/__control?status=503'  # make demo-a fail its health checks

  curl -s -X POST -H 'Authorization: Bearer demo-admin-token-change-me' \
       http://127.0.0.1:9901/config/reload       # admin: reload the config
HTTPS with HTTP/2: examples/https.yaml (its first lines make a certificate).
Access log lines appear below. Ctrl-C stops them all.

MSG
wait $rampart_pid
