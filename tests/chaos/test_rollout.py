"""Chaos scenario 3/6, cluster rollout: three rampart nodes in rollout groups 0, 0 and 1
share a real redis-server (free loopback port) and each serves steady load from real
clients (a fresh connection per request, so every node's canary share sees traffic),
while
 (a) a good version rolls out group by group,
 (b) a bad version (its canary answers 503 on one path) is rolled back fleet-wide,
 (c) Redis is killed in the middle of a rollout and restarted empty.

Asserted: no 5xx rampart generated and no broken connection anywhere, except the bad
canary's own 503s on group 0 while it is on trial; group 1 never serves the bad version
and serves a good one only once group 0 promoted it (also across the Redis restart);
memory under the cap. time_to_detect_s: bad reload to the first node rolling it back;
time_to_rollback_s: bad reload to every node having dropped it.
"""

import time

import chaos_lib
import deploy_util
from chaos_lib import LONG, STEP_S, Load, RssSampler, write_report
from deploy_util import config_state, reload_staged
from helpers import SLOW
from redis_util import needs_redis

pytestmark = needs_redis

WINDOW_S = 10.0 if LONG else 3.0
WAIT_S = (4 * WINDOW_S + 15.0) * SLOW  # bound on every wait for a state
BAD_PATH = "/dyn/b"


class VersionLoad(Load):
    """Load that also notes which config version (X-Cfg) answered each request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []  # (start, X-Cfg, status, path)

    def _once(self, conn, path):
        t = time.monotonic()
        r = super()._once(conn, path)
        with self._lock:
            self.seen.append((t, r.getheader("X-Cfg"), r.status, path))
        return r

    def count(self, cfg):
        with self._lock:
            return sum(1 for _, c, _, _ in self.seen if c == cfg)


def node_config(origin, redis_port, group):
    return chaos_lib.chaos_config({
        "deployment": {"canary_percent": 50, "window": "%ds" % WINDOW_S,
                       "max_error_rate_increase": "2%", "min_requests": 20, "group": group,
                       "wait_timeout": "60s"},
        "cluster": {"redis": "127.0.0.1:%d" % redis_port, "timeout": "100ms"},
        "sites": [{"name": "main", "default": True, "hosts": ["main.test"],
                   "origin": {"endpoints": [origin.endpoint]},
                   "response_headers": [{"set": {"name": "X-Cfg", "value": "v1"}}]}],
    })


def variant(node, version, bad=False):
    """The version answers with X-Cfg: `version`; a bad one also with 503 on BAD_PATH."""
    oops = {"id": "oops", "expression": 'http.request.uri.path eq "%s"' % BAD_PATH,
            "action": "block", "action_parameters": {"status_code": 503}}
    return deploy_util.variant(node, version, value=version, rules=[oops] if bad else [])


def wait_for(pred, what):
    t0 = time.monotonic()
    while not pred():
        assert time.monotonic() - t0 < WAIT_S, "no %s within %.0f s" % (what, WAIT_S)
        time.sleep(0.05)
    return time.monotonic()


def rolled_back(node, version):
    d = config_state(node)
    last = d["last_decision"] or {}
    return d["state"] == "stable" and last.get("action") == "rollback" and \
        last.get("version") == version


def roll_out_good(nodes, loads, version):
    """Reloads `version` everywhere, checks group 1 serves it only after group 0
    promoted it; returns (seconds to group 0 promoted, seconds to group 1 promoted)."""
    t0 = time.monotonic()
    for n in nodes:
        reload_staged(n, variant(n, version))
    return group_order(nodes, loads, version, t0)


def group_order(nodes, loads, version, t0):
    """Waits for group 0 to promote `version`, checking group 1 served none of it until
    then, then for group 1; returns both times since t0."""
    a, b, c = nodes
    early = []
    while True:
        assert time.monotonic() - t0 < WAIT_S, "group 0 never promoted %s" % version
        served_by_c = loads[2].count(version)  # before looking at group 0
        group0 = [config_state(a), config_state(b)]
        if all(s["current_version"] == version for s in group0):
            break
        # Group 0 still on trial: group 1 has not served the version yet.
        early.append(served_by_c)
        time.sleep(0.05)
    t_g0 = time.monotonic() - t0
    assert early and max(early) == 0, "group 1 served %s during group 0's canary" % version
    wait_for(lambda: config_state(c)["current_version"] == version, "group 1 promoting " + version)
    return t_g0, time.monotonic() - t0


def test_rollout_under_load_with_a_bad_version_and_redis_killed(chaos_origin, rampart_factory,
                                                                redis_server):
    redis = redis_server
    loads = []
    try:
        nodes = [rampart_factory(**node_config(chaos_origin, redis.port, g)) for g in (0, 0, 1)]
        a, b, c = nodes
        rss = [RssSampler(n.pid) for n in nodes]
        budget = 10 * WINDOW_S + 6 * STEP_S + 3 * WAIT_S
        loads = [VersionLoad(n.port, ["/dyn/a", BAD_PATH], threads=2, max_seconds=budget,
                             timeout=5.0, headers={"Connection": "close"}).start()
                 for n in nodes]
        time.sleep(STEP_S)

        # (a) A good version, group by group.
        good_g0, good_g1 = roll_out_good(nodes, loads, "v2")
        time.sleep(STEP_S / 2)

        # (b) A bad version: rolled back on group 0 and dropped by group 1 unseen.
        for load in loads[:2]:
            load.fault_start("bad canary")
        t0 = time.monotonic()
        for n in nodes:
            reload_staged(n, variant(n, "v-bad", bad=True))
        detect = wait_for(lambda: rolled_back(a, "v-bad") or rolled_back(b, "v-bad"),
                          "rollback on group 0") - t0
        rollback = wait_for(lambda: all(rolled_back(n, "v-bad") for n in nodes),
                            "rollback on every node") - t0
        for load in loads[:2]:
            load.fault_end(settle=0.5)
        reasons = [config_state(n)["last_decision"]["reason"] for n in nodes]
        assert any("error rate" in r and not r.startswith("rolled back on node")
                   for r in reasons[:2]), reasons
        assert reasons[2].startswith("rolled back on node "), reasons
        time.sleep(STEP_S / 2)

        # (c) Redis killed during group 0's canary, restarted empty.
        unreachable_before = c.logs().count("unreachable (")
        t0 = time.monotonic()
        for n in nodes:
            reload_staged(n, variant(n, "v3"))
        wait_for(lambda: config_state(c)["rollout"]["waiting_for"] == "group 0", "group 1 waiting")
        time.sleep(0.5)
        served_by_c = loads[2].count("v3")
        redis.kill()
        killed_in_canary = any(config_state(n)["state"] == "canary" for n in (a, b))
        assert served_by_c == 0
        # Back (empty) while group 0 is still in its canary.
        time.sleep(min(STEP_S, WINDOW_S / 3))
        redis.start()
        _, after_restart = group_order(nodes, loads, "v3", t0)
        assert c.logs().count("unreachable (") > unreachable_before
        assert "starting the local canary" not in c.logs()
        time.sleep(STEP_S / 2)
    finally:
        for load in loads:
            load.stop()
        redis.kill()
    max_rss = max(s.stop() for s in rss)

    # Group 0's first v3 answer: group 1 must not have served v3 before it.
    first_v3 = {i: min((t for t, cfg, _, _ in loads[i].seen if cfg == "v3"), default=None)
                for i in range(3)}
    canary_errors = [s for load in loads[:2] for s in load.during("bad canary") if s.failed()]
    unexpected_canary = [s for s in canary_errors
                         if s.error is not None or s.origin or s.status != 503
                         or s.path != BAD_PATH]
    broken = [s for load in loads for s in load.rampart_errors()] + unexpected_canary
    bad_on_c = [x for x in loads[2].seen if x[1] == "v-bad"]
    metrics = [n.metrics() for n in nodes]
    fleet = [m.value("rampart_config_rollout_rollbacks_total", source="fleet") for m in metrics]
    local = [m.value("rampart_config_rollout_rollbacks_total", source="local") for m in metrics]
    stage_c = metrics[2].find("rampart_config_rollout_stage")
    requests = sum(len(l.samples) for l in loads)
    write_report(
        "rollout_cluster", requests=requests, rampart_errors=len(broken),
        time_to_detect_s=detect, time_to_rollback_s=rollback, max_rss_mib=max_rss,
        notes="three nodes (groups 0, 0, 1) through redis, window %g s, canary 50%%: good "
        "version promoted on group 0 after %.1f s and on group 1 after %.1f s; bad version's "
        "canary answered %d expected 503s on group 0, group 1 served it 0 times; Redis "
        "SIGKILLed %s and restarted empty, group 1 promoted after %.1f s (first v3 answer "
        "%s); rollback counters local %s fleet %s; GETs retried after a keep-alive close: %d" % (
            WINDOW_S, good_g0, good_g1, len(canary_errors) - len(unexpected_canary),
            "during group 0's canary" if killed_in_canary else "as group 0 promoted",
            after_restart,
            "/".join("-" if v is None else "%.1f s" % (v - loads[0].t0)
                     for v in first_v3.values()),
            "/".join("%d" % v for v in local), "/".join("%d" % v for v in fleet),
            sum(l.keepalive_retries for l in loads)))

    assert all(len(l.samples) > 50 for l in loads), [len(l.samples) for l in loads]
    assert broken == [], chaos_lib.describe(broken)
    assert canary_errors, "the bad canary served no error: the scenario did not exercise it"
    assert bad_on_c == [], bad_on_c[:5]
    assert first_v3[2] is not None and first_v3[2] > min(first_v3[0], first_v3[1])
    assert sum(local[:2]) >= 1 and local[2] == 0, local
    assert fleet[2] >= 1, fleet
    assert stage_c and stage_c[-1][0] == {"version": "v3", "stage": "promoted"}, stage_c
    assert max_rss < chaos_lib.MEMORY_CAP_MIB, max_rss
    for n in nodes:
        assert n.proc.poll() is None
