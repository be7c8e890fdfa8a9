"""Chaos scenario 6, Redis: two rampart nodes share rate-limit counters through a real
redis-server (on a free loopback port) while both serve steady load; Redis is killed
(SIGKILL) and restarted, then frozen (SIGSTOP) and thawed (SIGCONT).

Asserted: every answer is the origin's 200 or rampart's 429 (no 5xx, no broken
connection) in every phase, and no request is slower than SLOWEST_S (requests never wait
on Redis); each node logs that Redis is unavailable when it goes and that counters are
shared again when it returns, and syncs again afterwards; memory stays under the cap.
time_to_detect_s: the slower of the two outages' time from the fault to both nodes
logging it.
"""

import os
import re
import signal
import statistics
import time

import chaos_lib
from chaos_lib import STEP_S, Load, RssSampler, write_report
from helpers import SLOW
from redis_util import needs_redis

pytestmark = needs_redis

SLOWEST_S = 1.0 * SLOW
WAIT_S = 15.0 * SLOW  # bound on waiting for a log line
DOWN = "unavailable ("
AGAIN = "still unavailable"
BACK = "shared again"


def lines(node, needle):
    return [l for l in node.stderr_path.read_text(errors="replace").splitlines() if needle in l]


def wait_lines(nodes, needle, counts):
    """Waits until every node has more than counts[i] lines with `needle`; seconds taken."""
    t0 = time.monotonic()
    while not all(len(lines(n, needle)) > c for n, c in zip(nodes, counts)):
        assert time.monotonic() - t0 < WAIT_S, "no %r within %.0f s: %s" % (
            needle, WAIT_S, [n.logs()[-2000:] for n in nodes])
        time.sleep(0.02)
    return time.monotonic() - t0


def outages(node):
    """Outages the node announced: its first "unavailable" lines (not the reminders)."""
    return len(lines(node, DOWN)) - len(lines(node, AGAIN))


def syncs_ok(nodes):
    return [n.metrics().value("rampart_ratelimit_cluster_sync_total", result="ok") for n in nodes]


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def test_redis_killed_and_frozen_under_load(chaos_origin, rampart_factory, redis_server):
    redis = redis_server
    loads = []
    try:
        rule = {"id": "api", "expression": 'starts_with(http.request.uri.path, "/api/")',
                "characteristics": ["ip.src"], "period": "10s", "requests_per_period": 200}
        nodes = [rampart_factory(**chaos_lib.chaos_config({
            "sites": [{"name": "main", "default": True, "hosts": ["main.test"],
                       "origin": {"endpoints": [chaos_origin.endpoint]},
                       "rate_limit": {"rules": [rule]}}],
            "cluster": {"redis": "127.0.0.1:%d" % redis.port, "sync_interval": "100ms",
                        "timeout": "50ms", "log_interval": "1s"},
        })) for _ in range(2)]
        deadline = time.monotonic() + WAIT_S
        while min(syncs_ok(nodes)) == 0:
            assert time.monotonic() < deadline, "the nodes never synced with redis"
            time.sleep(0.05)
        rss = [RssSampler(n.pid) for n in nodes]
        budget = STEP_S * 12 + 4 * WAIT_S
        # The same client (127.0.0.1) on both nodes: one fleet-wide count for its /api/.
        loads = [Load(n.port, ["/api/a", "/api/b", "/dyn/c"], threads=2,
                      max_seconds=budget, timeout=5.0).start() for n in nodes]
        detect, resume = {}, {}
        time.sleep(STEP_S)

        # Killed, then restarted (empty: nothing persisted).
        down, back = [len(lines(n, DOWN)) for n in nodes], [len(lines(n, BACK)) for n in nodes]
        for load in loads:
            load.fault_start("killed")
        # Read before the kill: a node may count the outage before the line after it runs.
        announced = [outages(n) for n in nodes]
        redis.kill()
        detect["killed"] = wait_lines(nodes, DOWN, down)
        time.sleep(STEP_S * 2)
        before = syncs_ok(nodes)
        # One outage each, announced once, and nothing reported back while it lasts.
        assert [outages(n) for n in nodes] == [a + 1 for a in announced]
        assert [len(lines(n, BACK)) for n in nodes] == back
        redis.start()
        resume["killed"] = wait_lines(nodes, BACK, back)
        for load in loads:
            load.fault_end()
        assert all(a > b for a, b in zip(syncs_ok(nodes), before))
        time.sleep(STEP_S)

        # Frozen: connections are accepted by the kernel, nothing answers.
        down, back = [len(lines(n, DOWN)) for n in nodes], [len(lines(n, BACK)) for n in nodes]
        for load in loads:
            load.fault_start("frozen")
        announced = [outages(n) for n in nodes]
        os.kill(redis.proc.pid, signal.SIGSTOP)
        try:
            detect["frozen"] = wait_lines(nodes, DOWN, down)
            time.sleep(STEP_S * 2)
            before = syncs_ok(nodes)
            # The kernel still accepts connections for a stopped Redis: that is no answer.
            assert [outages(n) for n in nodes] == [a + 1 for a in announced]
            assert [len(lines(n, BACK)) for n in nodes] == back
        finally:
            os.kill(redis.proc.pid, signal.SIGCONT)
        resume["frozen"] = wait_lines(nodes, BACK, back)
        for load in loads:
            load.fault_end()
        time.sleep(0.5)
        assert all(a > b for a, b in zip(syncs_ok(nodes), before))
        time.sleep(STEP_S)
    finally:
        for load in loads:
            load.stop()
        redis.kill()
    max_rss = max(s.stop() for s in rss)

    samples = [s for load in loads for s in load.samples]
    not_served = [s for s in samples if s.error is not None or s.status not in (200, 429)
                  or (s.status == 200 and not s.origin)]
    limited = [s for s in samples if s.status == 429]
    wrong_429 = [s for s in limited if not s.path.startswith("/api/")]
    took = [s.end - s.t for s in samples]
    slow = [s for s in samples if s.end - s.t > SLOWEST_S]

    def phase(tag):
        return [s.end - s.t for load in loads for s in load.during(tag)]

    def healthy():
        return [s.end - s.t for load in loads for s in load.healthy()]

    figures = []
    for name, values in (("healthy", healthy()), ("killed", phase("killed")),
                         ("frozen", phase("frozen"))):
        figures.append("%s: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
            name, len(values), 1000 * percentile(values, 0.5), 1000 * percentile(values, 0.99),
            1000 * max(values, default=0.0)))
    back_ms = []
    for n in nodes:
        for l in lines(n, BACK):
            m = re.search(r"back after (\d+) ms", l)
            if m:
                back_ms.append(int(m.group(1)))
    write_report(
        "redis_cluster", requests=len(samples), rampart_errors=len(not_served),
        time_to_detect_s=max(detect.values()), max_rss_mib=max_rss,
        notes="two nodes, one rate-limit rule shared through redis; SIGKILL then restart, "
        "SIGSTOP then SIGCONT: %d answered 429, 0 allowed other than 200/429; %s; "
        "detected (both nodes logged it) after %.2f s killed, %.2f s frozen; shared again "
        "%.2f s after the restart, %.2f s after the thaw (nodes' own downtime figures: %s ms); "
        "GETs retried after a keep-alive close: %d" % (
            len(limited), "; ".join(figures), detect["killed"], detect["frozen"],
            resume["killed"], resume["frozen"], "/".join(map(str, back_ms)),
            sum(l.keepalive_retries for l in loads)))

    assert all(len(l.samples) > 50 for l in loads), [len(l.samples) for l in loads]
    assert not_served == [], chaos_lib.describe(not_served)
    assert wrong_429 == [], chaos_lib.describe(wrong_429)
    assert limited, "the rate-limit rule never limited: the scenario did not exercise it"
    assert slow == [], "slowest %.3f s: %s" % (max(took), chaos_lib.describe(slow))
    assert max_rss < chaos_lib.MEMORY_CAP_MIB, max_rss
    for n in nodes:
        assert n.proc.poll() is None
    assert statistics.median(took) < SLOWEST_S
