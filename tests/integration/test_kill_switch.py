"""Kill switches through the real proxy: a module switched off through the admin API
(POST /modules/<name>/disable) undoes every kind of action its rules take, at once on
every worker, logged and counted, and stays off across reloads until switched on; and
the config version on log lines, on responses (X-Rampart-Config) and on metrics."""

import copy
import json
import time

from helpers import SLOW, free_port, http_get
from test_firewall_actions import forwarded, is_edge_block, log_entry, rule, send


def arg(name):
    return 'http.request.uri.args["a"] eq "%s"' % name


FIREWALL = [
    rule("fw-block", arg("block")),
    rule("fw-allow", arg("allow"), "allow"),
    rule("fw-log", arg("log"), "log"),
    rule("fw-skip", arg("skip"), "skip", phases=["waf"]),
    rule("fw-challenge", arg("challenge"), "challenge"),
    rule("fw-js", arg("js_challenge"), "js_challenge"),
    rule("fw-managed", arg("managed_challenge"), "managed_challenge"),
    rule("fw-redirect", arg("redirect"), "redirect", target_url="/elsewhere"),
    rule("fw-rewrite", arg("rewrite"), "rewrite", query="rewritten=1"),
    rule("fw-route", arg("route"), "route", pool="alt"),
]
# The WAF denies a=skip, which the firewall's skip rule takes out of the WAF.
WAF_RULES = 'SecRule ARGS:a "@streq skip" "id:100,phase:1,deny,status:451"\n'
RATE_LIMIT = [{"id": "rl-%s" % a, "expression": arg("rl-%s" % a), "characteristics": ["ip.src"],
               "period": "1m", "requests_per_period": 1, "action": a}
              for a in ("block", "challenge", "js_challenge", "managed_challenge", "log")]


def start(rampart_factory, origin, other, **extra):
    cfg = {"sites": [{"name": "main", "default": True, "hosts": ["main.test"],
                      "origin": {"endpoints": [origin.endpoint]},
                      "firewall": {"rules": FIREWALL}}],
           "pools": {"alt": {"endpoints": [other.endpoint]}},
           "waf": {"crs": False, "rules": WAF_RULES},
           "rate_limit": {"rules": RATE_LIMIT},
           "bot": {}}
    cfg.update(extra)
    return rampart_factory([origin], **cfg)


def switch(r, module, on):
    s, _, body = r.admin_post("/modules/%s/%s" % (module, "enable" if on else "disable"))
    assert s == 200, body
    return body


def untouched(r, a, origin_name="A"):
    """The request went to the main origin unchanged, and its log line says the
    firewall was switched off and lists no rule."""
    target = "/echo?a=" + a
    resp = send(r, target)
    assert forwarded(resp, target), resp
    assert resp.json()["name"] == origin_name
    entry = log_entry(r, resp)
    assert "rules" not in entry, entry
    assert entry["verdicts"].get("firewall") == "killed", entry
    return resp


def test_firewall_switched_off_undoes_every_action(rampart_factory, origin_factory):
    origin, other = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, origin, other)
    # Switched on, each action does what it says.
    assert is_edge_block(send(r, "/echo?a=block"))
    assert send(r, "/echo?a=skip").status == 200  # the WAF did not run
    for a in ("challenge", "js_challenge", "managed_challenge"):
        assert send(r, "/echo?a=" + a).status == 403
    assert send(r, "/echo?a=redirect").get("Location") == "/elsewhere"
    assert send(r, "/echo?a=rewrite").json()["target"] == "/echo?rewritten=1"
    assert send(r, "/echo?a=route").json()["name"] == "B"
    for a in ("allow", "log"):
        assert log_entry(r, send(r, "/echo?a=" + a))["rules"] == ["fw-" + a]

    before = r.metrics().value("rampart_module_skipped_total", module="firewall", reason="admin")
    switch(r, "firewall", False)
    for a in ("block", "allow", "log", "challenge", "js_challenge", "managed_challenge",
              "redirect", "rewrite", "route"):
        untouched(r, a)
    # The skip rule went with its module: the WAF runs for a=skip again.
    assert send(r, "/echo?a=skip").status == 451
    m = r.metrics()
    assert m.value("rampart_module_skipped_total", module="firewall", reason="admin") >= before + 10
    assert m.value("rampart_module_enabled", module="firewall") == 0
    st = r.status()
    assert [x["enabled"] for x in st["modules"] if x["name"] == "firewall"] == [False]

    # A reload keeps it off; switching it on brings every action back.
    assert r.reload()[0] == 200
    untouched(r, "block")
    switch(r, "firewall", True)
    assert is_edge_block(send(r, "/echo?a=block"))
    assert send(r, "/echo?a=route").json()["name"] == "B"


def test_rate_limit_switched_off_undoes_every_action(rampart_factory, origin_factory):
    origin, other = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, origin, other)
    over = {"block": 429, "challenge": 403, "js_challenge": 403, "managed_challenge": 403,
            "log": 200}
    for a, status in over.items():
        send(r, "/echo?a=rl-" + a)
        resp = send(r, "/echo?a=rl-" + a)
        assert resp.status == status, (a, resp)
        assert log_entry(r, resp)["rules"] == ["rl-" + a]
    switch(r, "rate_limit", False)
    for a in over:
        for _ in range(2):
            resp = send(r, "/echo?a=rl-" + a)
            assert forwarded(resp, "/echo?a=rl-" + a), (a, resp)
            entry = log_entry(r, resp)
            assert "rules" not in entry and entry["verdicts"]["rate_limit"] == "killed", entry
    switch(r, "rate_limit", True)
    assert send(r, "/echo?a=rl-block").status == 429


def test_challenge_while_the_bot_module_is_off_passes_and_says_so(rampart_factory,
                                                                  origin_factory):
    origin, other = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, origin, other)
    switch(r, "bot", False)
    for a in ("challenge", "js_challenge", "managed_challenge"):
        resp = send(r, "/echo?a=" + a)
        assert forwarded(resp, "/echo?a=" + a), resp
        entry = log_entry(r, resp)
        assert entry["rules"] == [{"challenge": "fw-challenge", "js_challenge": "fw-js",
                                   "managed_challenge": "fw-managed"}[a]]
        assert entry["verdicts"]["bot"] == "challenge-skipped", entry
    switch(r, "bot", True)
    assert send(r, "/echo?a=challenge").status == 403


def test_waf_switched_off_and_config_disabled_modules(rampart_factory, origin_factory):
    origin, other = origin_factory("A"), origin_factory("B")
    r = start(rampart_factory, origin, other,
              modules={"transform": {"enabled": False}})
    assert send(r, "/echo?a=skip").status == 200
    switch(r, "firewall", False)
    assert send(r, "/echo?a=skip").status == 451
    switch(r, "waf", False)
    assert forwarded(send(r, "/echo?a=skip"), "/echo?a=skip")
    switch(r, "waf", True)
    switch(r, "firewall", True)
    s, _, body = r.admin_get("/modules")
    assert s == 200
    modules = {m["name"]: m for m in json.loads(body)["modules"]}
    assert modules["transform"]["state"] == "disabled_by_config"
    assert modules["waf"]["state"] == "enabled"


def test_the_switch_api_needs_the_token_and_known_names(rampart_factory, origin):
    r = rampart_factory([origin])
    assert r.admin_post("/modules/firewall/disable", token=None)[0] == 401
    assert r.admin_post("/modules/firewall/disable", token="wrong")[0] == 403
    assert r.admin_post("/modules/nope/disable")[0] == 404
    assert r.admin_post("/modules/firewall/explode")[0] == 404
    assert http_get(r.admin_port, "/modules/firewall/disable", host="admin")[0] == 405
    assert forwarded(send(r, "/echo"), "/echo")
    # A module the config does not use has its switch too, for a config still to come.
    s, _, body = r.admin_get("/modules")
    modules = {m["name"]: m for m in json.loads(body)["modules"]}
    assert modules["ddos_l7"]["state"] == "unused", modules
    assert r.admin_post("/modules/ddos_l7/disable")[0] == 200
    s, _, body = r.admin_get("/modules")
    assert {m["name"]: m for m in json.loads(body)["modules"]}["ddos_l7"]["runtime_enabled"] \
        is False


# --------------------------------------------------------------------------------------
# the config version everywhere
# --------------------------------------------------------------------------------------

def test_config_version_on_responses_logs_and_metrics(rampart_factory, origin):
    r = rampart_factory([origin], safety={"config_header": True},
                        firewall={"rules": [rule("deny", 'http.request.uri.path eq "/deny"')]})
    assert send(r, "/echo").get("X-Rampart-Config") == "test-1"
    assert send(r, "/deny").get("X-Rampart-Config") == "test-1"  # a local answer
    m = r.metrics()
    assert m.value("rampart_config_version_info", version="test-1") == 1
    assert m.find("rampart_module_failures_total", module="firewall",
                  config_version="test-1"), m.text

    new = copy.deepcopy(r.config)
    new["version"] = "test-2"
    r.write_config(new)
    assert r.reload()[0] == 200
    assert send(r, "/echo").get("X-Rampart-Config") == "test-2"
    assert r.metrics().find("rampart_module_failures_total", config_version="test-2")
    logs = r.stderr_path.read_text()
    assert "config=test-1" in logs and "config=test-2 config reloaded" in logs, logs


def test_config_header_is_off_by_default_and_on_error_pages(rampart_factory, origin):
    r = rampart_factory([origin])
    assert send(r, "/echo").get("X-Rampart-Config") is None
    dead = rampart_factory(["127.0.0.1:%d" % free_port()], safety={"config_header": True})
    resp = send(dead, "/echo")
    assert resp.status == 502 and resp.get("X-Rampart-Config") == "test-1"


def test_error_logs_are_rate_limited_and_summed_up(rampart_factory):
    r = rampart_factory(["127.0.0.1:%d" % free_port()],  # nothing listens: every try fails
                        safety={"error_log_burst": 2, "error_log_interval": "1s"})
    t0 = time.monotonic()
    for _ in range(40):
        assert send(r, "/echo").status == 502
    elapsed = time.monotonic() - t0

    def summary():
        text = r.stderr_path.read_text()
        return "similar log lines: origin connect failed" in text and text

    deadline = time.monotonic() + 5 * SLOW
    text = None
    while time.monotonic() < deadline and not text:
        text = summary()
        time.sleep(0.2)
    assert text, r.stderr_path.read_text()
    failures = [line for line in text.splitlines() if "connect to origin" in line]
    # At least 40 failures, at most two lines per 1 s interval they were spread over.
    assert 1 <= len(failures) <= 2 * (int(elapsed) + 2), "\n".join(failures)
