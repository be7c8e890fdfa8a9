"""The bot phase's challenge through the real proxy: the page for navigations and the
short answer for API requests, a proof of work solved here in Python, the clearance
cookie it earns, and every way that cookie is refused (forged, expired, rebound,
replayed answers); the no-JavaScript step and its low-level clearance; the cookie
check that explains blocked cookies instead of looping."""

import hashlib
import html
import re
import time
import urllib.parse

from helpers import RawConn, dump_yaml, run_cli
from test_tls import certs, tls_config  # noqa: F401 (fixture)
from tls_util import curl_https

CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
NAV = [("Accept", "text/html,application/xhtml+xml"), ("Sec-Fetch-Mode", "navigate")]
PATH = "/.rampart/challenge"


def start(rampart_factory, origin, **bot):
    settings = {"difficulty": 12, "puzzles": 4, "no_js_delay": "1s"}
    settings.update(bot)
    rules = [
        {"id": "js", "expression": 'http.request.uri.args["k"] eq "js"', "action": "js_challenge"},
        {"id": "api-needs-clearance",
         "expression": 'http.request.uri.path eq "/status/204" and not rampart.bot.clearance',
         "action": "block"},
        {"id": "all", "expression": 'not starts_with(http.request.uri.path, "/status/")',
         "action": "managed_challenge"},
    ]
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]}, "firewall": {"rules": rules}}
    return rampart_factory([origin], sites=[site], bot=settings)


def send(r, target, method="GET", ua=CHROME, headers=(), cookie=None, body=b""):
    h = [("User-Agent", ua)] + list(headers)
    if cookie:
        h.append(("Cookie", cookie))
    if body:
        h.append(("Content-Type", "application/x-www-form-urlencoded"))
    with RawConn(r.port) as c:
        return c.request(method, target, host="main.test", headers=h, body=body)


def page_fields(resp):
    text = resp.body.decode()
    m = re.search(r'data-c="([^"]+)" data-b="(\d+)" data-n="(\d+)"', text)
    assert m, text[:500]
    return m.group(1), int(m.group(2)), int(m.group(3)), text


def leading_zero_bits(digest):
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def solve(challenge, bits, puzzles):
    answers = []
    for i in range(puzzles):
        for n in range(1 << (bits + 8)):  # bounded: ~256x the expected work
            d = hashlib.sha256(("%s:%d:%d" % (challenge, i, n)).encode()).digest()
            if leading_zero_bits(d) >= bits:
                answers.append(n)
                break
        else:
            raise AssertionError("puzzle %d not solved" % i)
    return answers


def answer_body(challenge, answers, back):
    return urllib.parse.urlencode(
        {"c": challenge, "s": ",".join(map(str, answers)), "r": back}).encode()


def cookie_of(resp):
    set_cookie = resp.get("Set-Cookie")
    assert set_cookie, resp
    return set_cookie.split(";")[0]


def pass_challenge(r, target="/echo", ua=CHROME):
    resp = send(r, target, ua=ua, headers=NAV)
    assert resp.status == 403, resp
    challenge, bits, puzzles, _ = page_fields(resp)
    resp = send(r, PATH, "POST", ua=ua, body=answer_body(challenge, solve(challenge, bits, puzzles),
                                                          target))
    assert resp.status == 303, resp
    return resp


def test_navigation_gets_the_page_and_api_requests_a_short_answer(rampart_factory, origin):
    r = start(rampart_factory, origin, branding={"name": "Shop <Test>", "color": "#aa0000"})
    resp = send(r, "/echo", headers=NAV)
    assert resp.status == 403
    assert resp.get("Content-Type").startswith("text/html")
    assert resp.get("Cache-Control") == "no-store"
    csp = resp.get("Content-Security-Policy")
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", csp).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    challenge, bits, puzzles, text = page_fields(resp)
    assert (bits, puzzles) == (10, 4)  # 12 bits of work split into 4 puzzles of 10
    assert '<script nonce="%s">' % nonce in text and '<style nonce="%s">' % nonce in text
    assert 'role="status"' in text and 'aria-live="polite"' in text
    assert "prefers-reduced-motion" in text and "<noscript>" in text
    assert "noindex" not in text.lower() and not resp.get("X-Robots-Tag")
    assert resp.get("X-Request-Id") in text
    assert "Shop &lt;Test&gt;" in text and "#aa0000" in text and "<html lang=\"en\">" in text
    assert "src=" not in text and "href=\"http" not in text  # self-contained
    assert not origin_saw(origin, "/echo")

    fr = send(r, "/echo", headers=NAV + [("Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")])
    assert fr.status == 403 and '<html lang="fr">' in fr.body.decode()
    assert "Vérification" in fr.body.decode()

    # Not navigations: a short reason, never the page.
    api = send(r, "/echo", headers=[("Accept", "application/json")])
    assert api.status == 403 and api.get("Cache-Control") == "no-store"
    assert api.json()["error"] == "challenge_required"
    assert api.json()["request_id"] == api.get("X-Request-Id")
    sub = send(r, "/echo", headers=[("Accept", "text/html"), ("Sec-Fetch-Mode", "cors")])
    assert sub.status == 403 and sub.get("Content-Type").startswith("text/plain")
    assert b"challenge required" in sub.body
    # Paths no rule challenges are untouched.
    assert send(r, "/status/200").status == 200


def origin_saw(origin, target, method="GET"):
    return ("%s %s" % (method, target)) in origin.stats()["recent"]


def test_solved_challenge_earns_a_cookie_that_lets_the_client_in(rampart_factory, origin):
    r = start(rampart_factory, origin)
    target = "/echo?x=1&y=%20z"
    resp = pass_challenge(r, target)
    set_cookie = resp.get("Set-Cookie")
    assert set_cookie.startswith("rampart_clearance=")  # plain HTTP: no __Host- prefix
    attrs = [a.strip().lower() for a in set_cookie.split(";")[1:]]
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs
    assert "max-age=1800" in attrs and "secure" not in attrs
    cookie = cookie_of(resp)
    check = resp.get("Location")
    assert check.startswith(PATH + "?check=1&r=")
    hop = send(r, check, headers=NAV, cookie=cookie)
    assert hop.status == 303 and hop.get("Location") == target, hop
    ok = send(r, target, headers=NAV, cookie=cookie)
    assert ok.status == 200 and ok.json()["target"] == target
    # The next navigation and API calls keep access; the rules see the clearance.
    assert send(r, "/echo", headers=NAV, cookie=cookie).status == 200
    assert send(r, "/status/204", cookie=cookie).status == 204
    assert send(r, "/status/204").status == 403
    # A full clearance also satisfies js_challenge.
    assert send(r, "/echo?k=js", headers=NAV, cookie=cookie).status == 200


def test_refused_cookies_and_answers(rampart_factory, origin):
    r = start(rampart_factory, origin)
    resp = send(r, "/echo", headers=NAV)
    challenge, bits, puzzles, _ = page_fields(resp)
    answers = solve(challenge, bits, puzzles)

    # a wrong answer, and an answer for another client's challenge
    wrong = list(answers)
    wrong[0] += 1
    while leading_zero_bits(hashlib.sha256(
            ("%s:0:%d" % (challenge, wrong[0])).encode()).digest()) >= bits:
        wrong[0] += 1
    bad = send(r, PATH, "POST", body=answer_body(challenge, wrong, "/echo"))
    assert bad.status == 403 and b"wrong" in bad.body and not bad.get("Set-Cookie")
    other = send(r, PATH, "POST", ua=FIREFOX, body=answer_body(challenge, answers, "/echo"))
    assert other.status == 403 and b"forged" in other.body

    good = send(r, PATH, "POST", body=answer_body(challenge, answers, "//evil.example/"))
    assert good.status == 303
    assert good.get("Location") == PATH + "?check=1&r=/"  # never an open redirect
    cookie = cookie_of(good)
    # one answer, one cookie
    again = send(r, PATH, "POST", body=answer_body(challenge, answers, "/echo"))
    assert again.status == 403 and b"replayed" in again.body

    name, token = cookie.split("=", 1)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for forged in (name + "=" + flipped, name + "=" + token[:-2], name + "=garbage"):
        resp = send(r, "/echo", headers=NAV, cookie=forged)
        assert resp.status == 403 and b"data-c=" in resp.body, forged
    # the same cookie from another browser family is refused
    assert send(r, "/echo", headers=NAV, cookie=cookie, ua=FIREFOX).status == 403
    assert send(r, "/echo", headers=NAV, cookie=cookie).status == 200


def test_cookie_expires_and_is_renewed_while_in_use(rampart_factory, origin):
    r = start(rampart_factory, origin, clearance_lifetime="4s")
    cookie = cookie_of(pass_challenge(r))
    fresh = send(r, "/echo", headers=NAV, cookie=cookie)
    assert fresh.status == 200 and not fresh.get("Set-Cookie")
    time.sleep(2.2)
    renewed = send(r, "/echo", headers=NAV, cookie=cookie)
    assert renewed.status == 200 and renewed.get("Set-Cookie"), renewed
    new_cookie = cookie_of(renewed)
    time.sleep(2.2)
    expired = send(r, "/echo", headers=NAV, cookie=cookie)
    assert expired.status == 403 and b"data-c=" in expired.body
    assert send(r, "/echo", headers=NAV, cookie=new_cookie).status == 200


def test_no_js_step_grants_a_low_level_clearance(rampart_factory, origin):
    r = start(rampart_factory, origin, no_js_lifetime="1m")
    resp = send(r, "/echo?q=1", headers=NAV)
    text = resp.body.decode()
    m = re.search(r'<noscript><meta http-equiv="refresh" content="(\d+);url=([^"]+)"></noscript>',
                  text)
    assert m, text[:800]
    assert int(m.group(1)) >= 2  # after the 1 s delay
    url = html.unescape(m.group(2))
    assert url.startswith(PATH + "?nojs=")
    early = send(r, url, headers=NAV)
    assert early.status == 303 and early.get("Location") == "/echo?q=1"
    assert not early.get("Set-Cookie")
    time.sleep(2.1)
    granted = send(r, url, headers=NAV)
    assert granted.status == 303 and "max-age=60" in granted.get("Set-Cookie").lower()
    cookie = cookie_of(granted)
    assert send(r, url, headers=NAV).status == 403  # one step, one cookie
    assert send(r, "/echo?q=1", headers=NAV, cookie=cookie).status == 200
    # js_challenge wants the proof of work
    resp = send(r, "/echo?k=js", headers=NAV, cookie=cookie)
    assert resp.status == 403 and b"JavaScript" in resp.body
    assert b"nojs=" not in resp.body


def test_blocked_cookies_are_explained_instead_of_looping(rampart_factory, origin):
    r = start(rampart_factory, origin)
    resp = pass_challenge(r, "/echo?a=1")
    hop = send(r, resp.get("Location"), headers=NAV)  # the cookie did not come back
    assert hop.status == 403
    text = hop.body.decode()
    assert "Cookies are blocked" in text and 'role="alert"' in text
    assert 'href="/echo?a=1"' in text and "data-c=" not in text
    assert hop.get("Cache-Control") == "no-store"


def test_bad_bot_settings_are_refused_with_their_line(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(dump_yaml({
        "listeners": [{"address": "127.0.0.1:1"}],
        "sites": [{"name": "a", "default": True, "hosts": ["a.test"],
                   "origin": {"endpoints": ["127.0.0.1:2"]}}],
        "bot": {"difficulty": 40, "puzzles": 3,
                "keys": [{"id": 1, "secret": "abc"}],
                "branding": {"color": "red"}},
    }))
    p = run_cli("validate", cfg)
    assert p.returncode != 0
    lines = cfg.read_text().splitlines()
    for needle, message in (("difficulty:", "8"), ("puzzles:", "power of two"),
                            ("secret:", "hex digits"), ("color:", "#rgb")):
        line = next(i + 1 for i, text in enumerate(lines) if needle in text)
        assert re.search(r"bad\.yaml:%d:\d+: error: .*%s" % (line, re.escape(message)), p.stderr), \
            (needle, p.stderr)


def test_on_tls_the_cookie_is_host_prefixed_and_bound_to_the_tls_fingerprint(
        rampart_factory, origin, certs, tmp_path):  # noqa: F811
    cfg, port = tls_config(origin, certs, bot={"difficulty": 8, "puzzles": 2})
    cfg["sites"][0]["firewall"] = {"rules": [
        {"id": "all", "expression": "true", "action": "managed_challenge"}]}
    rampart_factory([origin], **cfg)
    heads = tmp_path / "heads.txt"

    def curl(path, *extra, alpn="--http1.1"):
        rc, _, code, body, err = curl_https(port, "main.test", path, certs.ca_cert,
                                            [alpn, "-A", CHROME, "-D", str(heads), *extra])
        assert rc == 0, err
        return code, body, heads.read_text()

    code, body, _ = curl("/echo", "-H", "Accept: text/html")
    assert code == 403
    m = re.search(r'data-c="([^"]+)" data-b="(\d+)" data-n="(\d+)"', body.decode())
    challenge, bits, puzzles = m.group(1), int(m.group(2)), int(m.group(3))
    form = answer_body(challenge, solve(challenge, bits, puzzles), "/echo").decode()
    code, _, head = curl(PATH, "--data", form)
    assert code == 303, head
    set_cookie = next(line for line in head.splitlines() if line.lower().startswith("set-cookie:"))
    assert set_cookie.split(":", 1)[1].strip().startswith("__Host-rampart_clearance=")
    assert "; Secure" in set_cookie and "Path=/" in set_cookie and "Domain" not in set_cookie
    cookie = set_cookie.split(":", 1)[1].strip().split(";")[0]
    code, body, _ = curl("/echo", "-H", "Cookie: " + cookie)
    assert code == 200 and b'"target"' in body
    # Another TLS fingerprint (ALPN h2 instead of http/1.1) with the same cookie and UA.
    code, _, _ = curl("/echo", "-H", "Cookie: " + cookie, alpn="--http2")
    assert code == 403
    # The plain-HTTP name is not accepted on TLS.
    code, _, _ = curl("/echo", "-H", "Cookie: rampart_clearance=" + cookie.split("=", 1)[1])
    assert code == 403
