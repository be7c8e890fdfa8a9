"""Rate-limit rules through the real proxy: clients connect from different loopback
addresses (127.x.y.z), so per-IP and per-prefix counting is exercised for real."""

import copy
import time

import helpers
from helpers import RawConn


def rl_rule(rule_id, period="10s", requests=5, expression="true", characteristics=("ip.src",),
            **extra):
    r = {"id": rule_id, "expression": expression, "characteristics": list(characteristics),
         "period": period, "requests_per_period": requests}
    r.update(extra)
    return r


def start(rampart_factory, origin, rules, firewall=None):
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]}, "rate_limit": {"rules": rules}}
    if firewall is not None:
        site["firewall"] = {"rules": firewall}
    return rampart_factory([origin], sites=[site])


def send(r, target="/echo", source="127.0.0.1", headers=()):
    with RawConn(r.port, source=source) as c:
        return c.request("GET", target, host="main.test", headers=list(headers))


def statuses(r, n, target="/echo", source="127.0.0.1", headers=()):
    return [send(r, target, source, headers).status for _ in range(n)]


def log_entry(r, resp):
    rid = resp.get("X-Request-Id")
    assert rid, resp
    return r.wait_log(lambda e: e["request_id"] == rid)


def test_per_ip_limit_429_retry_after_log_and_metrics(rampart_factory, origin):
    r = start(rampart_factory, origin, [rl_rule("per-ip", period="60s", requests=5)])
    assert statuses(r, 5, source="127.0.1.1") == [200] * 5
    over = send(r, source="127.0.1.1")
    assert over.status == 429, over
    # One request is allowed per 60s/5 = 12 s once the burst is spent.
    assert 1 <= int(over.get("Retry-After")) <= 12
    assert statuses(r, 3, source="127.0.1.1") == [429] * 3
    # Other addresses have their own counts, unaffected.
    for addr in ("127.0.1.2", "127.0.2.1", "127.9.9.9"):
        assert statuses(r, 5, source=addr) == [200] * 5, addr
    e = log_entry(r, over)
    assert e["status"] == 429
    assert e["rate_limit"] == [{"rule": "per-ip", "action": "block",
                                "retry_after": int(over.get("Retry-After"))}]
    assert e["rules"] == ["per-ip"]
    m = r.metrics()
    assert m.value("rampart_rate_limit_counted_total", rule="per-ip") == 20
    assert m.value("rampart_rate_limit_limited_total", rule="per-ip") == 4


def test_prefix_and_header_characteristics(rampart_factory, origin):
    r = start(rampart_factory, origin, [
        rl_rule("per-24", period="60s", requests=3, characteristics=["ip.src/24"],
                expression='http.request.uri.path eq "/echo"'),
        rl_rule("per-key", period="60s", requests=2,
                characteristics=['http.request.headers["x-api-key"]'],
                expression='http.request.uri.path eq "/status/204"'),
    ])
    # 127.0.5.1 and 127.0.5.2 share a /24; 127.0.6.1 does not.
    assert statuses(r, 2, source="127.0.5.1") == [200, 200]
    assert statuses(r, 2, source="127.0.5.2") == [200, 429]
    assert statuses(r, 3, source="127.0.6.1") == [200, 200, 200]
    # Counted per API key, whatever the address.
    key_a = [("X-Api-Key", "a")]
    assert [send(r, "/status/204", "127.0.7.%d" % i, key_a).status for i in range(1, 4)] == \
        [204, 204, 429]
    assert statuses(r, 2, "/status/204", "127.0.7.1", [("X-Api-Key", "b")]) == [204, 204]


def test_mitigation_timeout_blocks_then_releases(rampart_factory, origin):
    # 4 per 4s: after the burst, the rate alone allows one more request a second later.
    r = start(rampart_factory, origin, [
        rl_rule("burst", period="4s", requests=4, mitigation_timeout="2s"),
    ])
    src = "127.0.3.1"
    t0 = time.monotonic()
    assert statuses(r, 4, source=src) == [200] * 4
    first = send(r, source=src)
    t_first = time.monotonic()
    assert t_first - t0 < 1.0, "the burst took too long to test the block"
    assert first.status == 429 and first.get("Retry-After") == "2"
    # Past the point where the rate would allow a request again; the block does not.
    time.sleep(max(0, t0 + 1.3 - time.monotonic()))
    blocked = send(r, source=src)
    assert blocked.status == 429 and int(blocked.get("Retry-After")) >= 1
    assert send(r, source="127.0.3.2").status == 200  # only that key is blocked
    # Released after the timeout.
    time.sleep(max(0, t_first + 2.3 - time.monotonic()))
    assert send(r, source=src).status == 200
    e = log_entry(r, first)
    assert e["rate_limit"][0]["blocked"] is True


def test_counting_expression_counts_only_matching_responses(rampart_factory, origin):
    r = start(rampart_factory, origin, [
        rl_rule("failed-logins", period="60s", requests=3,
                counting_expression="http.response.code eq 401"),
    ])
    src = "127.0.4.1"
    # Successful requests do not count, however many.
    assert statuses(r, 8, source=src) == [200] * 8
    assert statuses(r, 3, "/status/401", src) == [401] * 3
    # Three 401s spent the quota: every request of that client is now refused.
    assert send(r, source=src).status == 429
    assert send(r, source="127.0.4.2").status == 200
    m = r.metrics()
    assert m.value("rampart_rate_limit_counted_total", rule="failed-logins") == 3


def test_ratelimit_response_headers(rampart_factory, origin):
    r = start(rampart_factory, origin, [
        rl_rule("api", period="60s", requests=4, response_headers=True),
        rl_rule("quiet", period="60s", requests=100),
    ])
    src = "127.0.8.1"
    resp = send(r, source=src)
    assert resp.status == 200
    assert resp.get("RateLimit-Policy") == '"api";q=4;w=60'
    assert resp.get("RateLimit") == '"api";r=3;t=15'
    for _ in range(3):
        resp = send(r, source=src)
    assert resp.get("RateLimit").startswith('"api";r=0;')
    over = send(r, source=src)
    assert over.status == 429
    assert over.get("RateLimit-Policy") == '"api";q=4;w=60'
    assert over.get("RateLimit").startswith('"api";r=0;')
    assert resp.get_all("RateLimit-Policy") == ['"api";q=4;w=60']  # "quiet" adds none


def test_reload_keeps_counts_unless_the_rule_changes(rampart_factory, origin):
    r = start(rampart_factory, origin, [rl_rule("keep", period="60s", requests=3)])
    src = "127.0.9.1"
    assert statuses(r, 4, source=src) == [200, 200, 200, 429]

    same = copy.deepcopy(r.config)
    same["version"] = "test-2"
    same["sites"][0]["rate_limit"]["rules"].append(rl_rule("other", requests=50))
    r.write_config(same)
    status, _, body = r.reload()
    assert status == 200, body
    assert send(r, source=src).status == 429  # the count survived
    assert r.metrics().value("rampart_rate_limit_limited_total", rule="keep") == 2

    changed = copy.deepcopy(same)
    changed["version"] = "test-3"
    changed["sites"][0]["rate_limit"]["rules"][0]["requests_per_period"] = 5
    r.write_config(changed)
    status, _, body = r.reload()
    assert status == 200, body
    assert statuses(r, 6, source=src) == [200] * 5 + [429]  # a new limit counts afresh


def test_firewall_skip_and_challenge(rampart_factory, origin):
    r = start(rampart_factory, origin, [
        rl_rule("tight", period="60s", requests=1, expression='http.request.uri.path ne "/c"'),
        rl_rule("challenged", period="60s", requests=1, action="managed_challenge",
                expression='http.request.uri.path eq "/c"'),
    ], firewall=[{"id": "trusted", "expression": 'http.request.headers["x-trusted"] eq "1"',
                  "action": "skip", "action_parameters": {"phases": ["rate_limit"]}}])
    src = "127.0.10.1"
    assert statuses(r, 4, source=src, headers=[("X-Trusted", "1")]) == [200] * 4
    assert statuses(r, 2, source=src) == [200, 429]
    # A challenge action hands over to the bot phase; without one the pipeline
    # refuses the request rather than let it through.
    c = "127.0.10.2"
    statuses(r, 1, "/c", c)
    resp = send(r, "/c", c)
    assert resp.status == 403
    assert log_entry(r, resp)["rate_limit"][0]["action"] == "managed_challenge"


def test_config_errors_point_at_the_line(origin, tmp_path):
    def validate(rules):
        cfg = helpers.base_config(1, 2, [origin.endpoint], tmp_path / "a.log")
        cfg["rate_limit"] = {"rules": rules}
        path = tmp_path / "bad.yaml"
        path.write_text(helpers.dump_yaml(cfg))
        out = helpers.run_cli("validate", path)
        assert out.returncode != 0, out.stdout
        return out.stdout + out.stderr

    text = validate([{"id": "x", "expression": "true", "characteristics": ["ip.src/40"],
                      "period": "2h", "requests_per_period": 0, "action": "allow",
                      "colour": "red"}])
    for needle in ('"ip.src/40" is not an address prefix', '"2h" is out of range (1s to 1h)',
                   "0 is out of range (1 to 1000000)", 'unknown key "colour"',
                   '"allow" is not one of'):
        assert needle in text, (needle, text)
    assert "bad.yaml:" in text
    # Expressions are compiled when the pipeline is built; the error points inside.
    text = validate([{"id": "y", "expression": "true", "characteristics": ["http.request.nope"],
                      "period": "10s", "requests_per_period": 5}])
    assert "http.request.nope" in text and "bad.yaml:" in text, text


def test_clearance_id_counts_each_cleared_client_apart(rampart_factory, origin):
    from test_challenge import CHROME, cookie_of, pass_challenge
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]},
            "firewall": {"rules": [{"id": "all", "action": "managed_challenge",
                                    "expression": 'not starts_with(http.request.uri.path, "/status/")'}]},
            "rate_limit": {"rules": [rl_rule(
                "per-clearance", period="60s", requests=2,
                characteristics=["rampart.bot.clearance_id"],
                expression='http.request.uri.path eq "/status/204"')]}}
    r = rampart_factory([origin], sites=[site], bot={"difficulty": 8, "puzzles": 2})
    # Two clients behind one address, each with its own clearance.
    a = cookie_of(pass_challenge(r))
    b = cookie_of(pass_challenge(r))
    assert a != b

    def get(cookie=None):
        h = [("User-Agent", CHROME)] + ([("Cookie", cookie)] if cookie else [])
        return send(r, "/status/204", headers=h).status

    assert [get(a) for _ in range(3)] == [204, 204, 429]
    assert [get(b) for _ in range(3)] == [204, 204, 429]
    # Requests without a clearance share the empty id, apart from both.
    assert [get() for _ in range(3)] == [204, 204, 429]
