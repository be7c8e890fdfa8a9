"""Cluster rollout through a real redis-server: three rampart nodes in groups 0, 0 and 1.
A good version runs its canary on group 0, is promoted there, and only then on group 1;
a bad one is rolled back on group 0 and group 1 never serves it; with Redis killed while
group 1 waits, every node keeps serving its running config without a 5xx and the waiting
node falls back to its own canary after wait_timeout; a group 0 node frozen in its
canary holds group 1 only until its heartbeat is 3 windows old."""

import os
import signal
import time

from deploy_util import config_state, one_request, reload_staged, variant
from helpers import SLOW, wait_until
from redis_util import needs_redis

pytestmark = needs_redis


def start_fleet(rampart_factory, origin, redis, groups=(0, 0, 1), **dep):
    nodes = []
    for group in groups:
        deployment = {"canary_percent": 40, "window": "2s", "max_error_rate_increase": "2%",
                      "min_requests": 20, "group": group, "wait_timeout": "60s"}
        deployment.update(dep)
        nodes.append(rampart_factory(
            [origin], deployment=deployment,
            cluster={"redis": "127.0.0.1:%d" % redis.port, "timeout": "100ms"},
            sites=[{"name": "main", "default": True, "hosts": ["main.test"],
                    "origin": {"endpoints": [origin.endpoint]},
                    "response_headers": [{"set": {"name": "X-Cfg", "value": "one"}}]}]))
    return nodes


def traffic(nodes, seconds, until=None):
    """Fresh-connection requests to each node in turn for up to `seconds` (or until
    `until()`); counts by node index and (status, X-Cfg)."""
    seen = [dict() for _ in nodes]
    deadline = time.monotonic() + seconds
    for i in range(100_000):
        if time.monotonic() > deadline or (until is not None and i % 3 == 0 and until()):
            break
        n = i % len(nodes)
        key = one_request(nodes[n])
        seen[n][key] = seen[n].get(key, 0) + 1
    return seen


def test_good_version_promotes_group_0_then_group_1(rampart_factory, origin, redis_server):
    a, b, c = start_fleet(rampart_factory, origin, redis_server)
    for r in (a, b, c):
        reload_staged(r, variant(r, "v2"))
    assert config_state(a)["state"] == "canary" and config_state(b)["state"] == "canary"
    wait_until(lambda: config_state(c)["rollout"]["waiting_for"] == "group 0", 5 * SLOW,
               what="group 1 reads the rollout record")
    st = config_state(c)
    assert st["state"] == "waiting" and st["candidate_version"] == "v2", st
    assert st["rollout"]["group"] == 1 and st["rollout"]["redis"] == "ok", st
    # While group 0 runs its canary, group 1 serves only the running version.
    seen = traffic([a, b, c], 10 * SLOW,
                   until=lambda: all(config_state(r)["state"] == "stable" for r in (a, b)))
    assert seen[2].keys() == {(200, "one")}, seen
    assert (200, "two") in seen[0] or (200, "two") in seen[1], seen
    for r in (a, b):
        st = config_state(r)
        assert (st["state"], st["current_version"]) == ("stable", "v2"), st
    # Then group 1 runs its own canary and promotes it.
    wait_until(lambda: config_state(c)["state"] != "waiting", 5 * SLOW, what="group 1 starts")
    seen_c = traffic([c], 10 * SLOW, until=lambda: config_state(c)["state"] == "stable")[0]
    assert (200, "two") in seen_c and all(s == 200 for s, _ in seen_c), seen_c
    wait_until(lambda: config_state(c)["current_version"] == "v2", 5 * SLOW,
               what="group 1 promotes")
    assert config_state(c)["last_decision"]["action"] == "promote"
    assert "lower groups promoted it" in c.logs()


def test_bad_version_rolls_back_on_group_0_and_never_reaches_group_1(
        rampart_factory, origin, redis_server):
    a, b, c = start_fleet(rampart_factory, origin, redis_server, window="60s")
    broken = [{"id": "oops", "expression": 'http.request.uri.path ne "/never"',
               "action": "block", "action_parameters": {"status_code": 503}}]
    for r in (a, b, c):
        reload_staged(r, variant(r, "v-bad", rules=broken))
    wait_until(lambda: config_state(c)["state"] == "waiting", 5 * SLOW, what="group 1 waits")
    # Load on node a only: its canary fails and rolls back; b and c follow through Redis.
    seen = traffic([a, c], 30 * SLOW, until=lambda: config_state(c)["state"] == "stable")
    assert seen[1].keys() == {(200, "one")}, seen  # group 1 never served v-bad
    for r in (a, b, c):
        wait_until(lambda: config_state(r)["state"] == "stable", 5 * SLOW,
                   what="rollback everywhere")
        st = config_state(r)
        assert st["current_version"] == "test-1", st
        assert st["last_decision"]["action"] == "rollback" and \
            st["last_decision"]["version"] == "v-bad", st
    reason = config_state(a)["last_decision"]["reason"]
    assert "error rate" in reason and not reason.startswith("rolled back on node"), reason
    for r in (b, c):
        why = config_state(r)["last_decision"]["reason"]
        assert why.startswith("rolled back on node ") and "error rate" in why, why
        assert ":%d: " % a.admin_port in why, why  # named after node a
        assert why in r.logs()
    after = traffic([a, b, c], 0.6 * SLOW)
    assert all(s.keys() == {(200, "one")} for s in after), after


def test_redis_killed_while_waiting_keeps_serving_then_falls_back(
        rampart_factory, origin, redis_server):
    a, b, c = start_fleet(rampart_factory, origin, redis_server, window="600s",
                          wait_timeout="3s")
    for r in (a, b, c):
        reload_staged(r, variant(r, "v2"))
    wait_until(lambda: config_state(c)["rollout"]["waiting_for"] == "group 0", 5 * SLOW,
               what="group 1 reads the rollout record")
    redis_server.kill()
    killed = time.monotonic()
    seen = traffic([a, b, c], 1.5)
    assert all(s in (200,) for node in seen for (s, _) in node), seen  # no 5xx anywhere
    assert seen[2].keys() == {(200, "one")}, seen
    st = config_state(c)
    if time.monotonic() - killed < 2.5:
        assert st["state"] == "waiting" and st["rollout"]["redis"] == "unreachable", st
    # Past wait_timeout the waiting node runs its own canary.
    wait_until(lambda: config_state(c)["state"] == "canary", 10 * SLOW, what="local canary")
    assert time.monotonic() - killed >= 2.9
    seen = traffic([a, b, c], 1.0)
    assert all(s == 200 for node in seen for (s, _) in node), seen
    assert c.logs().count("unreachable (") == 1, c.logs()  # logged once while waiting
    assert "starting the local canary" in c.logs()


def test_group_0_node_dying_in_its_canary_holds_group_1_only_three_windows(
        rampart_factory, origin, redis_server):
    a, c = start_fleet(rampart_factory, origin, redis_server, groups=(0, 1), window="1s",
                       auto_promote=False)  # a stays on trial (held) in its canary
    for r in (a, c):
        reload_staged(r, variant(r, "v2"))
    wait_until(lambda: config_state(c)["rollout"]["waiting_for"] == "group 0", 5 * SLOW,
               what="group 1 reads the rollout record")
    # Frozen in its canary (as good as dead to the fleet): its entry stays "canary".
    os.kill(a.pid, signal.SIGSTOP)
    try:
        frozen = time.monotonic()
        # 3 x window without a heartbeat: a is gone and c runs its own canary.
        wait_until(lambda: config_state(c)["state"] != "waiting", 15 * SLOW,
                   what="group 1 stops waiting")
        waited = time.monotonic() - frozen
    finally:
        os.kill(a.pid, signal.SIGCONT)
    assert waited >= 2.0, waited  # not before the bound (3 s, less the heartbeat's age)
    st = config_state(c)
    assert len(st["rollout"]["gone"]) == 1, st
    assert ":%d (group 0, canary, silent " % a.admin_port in st["rollout"]["gone"][0], st
    assert "treated as gone" in c.logs()
    assert c.metrics().value("rampart_config_rollout_nodes_gone_total") == 1
    assert c.metrics().find("rampart_config_rollout_stage")[0][0] == \
        {"version": "v2", "stage": "canary"}
