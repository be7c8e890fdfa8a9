"""Verified bots: a fake crawler on a loopback address whose reverse DNS is served by a
real DNS server the test starts, published IP ranges and Web Bot Auth signatures as data
feeds, and bad feed files refused (or held back) while the running version serves."""

import base64
import hashlib
import json
import os
import time

import pytest

from dns_server import DnsServer
from helpers import SLOW, RawConn, parse_metrics, wait_until

GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
RANGES_FEED = "verified_bot.googlebot.ip_ranges"
MAX_FEED_BYTES = 4096


@pytest.fixture
def dns():
    server = DnsServer()
    yield server
    server.close()


def write_atomic(path, text):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def ranges_json(prefixes):
    return json.dumps({"creationTime": "2026-11-01T00:00:00.000000",
                       "prefixes": [{"ipv6Prefix" if ":" in p else "ipv4Prefix": p}
                                    for p in prefixes]}, indent=1)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def start(rampart_factory, origin, tmp_path, dns, ranges=("127.0.0.6/32",), keys=None):
    ranges_path = tmp_path / "googlebot.json"
    ranges_path.write_text(ranges_json(ranges))
    bots = [{"name": "googlebot", "user_agent": "Googlebot", "ip_ranges": str(ranges_path),
             "reverse_dns": ["googlebot.com", "google.com"]}]
    if keys is not None:
        jwks_path = tmp_path / "signer.jwks"
        jwks_path.write_text(json.dumps({"keys": keys}))
        bots.append({"name": "signer", "web_bot_auth_keys": str(jwks_path)})
    r = rampart_factory([origin], firewall={"rules": [{
        "id": "bots-only",
        "expression": 'http.request.uri.path eq "/echo" and not cf.bot_management.verified_bot',
        "action": "block"}]}, bot={
            "verified_bots": bots,
            "feed_limits": {"max_bytes": MAX_FEED_BYTES, "max_entries": 200, "max_change": "50%"},
            "reverse_dns": {"resolver": dns.address, "timeout": "1s"}})
    return r, ranges_path


def get(r, source, ua, headers=()):
    with RawConn(r.port, source=source) as c:
        return c.request("GET", "/echo", headers=[("User-Agent", ua)] + list(headers)).status


def test_fcrdns_crawler_allowed_and_impostors_refused(rampart_factory, origin, tmp_path, dns):
    dns.ptr["127.0.0.2"] = ["crawl-127-0-0-2.googlebot.com"]
    dns.addrs["crawl-127-0-0-2.googlebot.com"] = ["127.0.0.2"]
    # PTR under the right suffix, but the name does not resolve back to the address.
    dns.ptr["127.0.0.3"] = ["crawl-127-0-0-3.googlebot.com"]
    dns.addrs["crawl-127-0-0-3.googlebot.com"] = ["127.0.0.9"]
    # Forward-confirmed, but under somebody else's domain.
    dns.ptr["127.0.0.4"] = ["crawler.googlebot.com.evil.example"]
    dns.addrs["crawler.googlebot.com.evil.example"] = ["127.0.0.4"]
    r, _ = start(rampart_factory, origin, tmp_path, dns)

    # The first request proceeds unverified while the lookup runs; later ones see it.
    assert get(r, "127.0.0.2", GOOGLEBOT_UA) == 403
    wait_until(lambda: get(r, "127.0.0.2", GOOGLEBOT_UA) == 200, 5 * SLOW,
               what="the crawler verified by forward-confirmed reverse DNS")
    assert ("crawl-127-0-0-2.googlebot.com", 1) in dns.queries
    # The same address without the crawler's user agent is not the crawler.
    assert get(r, "127.0.0.2", BROWSER_UA) == 403

    for impostor, forward in (("127.0.0.3", "crawl-127-0-0-3.googlebot.com"),
                              ("127.0.0.4", "crawler.googlebot.com.evil.example")):
        assert get(r, impostor, GOOGLEBOT_UA) == 403
        wait_until(lambda: (forward, 1) in dns.queries, 5 * SLOW, what="forward lookup")
        time.sleep(0.3)
        for _ in range(3):
            assert get(r, impostor, GOOGLEBOT_UA) == 403, impostor

    # A browser user agent never costs a DNS lookup.
    before = len(dns.queries)
    assert get(r, "127.0.0.5", BROWSER_UA) == 403
    time.sleep(0.3)
    assert len(dns.queries) == before

    metrics = parse_metrics(r.admin_get("/metrics")[2].decode())
    assert metrics.value("rampart_verified_bot_total", result="reverse_dns") >= 1
    assert metrics.value("rampart_verified_bot_total", result="claimed_unverified") >= 4


def test_ip_range_crawler_and_bad_feed_files(rampart_factory, origin, tmp_path, dns):
    r, ranges_path = start(rampart_factory, origin, tmp_path, dns,
                           ranges=("127.0.0.6/32", "10.1.0.0/16", "10.2.0.0/16", "2001:db8::/32"))
    # In the published ranges: verified at once, no DNS needed.
    assert get(r, "127.0.0.6", GOOGLEBOT_UA) == 200
    assert get(r, "127.0.0.7", BROWSER_UA) == 403
    assert get(r, "127.0.0.6", BROWSER_UA) == 403  # the range is the crawler's, with its UA

    def feed_state():
        status, _, body = r.admin_get("/feeds")
        assert status == 200, body
        feeds = {f["name"]: f for f in json.loads(body)["feeds"]}
        return feeds[RANGES_FEED]

    good = feed_state()
    assert good["entries"] == 4 and good["last_result"] == "applied" and good["held_back"] is None

    def push(text, result):
        write_atomic(ranges_path, text)
        wait_until(lambda: feed_state()["last_result"] == result, 5 * SLOW, what=result)
        state = feed_state()
        assert state["version"] == good["version"], state  # the old version keeps serving
        assert get(r, "127.0.0.6", GOOGLEBOT_UA) == 200
        return state

    too_big = ranges_json(["127.0.0.6/32"] + ["10.3.%d.0/24" % i for i in range(150)])
    assert len(too_big) > MAX_FEED_BYTES
    assert "over the limit" in push(too_big, "too_big")["last_reason"]
    assert "not JSON" in push("{\"prefixes\": [{\"ipv4Prefix\": ", "malformed")["last_reason"]
    push(ranges_json(["127.0.0.6/33"]), "malformed")
    # Ten times as many entries (small enough in bytes): held back, not applied.
    jump = ranges_json(["127.0.0.7/32"] + ["10.%d.0.0/16" % i for i in range(39)])
    held = push(jump, "held_back")
    assert held["held_back"]["entries"] == 40
    assert get(r, "127.0.0.7", GOOGLEBOT_UA) == 403
    logs = r.logs()
    assert "googlebot.json" in logs and "held_back" in logs and "too_big" in logs

    metrics = parse_metrics(r.admin_get("/metrics")[2].decode())
    for result in ("too_big", "malformed", "held_back"):
        assert metrics.value("rampart_feed_updates_total", feed=RANGES_FEED, result=result) >= 1, \
            (result, metrics.text)
    assert metrics.value("rampart_feed_held_back", feed=RANGES_FEED) == 1

    # Accepting needs the admin token; then the held-back version serves.
    assert r.admin_post("/feeds/%s/accept" % RANGES_FEED, token=None)[0] == 401
    status, _, body = r.admin_post("/feeds/%s/accept" % RANGES_FEED)
    assert status == 200, body
    assert json.loads(body)["entries"] == 40
    assert get(r, "127.0.0.7", GOOGLEBOT_UA) == 200
    assert get(r, "127.0.0.6", GOOGLEBOT_UA) == 403
    assert r.admin_post("/feeds/%s/accept" % RANGES_FEED)[0] == 409


def test_web_bot_auth_signatures(rampart_factory, origin, tmp_path, dns):
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    from cryptography.hazmat.primitives import serialization
    key = ed25519.Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    x = b64url(raw)
    canonical = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % x
    keyid = b64url(hashlib.sha256(canonical.encode()).digest())
    r, _ = start(rampart_factory, origin, tmp_path, dns,
                 keys=[{"kty": "OKP", "crv": "Ed25519", "x": x}])
    agent = '"https://signer.example"'

    def signed(authority="main.test", sent_agent=agent, created=None, lifetime=300):
        created = int(time.time()) if created is None else created
        params = ('("@authority" "signature-agent");created=%d;expires=%d;keyid="%s";'
                  'alg="ed25519";tag="web-bot-auth"' % (created, created + lifetime, keyid))
        base = ('"@authority": %s\n"signature-agent": %s\n"@signature-params": %s'
                % (authority, agent, params))
        sig = base64.b64encode(key.sign(base.encode())).decode()
        return [("Signature-Agent", sent_agent), ("Signature-Input", "sig1=" + params),
                ("Signature", "sig1=:%s:" % sig)]

    ua = "SignerBot/1.0"
    assert get(r, "127.0.0.8", ua, signed()) == 200
    assert get(r, "127.0.0.8", ua) == 403  # unsigned
    # Tampered: another agent than the one signed, another authority, expired, garbage.
    assert get(r, "127.0.0.8", ua, signed(sent_agent='"https://evil.example"')) == 403
    assert get(r, "127.0.0.8", ua, signed(authority="other.test")) == 403
    assert get(r, "127.0.0.8", ua, signed(created=int(time.time()) - 7200)) == 403
    assert get(r, "127.0.0.8", ua, [("Signature-Input", "sig1=(\"@authority"),
                                    ("Signature", "sig1=:AAAA:")]) == 403
    metrics = parse_metrics(r.admin_get("/metrics")[2].decode())
    assert metrics.value("rampart_verified_bot_total", result="web_bot_auth") == 1
    assert metrics.value("rampart_verified_bot_total", result="signature_refused") >= 3


def test_a_silent_resolver_never_delays_requests(rampart_factory, origin, tmp_path):
    """Lookups to a DNS server that never answers run in the background: requests claiming
    the crawler are answered at once (unverified), as if no lookup were made."""
    import socket
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # receives queries, never answers
    try:
        class Silent:
            address = "127.0.0.1:%d" % silent.getsockname()[1]
        r, _ = start(rampart_factory, origin, tmp_path, Silent)
        t0 = time.monotonic()
        for i in range(20):
            assert get(r, "127.0.0.%d" % (20 + i), GOOGLEBOT_UA) == 403
        elapsed = time.monotonic() - t0
        # 20 lookups of 1 s each would take 20 s if a worker waited for them.
        assert elapsed < 2.0 * SLOW, elapsed
        silent.settimeout(2)
        assert silent.recv(512)  # the lookups did go out
        assert get(r, "127.0.0.6", GOOGLEBOT_UA) == 200  # ranges still verify meanwhile
    finally:
        silent.close()


def test_config_reload_rereads_feeds(rampart_factory, origin, tmp_path, dns):
    r, ranges_path = start(rampart_factory, origin, tmp_path, dns)
    assert get(r, "127.0.0.6", GOOGLEBOT_UA) == 200
    # A new file named by the reloaded config is read at the reload.
    other = tmp_path / "googlebot-2.json"
    other.write_text(ranges_json(["127.0.0.11/32"]))
    cfg = r.config
    cfg["bot"]["verified_bots"][0]["ip_ranges"] = str(other)
    r.write_config(cfg)
    assert r.reload()[0] == 200
    assert get(r, "127.0.0.11", GOOGLEBOT_UA) == 200
    assert get(r, "127.0.0.6", GOOGLEBOT_UA) == 403
