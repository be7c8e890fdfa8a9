"""The managed WAF with a CRS 4.x rule set the user downloaded (rampart ships none and
Debian packages 3.3): set RAMPART_CRS4_DIR to the CRS folder (crs-setup.conf or
crs-setup.conf.example at its top, rule files under rules/). Skipped without it. Benign
traffic passes; SQL injection, XSS, path traversal and a multipart part header the CRS 4
refuses are blocked at paranoia level 1 by the expected rule families."""

import os
import urllib.parse

import pytest

from helpers import RawConn

CRS4_DIR = os.environ.get("RAMPART_CRS4_DIR", "")
needs_crs4 = pytest.mark.skipif(not CRS4_DIR, reason="RAMPART_CRS4_DIR is not set")
MODSECURITY_CONF = "/etc/nginx/modsecurity.conf"


def crs4_waf():
    setup = os.path.join(CRS4_DIR, "crs-setup.conf")
    if not os.path.isfile(setup):
        setup = os.path.join(CRS4_DIR, "crs-setup.conf.example")
    waf = {"crs_setup": setup, "crs_rules": os.path.join(CRS4_DIR, "rules"),
           "paranoia_level": 1, "time_budget": "2s"}
    if os.path.isfile(MODSECURITY_CONF):
        waf["files"] = [MODSECURITY_CONF]
    else:
        waf["rules"] = "SecRuleEngine On\nSecRequestBodyAccess On\n"
    return waf


def send(r, target, method="GET", headers=(), body=b""):
    base = [("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
            ("Accept", "text/html,application/xhtml+xml")]
    with RawConn(r.port) as c:
        return c.request(method, target, host="main.test", headers=base + list(headers), body=body)


def matched(r, resp):
    rid = resp.get("X-Request-Id")
    assert rid, resp
    log = r.wait_log(lambda e: e["request_id"] == rid).get("waf")
    return log["rules"] if log else []


@needs_crs4
def test_crs4_blocks_attacks_by_family_and_passes_benign_traffic(rampart_factory, origin):
    r = rampart_factory([origin], waf=crs4_waf())
    benign = [
        "/echo?q=" + urllib.parse.quote("blue suede shoes") + "&page=2",
        "/echo?q=" + urllib.parse.quote("O'Neil & Sons, size 42"),
        "/echo?next=" + urllib.parse.quote("/products/shoes/blue.html"),
    ]
    for target in benign:
        resp = send(r, target)
        assert resp.status == 200, (target, resp)
        assert matched(r, resp) == [], target
    form = urllib.parse.urlencode({"name": "Anne", "comment": "Great shoes!"}).encode()
    resp = send(r, "/echo", "POST", [("Content-Type", "application/x-www-form-urlencoded")], form)
    assert resp.status == 200, resp

    attacks = {
        "sqli": ("/echo?id=" + urllib.parse.quote("1' UNION SELECT username, password FROM users--"),
                 942),
        "xss": ("/echo?text=" + urllib.parse.quote("<script>alert(document.cookie)</script>"), 941),
        "lfi": ("/echo?file=" + urllib.parse.quote("../../../../etc/passwd"), 930),
    }
    for name, (target, family) in attacks.items():
        resp = send(r, target)
        assert resp.status == 403, (name, resp)
        rules = matched(r, resp)
        assert 949110 in rules, (name, rules)
        assert any(rule // 1000 == family for rule in rules), (name, rules)

    # CRS 4's multipart part-header checks (MULTIPART_PART_HEADERS).
    body = (b"--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b0undary--\r\n")
    resp = send(r, "/echo", "POST", [("Content-Type", "multipart/form-data; boundary=b0undary")],
                body)
    assert resp.status == 403, resp
    assert 922120 in matched(r, resp)


@needs_crs4
def test_crs4_paranoia_level_comes_from_the_yaml(rampart_factory, origin):
    # CRS 4 reads tx.blocking_paranoia_level: the YAML's level must reach it. An SSRF
    # target written as one decimal number is a paranoia level 2 finding (934120).
    target = "/echo?url=" + urllib.parse.quote("http://2852039166/latest/meta-data/")
    low = rampart_factory([origin], waf=crs4_waf())
    resp = send(low, target)
    assert resp.status == 200, resp
    assert 934120 not in matched(low, resp)
    waf = crs4_waf()
    waf["paranoia_level"] = 2
    high = rampart_factory([origin], waf=waf)
    resp = send(high, target)
    assert resp.status == 403, resp
    assert 934120 in matched(high, resp)
