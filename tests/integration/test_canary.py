"""Staged activation: a reloaded config first serves a share of connections, and is
promoted when it does no worse than the running one or rolled back by itself when it
does, with the reason in GET /config; an operator can force, promote or roll back."""

import copy
import json
import time

from deploy_util import config_state, one_request, reload_staged, variant
from helpers import SLOW, free_port, wait_until


def deployment(**over):
    d = {"canary_percent": 30, "window": "3s", "max_error_rate_increase": "2%",
         "min_requests": 20}
    d.update(over)
    return d


def start(rampart_factory, origin, **dep):
    r = rampart_factory([origin], deployment=deployment(**dep), sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]},
        "response_headers": [{"set": {"name": "X-Cfg", "value": "one"}}],
    }])
    return r


def traffic(r, seconds, until=None):
    """Fresh-connection requests for up to `seconds` (or until `until()`); counts by
    (status, X-Cfg)."""
    seen = {}
    deadline = time.monotonic() + seconds
    for _ in range(100_000):
        if time.monotonic() > deadline or (until is not None and until()):
            break
        key = one_request(r)
        seen[key] = seen.get(key, 0) + 1
    return seen


def test_good_config_serves_its_share_then_is_promoted(rampart_factory, origin):
    r = start(rampart_factory, origin)
    assert config_state(r)["state"] == "stable"
    reload_staged(r, variant(r, "test-2"))
    st = config_state(r)
    assert (st["current_version"], st["candidate_version"], st["state"], st["canary_percent"]) \
        == ("test-1", "test-2", "canary", 30)
    seen = traffic(r, 2.0 * SLOW, until=lambda: config_state(r)["state"] != "canary")
    on_two = seen.get((200, "two"), 0)
    on_one = seen.get((200, "one"), 0)
    total = sum(seen.values())
    assert on_one + on_two == total, seen  # nothing failed
    # About 30% of connections on the candidate while it was on trial.
    assert total >= 40 and 0.1 * total < on_two < 0.55 * total, seen
    wait_until(lambda: config_state(r)["state"] == "stable", 10 * SLOW, what="promotion")
    st = config_state(r)
    assert st["current_version"] == "test-2" and st["candidate_version"] is None, st
    assert st["last_decision"]["action"] == "promote", st
    assert "window of 3 s passed" in st["last_decision"]["reason"], st
    assert traffic(r, 0.5).keys() == {(200, "two")}
    assert r.status()["config_version"] == "test-2"


def test_canary_that_answers_5xx_is_rolled_back_by_itself(rampart_factory, origin):
    r = start(rampart_factory, origin, window="60s")
    broken = variant(r, "test-bad", rules=[{
        "id": "oops", "expression": 'http.request.uri.path ne "/never"', "action": "block",
        "action_parameters": {"status_code": 503}}])
    reload_staged(r, broken)
    started = time.monotonic()
    seen = traffic(r, 20 * SLOW, until=lambda: config_state(r)["state"] == "stable")
    detected = time.monotonic() - started
    st = config_state(r)
    assert st["state"] == "stable" and st["current_version"] == "test-1", st
    decision = st["last_decision"]
    assert decision["action"] == "rollback" and decision["version"] == "test-bad", st
    assert "error rate" in decision["reason"] and "rampart 5xx" in decision["reason"], st
    assert detected < 60, "rolled back long before the 60 s window ended"
    # During the trial only the candidate's share failed; the running config served the rest.
    failed = sum(n for (status, _), n in seen.items() if status >= 500)
    assert set(seen) <= {(200, "one"), (503, None)}, seen
    assert failed < 0.6 * sum(seen.values()), seen
    # Afterwards the old version serves everything.
    after = traffic(r, 0.5)
    assert after.keys() == {(200, "one")}, after
    assert "rollback" in r.logs() and "test-bad" in r.logs()


def test_canary_routed_to_a_dead_pool_is_rolled_back(rampart_factory, origin):
    r = start(rampart_factory, origin, window="60s")
    dead = "127.0.0.1:%d" % free_port()  # nothing listens there
    reload_staged(r, variant(r, "test-dead", endpoints=[dead]))
    traffic(r, 20 * SLOW, until=lambda: config_state(r)["state"] == "stable")
    st = config_state(r)
    assert st["current_version"] == "test-1", st
    assert st["last_decision"]["action"] == "rollback", st
    assert traffic(r, 0.5).keys() == {(200, "one")}


def test_operator_promotes_and_rolls_back(rampart_factory, origin):
    r = start(rampart_factory, origin, window="600s")
    s, _, body = r.admin_post("/config/promote")
    assert s == 409 and b"no config is on trial" in body, (s, body)
    reload_staged(r, variant(r, "test-2"))
    s, _, _ = r.admin_post("/config/promote", token=None)
    assert s == 401
    s, _, _ = r.admin_post("/config/rollback", token="x" * 32)
    assert s == 403
    assert config_state(r)["state"] == "canary"
    s, _, body = r.admin_post("/config/rollback")
    assert s == 200 and json.loads(body)["config_version"] == "test-2", body
    st = config_state(r)
    assert (st["state"], st["current_version"]) == ("stable", "test-1"), st
    assert st["last_decision"]["reason"] == "rolled back by an operator"
    assert traffic(r, 0.3).keys() == {(200, "one")}

    reload_staged(r, variant(r, "test-3", value="three"))
    s, _, body = r.admin_post("/config/promote")
    assert s == 200, body
    st = config_state(r)
    assert (st["state"], st["current_version"]) == ("stable", "test-3"), st
    assert st["last_decision"]["action"] == "promote"
    assert traffic(r, 0.3).keys() == {(200, "three")}


def test_forced_reload_skips_the_canary(rampart_factory, origin):
    r = start(rampart_factory, origin, window="600s")
    r.write_config(variant(r, "test-2"))
    s, _, body = r.admin_post("/config/reload?force=1")
    assert s == 200 and json.loads(body) == {"ok": True, "config_version": "test-2"}, body
    st = config_state(r)
    assert (st["state"], st["current_version"]) == ("stable", "test-2"), st
    assert st["last_decision"]["action"] == "force"
    assert traffic(r, 0.3).keys() == {(200, "two")}


def test_without_a_deployment_section_reloads_swap_at_once(rampart_factory, origin):
    r = rampart_factory([origin])
    new = copy.deepcopy(r.config)
    new["version"] = "test-2"
    r.write_config(new)
    s, _, body = r.reload()
    assert json.loads(body) == {"ok": True, "config_version": "test-2"}
    assert config_state(r)["state"] == "stable"
    assert config_state(r)["current_version"] == "test-2"


def test_invalid_deployment_section_is_refused_with_its_line(rampart_factory, origin):
    r = start(rampart_factory, origin)
    bad = copy.deepcopy(r.config)
    bad["deployment"]["canary_percent"] = "100%"
    bad["deployment"]["window"] = "soon"
    r.write_config(bad)
    s, _, body = r.reload()
    assert s == 400
    errors = json.loads(body)["errors"]
    assert any("canary_percent" in e or "1% to 99%" in e for e in errors), errors
    assert all(str(r.config_path) + ":" in e for e in errors), errors
    assert config_state(r)["current_version"] == "test-1"


def test_http2_streams_follow_their_connection(rampart_factory, origin):
    """Every stream of one HTTP/2 connection is served by the same version; across
    connections both versions serve."""
    import httpx

    r = start(rampart_factory, origin, canary_percent=50, window="600s")
    reload_staged(r, variant(r, "test-2"))
    versions_by_connection = []
    for _ in range(16):
        with httpx.Client(http1=False, http2=True, base_url=r.url(), timeout=10 * SLOW,
                          headers={"host": "main.test"}) as client:
            seen = {client.get("/echo?i=%d" % i).headers.get("x-cfg") for i in range(8)}
        versions_by_connection.append(seen)
    assert all(len(seen) == 1 for seen in versions_by_connection), versions_by_connection
    assert set().union(*versions_by_connection) == {"one", "two"}, versions_by_connection
