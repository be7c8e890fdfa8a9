"""Chaos scenario 1: the bot data feeds go bad under steady load (the 18 November 2025
failure, where a bot feature file twice its expected size took the proxy down).

A firewall rule lets only verified crawlers into /bots/; the crawler is verified by its
published IP range (a data feed). While a crawler (from its range, with its user agent)
and ordinary visitors load rampart, the range file and the Web Bot Auth key file are
replaced by: a file twice, then ten times over the size cap; garbage; good and bad
versions alternating every few seconds; finally a good version whose entry count jumps
beyond `max_change` (held back until an operator accepts it).

Asserted: no response is an error rampart caused; every verified-bot decision is right
throughout (the crawler is let in, visitors are kept out of /bots/), so the running
version keeps serving while bad versions are refused (GET /feeds shows the refusal next
to the running version and its entries); the held-back version applies only when
accepted; memory stays under the node's cap. time_to_detect_s is the slowest time from a
bad file landing (renamed over the old one) to rampart counting its refusal.
"""

import base64
import json
import os
import random
import statistics
import time

import chaos_lib
from chaos_lib import LONG, STEP_S, ChaosOrigin, Load, RssSampler, write_report
from helpers import RawConn

GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CRAWLER = "127.0.0.6"   # in every good version of the range file
NEWCOMER = "127.0.0.7"  # only in the version that is held back
RANGES = "verified_bot.googlebot.ip_ranges"
KEYS = "verified_bot.signer.web_bot_auth_keys"
MAX_BYTES = 8192
MAX_ENTRIES = 1000
GOOD_ENTRIES = 24
# Seconds each version of the alternation stays on disk, and how many good/bad cycles.
CYCLE_S = 2.0 if LONG else 1.2
CYCLES = 8 if LONG else 2
# Seconds of load on the running version after each refusal of the first phases.
HOLD_S = STEP_S if LONG else 0.75
DETECT_TIMEOUT_S = 10.0 * chaos_lib.helpers.SLOW


def write_atomic(path, data):
    """How a feed job publishes a file: write a temporary one, rename it over the old."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data if isinstance(data, bytes) else data.encode())
    os.replace(tmp, path)


def ranges_json(prefixes):
    return json.dumps({"creationTime": "2026-11-01T00:00:00.000000",
                       "prefixes": [{"ipv6Prefix" if ":" in p else "ipv4Prefix": p}
                                    for p in prefixes]}, indent=1)


def good_ranges(variant, count=GOOD_ENTRIES, extra=()):
    others = ["10.%d.%d.0/24" % (variant, i) for i in range(count - 1 - len(extra))]
    return ranges_json([CRAWLER + "/32"] + list(extra) + others)


def oversized_ranges(factor):
    """Valid range JSON, `factor` times the byte cap (and still under the entry cap)."""
    n = factor * MAX_BYTES // 40
    while True:
        text = ranges_json([CRAWLER + "/32"] + ["10.%d.%d.0/24" % (100 + i // 256, i % 256)
                                                for i in range(n)])
        if len(text) >= factor * MAX_BYTES:
            return text
        n += 16


def jwks(count, seed):
    rnd = random.Random(seed)
    keys = [{"kty": "OKP", "crv": "Ed25519",
             "x": base64.urlsafe_b64encode(
                 bytes(rnd.getrandbits(8) for _ in range(32))).rstrip(b"=").decode()}
            for _ in range(count)]
    return json.dumps({"keys": keys}, indent=1)


def oversized_jwks(factor):
    n = factor * MAX_BYTES // 80
    while True:
        text = jwks(n, 2)
        if len(text) >= factor * MAX_BYTES:
            return text
        n += 8


def garbage(size, seed):
    return random.Random(seed).randbytes(size)


# Bad versions the alternation cycles through, with the result each must get.
BAD_VERSIONS = [
    ("2x the size cap", lambda: oversized_ranges(2), "too_big"),
    ("random bytes", lambda: garbage(900, 3), "malformed"),
    ("truncated JSON", lambda: good_ranges(2)[:400], "malformed"),
    ("an invalid prefix", lambda: good_ranges(2, extra=("10.0.0.0/33",)), "malformed"),
    ("an empty file", lambda: "", "malformed"),
    ("10x the size cap", lambda: oversized_ranges(10), "too_big"),
]


class Feeds:
    def __init__(self, rampart):
        self.r = rampart

    def state(self, name):
        status, _, body = self.r.admin_get("/feeds")
        assert status == 200, body
        return {f["name"]: f for f in json.loads(body)["feeds"]}[name]

    def count(self, name, result):
        return self.r.metrics().value("rampart_feed_updates_total", feed=name, result=result)

    def push(self, name, path, data, result):
        """Publishes `data` and waits until rampart counts `result` for it; returns the
        seconds that took and the feed's state then."""
        before = self.count(name, result)
        t0 = time.monotonic()
        write_atomic(path, data)
        deadline = t0 + DETECT_TIMEOUT_S
        while self.count(name, result) <= before:
            assert time.monotonic() < deadline, \
                "%s: no %s within %.0f s: %s" % (name, result, DETECT_TIMEOUT_S, self.state(name))
            time.sleep(0.02)
        return time.monotonic() - t0, self.state(name)


def get_status(port, source, ua, path="/bots/check"):
    with RawConn(port, source=source) as c:
        return c.request("GET", path, headers=[("User-Agent", ua)]).status


def test_bad_bot_feeds_are_refused_while_the_running_version_serves(tmp_path,
                                                                   rampart_factory):
    origin = ChaosOrigin()
    ranges_path = tmp_path / "googlebot.json"
    keys_path = tmp_path / "signer.jwks"
    ranges_path.write_text(good_ranges(1))
    keys_path.write_text(jwks(4, 1))
    r = rampart_factory(**chaos_lib.chaos_config({
        "sites": [{"name": "main", "default": True, "hosts": ["main.test"],
                   "origin": {"endpoints": [origin.endpoint]}}],
        "bot": {"verified_bots": [
            {"name": "googlebot", "user_agent": "Googlebot", "ip_ranges": str(ranges_path)},
            {"name": "signer", "web_bot_auth_keys": str(keys_path)}],
            "feed_limits": {"max_bytes": MAX_BYTES, "max_entries": MAX_ENTRIES,
                            "max_change": "50%"}},
        "firewall": {"rules": [
            {"id": "crawlers-only", "action": "block",
             "expression": 'starts_with(http.request.uri.path, "/bots/") and '
                           'not cf.bot_management.verified_bot'},
            # Keeps the bot score computed for every request under load.
            {"id": "low-score", "action": "log", "expression": "cf.bot_management.score lt 30"},
        ]},
    }))
    feeds = Feeds(r)
    running = feeds.state(RANGES)
    keys_running = feeds.state(KEYS)
    assert running["entries"] == GOOD_ENTRIES and running["last_result"] == "applied", running
    assert keys_running["entries"] == 4, keys_running
    assert get_status(r.port, CRAWLER, GOOGLEBOT_UA) == 200
    assert get_status(r.port, NEWCOMER, GOOGLEBOT_UA) == 403

    rss = RssSampler(r.pid)
    budget = STEP_S * 12 + CYCLES * CYCLE_S * 2 + 120
    crawler = Load(r.port, ["/bots/a", "/bots/b", "/dyn/c"], threads=2, max_seconds=budget,
                   headers={"User-Agent": GOOGLEBOT_UA}, source=(CRAWLER, 0)).start()
    visitors = Load(r.port, ["/bots/a", "/dyn/a", "/dyn/b"], threads=2, max_seconds=budget,
                    headers={"User-Agent": BROWSER_UA}).start()
    detect = []  # (what, seconds)
    refusals = []
    try:
        time.sleep(STEP_S)

        def refuse(name, path, data, result, what, hold):
            took, state = feeds.push(name, path, data, result)
            detect.append((what, took))
            refusals.append(what)
            kept = running if name == RANGES else keys_running
            # The refusal shows next to the version that keeps serving.
            assert state["last_result"] == result and state["last_reason"], state
            assert (state["version"], state["entries"]) == (kept["version"], kept["entries"]), \
                (what, state, kept)
            time.sleep(hold)

        # a) over the size cap, twice then ten times; b) garbage. Both feeds.
        refuse(RANGES, ranges_path, oversized_ranges(2), "too_big", "ranges 2x cap", HOLD_S)
        refuse(RANGES, ranges_path, oversized_ranges(10), "too_big", "ranges 10x cap", HOLD_S)
        refuse(KEYS, keys_path, oversized_jwks(2), "too_big", "keys 2x cap", 0)
        refuse(KEYS, keys_path, oversized_jwks(10), "too_big", "keys 10x cap", 0)
        refuse(KEYS, keys_path, garbage(700, 4), "malformed", "keys garbage", 0)
        refuse(RANGES, ranges_path, garbage(900, 5), "malformed", "ranges garbage", HOLD_S)

        # c) good and bad versions alternate; each good one applies, each bad one is
        # refused and the good one before it keeps serving.
        applied = 0
        for cycle in range(CYCLES):
            variant = 10 + cycle % 2
            t0 = time.monotonic()
            took, state = feeds.push(RANGES, ranges_path, good_ranges(variant), "applied")
            assert state["entries"] == GOOD_ENTRIES and state["version"] != running["version"]
            running = state
            applied += 1
            time.sleep(max(0.0, CYCLE_S - (time.monotonic() - t0)))
            what, make, result = BAD_VERSIONS[cycle % len(BAD_VERSIONS)]
            t0 = time.monotonic()
            refuse(RANGES, ranges_path, make(), result, "alternating: " + what, 0)
            time.sleep(max(0.0, CYCLE_S - (time.monotonic() - t0)))

        # d) a good version whose entry count jumps beyond max_change: held back, the
        # newcomer it names stays unverified until an operator accepts it.
        jump = good_ranges(20, count=GOOD_ENTRIES * 3, extra=(NEWCOMER + "/32",))
        took, state = feeds.push(RANGES, ranges_path, jump, "held_back")
        detect.append(("held back", took))
        assert (state["version"], state["entries"]) == (running["version"], GOOD_ENTRIES), state
        assert state["held_back"]["entries"] == GOOD_ENTRIES * 3, state
        assert get_status(r.port, NEWCOMER, GOOGLEBOT_UA) == 403
        time.sleep(STEP_S)
        status, _, body = r.admin_post("/feeds/%s/accept" % RANGES)
        assert status == 200, body
        accepted = json.loads(body)
        assert accepted["entries"] == GOOD_ENTRIES * 3 and accepted["held_back"] is None
        assert get_status(r.port, NEWCOMER, GOOGLEBOT_UA) == 200
        time.sleep(STEP_S)
    finally:
        crawler.stop()
        visitors.stop()
        origin.stop()
    max_rss = rss.stop()

    # Every verified-bot decision was right: the crawler always in, visitors never in
    # /bots/, everything else served by the origin.
    def wrong(load, bots_status):
        return [s for s in load.samples
                if s.status != (bots_status if s.path.startswith("/bots/") else 200)
                or (s.status == 200 and not s.origin)]

    wrong_crawler = wrong(crawler, 200)
    wrong_visitors = wrong(visitors, 403)
    errors = crawler.rampart_errors() + visitors.rampart_errors()
    times = [t for _, t in detect]
    requests = len(crawler.samples) + len(visitors.samples)
    write_report(
        "bot_feeds", requests=requests, rampart_errors=len(errors),
        time_to_detect_s=max(times), max_rss_mib=max_rss,
        notes="%d bad feed versions refused (ranges and keys: 2x and 10x the %d-byte cap, "
        "garbage; then %d good/bad alternations every %.1f s), each while the previous "
        "version served; a %d-entry jump from %d held back, then accepted; detection median "
        "%.2f s (files checked once a second); wrong verified-bot decisions: %d of %d "
        "crawler and %d of %d visitor requests; GETs retried after a keep-alive close: %d" % (
            len(refusals), MAX_BYTES, CYCLES, CYCLE_S, GOOD_ENTRIES * 3, GOOD_ENTRIES,
            statistics.median(times), len(wrong_crawler), len(crawler.samples),
            len(wrong_visitors), len(visitors.samples),
            crawler.keepalive_retries + visitors.keepalive_retries))

    assert len(crawler.samples) > 50 and len(visitors.samples) > 50
    assert errors == [], chaos_lib.describe(errors)
    assert wrong_crawler == [], chaos_lib.describe(wrong_crawler)
    assert wrong_visitors == [], chaos_lib.describe(wrong_visitors)
    assert max_rss < chaos_lib.MEMORY_CAP_MIB, max_rss
    assert max(times) < DETECT_TIMEOUT_S
    logs = r.logs()
    assert "keeps serving" in logs and "googlebot.json" in logs and "signer.jwks" in logs
    assert r.proc.poll() is None
