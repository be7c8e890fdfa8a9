"""Adaptive layer-7 DDoS mitigation with the real binary and our flood generator
(bench/tools/flood.cc, built as rampart_flood next to the rampart binary).

Legitimate visitors (four browsers, cached pages, 200 addresses of 127.30.0.0/24) run
throughout; an attack with one fingerprint from 4,000 addresses of 127.20.0.0/16 starts
after the site has learned its baseline. Windows are shortened by the site's `ddos:`
settings so the whole flood fits in about half a minute.
"""

import json
import os
import subprocess
import threading
import time

import pytest

from helpers import RAMPART_BIN, SANITIZED, TOKEN, dump_yaml, http_get, run_cli

FLOOD_BIN = os.path.join(os.path.dirname(RAMPART_BIN), "rampart_flood")
ATTACK_UA = "EvilBot/2.1 (+flood)"
LEGIT_UAS = ["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
             "Mozilla/5.0 (Macintosh) Safari/605.1.15",
             "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0",
             "Mozilla/5.0 (iPhone) Mobile Safari/604.1"]
RSS_CAP_MIB = 128  # rampart's resident memory may not pass this during the flood

DDOS = {"sensitivity": "medium", "min_rate": 50, "learning_period": "4s",
        "baseline_window": "5s", "withdraw_after": "3s"}


def ddos_site(rampart_factory, origin, **ddos):
    settings = dict(DDOS)
    settings.update(ddos)
    return rampart_factory(
        origins=[origin],
        access_log={"path": "off"},
        sites=[{"name": "main", "default": True, "hosts": ["main.test"],
                "origin": {"endpoints": [origin.endpoint]},
                "cache": {"enabled": True}, "ddos": settings}])


def flood(port, *classes, max_seconds=60):
    args = [FLOOD_BIN, "--target", "127.0.0.1:%d" % port, "--host", "main.test",
            "--max-seconds", str(max_seconds)]
    for c in classes:
        args += c
    p = subprocess.run(args, capture_output=True, text=True, timeout=max_seconds + 30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["classes"]


def legit_class(start, duration, rate=100):
    c = ["--class", "legit", "--rate", str(rate), "--start", str(start),
         "--duration", str(duration), "--conns", "32", "--per-conn", "20",
         "--sources", "127.30.0.0/24"]
    for ua in LEGIT_UAS:
        c += ["--ua", ua]
    for page in range(1, 6):
        c += ["--path", "/cacheable?page=%d&cc=public,max-age=600" % page]
    c += ["--header", "Accept: text/html"]
    return c


def attack_class(start, duration, rate):
    return ["--class", "attack", "--rate", str(rate), "--start", str(start),
            "--duration", str(duration), "--conns", "200", "--per-conn", "10",
            "--sources", "127.20.0.0/16", "--source-count", "4000", "--ua", ATTACK_UA,
            "--path", "/search?q={n}", "--header", "Accept: */*"]


def mitigations(r):
    s, _, body = r.admin_get("/ddos/mitigations")
    assert s == 200
    sites = json.loads(body)["sites"]
    assert [x["site"] for x in sites] == ["main"]
    return sites[0]


class Watcher(threading.Thread):
    """Polls the admin API and rampart's RSS while the flood runs."""

    def __init__(self, r, reload_at=None):
        super().__init__(daemon=True)
        self.r = r
        self.reload_at = reload_at  # seconds into the flood: reload the config once
        self.reloaded = None
        self.t0 = time.monotonic()
        self.samples = []  # (seconds, active mitigation ids, rules)
        self.max_rss_kib = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.25):
            try:
                site = mitigations(self.r)
            except Exception:  # noqa: BLE001 - a slow admin answer is a missed sample
                continue
            active = site["mitigations"]
            self.samples.append((time.monotonic() - self.t0, [m["id"] for m in active],
                                 [m["rule"] for m in active]))
            self.max_rss_kib = max(self.max_rss_kib, self.r.rss_kib())
            if self.reload_at is not None and self.reloaded is None and \
                    self.samples[-1][0] >= self.reload_at:
                assert self.r.reload()[0] == 200
                self.reloaded = time.monotonic() - self.t0

    def first_seen(self, predicate):
        for t, ids, rules in self.samples:
            if predicate(ids, rules):
                return t
        return None


@pytest.mark.skipif(SANITIZED, reason="a flood of thousands of requests per second")
def test_attack_is_fingerprinted_mitigated_and_withdrawn(origin, rampart_factory):
    assert os.path.exists(FLOOD_BIN), "build rampart_flood next to rampart"
    r = ddos_site(rampart_factory, origin)
    onset, attack_s, total_s, rate = 8, 14, 30, 2500
    # A reload in the middle of the attack keeps what was learned and the mitigation.
    watcher = Watcher(r, reload_at=onset + 5)
    watcher.start()
    out = flood(r.port, legit_class(0, total_s), attack_class(onset, attack_s, rate))
    watcher.stop.set()
    watcher.join(5)
    legit, attack = out["legit"], out["attack"]
    print("legit", {k: v for k, v in legit.items() if k != "timeline"})
    print("attack", {k: v for k, v in attack.items() if k != "timeline"})
    print("attack timeline [sent, 2xx, 403, other, error]:", attack["timeline"])

    # Visitors are served throughout: before, during and after the attack.
    ok = sum(v for k, v in legit["status"].items() if k.startswith("2"))
    assert legit["sent"] >= 0.9 * 100 * total_s
    assert ok >= 0.99 * legit["sent"], legit["status"]

    # The attack ran at thousands of requests per second...
    assert attack["sent"] >= 0.8 * rate * attack_s, attack["status"]
    # ...and from 10 s after its onset, at least 99% of it is refused.
    late = attack["timeline"][10:]
    late_sent = sum(b[0] for b in late)
    late_refused = sum(b[2] for b in late)
    assert late_sent >= 0.8 * rate * (attack_s - 10)
    assert late_refused >= 0.99 * late_sent, late

    # The mitigation is the attack's fingerprint, shown by the admin API while in force.
    def ours(ids, rules):
        return any(('http.user_agent eq "%s"' % ATTACK_UA) in x and
                   'http.request.uri.path eq "/search"' in x for x in rules)
    started = watcher.first_seen(ours)
    assert started is not None, watcher.samples[-5:]
    print("mitigation seen %.1f s after the attack's onset" % (started - onset))
    assert started - onset <= 10
    for _, _, rules in watcher.samples:
        for rule in rules:
            assert "Mozilla" not in rule and "127.30." not in rule, rule
    assert watcher.reloaded is not None
    first_id = next(ids for t, ids, _ in watcher.samples if t >= started)
    after_reload = [ids for t, ids, _ in watcher.samples
                    if watcher.reloaded < t < onset + attack_s - 1]
    assert after_reload and all(ids == first_id for ids in after_reload), after_reload

    # It is withdrawn after the attack stops, while visitors keep coming.
    ended = onset + attack_s
    gone = [t for t, ids, _ in watcher.samples if t > ended and not ids]
    assert gone, watcher.samples[-5:]
    print("mitigation withdrawn %.1f s after the attack ended" % (gone[0] - ended))
    site = mitigations(r)
    assert site["mitigations"] == []
    assert len(site["withdrawn"]) == 1
    w = site["withdrawn"][0]
    assert w["fingerprint"]["user_agent"] == ATTACK_UA
    assert w["fingerprint"]["path"] == "/search"
    assert w["requests_mitigated"] >= late_refused

    s, _, body = r.admin_get("/metrics")
    text = body.decode()
    assert 'rampart_ddos_mitigations_started_total{site="main"} 1' in text
    assert 'rampart_ddos_mitigations_active{site="main"} 0' in text
    assert "# TYPE rampart_ddos_mitigations_active gauge" in text
    print("max RSS %.1f MiB" % (watcher.max_rss_kib / 1024))
    assert 0 < watcher.max_rss_kib < RSS_CAP_MIB * 1024


def test_under_attack_mode_from_config_and_admin(origin, rampart_factory):
    r = ddos_site(rampart_factory, origin)
    assert http_get(r.port, "/cacheable")[0] == 200
    # The switch needs the token.
    s, _, _ = r.admin_post("/ddos/under_attack?site=main&enabled=true", token=None)
    assert s == 401
    s, _, body = r.admin_post("/ddos/under_attack?site=main&enabled=true")
    assert s == 200 and json.loads(body)["under_attack"] is True
    # the bot phase's challenge, 503 in under-attack mode
    assert http_get(r.port, "/cacheable")[0] == 503
    assert mitigations(r)["under_attack"] is True
    s, _, _ = r.admin_post("/ddos/under_attack?site=nope&enabled=true")
    assert s == 404
    s, _, _ = r.admin_post("/ddos/under_attack?site=main&enabled=maybe")
    assert s == 400
    # Back to the config (off), and the config can turn it on: a reload keeps the
    # admin's choice only while it is set.
    s, _, _ = r.admin_post("/ddos/under_attack?site=main&enabled=config")
    assert s == 200
    assert http_get(r.port, "/cacheable")[0] == 200
    cfg = r.config
    cfg["sites"][0]["ddos"]["under_attack"] = True
    r.write_config(cfg)
    assert r.reload()[0] == 200
    assert http_get(r.port, "/cacheable")[0] == 503
    site = mitigations(r)
    assert site["under_attack"] is True and site["under_attack_source"] == "config"
    s, _, body = r.admin_get("/metrics")
    assert 'rampart_ddos_requests_mitigated_total{site="main"} 2' in body.decode()


def test_ddos_settings_are_checked_at_load(tmp_path, origin, rampart_factory):
    r = ddos_site(rampart_factory, origin)
    cfg = r.config
    cfg["sites"][0]["ddos"] = {"sensitivity": "extreme", "action": "tarpit",
                               "withdraw_after": "10ms", "min_rate": 0, "bogus": 1}
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(cfg))
    p = run_cli("validate", path)
    assert p.returncode != 0
    err = p.stderr + p.stdout
    for needle in ('"extreme" is not one of', '"tarpit" is not one of', "out of range",
                   "bogus"):
        assert needle in err, err
    assert "%s:" % path in err
