#!/usr/bin/env bash
# The layer-7 DDoS scenario of issue 8, measured: legitimate visitors (cached pages, four
# browsers, 200 addresses of 127.30.0.0/24) run throughout while an attack with one
# fingerprint (a new user agent on /search?q=N, cache-busting) comes from 4,000
# addresses of 127.20.0.0/16 after the site has learned its baseline.
#
#   bash bench/ddos.sh [path/to/rampart]        (default: build/release/rampart)
#
# Clients: bench/tools/flood.cc (rampart_flood, built next to rampart). Origin:
# scripts/demo_origin.py. rampart: W workers, the site with `cache` and `ddos` (medium
# sensitivity, learning_period 5s, baseline_window 10s, withdraw_after 5s). Reports the
# visitors' success rate and latency before/during/after, the share of attack requests
# refused per second from the onset, when the mitigation appeared in and left the admin
# API, its rule, rampart's CPU time and peak RSS. Writes the section DDOS_HEADING
# (bench/lib.sh) of BENCH_RESULTS, replacing it or appending it.
#
# Environment:
#   BENCH_WORKERS=2              rampart worker threads
#   BENCH_ATTACK_RATE=5000       attack requests per second
#   BENCH_ATTACK_SECONDS=20      attack duration
#   BENCH_LEGIT_RATE=200         visitors' requests per second
#   BENCH_RESULTS=bench/RESULTS.md
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
RAMPART=$(rampart_path "$repo" "${1:-}")
FLOOD=$(dirname "$RAMPART")/rampart_flood
[[ -x $RAMPART && -x $FLOOD ]] || bench_die "build rampart and rampart_flood first ($RAMPART)"
W=${BENCH_WORKERS:-2}
ATTACK_RATE=${BENCH_ATTACK_RATE:-5000}
ATTACK_SECONDS=${BENCH_ATTACK_SECONDS:-20}
LEGIT_RATE=${BENCH_LEGIT_RATE:-200}
RESULTS=${BENCH_RESULTS:-$repo/bench/RESULTS.md}
ONSET=10
TOTAL=$((ONSET + ATTACK_SECONDS + 15))
bench_prepare ddos $((TOTAL + 120))

read -r PORT ADMIN_PORT ORIGIN_PORT < <(free_ports 3 | tr '\n' ' ')
/usr/bin/python3 "$repo/scripts/demo_origin.py" --port "$ORIGIN_PORT" >"$TMP/origin.log" 2>&1 &
STARTED+=($!)
wait_http "http://127.0.0.1:$ORIGIN_PORT/health" 10 "${STARTED[-1]}" || bench_die "origin did not start"
{
  rampart_base_config "bench/ddos.sh" "$PORT" "$ADMIN_PORT"
  cat <<EOF
sites:
  - name: main
    default: true
    hosts: [main.test]
    origin: {endpoints: ["127.0.0.1:$ORIGIN_PORT"]}
    cache: {enabled: true}
    ddos: {sensitivity: medium, min_rate: 50, learning_period: 5s, baseline_window: 10s,
           withdraw_after: 5s}
EOF
} >"$TMP/rampart.yaml"
"$RAMPART" run -c "$TMP/rampart.yaml" >"$TMP/rampart.log" 2>&1 &
RAMPART_PID=$!
STARTED+=($RAMPART_PID)
wait_http "http://127.0.0.1:$ADMIN_PORT/status" 10 "$RAMPART_PID" || bench_die "rampart did not start"

# The admin API and rampart's memory, sampled every 250 ms while the flood runs.
/usr/bin/python3 - "$ADMIN_PORT" "$RAMPART_PID" "$TOTAL" >"$TMP/watch.json" <<'PY' &
import json, sys, time, urllib.request
port, pid, total = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
t0, samples, rss = time.monotonic(), [], 0
while time.monotonic() - t0 < total + 2:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/ddos/mitigations" % port, timeout=2) as r:
            site = json.load(r)["sites"][0]
        samples.append([time.monotonic() - t0, [m["rule"] for m in site["mitigations"]]])
        for line in open("/proc/%s/status" % pid):
            if line.startswith("VmRSS:"):
                rss = max(rss, int(line.split()[1]))
    except Exception:
        pass
    time.sleep(0.25)
print(json.dumps({"samples": samples, "max_rss_kib": rss}))
PY
WATCH_PID=$!
STARTED+=($WATCH_PID)
cpu0=$(tree_cpu_ticks "$RAMPART_PID")
legit=(--class legit --rate "$LEGIT_RATE" --duration "$TOTAL" --conns 64 --per-conn 20
  --sources 127.30.0.0/24 --header "Accept: text/html")
for ua in "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" "Mozilla/5.0 (Macintosh) Safari/605.1.15" \
  "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" "Mozilla/5.0 (iPhone) Mobile Safari/604.1"; do
  legit+=(--ua "$ua")
done
for page in 1 2 3 4 5; do legit+=(--path "/cacheable?page=$page&cc=public,max-age=600"); done
bench_log "flood: $LEGIT_RATE visitor req/s for ${TOTAL}s, $ATTACK_RATE attack req/s from ${ONSET}s for ${ATTACK_SECONDS}s"
"$FLOOD" --target "127.0.0.1:$PORT" --host main.test --max-seconds $((TOTAL + 20)) "${legit[@]}" \
  --class attack --rate "$ATTACK_RATE" --start "$ONSET" --duration "$ATTACK_SECONDS" --conns 400 \
  --per-conn 10 --sources 127.20.0.0/16 --source-count 4000 --ua "EvilBot/2.1 (+flood)" \
  --path "/search?q={n}" --header "Accept: */*" >"$TMP/flood.json"
cpu1=$(tree_cpu_ticks "$RAMPART_PID")
wait "$WATCH_PID" || true

/usr/bin/python3 - "$TMP" "$ONSET" "$ATTACK_SECONDS" "$W" "$(((cpu1 - cpu0) * 1000 / CLK_TCK))" \
  "$DDOS_HEADING" >"$TMP/section.md" <<'PY'
import json, sys
tmp, onset, attack_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
workers, cpu_ms, heading = sys.argv[4], int(sys.argv[5]), sys.argv[6]
flood = json.load(open(tmp + "/flood.json"))["classes"]
watch = json.load(open(tmp + "/watch.json"))
legit, attack = flood["legit"], flood["attack"]


def share(buckets, column):
    sent = sum(b[0] for b in buckets)
    return (100.0 * sum(b[column] for b in buckets) / sent if sent else float("nan")), sent


lt, at = legit["timeline"], attack["timeline"]
end = onset + attack_s
seen = [t for t, rules in watch["samples"] if rules]
gone = [t for t, rules in watch["samples"] if t > end and not rules]
rules = next((r for t, r in watch["samples"] if r), [])
out = [heading, "",
       "`bash bench/ddos.sh` (workers: %s). Visitors: about %d req/s to cached pages from 200 "
       "addresses; attack: about %d req/s for %d s from second %d, one fingerprint, 4,000 "
       "addresses; clients `rampart_flood`, origin `scripts/demo_origin.py`."
       % (workers, legit["sent"] / max(1, len(lt)), attack["sent"] / attack_s, attack_s, onset),
       "", "| measure | value |", "| --- | --- |"]
for name, part in (("before", lt[:onset]), ("during", lt[onset:end]), ("after", lt[end:])):
    pct, sent = share(part, 1)
    out.append("| visitors answered 2xx, %s the attack | %.2f%% of %d |" % (name, pct, sent))
lat = legit["latency_ms"]
out.append("| visitors' latency p50 / p99 / max | %.2f / %.2f / %.1f ms |"
           % (lat["p50"], lat["p99"], lat["max"]))
for a, b in ((0, 1), (1, 2), (2, 10), (10, len(at))):
    pct, sent = share(at[a:b], 2)
    out.append("| attack refused (403), seconds %d-%d after onset | %.2f%% of %d |"
               % (a, b, pct, sent))
out.append("| mitigation first listed by `GET /ddos/mitigations` | %s |"
           % ("%.1f s after onset" % (seen[0] - onset) if seen else "never"))
out.append("| mitigation withdrawn | %s |"
           % ("%.1f s after the attack ended" % (gone[0] - end) if gone else "not within the run"))
out.append("| rule | `%s` |" % ("; ".join(rules) or "-"))
out.append("| rampart CPU time over the run | %.1f s |" % (cpu_ms / 1000))
out.append("| rampart peak RSS | %.1f MiB |" % (watch["max_rss_kib"] / 1024))
print("\n".join(out))
PY
[[ -s $TMP/section.md ]] || bench_die "no results"
replace_results_section "$RESULTS" "$DDOS_HEADING" "$TMP/section.md"
cat "$TMP/section.md"
bench_log "section \"${DDOS_HEADING#\#\# }\" written to $RESULTS"
