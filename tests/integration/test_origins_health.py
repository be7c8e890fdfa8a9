"""Origin health through real demo origins: an origin killed under load, failover and
failback between pools, the all-down 503, retries and the retry budget, and outlier
ejection. Helpers in origins_util.py.
"""

import collections
import time

from helpers import SLOW, RawConn, ScriptedOrigin, scaled, wait_until
from origins_util import (Load, NO_OUTLIERS, health, pool, pool_json, send, served_by, start,
                          state, state_log_lines, wait_all_up, wait_metric, wait_state)

# --------------------------------------------------------------------------------------
# Health: failures, failover, failback
# --------------------------------------------------------------------------------------

def test_origin_killed_under_load(origin_factory, rampart_factory):
    a, b, c = (origin_factory(n) for n in "ABC")
    r = start(rampart_factory, {"web": pool([a, b, c], health_check=health(),
                                            outlier_detection=NO_OUTLIERS)},
              {"pool": "web",
               "retries": {"max_tries": 2, "retry_on": ["connect_failure", "reset",
                                                        "timeout"]}})
    wait_all_up(r, "web", [a, b, c])
    load = Load(r, threads=2, per_thread=scaled(20000, 5000), seconds=3).start()
    try:
        wait_until(lambda: len(load.snapshot()) >= 100, 3 * SLOW, what="100 requests")
        c.kill()
        t_kill = time.monotonic()
        wait_state(r, "web", c.endpoint, "down", 2.5)
        t_down = time.monotonic()
    finally:
        load.stop_when_done()
    assert t_down - t_kill < 2.5 * SLOW
    # no client saw the crash: requests in flight or sent to C were retried elsewhere
    assert not load.errors, load.errors[:5]
    statuses = collections.Counter(x[2] for x in load.results)
    assert statuses == {200: len(load.results)}, statuses
    assert any(x[0] > t_down for x in load.results), "the load stopped before C went down"

    m = r.metrics()
    assert m.value("rampart_origin_up", pool="web", endpoint=c.endpoint) == 0
    assert m.value("rampart_origin_up", pool="web", endpoint=a.endpoint) == 1
    assert m.value("rampart_origin_up", pool="web", endpoint=b.endpoint) == 1
    assert m.value("rampart_origin_retries_total", pool="web") >= 1
    assert pool_json(r, "web")["usable"] == 2
    wait_until(lambda: state_log_lines(r, c.endpoint, "down"), 2 * SLOW,
               what="a log line saying %s is down" % c.endpoint)

    # it comes back: up again, and given traffic again
    c.restart()
    wait_state(r, "web", c.endpoint, "up", 3)
    with RawConn(r.port) as conn:
        for _ in range(9):
            assert conn.request("GET", "/echo").status == 200
    assert c.requests("/echo") >= 2
    assert r.metrics().value("rampart_origin_up", pool="web", endpoint=c.endpoint) == 1

    def up_after_down():
        down = state_log_lines(r, c.endpoint, "down")
        up = state_log_lines(r, c.endpoint, "up")
        return down and up and max(up) > min(down)
    wait_until(up_after_down, 2 * SLOW, what="a log line saying %s is up again" % c.endpoint)


def test_failover_to_secondary_pool_and_failback(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory,
              {"primary": pool([a], health_check=health(), min_healthy=1,
                               outlier_detection=NO_OUTLIERS),
               "secondary": pool([b], health_check=health(), outlier_detection=NO_OUTLIERS)},
              {"pools": ["primary", "secondary"]})
    wait_all_up(r, "primary", [a])
    wait_all_up(r, "secondary", [b])

    def burst(n=5):
        return [served_by(send(r)) for _ in range(n)]
    assert burst(10) == ["A"] * 10  # the primary takes everything while healthy

    a.control(status=503)  # its health checks fail (so do its answers)
    wait_until(lambda: burst() == ["B"] * 5, 4 * SLOW, interval=0.1,
               what="traffic to fail over to the secondary pool")
    assert state(r, "primary", a.endpoint) == "down"
    assert r.metrics().value("rampart_origin_up", pool="primary", endpoint=a.endpoint) == 0
    for _ in range(5):
        resp = send(r)
        assert resp.status == 200 and served_by(resp) == "B", resp

    a.control(reset=True)
    wait_until(lambda: burst() == ["A"] * 5, 4 * SLOW, interval=0.1,
               what="traffic to fail back to the primary pool")
    assert state(r, "primary", a.endpoint) == "up"
    assert burst(10) == ["A"] * 10


def test_fallback_pool_when_no_pool_has_min_healthy(origin_factory, rampart_factory):
    a, b, c = (origin_factory(n) for n in "ABC")
    r = start(rampart_factory,
              {"primary": pool([a], health_check=health(), outlier_detection=NO_OUTLIERS),
               "secondary": pool([b], health_check=health(), outlier_detection=NO_OUTLIERS),
               "backup": pool([c])},
              {"pools": ["primary", "secondary"], "fallback": "backup"})
    wait_all_up(r, "primary", [a])
    wait_all_up(r, "secondary", [b])
    assert served_by(send(r)) == "A"
    a.control(status=503)
    b.control(status=503)
    wait_until(lambda: [served_by(send(r)) for _ in range(3)] == ["C"] * 3, 4 * SLOW,
               interval=0.1, what="traffic to go to the fallback pool")
    resp = send(r)
    assert resp.status == 200 and served_by(resp) == "C"


def test_all_endpoints_down_is_a_fast_503_with_retry_after(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, {"web": pool([a, b], health_check=health(),
                                            outlier_detection=NO_OUTLIERS)},
              {"pool": "web", "retry_after": "7s"})
    wait_all_up(r, "web", [a, b])
    assert send(r).status == 200
    a.stop()
    b.stop()
    wait_state(r, "web", a.endpoint, "down", 3)
    wait_state(r, "web", b.endpoint, "down", 3)
    assert pool_json(r, "web")["usable"] == 0
    for i in range(5):
        t0 = time.monotonic()
        resp = send(r, "/echo?down=%d" % i, timeout=3)
        elapsed = time.monotonic() - t0
        assert resp.status == 503, resp
        assert resp.get("Retry-After") == "7", resp
        assert served_by(resp) is None  # rampart's own answer
        assert elapsed < 1.0 * SLOW, elapsed


# --------------------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------------------

def test_retry_budget_caps_retries_in_a_full_outage(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    a.control(status=503)
    b.control(status=503)
    r = start(rampart_factory,
              {"web": pool([a, b], outlier_detection=NO_OUTLIERS,
                           retry_budget={"percent": "20%", "window": "10s",
                                         "min_retries": 0})},
              {"pool": "web", "retries": {"max_tries": 3, "retry_on": ["5xx"]}})
    n = 300
    with RawConn(r.port) as c:
        for i in range(n):
            resp = c.request("GET", "/echo?i=%d" % i)
            assert resp.status == 503, resp
            assert served_by(resp) in ("A", "B"), resp  # the origin's answer, passed on
    total = a.requests("/echo") + b.requests("/echo")
    # without a budget this would be 3 * n
    assert n <= total <= 1.2 * n + 5, total
    assert total - n >= 15, "the budget allows some retries; origins saw %d" % total
    wait_metric(r, "rampart_origin_retries_total", lambda v: v == total - n, pool="web")
    assert r.metrics().value("rampart_origin_retry_budget_exhausted_total", pool="web") >= 1


def test_post_with_body_is_not_retried_but_get_is(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    a.control(status=503)
    b.control(status=503)
    r = start(rampart_factory,
              {"web": pool([a, b], outlier_detection=NO_OUTLIERS,
                           retry_budget={"percent": "100%", "min_retries": 100})},
              {"pool": "web", "retries": {"max_tries": 2, "retry_on": ["5xx"]}})

    def method_count(method):
        return a.requests(method=method) + b.requests(method=method)

    rids = {}
    with RawConn(r.port) as c:
        for i in range(5):
            resp = c.request("GET", "/echo?get=%d" % i)
            assert resp.status == 503
            rids[resp.get("X-Request-Id")] = "GET"
        for i in range(5):
            resp = c.request("POST", "/echo?post=%d" % i, body=b"x" * 100)
            assert resp.status == 503
            rids[resp.get("X-Request-Id")] = "POST"
    assert method_count("GET") == 10  # each GET tried twice
    assert method_count("POST") == 5  # each POST with a body tried once
    for rid, method in rids.items():
        e = r.wait_log(lambda e: e.get("request_id") == rid)
        assert e["tries"] == (2 if method == "GET" else 1), (method, e)

    # one endpoint healthy: every GET succeeds (retried there); POSTs that hit A fail
    b.control(reset=True)
    with RawConn(r.port) as c:
        for i in range(10):
            resp = c.request("GET", "/echo?get2=%d" % i)
            assert resp.status == 200 and served_by(resp) == "B", resp
        a_posts, failed = a.requests(method="POST"), 0
        for i in range(10):
            resp = c.request("POST", "/echo?post2=%d" % i, body=b"y" * 100)
            if resp.status == 503:
                assert served_by(resp) == "A"
                failed += 1
            else:
                assert resp.status == 200 and served_by(resp) == "B", resp
    assert failed >= 1
    assert a.requests(method="POST") - a_posts == failed


# --------------------------------------------------------------------------------------
# Outlier detection
# --------------------------------------------------------------------------------------

OUTLIERS = {"enabled": True, "consecutive_failures": 3, "count_5xx": True,
            "base_ejection": "2s", "max_ejection": "30s", "max_ejected": "50%"}


def test_outlier_detection_ejects_then_readmits(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, {"web": pool([a, b], outlier_detection=OUTLIERS)},
              {"pool": "web", "retries": {"max_tries": 1}})
    a.control(status=500)
    for i in range(20):
        resp = send(r)
        assert resp.status in (200, 500), resp
        if state(r, "web", a.endpoint) == "ejected":
            break
    else:
        raise AssertionError("A not ejected after 20 requests: %r" % r.origins())
    t_ej = time.monotonic()
    assert a.requests("/echo") >= 3

    a_before = a.requests("/echo")
    while time.monotonic() - t_ej < 1.2:  # ejected: no traffic
        resp = send(r)
        assert resp.status == 200 and served_by(resp) == "B", resp
        time.sleep(0.02)
    assert a.requests("/echo") == a_before
    assert state(r, "web", a.endpoint) == "ejected"

    def readmitted():
        return served_by(send(r)) == "A"
    wait_until(readmitted, 5 * SLOW, interval=0.02, what="A to get traffic again")
    t_back = time.monotonic()
    assert t_back - t_ej >= 1.5, "ejected for %.2fs, base_ejection is 2s" % (t_back - t_ej)
    e = r.endpoint("web", a.endpoint)
    assert e["ejections"] >= 1 and e["failures"] >= 3, e
    assert r.endpoint("web", b.endpoint)["ejections"] == 0
    m = r.metrics()
    assert m.value("rampart_origin_ejections_total", pool="web", endpoint=a.endpoint) >= 1
    assert m.value("rampart_origin_ejections_total", pool="web", endpoint=b.endpoint) == 0


def test_outlier_detection_respects_max_ejected(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, {"web": pool([a, b], outlier_detection=OUTLIERS)},
              {"pool": "web", "retries": {"max_tries": 1}})
    a.control(status=500)
    b.control(status=500)
    most = 0
    for i in range(30):
        resp = send(r)
        # one endpoint always stays in: the origin's own 500, never a "no endpoint" 503
        assert resp.status == 500 and served_by(resp) in ("A", "B"), resp
        ejected = [e for e in pool_json(r, "web")["endpoints"] if e["state"] == "ejected"]
        assert len(ejected) <= 1, ejected
        most = max(most, len(ejected))
    assert most == 1, "nothing was ejected at all"


def test_origin_dying_mid_body_is_retried_before_the_client_sees_anything(
        origin_factory, rampart_factory):
    # The scripted origin sends a head and half of a small body, then closes: for a GET
    # nothing has gone to the client yet, so the request moves on to the healthy origin.
    broken = ScriptedOrigin([(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 50,
                              True)] * 10)
    good = origin_factory("B")
    try:
        r = start(rampart_factory,
                  {"web": pool([broken, good], outlier_detection=NO_OUTLIERS)},
                  {"pool": "web"})
        responses = [send(r, "/echo") for _ in range(4)]
        assert [x.status for x in responses] == [200] * 4
        assert {served_by(x) for x in responses} == {"B"}
        assert len(broken.heads) >= 1  # round robin did send some to the broken one
        tries = [e.get("tries") for e in r.access_log() if e["path"] == "/echo"]
        assert 2 in tries
    finally:
        broken.close()
