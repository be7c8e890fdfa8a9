"""Load balancing through real demo origins: the pools schema, /origins, steering
(round robin, weights, busy-aware, latency, hash, affinity), the admin API's drain /
disable / enable, the route action, connection limits and hedging. Health, failover, retries and outlier detection are in
test_origins_health.py; shared helpers in origins_util.py.

The origins' behaviour is changed at run time through their /__control endpoint
(Origin.control: delay_ms, status, drop) and what each one received is counted through
/__stats (Origin.requests). Responses name the origin that made them in X-Origin-Name.
"""

import collections
import json
import re
import threading
import time

import pytest

from helpers import (SLOW, RawConn, base_config, dump_yaml, free_port, run_cli, scaled,
                     wait_until)
from origins_util import (HASH_KEY, Load, NO_OUTLIERS, admin, health, pool, pool_json, send,
                          served_by, set_cookie_value, start, wait_all_up)

# --------------------------------------------------------------------------------------
# Config: the documented schema is accepted; mistakes are reported
# --------------------------------------------------------------------------------------

FULL_SCHEMA = {
    "pools": {
        "web": {
            "steering": "hash",
            "hash_key": HASH_KEY,
            "affinity": {"cookie": "rampart_affinity", "ttl": "1h"},
            "min_healthy": 1,
            "endpoints": ["127.0.0.1:8081",
                          {"address": "127.0.0.1:8082", "weight": 3, "enabled": True}],
            "health_check": {"type": "http", "method": "GET", "path": "/health",
                             "expected_codes": "2xx", "expected_body": "ok",
                             "interval": "500ms", "timeout": "300ms",
                             "healthy_threshold": 2, "unhealthy_threshold": 2,
                             "jitter": "10%"},
            "outlier_detection": {"enabled": True, "consecutive_failures": 3,
                                  "count_5xx": True, "base_ejection": "2s",
                                  "max_ejection": "30s", "max_ejected": "50%"},
            "max_connections": 0,
            "max_pending": 0,
            "pending_timeout": "1s",
            "retry_budget": {"percent": "20%", "window": "10s", "min_retries": 3},
        },
        "primary": {"steering": "least_outstanding", "endpoints": ["127.0.0.1:8083"],
                    "health_check": {"type": "tcp", "interval": "1s", "timeout": "500ms"}},
        "secondary": {"steering": "p2c", "endpoints": ["127.0.0.1:8084"]},
        "backup": {"steering": "latency", "endpoints": ["127.0.0.1:8085"]},
        "api": {"steering": "random", "endpoints": ["127.0.0.1:8086"]},
    },
}


def schema_config(tmp_path, **over):
    cfg = base_config(free_port(), free_port(), ["127.0.0.1:1"], tmp_path / "a.log")
    cfg.update(FULL_SCHEMA)
    cfg["sites"] = [{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"pools": ["primary", "secondary"], "fallback": "backup",
                   "retries": {"max_tries": 2, "per_try_timeout": 0,
                               "retry_on": ["connect_failure", "reset", "timeout", "5xx",
                                            "gateway_error"],
                               "hedge_after": 0},
                   "retry_after": "5s"},
        "firewall": {"rules": [{
            "id": "r", "expression": 'starts_with(http.request.uri.path, "/api/")',
            "action": "route", "action_parameters": {"pool": "api"}}]},
    }, {
        "name": "other", "hosts": ["other.test"], "origin": {"pool": "web"},
    }, {
        "name": "legacy", "hosts": ["legacy.test"],
        "origin": {"endpoints": ["127.0.0.1:8087", "127.0.0.1:8088"]},
    }]
    cfg.update(over)
    return cfg


def validate(tmp_path, cfg, name="c.yaml"):
    path = tmp_path / name
    path.write_text(dump_yaml(cfg))
    return path, run_cli("validate", path)


def test_documented_pool_schema_validates(tmp_path):
    path, p = validate(tmp_path, schema_config(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "error" not in p.stderr


@pytest.mark.parametrize("mistake,needle", [
    ("hash_without_key", "hash_key"),
    ("unknown_steering", "fastest"),
    ("unknown_site_pool", "nosuchpool"),
    ("unknown_route_pool", "nosuchroute"),
    ("unknown_fallback", "nosuchfallback"),
])
def test_pool_config_mistakes_are_reported(tmp_path, mistake, needle):
    cfg = schema_config(tmp_path)
    if mistake == "hash_without_key":
        del cfg["pools"]["web"]["hash_key"]
    elif mistake == "unknown_steering":
        cfg["pools"]["api"]["steering"] = "fastest"
    elif mistake == "unknown_site_pool":
        cfg["sites"][1]["origin"] = {"pool": "nosuchpool"}
    elif mistake == "unknown_route_pool":
        cfg["sites"][0]["firewall"]["rules"][0]["action_parameters"] = {"pool": "nosuchroute"}
    elif mistake == "unknown_fallback":
        cfg["sites"][0]["origin"]["fallback"] = "nosuchfallback"
    path, p = validate(tmp_path, cfg)
    assert p.returncode == 1, (p.stdout, p.stderr)
    errors = [l for l in p.stderr.splitlines()
              if l.startswith(str(path) + ":") and " error: " in l]
    assert errors, p.stderr
    assert any(needle in l for l in errors), errors  # the offending key or name


# --------------------------------------------------------------------------------------
# /origins, metrics, access log
# --------------------------------------------------------------------------------------

def test_origins_lists_pools_endpoints_and_counts(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, {"web": pool([a, b], weights=[1, 3])}, {"pool": "web"})
    with RawConn(r.port) as c:
        names = [served_by(c.request("GET", "/echo")) for _ in range(8)]
    assert collections.Counter(names) == {"A": 2, "B": 6}, names
    j = r.origins()
    pools = {p["name"]: p for p in j["pools"]}
    assert "web" in pools, j
    web = pools["web"]
    assert web["steering"] == "round_robin"
    assert web["usable"] == 2
    eps = {e["name"]: e for e in web["endpoints"]}
    assert set(eps) == {a.endpoint, b.endpoint}
    assert eps[a.endpoint]["weight"] == 1 and eps[b.endpoint]["weight"] == 3
    for e in eps.values():
        assert e["state"] == "up" and e["admin"] == "enabled", e
        assert e["failures"] == 0 and e["ejections"] == 0, e
        assert isinstance(e["ewma_ttfb_ms"], (int, float)) and e["ewma_ttfb_ms"] >= 0, e

    def counted():
        eps = {e["name"]: e for e in pool_json(r, "web")["endpoints"]}
        return eps[a.endpoint]["requests"] == 2 and eps[b.endpoint]["requests"] == 6 \
            and all(e["in_flight"] == 0 for e in eps.values())
    wait_until(counted, 3 * SLOW, what="/origins request counts 2 and 6")
    m = r.metrics()
    assert m.value("rampart_origin_requests_total", pool="web", endpoint=a.endpoint) == 2
    assert m.value("rampart_origin_requests_total", pool="web", endpoint=b.endpoint) == 6
    assert m.value("rampart_origin_up", pool="web", endpoint=a.endpoint) == 1
    assert m.value("rampart_origin_up", pool="web", endpoint=b.endpoint) == 1
    assert m.has("rampart_upstream_connection_reuse_ratio")
    ratio = m.value("rampart_upstream_connection_reuse_ratio")
    assert 0.0 <= ratio <= 1.0


def test_endpoints_shorthand_is_an_implicit_pool(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = rampart_factory([a, b])
    with RawConn(r.port) as c:
        names = [served_by(c.request("GET", "/echo")) for _ in range(10)]
    assert set(names) == {"A", "B"}, names  # both endpoints are used
    pools = {p["name"]: p for p in r.origins()["pools"]}
    assert "site:main" in pools, pools
    eps = {e["name"]: e for e in pools["site:main"]["endpoints"]}
    assert set(eps) == {a.endpoint, b.endpoint}
    assert all(e["state"] == "up" for e in eps.values()), eps


def test_access_log_names_pool_upstream_and_tries(origin_factory, rampart_factory):
    a = origin_factory("A")
    r = start(rampart_factory, {"web": pool([a])}, {"pool": "web"})
    resp = send(r, "/echo?logged")
    assert resp.status == 200 and served_by(resp) == "A"
    e = r.wait_log(lambda e: e.get("request_id") == resp.get("X-Request-Id"))
    assert e["upstream"] == a.endpoint
    assert e["pool"] == "web"
    assert e["tries"] == 1


# --------------------------------------------------------------------------------------
# Steering
# --------------------------------------------------------------------------------------

def test_round_robin_splits_evenly(origin_factory, rampart_factory):
    os_ = [origin_factory(n) for n in "ABC"]
    r = start(rampart_factory, {"web": pool(os_)}, {"pool": "web"})
    n = 300
    conns = [RawConn(r.port) for _ in range(4)]  # spread over the workers
    try:
        for i in range(n):
            resp = conns[i % 4].request("GET", "/echo?i=%d" % i)
            assert resp.status == 200, resp
    finally:
        for c in conns:
            c.close()
    counts = {o.name: o.requests("/echo") for o in os_}
    assert sum(counts.values()) == n, counts
    for name, k in counts.items():
        assert abs(k - n / 3) <= 0.1 * n / 3, counts


def test_round_robin_follows_weights(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, {"web": pool([a, b], weights=[1, 3])}, {"pool": "web"})
    n = 400
    conns = [RawConn(r.port) for _ in range(4)]
    try:
        for i in range(n):
            assert conns[i % 4].request("GET", "/echo").status == 200
    finally:
        for c in conns:
            c.close()
    ka, kb = a.requests("/echo"), b.requests("/echo")
    assert ka + kb == n
    assert 0.9 * n / 4 <= ka <= 1.1 * n / 4, (ka, kb)
    assert 0.9 * 3 * n / 4 <= kb <= 1.1 * 3 * n / 4, (ka, kb)


@pytest.mark.parametrize("steering", ["least_outstanding", "p2c"])
def test_busy_aware_steering_avoids_a_slow_origin(origin_factory, rampart_factory, steering):
    a, b, c = (origin_factory(n) for n in "ABC")
    r = start(rampart_factory, {"web": pool([a, b, c], steering,
                                            outlier_detection=NO_OUTLIERS)},
              {"pool": "web"})
    a.control(delay_ms=300)
    # Round robin would still give A a third of the requests; steering by in-flight
    # requests sends A new ones only while it is not busier than the others.
    load = Load(r, threads=8, per_thread=scaled(150, 40), seconds=3).run()
    assert not load.errors, load.errors[:3]
    assert all(s == 200 for _, _, s, _ in load.results)
    slow = a.requests("/echo")
    fast = [b.requests("/echo"), c.requests("/echo")]
    assert slow + sum(fast) == len(load.results)
    assert slow * 3 < min(fast), (slow, fast)
    assert slow < 0.15 * len(load.results), (slow, fast)


def test_latency_steering_follows_the_fastest_origin(origin_factory, rampart_factory):
    a, b, c = (origin_factory(n) for n in "ABC")
    r = start(rampart_factory, {"web": pool([a, b, c], "latency",
                                            outlier_detection=NO_OUTLIERS)},
              {"pool": "web"})
    b.control(delay_ms=30)
    c.control(delay_ms=30)
    load = Load(r, threads=4, per_thread=scaled(100000, 20000), seconds=16).start()

    def share_of_a(since, low=None, high=None):
        """A's share of the requests sent after `since` and answered in the last second,
        when it is >= low (or < high), else None."""
        def check():
            now = time.monotonic()
            window = [x for x in load.snapshot() if x[0] > since and x[1] >= now - 1.0]
            if len(window) < 30:
                return None
            s = sum(1 for x in window if x[3] == "A") / len(window)
            if (low is not None and s >= low) or (high is not None and s < high):
                return s
            return None
        return check
    try:
        # A is the fastest: it gets most of the traffic
        wait_until(share_of_a(time.monotonic(), low=0.6), 5 * SLOW, interval=0.1,
                   what="A (fastest) to get over 60% of the last second's requests")
        # now A is the slow one: its share of new requests drops well below a third
        a.control(delay_ms=200)
        b.control(reset=True)
        c.control(reset=True)
        wait_until(share_of_a(time.monotonic(), high=0.15), 6 * SLOW, interval=0.1,
                   what="A's share of the last second's requests to drop below 15%")
    finally:
        load.stop()
    assert not load.errors, load.errors[:3]
    assert all(x[2] == 200 for x in load.results)
    assert {x[3] for x in load.results} == {"A", "B", "C"}


def test_hash_steering_is_stable_and_moves_only_the_disabled_endpoints_keys(
        origin_factory, rampart_factory):
    os_ = [origin_factory(n) for n in "ABCD"]
    by_name = {o.name: o for o in os_}
    r = start(rampart_factory, {"web": pool(os_, "hash", hash_key=HASH_KEY,
                                            outlier_detection=NO_OUTLIERS)},
              {"pool": "web"})
    keys = ["user-%d" % i for i in range(200)]

    def mapping():
        out = {}
        with RawConn(r.port) as c:
            for k in keys:
                resp = c.request("GET", "/echo", headers=[("X-User", k)])
                assert resp.status == 200, resp
                out[k] = served_by(resp)
        return out

    m1 = mapping()
    assert mapping() == m1  # same key, same origin
    for k in keys[:20]:  # also on fresh connections (whichever worker takes them)
        assert served_by(send(r, headers=[("X-User", k)])) == m1[k]
    spread = collections.Counter(m1.values())
    assert set(spread) == set("ABCD") and min(spread.values()) >= 20, spread

    d = by_name["D"]
    on_d = [k for k in keys if m1[k] == "D"]
    s, body = admin(r, "web", d.endpoint, "disable")
    assert s == 200, body
    wait_until(lambda: served_by(send(r, headers=[("X-User", on_d[0])])) != "D", 3 * SLOW,
               what="a key of the disabled endpoint to move")
    m2 = mapping()
    moved = [k for k in keys if m2[k] != m1[k]]
    assert sorted(moved) == sorted(on_d), \
        "keys of other endpoints moved: %r" % [(k, m1[k], m2[k]) for k in moved if m1[k] != "D"]
    assert "D" not in m2.values()
    assert mapping() == m2  # stable again

    s, body = admin(r, "web", d.endpoint, "enable")
    assert s == 200, body
    wait_until(lambda: served_by(send(r, headers=[("X-User", on_d[0])])) == "D", 3 * SLOW,
               what="keys to come back to the re-enabled endpoint")
    assert mapping() == m1


def test_affinity_cookie_pins_a_client_and_falls_back(origin_factory, rampart_factory):
    os_ = [origin_factory(n) for n in "ABC"]
    by_name = {o.name: o for o in os_}
    r = start(rampart_factory, {"web": pool(os_, affinity={"cookie": "rampart_affinity",
                                                           "ttl": "1h"},
                                            outlier_detection=NO_OUTLIERS)},
              {"pool": "web"})
    first = send(r)
    assert first.status == 200
    value, header = set_cookie_value(first, "rampart_affinity")
    assert value, "no rampart_affinity cookie set: %r" % first.get_all("Set-Cookie")
    assert re.search(r"(?i)max-age=3600|expires=", header), header  # ttl: 1h
    pinned = served_by(first)

    # without the cookie, round robin spreads the requests
    assert len({served_by(send(r)) for _ in range(9)}) >= 2
    # with it, every request reaches the same origin, whatever other cookies come along
    for i in range(12):
        cookie = "rampart_affinity=%s" % value if i % 2 else \
            "a=1; rampart_affinity=%s; b=2" % value
        resp = send(r, headers=[("Cookie", cookie)])
        assert resp.status == 200 and served_by(resp) == pinned, (i, resp)

    s, body = admin(r, "web", by_name[pinned].endpoint, "disable")
    assert s == 200, body
    wait_until(lambda: served_by(send(r, headers=[("Cookie", "rampart_affinity=" + value)]))
               != pinned, 3 * SLOW, what="the pinned client to fall back")
    for _ in range(6):
        resp = send(r, headers=[("Cookie", "rampart_affinity=" + value)])
        assert resp.status == 200 and served_by(resp) in set("ABC") - {pinned}, resp
    new_value, _ = set_cookie_value(resp, "rampart_affinity")
    if new_value and new_value != value:  # re-pinned: the new cookie sticks too
        names = {served_by(send(r, headers=[("Cookie", "rampart_affinity=" + new_value)]))
                 for _ in range(6)}
        assert len(names) == 1 and pinned not in names, names


# --------------------------------------------------------------------------------------
# Admin operations, route action
# --------------------------------------------------------------------------------------

def test_admin_drain_disable_enable(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, {"web": pool([a, b], outlier_detection=NO_OUTLIERS)},
              {"pool": "web"})
    # authentication as for the other admin mutations
    assert admin(r, "web", a.endpoint, "drain", token=None)[0] == 401
    assert admin(r, "web", a.endpoint, "drain", token="not-the-right-token-at-all")[0] == 403
    assert r.endpoint("web", a.endpoint)["admin"] == "enabled"
    assert admin(r, "web", "127.0.0.1:1", "drain")[0] == 404
    assert admin(r, "nosuchpool", a.endpoint, "drain")[0] == 404
    s, _, _ = r.admin_get("/origins/web/%s/drain" % a.endpoint)
    assert s in (404, 405)  # a GET changes nothing

    # drain while A has requests in flight: they complete, no new ones reach A
    a.control(delay_ms=800)
    results = []

    def one():
        try:
            resp = send(r)
            results.append((resp.status, served_by(resp)))
        except Exception as e:  # noqa: BLE001
            results.append((None, repr(e)))
    ts = [threading.Thread(target=one) for _ in range(4)]
    for t in ts:
        t.start()
    wait_until(lambda: a.requests("/echo") >= 1, 3 * SLOW, what="a request in flight at A")
    s, body = admin(r, "web", a.endpoint, "drain")
    assert s == 200, body
    j = json.loads(body)
    assert j["name"] == a.endpoint and j["admin"] == "draining", j
    for t in ts:
        t.join(10 * SLOW)
    assert len(results) == 4 and all(st == 200 for st, _ in results), results
    assert ("A" in [n for _, n in results])
    a.control(reset=True)
    before = a.requests("/echo")
    for _ in range(10):
        resp = send(r)
        assert resp.status == 200 and served_by(resp) == "B", resp
    assert a.requests("/echo") == before
    assert r.endpoint("web", a.endpoint)["admin"] == "draining"

    s, body = admin(r, "web", a.endpoint, "enable")
    assert s == 200 and json.loads(body)["admin"] == "enabled", body
    assert {served_by(send(r)) for _ in range(6)} == {"A", "B"}

    s, body = admin(r, "web", b.endpoint, "disable")
    assert s == 200 and json.loads(body)["admin"] == "disabled", body
    assert [served_by(send(r)) for _ in range(8)] == ["A"] * 8
    assert r.endpoint("web", b.endpoint)["admin"] == "disabled"
    s, body = admin(r, "web", b.endpoint, "enable")
    assert s == 200, body
    assert {served_by(send(r)) for _ in range(6)} == {"A", "B"}


def test_route_action_sends_matching_requests_to_another_pool(origin_factory,
                                                              rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    rules = [{"id": "r", "expression": 'starts_with(http.request.uri.path, "/api/")',
              "action": "route", "action_parameters": {"pool": "api"}}]
    r = start(rampart_factory, {"api": pool([a]), "web": pool([b])}, {"pool": "web"},
              rules=rules)
    got = {}
    for path in ("/api/echo", "/api/x?y=1", "/echo", "/apix", "/", "/echo?p=/api/"):
        resp = send(r, path)
        got[path] = served_by(resp)
    assert got == {"/api/echo": "A", "/api/x?y=1": "A", "/echo": "B", "/apix": "B", "/": "B",
                   "/echo?p=/api/": "B"}, got
    resp = send(r, "/api/logged")
    e = r.wait_log(lambda e: e.get("request_id") == resp.get("X-Request-Id"))
    assert e["pool"] == "api" and e["upstream"] == a.endpoint, e
    resp = send(r, "/echo?logged")
    e = r.wait_log(lambda e: e.get("request_id") == resp.get("X-Request-Id"))
    assert e["pool"] == "web" and e["upstream"] == b.endpoint, e


def test_route_action_with_failover_pools(origin_factory, rampart_factory):
    a, b, c = (origin_factory(n) for n in "ABC")
    rules = [{"id": "r", "expression": 'starts_with(http.request.uri.path, "/api/")',
              "action": "route",
              "action_parameters": {"pools": ["api1", "api2"], "fallback": "web"}}]
    r = start(rampart_factory, {"api1": pool([a], health_check=health(),
                                             outlier_detection=NO_OUTLIERS),
                                "api2": pool([b], health_check=health(),
                                             outlier_detection=NO_OUTLIERS),
                                "web": pool([c])},
              {"pool": "web"}, rules=rules)
    wait_all_up(r, "api1", [a])
    assert served_by(send(r, "/api/x")) == "A"
    assert served_by(send(r, "/echo")) == "C"
    a.control(status=503)
    wait_until(lambda: served_by(send(r, "/api/x")) == "B", 4 * SLOW, interval=0.1,
               what="/api/ to fail over to api2")
    b.control(status=503)
    wait_until(lambda: served_by(send(r, "/api/x")) == "C", 4 * SLOW, interval=0.1,
               what="/api/ to use the fallback pool")


def one_slot_origin(origin_factory, rampart_factory, delay_ms, **pool_extra):
    """rampart in front of one slow origin with max_connections 1; returns (origin,
    rampart) once a first request holds that one connection (it runs in a thread)."""
    a = origin_factory("A")
    a.control(delay_ms=delay_ms)
    r = start(rampart_factory,
              {"web": pool([a], outlier_detection=NO_OUTLIERS, max_connections=1,
                           **pool_extra)},
              {"pool": "web"})
    return a, r


def wait_one_in_flight(r):
    wait_until(lambda: pool_json(r, "web")["endpoints"][0]["in_flight"] == 1, 3 * SLOW,
               what="the first request in flight")


def test_max_connections_queues_within_max_pending_then_sheds(origin_factory, rampart_factory):
    # One endpoint, one request at a time, one waiting: a third concurrent request is
    # shed at once with 503 instead of piling up; the queued one is served after the first.
    a, r = one_slot_origin(origin_factory, rampart_factory, 600, max_pending=1,
                           pending_timeout="3s")
    results = {}

    def fire(name):
        t0 = time.monotonic()
        resp = send(r, "/echo", timeout=10)
        results[name] = (resp.status, time.monotonic() - t0, served_by(resp))

    first = threading.Thread(target=fire, args=("first",))
    first.start()
    wait_one_in_flight(r)
    second = threading.Thread(target=fire, args=("second",))
    second.start()
    time.sleep(0.15)  # the second is now waiting for the endpoint's one connection
    fire("third")
    first.join(10)
    second.join(10)
    assert results["third"][0] == 503, results
    assert results["third"][1] < 0.5 * SLOW, results  # shed at once, not queued
    assert results["first"][0] == 200 and results["second"][0] == 200, results
    # the second waited for the first to finish before it could start
    assert results["second"][1] >= 0.9, results
    assert a.requests("/echo") == 2
    assert r.metrics().value("rampart_origin_shed_total", pool="web") == 1
    assert pool_json(r, "web")["shed"] == 1


def test_pending_request_gives_up_after_pending_timeout(origin_factory, rampart_factory):
    _, r = one_slot_origin(origin_factory, rampart_factory, 1500, max_pending=5,
                           pending_timeout="300ms")
    first = threading.Thread(target=lambda: send(r, "/echo", timeout=10))
    first.start()
    wait_one_in_flight(r)
    t0 = time.monotonic()
    resp = send(r, "/echo", timeout=10)
    waited = time.monotonic() - t0
    first.join(10)
    assert resp.status == 503
    assert resp.get("Retry-After") is not None
    assert 0.25 <= waited < 1.2 * SLOW, waited


def test_hedging_answers_a_slow_get_from_a_second_endpoint(origin_factory, rampart_factory):
    slow, fast = origin_factory("A"), origin_factory("B")
    slow.control(delay_ms=2000)
    r = start(rampart_factory,
              {"web": pool([slow, fast], outlier_detection=NO_OUTLIERS)},
              {"pool": "web", "retries": {"max_tries": 2, "hedge_after": "100ms"}})
    timings = []
    for _ in range(6):
        t0 = time.monotonic()
        resp = send(r, "/echo", timeout=10)
        timings.append(time.monotonic() - t0)
        assert resp.status == 200
        assert served_by(resp) == "B"
    # round robin sends every other request to A first: those are hedged to B after
    # 100 ms instead of waiting 2 s
    assert max(timings) < 1.0 * SLOW, timings
    assert r.metrics().value("rampart_upstream_hedges_total") >= 2
    # a POST is never hedged: it waits for the slow origin
    t0 = time.monotonic()
    statuses = [send(r, "/echo", method="POST", body=b"x", timeout=10).status for _ in range(2)]
    assert statuses == [200, 200]
    assert time.monotonic() - t0 >= 1.9
