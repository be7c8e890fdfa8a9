"""The managed WAF through the real proxy: the OWASP CRS from Debian's modsecurity-crs
package in front of a real origin, with real HTTP clients; what is blocked, what the
access log and /metrics show, detection-only mode, inline SecLang rules and their errors."""

import hashlib
import os
import urllib.parse

import pytest

from helpers import RawConn, run_cli, dump_yaml

CRS_RULES = "/usr/share/modsecurity-crs/rules"
needs_crs = pytest.mark.skipif(not os.path.isdir(CRS_RULES),
                               reason="Debian's modsecurity-crs is not installed")


def start(rampart_factory, origin, **waf):
    # These tests are about verdicts: a loaded or sanitized build must not turn a slow
    # first request into a budget failure (the budget has tests of its own).
    waf.setdefault("time_budget", "2s")
    return rampart_factory([origin], waf=waf)


def send(r, target, method="GET", headers=(), body=b""):
    base = [("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
            ("Accept", "text/html,application/xhtml+xml")]
    with RawConn(r.port) as c:
        return c.request(method, target, host="main.test", headers=base + list(headers), body=body)


def waf_log(r, resp):
    rid = resp.get("X-Request-Id")
    assert rid, resp
    entry = r.wait_log(lambda e: e["request_id"] == rid)
    return entry.get("waf")


@needs_crs
def test_crs_blocks_attacks_and_passes_benign_traffic(rampart_factory, origin):
    r = start(rampart_factory, origin)
    ok = send(r, "/echo?q=" + urllib.parse.quote("blue suede shoes") + "&page=2")
    assert ok.status == 200, ok
    assert waf_log(r, ok) is None

    attacks = [
        "/echo?q=" + urllib.parse.quote("1' UNION SELECT username, password FROM users--"),
        "/echo?text=" + urllib.parse.quote("<script>alert(document.cookie)</script>"),
        "/echo?file=" + urllib.parse.quote("../../../../etc/passwd"),
        "/echo?cmd=" + urllib.parse.quote(";cat /etc/passwd"),
    ]
    for target in attacks:
        resp = send(r, target)
        assert resp.status == 403, (target, resp)
        log = waf_log(r, resp)
        assert log["action"] == "block", log
        assert log["rule"] == 949110, log
        assert 949110 in log["rules"], log
        assert int(log["score"]) >= 5, log
    # The origin never saw an attack.
    recent = origin.stats()["recent"]
    assert not any("UNION" in line or "passwd" in line for line in recent), recent

    m = r.metrics()
    assert m.value("rampart_waf_requests_total", result="blocked") == len(attacks)
    assert m.value("rampart_waf_rule_matches_total", rule="949110") == len(attacks)


@needs_crs
def test_request_bodies_are_inspected(rampart_factory, origin):
    r = start(rampart_factory, origin)
    form = urllib.parse.urlencode({"name": "x", "comment": "1' OR '1'='1' --"}).encode()
    resp = send(r, "/echo", "POST", [("Content-Type", "application/x-www-form-urlencoded")], form)
    assert resp.status == 403, resp
    benign = urllib.parse.urlencode({"name": "Anne O'Neil", "comment": "Great shoes!"}).encode()
    resp = send(r, "/echo", "POST", [("Content-Type", "application/x-www-form-urlencoded")], benign)
    assert resp.status == 200, resp
    # The origin received the body the WAF inspected, unchanged.
    seen = resp.json()
    assert seen["body_length"] == len(benign)
    assert seen["body_sha256"] == hashlib.sha256(benign).hexdigest()


@needs_crs
def test_detection_only_logs_but_forwards(rampart_factory, origin):
    r = start(rampart_factory, origin, mode="detect")
    resp = send(r, "/echo?q=" + urllib.parse.quote("1' UNION SELECT password FROM users--"))
    assert resp.status == 200, resp
    log = waf_log(r, resp)
    assert log["action"] == "log", log
    assert 949110 in log["rules"], log


@needs_crs
def test_paranoia_level_and_threshold_come_from_yaml(rampart_factory, origin):
    # A lone quote in an argument scores at paranoia level 2+ only (942432-like rules).
    target = "/echo?q=" + urllib.parse.quote("it's a test -- really")
    r1 = start(rampart_factory, origin, paranoia_level=1)
    assert send(r1, target).status == 200
    # An absurd threshold lets even an obvious attack through (it is still logged).
    r2 = start(rampart_factory, origin, inbound_threshold=10000)
    resp = send(r2, "/echo?q=" + urllib.parse.quote("<script>alert(1)</script>"))
    assert resp.status == 200, resp
    assert waf_log(r2, resp)["action"] == "log"


def test_inline_rules_without_crs(rampart_factory, origin):
    rules = ('SecRule REQUEST_HEADERS:X-Probe "@streq yes" '
             '"id:100,phase:1,deny,status:451,msg:\'probe %{MATCHED_VAR_NAME}\'"\n')
    r = start(rampart_factory, origin, crs=False, rules=rules)
    resp = send(r, "/", headers=[("X-Probe", "yes")])
    assert resp.status == 451, resp
    log = waf_log(r, resp)
    assert log["rules"] == [100]
    assert log["messages"] == ["probe REQUEST_HEADERS:X-Probe"]
    assert send(r, "/", headers=[("X-Probe", "no")]).status == 200


def test_rule_errors_are_config_errors_with_lines(tmp_path):
    cfg = {
        "listeners": [{"address": "127.0.0.1:18080"}],
        "sites": [{"name": "s", "default": True, "origin": {"endpoints": ["127.0.0.1:9"]}}],
        "waf": {"crs": False, "rules": 'SecRule ARGS "@rx a" "id:1,phase:2,pass"\n'
                                       'SecRule NOTAVARIABLE "@rx a" "id:2,phase:2,pass"\n'},
    }
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(cfg))
    out = run_cli("validate", path)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "NOTAVARIABLE" in text, text
    assert "bad.yaml" in text, text


def test_rule_file_errors_name_the_rule_file(tmp_path):
    rules = tmp_path / "custom.conf"
    rules.write_text('# custom rules\nSecRule ARGS "@rx a" "id:1,phase:2,pass,t:nosuchthing"\n')
    cfg = {
        "listeners": [{"address": "127.0.0.1:18080"}],
        "sites": [{"name": "s", "default": True, "origin": {"endpoints": ["127.0.0.1:9"]}}],
        "waf": {"crs": False, "files": [str(rules)]},
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(dump_yaml(cfg))
    out = run_cli("validate", path)
    assert out.returncode != 0
    assert "custom.conf:2" in out.stdout + out.stderr, out.stdout + out.stderr


@needs_crs
def test_firewall_skip_rule_excludes_managed_rules(rampart_factory, origin):
    # An exclusion written in the rules language: for requests marked as notes, the CRS's
    # SQL injection rules (942xxx) do not run; everywhere else they still block.
    rules = [{"id": "notes-no-sqli", "expression": 'http.request.uri.args["mode"] eq "notes"',
              "action": "skip", "action_parameters": {"waf_rules": ["942000-942999"]}}]
    r = rampart_factory([origin], waf={"paranoia_level": 1}, firewall={"rules": rules})
    payload = urllib.parse.quote("1' UNION SELECT username, password FROM users--")
    blocked = send(r, "/echo?mode=other&q=" + payload)
    assert blocked.status == 403, blocked
    assert any(i // 1000 == 942 for i in waf_log(r, blocked)["rules"])
    passed = send(r, "/echo?mode=notes&q=" + payload)
    assert passed.status == 200, passed
    log = waf_log(r, passed)
    assert log is None or not any(i // 1000 == 942 for i in log["rules"]), log
