"""Rate-limit counters shared by two rampart nodes through a real redis-server (started
here on a free loopback port): the fleet admits about N per period between them, keeps
answering (2xx/429, never 5xx) on local limits while Redis is down, logs that once per
log interval, and shares again once Redis is back."""

import math
import os
import signal
import time

import helpers
from helpers import RawConn
from redis_util import needs_redis

pytestmark = needs_redis

SYNC_S = 0.1  # the nodes' sync_interval
LOG_S = 1.0   # their log_interval


def start_pair(rampart_factory, origin, redis, requests, period="60s", timeout="50ms"):
    rule = {"id": "shared", "expression": "true", "characteristics": ["ip.src"],
            "period": period, "requests_per_period": requests}
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]}, "rate_limit": {"rules": [rule]}}
    cluster = {"redis": "127.0.0.1:%d" % redis.port, "sync_interval": "%dms" % (SYNC_S * 1000),
               "log_interval": "%dms" % (LOG_S * 1000), "timeout": timeout}
    return [rampart_factory([origin], sites=[site], cluster=cluster) for _ in range(2)]


def send(node, source):
    with RawConn(node.port, source=source) as c:
        return c.request("GET", "/echo", host="main.test").status


def paced(nodes, source, count, rate):
    """`count` requests at `rate` per second, to the nodes in turn; their statuses and
    the rate actually achieved."""
    out = []
    t0 = time.monotonic()
    for i in range(count):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        out.append(send(nodes[i % len(nodes)], source))
    elapsed = max(time.monotonic() - t0, 1e-3)
    return out, count / elapsed, elapsed


def fleet_bound(n, period_s, rate, elapsed):
    # N, the refill over the run, and what arrives within two sync intervals (a node
    # learns another's request at its own sync after the other's push) plus a round
    # trip's slack each.
    return n + math.ceil(elapsed * n / period_s) + math.ceil(rate * 2 * (SYNC_S + 0.05)) + 1


def wait_synced(nodes, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(n.metrics().value("rampart_ratelimit_cluster_sync_total", result="ok") > 0
               for n in nodes):
            return
        time.sleep(0.05)
    raise AssertionError("the nodes never synced with redis")


def check_shared(nodes, source, n=30, period_s=60, rate=40.0, count=100):
    statuses, achieved, elapsed = paced(nodes, source, count, rate)
    assert set(statuses) <= {200, 429}, statuses
    admitted = statuses.count(200)
    bound = fleet_bound(n, period_s, achieved, elapsed)
    # Two independent nodes would admit 2N.
    assert n <= admitted <= bound, (admitted, bound, statuses)
    per_node = [statuses[i::2].count(200) for i in range(2)]
    assert min(per_node) > 0, per_node
    return admitted


def test_two_nodes_share_one_count(rampart_factory, origin, redis_server):
    nodes = start_pair(rampart_factory, origin, redis_server, requests=30)
    wait_synced(nodes)
    check_shared(nodes, "127.0.40.1")
    # Another client has its own fleet-wide count.
    check_shared(nodes, "127.0.40.2")
    for node in nodes:
        m = node.metrics()
        assert m.value("rampart_ratelimit_cluster_sync_total", result="ok") > 0
        assert m.value("rampart_ratelimit_cluster_sync_total", result="error") == 0


def stderr_lines(node, needle):
    text = node.stderr_path.read_text(errors="replace")
    return [l for l in text.splitlines() if needle in l]


def test_redis_down_falls_back_to_local_limits_then_resumes(rampart_factory, origin,
                                                            redis_server):
    n = 30
    nodes = start_pair(rampart_factory, origin, redis_server, requests=n)
    wait_synced(nodes)
    redis_server.kill()
    down_at = time.monotonic()
    # Local limits only: each node admits its own N for the key (plus its refill), and
    # nothing fails.
    statuses, _, elapsed = paced(nodes, "127.0.41.1", 100, 40.0)
    assert set(statuses) <= {200, 429}, statuses
    for i in range(2):
        mine = statuses[i::2]
        assert n <= mine.count(200) <= n + math.ceil(elapsed * n / 60) + 1, (i, mine)
    time.sleep(max(0.0, 3.5 - (time.monotonic() - down_at)))
    downtime = time.monotonic() - down_at
    for node in nodes:
        first = stderr_lines(node, "unavailable (")
        again = stderr_lines(node, "still unavailable")
        assert len(first) - len(again) == 1, first
        # At most one line per log interval, not per request or per sync attempt; the
        # retries back off to every 2 s, so a line comes at least about that often.
        assert len(again) <= math.ceil(downtime / LOG_S), again
        assert len(again) >= math.floor(downtime / 2.5) - 1, again
        assert node.metrics().value("rampart_ratelimit_cluster_sync_total", result="error") > 0
    # Redis returns (empty): the nodes reconnect on their own and share again.
    redis_server.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if all(stderr_lines(node, "shared again") for node in nodes):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the nodes did not reconnect: %s" % [n.logs() for n in nodes])
    check_shared(nodes, "127.0.41.2", n=n)


def test_a_stalled_redis_never_delays_requests(rampart_factory, origin, redis_server):
    # A long Redis timeout: if a request ever waited on Redis it would take seconds.
    n = 30
    nodes = start_pair(rampart_factory, origin, redis_server, requests=n, timeout="1500ms")
    wait_synced(nodes)
    os.kill(redis_server.proc.pid, signal.SIGSTOP)  # accepts nothing, answers nothing
    try:
        slowest = 0.0
        statuses = []
        stalled_at = time.monotonic()
        i = 0
        # Longer than the timeout, so the sync gives up and says so.
        while (time.monotonic() - stalled_at < 3.0 or i < 80) and i < 400:
            t0 = time.monotonic()
            statuses.append(send(nodes[i % 2], "127.0.42.1"))
            slowest = max(slowest, time.monotonic() - t0)
            i += 1
            time.sleep(0.02)
        assert set(statuses) <= {200, 429}, statuses
        assert slowest < 0.5 * helpers.SLOW, slowest
        # Both nodes still limit the key (on their own counts at worst).
        for i in range(2):
            assert 429 in statuses[i::2], statuses
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if all(n.metrics().value("rampart_ratelimit_cluster_sync_total", result="error") > 0
               for n in nodes) and all(stderr_lines(node, "shared again") for node in nodes):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("no timeout reported or no recovery: %s" % [n.logs() for n in nodes])


def test_a_frozen_redis_is_not_reported_back_until_it_answers(rampart_factory, origin,
                                                              redis_server):
    # The kernel of a stopped redis-server still accepts TCP connections: a node that
    # took a connect for an answer would log "shared again" (and "unavailable" anew)
    # every few syncs while Redis answers nothing.
    nodes = start_pair(rampart_factory, origin, redis_server, requests=30)
    wait_synced(nodes)
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        statuses, _, _ = paced(nodes, "127.0.43.1", 60, 20.0)  # ~3 s of traffic to push
        assert set(statuses) <= {200, 429}, statuses
        for node in nodes:
            first = stderr_lines(node, "unavailable (")
            again = stderr_lines(node, "still unavailable")
            assert len(first) - len(again) == 1, first
            assert stderr_lines(node, "shared again") == [], node.logs()
            assert node.metrics().value("rampart_ratelimit_cluster_sync_total",
                                        result="error") > 0
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    while not all(stderr_lines(node, "shared again") for node in nodes):
        assert time.monotonic() < deadline, [n.logs() for n in nodes]
        time.sleep(0.1)


def retry_after(resp):
    value = resp.get("retry-after")
    return int(value) if value is not None else None


def blocking_nodes(rampart_factory, origin, redis_server):
    """Two nodes sharing a rule that allows a burst of 5 per client (one request every 200 ms
    on average), then blocks the client for 30 s of mitigation timeout."""
    rule = {"id": "blocking", "expression": "true", "characteristics": ["ip.src"],
            "period": "1s", "requests_per_period": 5, "mitigation_timeout": "30s"}
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]}, "rate_limit": {"rules": [rule]}}
    cluster = {"redis": "127.0.0.1:%d" % redis_server.port,
               "sync_interval": "%dms" % (SYNC_S * 1000), "log_interval": "1s"}
    return [rampart_factory([origin], sites=[site], cluster=cluster) for _ in range(2)]


def test_a_block_started_on_one_node_holds_on_the_other(rampart_factory, origin, redis_server):
    a, b = blocking_nodes(rampart_factory, origin, redis_server)
    wait_synced([a, b])
    attacker = "127.0.43.1"
    statuses = [send(a, attacker) for _ in range(6)]
    assert statuses == [200] * 5 + [429], statuses
    blocked_at = time.monotonic()
    # Node B has never seen this client: on its own it would admit it (its table is
    # fresh, and the fleet's count is only fetched for keys a node has seen). The block
    # reaches it through Redis within two sync intervals (A's push, B's pull), plus
    # round trips.
    time.sleep(2 * SYNC_S + 0.15)
    with RawConn(b.port, source=attacker) as c:
        resp = c.request("GET", "/echo", host="main.test")
    assert resp.status == 429, resp
    waited = time.monotonic() - blocked_at
    # The block's own end, not a throttle of the excess (which would be under 1 s).
    assert 30 - waited - 2 <= retry_after(resp) <= 30, resp
    # Only that client: another one passes on B.
    assert send(b, "127.0.43.2") == 200
    # B keeps refusing it, without prolonging the block.
    for _ in range(3):
        with RawConn(b.port, source=attacker) as c:
            resp = c.request("GET", "/echo", host="main.test")
        assert resp.status == 429 and retry_after(resp) <= 30, resp


def test_a_block_started_while_redis_is_down_reaches_the_other_node(rampart_factory, origin,
                                                                   redis_server):
    a, b = blocking_nodes(rampart_factory, origin, redis_server)
    wait_synced([a, b])
    redis_server.kill()
    deadline = time.monotonic() + 10
    while not all(stderr_lines(node, "unavailable (") for node in (a, b)):
        assert time.monotonic() < deadline, [n.logs() for n in (a, b)]
        time.sleep(0.05)
    attacker = "127.0.44.1"
    statuses = [send(a, attacker) for _ in range(6)]
    assert statuses == [200] * 5 + [429], statuses
    blocked_at = time.monotonic()
    # Without Redis, B knows nothing of it.
    time.sleep(2 * SYNC_S + 0.15)
    assert send(b, attacker) == 200
    redis_server.start()  # empty: the block exists only on A
    deadline = time.monotonic() + 10
    while not all(stderr_lines(node, "shared again") for node in (a, b)):
        assert time.monotonic() < deadline, [n.logs() for n in (a, b)]
        time.sleep(0.05)
    # A pushed the block with its first sync back; B fetches it with its next one.
    time.sleep(2 * SYNC_S + 0.15)
    with RawConn(b.port, source=attacker) as c:
        resp = c.request("GET", "/echo", host="main.test")
    assert resp.status == 429, resp
    waited = time.monotonic() - blocked_at
    # A's block with what is left of it, not B's own throttle (under a second here).
    assert 30 - waited - 2 <= retry_after(resp) <= 30, (resp, waited)
    assert send(b, "127.0.44.2") == 200
