"""The bot score through the real proxy: real curl and Python's urllib score low, a
client sending a browser's complete header set scores high, both visible to a firewall
rule and in the access log; managed_challenge picks no challenge, the no-JavaScript step
or the proof of work by score; a passed challenge raises the score; and a scoring failure
leaves the request without a score, flagged, and never blocked because of it."""

import shutil
import socket
import ssl
import subprocess
import urllib.request

import pytest

from helpers import RawConn, build_request
from test_challenge import CHROME, NAV, cookie_of, pass_challenge
from test_tls import certs, tls_config  # noqa: F401 (fixture)

# What Chrome sends for a page load, in its order (Host first, added by RawConn).
BROWSER = [
    ("sec-ch-ua", '"Chromium";v="131", "Not_A Brand";v="24"'),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", '"Linux"'),
    ("Upgrade-Insecure-Requests", "1"),
    ("User-Agent", CHROME),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Sec-Fetch-Site", "none"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Sec-Fetch-User", "?1"),
    ("Sec-Fetch-Dest", "document"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "en-US,en;q=0.9"),
]


def site(origin, rules):
    return {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]}, "firewall": {"rules": rules}}


def send(r, target, headers):
    with RawConn(r.port) as c:
        return c.request("GET", target, host="main.test", headers=headers)


def log_entry(r, resp):
    rid = resp.get("X-Request-Id")
    assert rid, resp
    return r.wait_log(lambda e: e["request_id"] == rid)


def origin_saw(origin, target):
    return ("GET %s" % target) in origin.stats()["recent"]


def is_edge_block(resp):
    return resp.status == 403 and b"refused at the edge" in resp.body


BLOCK_LOW = [{"id": "low-score", "expression": "cf.bot_management.score lt 30",
              "action": "block"},
             {"id": "score-broke", "expression": "rampart.bot.score_failed", "action": "log"}]


def test_tools_score_low_and_a_browser_header_set_high(rampart_factory, origin):
    # No bot: section: a rule reading the score is enough to have it computed.
    r = rampart_factory([origin], sites=[site(origin, BLOCK_LOW)])
    resp = send(r, "/echo", BROWSER)
    assert resp.status == 200, resp  # the origin's answer (compressed: Accept-Encoding)
    bot = log_entry(r, resp)["bot"]
    assert bot["score"] >= 70, bot
    assert "ua=0 " in bot["signals"] and "headers=35" in bot["signals"]

    for ua, headers in (("curl/8.5.0", [("Accept", "*/*")]),
                        ("python-requests/2.31.0", [("Accept-Encoding", "gzip, deflate"),
                                                    ("Accept", "*/*")]),
                        ("", []),
                        (CHROME, [])):  # a browser's name without its headers
        h = ([("User-Agent", ua)] if ua else []) + headers
        resp = send(r, "/echo", h)
        assert is_edge_block(resp), (ua, resp)
        e = log_entry(r, resp)
        assert e["bot"]["score"] < 30 and e["rules"] == ["low-score"], e

    # Real clients, unmodified.
    url = "http://127.0.0.1:%d/echo" % r.port
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=5)
    assert err.value.code == 403
    if shutil.which("curl"):
        p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                           capture_output=True, text=True, timeout=10)
        assert p.stdout == "403", p
    m = r.metrics()
    assert m.value("rampart_bot_scores_total", band="high") >= 1
    assert m.value("rampart_bot_scores_total", band="low") >= 5
    assert m.value("rampart_bot_scores_total", band="failed") == 0


def test_managed_challenge_picks_by_score(rampart_factory, origin):
    rules = [{"id": "all", "expression": 'starts_with(http.request.uri.path, "/echo")',
              "action": "managed_challenge"}]
    r = rampart_factory([origin], sites=[site(origin, rules)],
                        bot={"difficulty": 12, "puzzles": 4, "no_js_delay": "1s"})
    # High: straight through, no challenge.
    resp = send(r, "/echo?high", BROWSER)
    assert resp.status == 200 and origin_saw(origin, "/echo?high"), resp
    e = log_entry(r, resp)
    assert e["bot"]["score"] >= 70 and e["verdicts"].get("bot") == "managed-pass", e

    # Medium: a browser missing Accept-Language gets the no-JavaScript step.
    medium = [h for h in BROWSER if h[0] != "Accept-Language"]
    resp = send(r, "/echo?medium", medium)
    assert resp.status == 403, resp
    text = resp.body.decode()
    assert 30 <= log_entry(r, resp)["bot"]["score"] < 70
    assert 'data-c="' not in text and text.count('http-equiv="refresh"') == 1
    assert "<noscript><meta" not in text

    # Low: a tool asking for HTML gets the proof of work.
    resp = send(r, "/echo?low", [("User-Agent", "curl/8.5.0"), ("Accept", "text/html")])
    assert resp.status == 403 and 'data-c="' in resp.body.decode(), resp
    assert log_entry(r, resp)["bot"]["score"] < 30


def test_passed_challenge_raises_the_score(rampart_factory, origin):
    rules = [{"id": "all", "expression": 'starts_with(http.request.uri.path, "/echo")',
              "action": "managed_challenge"},
             {"id": "trusted", "expression": "cf.bot_management.score ge 70", "action": "log"}]
    r = rampart_factory([origin], sites=[site(origin, rules)],
                        bot={"difficulty": 12, "puzzles": 4, "no_js_delay": "1s"})
    before = send(r, "/echo?before", [("User-Agent", CHROME)] + NAV)
    assert before.status == 403
    score_before = log_entry(r, before)["bot"]["score"]
    cookie = cookie_of(pass_challenge(r, "/echo?x"))
    resp = send(r, "/echo?after", [("User-Agent", CHROME), ("Cookie", cookie)] + NAV)
    assert resp.status == 200, resp
    bot = log_entry(r, resp)["bot"]
    assert "clearance=40" in bot["signals"] and bot["score"] == min(99, score_before + 40), bot


def test_scoring_failure_leaves_no_score_and_blocks_nobody(rampart_factory, origin):
    r = rampart_factory([origin], sites=[site(origin, BLOCK_LOW)],
                        limits={"max_header_count": 300})
    # More header lines than the scorer examines: it fails (bounded work), the request
    # goes on unscored, the flag is set, and the low-score rule does not fire even for curl.
    many = [("User-Agent", "curl/8.5.0")] + [("X-Pad-%d" % i, "v") for i in range(150)]
    resp = send(r, "/echo", many)
    assert resp.status == 200 and resp.json()["target"] == "/echo", resp
    e = log_entry(r, resp)
    assert "bot" not in e and e["verdicts"].get("bot_score") == "error-skipped", e
    assert e["rules"] == ["score-broke"], e
    assert r.metrics().value("rampart_bot_scores_total", band="failed") == 1
    # Scoring still works for the next request.
    assert is_edge_block(send(r, "/echo", [("User-Agent", "curl/8.5.0")]))


def test_failing_scorer_fails_closed_when_configured(rampart_factory, origin):
    r = rampart_factory([origin], sites=[site(origin, BLOCK_LOW)],
                        limits={"max_header_count": 300},
                        modules={"bot_score": {"fail_mode": "closed"}})
    many = [("User-Agent", CHROME)] + [("X-Pad-%d" % i, "v") for i in range(150)]
    resp = send(r, "/echo", many)
    assert resp.status == 503, resp


def test_browser_headers_on_a_library_tls_stack_lose_the_high_score(rampart_factory, origin,
                                                                     certs):  # noqa: F811
    cert, key = certs.leaf(["main.test"])
    s = site(origin, [{"id": "trusted", "expression": "cf.bot_management.score ge 70",
                       "action": "log"}])
    s["tls"] = {"certificates": [{"cert": str(cert), "key": str(key)}]}
    cfg, https_port = tls_config(origin, certs, sites=[s])
    r = rampart_factory([origin], **cfg)
    # Python's TLS (OpenSSL defaults, no ALPN) under Chrome's complete header set.
    ctx = ssl.create_default_context(cafile=str(certs.ca_cert))
    with socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="main.test") as tls:
            tls.sendall(build_request("GET", "/echo", "main.test", BROWSER))
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 200"), head
    rid = [l.split(":", 1)[1].strip() for l in head.split("\r\n")
           if l.lower().startswith("x-request-id:")][0]
    e = r.wait_log(lambda e: e["request_id"] == rid)
    assert "tls=-30" in e["bot"]["signals"] and e["bot"]["score"] < 70, e
    assert "trusted" not in e.get("rules", [])
    # The same headers over plain HTTP: nothing to contradict them.
    resp = send(r, "/echo", BROWSER)
    e = log_entry(r, resp)
    assert "tls=0" in e["bot"]["signals"] and e["bot"]["score"] >= 70, e
