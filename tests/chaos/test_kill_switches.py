"""Chaos scenario 4: every module's kill switch thrown at runtime under steady load.

One config gives every module something to do that a client can tell: firewall rules
with block, skip (taking /skipwaf out of the WAF), log, managed_challenge, rewrite and
redirect; a rate-limit rule; a WAF rule; the bot phase serving the firewall's challenge;
a site redirect (transform); a cache rule; a site in under-attack mode (ddos_l7). For
each module in turn: switch it off through the admin API, check that what it did is
undone (and only that) while load keeps running, switch it back on and check it acts
again. Also: a switch stays off across a config reload.

Asserted: rampart breaks no response (no 5xx it generated, no broken connection) at any
time; each skip is counted in rampart_module_skipped_total{reason="admin"}; memory stays
under the node's cap.
"""

import json
import time

import chaos_lib
from chaos_lib import STEP_S, Load, RssSampler, write_report
from helpers import http_get

FIREWALL = [
    {"id": "fw-block", "expression": 'http.request.uri.path eq "/blocked"', "action": "block"},
    {"id": "fw-skip", "expression": 'http.request.uri.path eq "/skipwaf"', "action": "skip",
     "action_parameters": {"phases": ["waf"]}},
    {"id": "fw-log", "expression": "true", "action": "log"},
    {"id": "fw-challenge", "expression": 'http.request.uri.path eq "/challenge"',
     "action": "managed_challenge"},
    {"id": "fw-rewrite", "expression": 'http.request.uri.path eq "/rw"', "action": "rewrite",
     "action_parameters": {"path": "/dyn/rewritten"}},
    {"id": "fw-redirect", "expression": 'http.request.uri.path eq "/fwredirect"',
     "action": "redirect", "action_parameters": {"target_url": "/dyn/x"}},
]
RATE_LIMIT = [{"id": "rl", "expression": 'http.request.uri.path eq "/limited"',
               "characteristics": ["ip.src"], "period": "1m", "requests_per_period": 1}]
WAF_RULES = 'SecRule REQUEST_URI "@contains waf" "id:100,phase:1,deny,status:451"\n'
LOAD_PATHS = ["/dyn/a", "/blocked", "/skipwaf", "/limited", "/challenge", "/waf", "/moved",
              "/cached/1", "/rw", "/fwredirect", "/cached/bypass"]


def status(r, path, host="main.test"):
    return http_get(r.port, path, host=host)[0]


def cache_hit_on_second(r, path):
    http_get(r.port, path)
    _, headers, _ = http_get(r.port, path)
    return "hit" in (headers.get("Cache-Status") or "")


# module -> (check while on, check while off); each returns True when it holds.
CHECKS = {
    "firewall": (lambda r: status(r, "/blocked") == 403 and status(r, "/skipwaf") == 200,
                 # the skip rule is gone with its module: the WAF sees /skipwaf again
                 lambda r: status(r, "/blocked") == 200 and status(r, "/skipwaf") == 451),
    "rate_limit": (lambda r: status(r, "/limited") == 429,
                   lambda r: status(r, "/limited") == 200),
    "bot": (lambda r: status(r, "/challenge") == 403,
            lambda r: status(r, "/challenge") == 200),
    "waf": (lambda r: status(r, "/waf") == 451, lambda r: status(r, "/waf") == 200),
    "transform": (lambda r: status(r, "/moved") == 301, lambda r: status(r, "/moved") == 200),
    "cache_rules": (lambda r: not cache_hit_on_second(r, "/cached/bypass"),
                    lambda r: cache_hit_on_second(r, "/cached/bypass")),
    "ddos_l7": (lambda r: status(r, "/dyn/a", host="attack.test") == 503,
                lambda r: status(r, "/dyn/a", host="attack.test") == 200),
    "bot_clearance": (lambda r: status(r, "/dyn/a") == 200, lambda r: status(r, "/dyn/a") == 200),
}


def modules_state(r):
    s, _, body = r.admin_get("/modules")
    assert s == 200, body
    return {m["name"]: m for m in json.loads(body)["modules"]}


def test_kill_switches_under_load(chaos_origin, rampart_factory):
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [chaos_origin.endpoint]},
            "firewall": {"rules": FIREWALL},
            "redirects": [{"from": "/moved", "to": "/dyn/moved"}],
            "cache": {"enabled": True, "rules": [
                {"id": "bypass", "expression": 'http.request.uri.path eq "/cached/bypass"',
                 "action_parameters": {"cache": False}}]}}
    attack = {"name": "attack", "hosts": ["attack.test"],
              "origin": {"endpoints": [chaos_origin.endpoint]},
              "ddos": {"under_attack": True}}
    r = rampart_factory(**chaos_lib.chaos_config({
        "sites": [site, attack], "rate_limit": {"rules": RATE_LIMIT},
        "waf": {"crs": False, "rules": WAF_RULES}, "bot": {}}))
    rss = RssSampler(r.pid)
    status(r, "/limited")  # the one allowed a minute

    load = Load(r.port, LOAD_PATHS, threads=3,
                max_seconds=STEP_S * 4 * len(CHECKS) + 120).start()
    skipped = {}
    try:
        time.sleep(STEP_S / 2)
        for module, (on, off) in CHECKS.items():
            assert on(r), "%s: not acting before its switch" % module
            s, _, body = r.admin_post("/modules/%s/disable" % module)
            assert s == 200, body
            assert modules_state(r)[module]["state"] == "disabled"
            assert off(r), "%s: still acting after its switch" % module
            time.sleep(STEP_S)
            if module == "waf":
                # A reload keeps the switch: the operator's decision outlives the config.
                assert r.reload()[0] == 200
                assert modules_state(r)["waf"]["runtime_enabled"] is False
                assert off(r), "waf: switched on again by a reload"
            s, _, body = r.admin_post("/modules/%s/enable" % module)
            assert s == 200, body
            assert on(r), "%s: not acting after being switched on" % module
            skipped[module] = r.metrics().value("rampart_module_skipped_total", module=module,
                                                reason="admin")
            time.sleep(STEP_S / 2)
    finally:
        load.stop()
    max_rss = rss.stop()

    errors = load.rampart_errors()
    write_report("kill_switches", load, max_rss_mib=max_rss,
                 notes="switched off and on: %s; skips counted: %s" % (
                     ", ".join(CHECKS), ", ".join("%s=%d" % kv for kv in skipped.items())))
    assert len(load.samples) > 100
    assert errors == [], chaos_lib.describe(errors)
    for module, count in skipped.items():
        assert count > 0, "%s: no skip counted" % module
    assert max_rss < chaos_lib.MEMORY_CAP_MIB
    # Unknown modules and missing tokens are refused.
    assert r.admin_post("/modules/nope/disable")[0] == 404
    assert r.admin_post("/modules/waf/disable", token=None)[0] == 401
    assert modules_state(r)["waf"]["state"] == "enabled"
