"""Chaos scenarios 2 and 3: bad configuration pushed at runtime under steady load.

2. a WAF rule and a firewall rule with catastrophic-backtracking regexes, then rule sets
   ten times larger than allowed (WAF: 5,000 rules; firewall: 10,000 rules a ruleset);
3. an invalid YAML config, a config with a dangling pool reference, and a config whose
   canary answers 5xx (it must roll back by itself).

Real clients (http.client, keep-alive, a new connection every few requests) load
rampart on loopback the whole time, bounded in request count and time. Each scenario
asserts that no response was an error rampart caused, that memory stayed under its cap,
and writes its figures to build/chaos/<scenario>.json.

The broken canary of scenario 3 answers 503 by design during its trial: those answers
carry a marker body and are counted apart (expected_canary_5xx). They must stay within
the canary's share of the requests made while it was on trial; any other 5xx, reset or
refused connection counts as a rampart error.
"""

import copy
import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import helpers  # noqa: E402
from helpers import (LOOPBACK, SLOW, Origin, Rampart, base_config, free_port,  # noqa: E402
                     wait_until)

REPORT_DIR = helpers.REPO / "build" / "chaos"
LONG = os.environ.get("CHAOS_LONG") == "1"  # `make chaos`: the long run
CLIENTS = 6
MAX_REQUESTS = 500_000 if LONG else 150_000  # for the whole load, across clients
MAX_SECONDS = 300 if LONG else 120
# The node's memory cap for these scenarios (sanitizers roughly triple a process's RSS).
RSS_CAP_MIB = 768 if helpers.SANITIZED else 256
CANARY_MARKER = "canary-broken-on-purpose"


# --------------------------------------------------------------------------------------
# local helpers (the suite's shared ones may not exist yet on this branch)
# --------------------------------------------------------------------------------------

class Load:
    """CLIENTS threads of real HTTP/1.1 clients until stop() or the bounds."""

    def __init__(self, port, path="/echo?q=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%21"):
        self.port = port
        self.path = path
        self.lock = threading.Lock()
        self.ok = 0
        self.rampart_errors = []    # (time, what)
        self.origin_errors = 0      # the demo origin stays healthy here
        self.canary_5xx = []        # times
        self.requests = 0
        self.slowest = 0.0
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + MAX_SECONDS
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=15)

    def _count(self, kind, detail=None):
        with self.lock:
            self.requests += 1
            if kind == "ok":
                self.ok += 1
            elif kind == "canary":
                self.canary_5xx.append(time.monotonic())
            elif kind == "origin":
                self.origin_errors += 1
            else:
                self.rampart_errors.append((time.monotonic(), detail))

    def _run(self):
        conn = None
        used = 0
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            with self.lock:
                if self.requests >= MAX_REQUESTS:
                    return
            if conn is None or used >= 10:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10)
                used = 0
            started = time.monotonic()
            try:
                conn.request("GET", self.path, headers={"Host": "main.test"})
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException) as e:
                self._count("rampart", repr(e))
                conn.close()
                conn = None
                continue
            used += 1
            took = time.monotonic() - started
            with self.lock:
                self.slowest = max(self.slowest, took)
            if resp.status < 500:
                self._count("ok")
            elif CANARY_MARKER.encode() in body:
                self._count("canary")
            else:
                self._count("rampart", "%d %s" % (resp.status, body[:200]))
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


class RssWatch(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.max_kib = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.max_kib = max(self.max_kib, helpers.read_status_kib(self.pid, "VmRSS"))
            except (OSError, ValueError, TypeError, KeyError):
                return  # the process is gone (the fixture's teardown reports how)
            self.stopping.wait(0.05)

    def stop(self):
        self.stopping.set()
        self.join(timeout=2)
        try:  # the high-water mark catches a spike between samples
            self.max_kib = max(self.max_kib, helpers.read_status_kib(self.pid, "VmHWM"))
        except (OSError, ValueError, TypeError, KeyError):
            pass
        return self.max_kib / 1024.0


@pytest.fixture
def node(tmp_path):
    """An origin and a rampart in front of it; stopped (and checked) at teardown."""
    assert helpers.wait_for_binary(), "rampart binary not found (set RAMPART_BIN)"
    origin = Origin(tmp_path, name="A")
    cfg = base_config(free_port(), free_port(), [origin.endpoint], tmp_path / "access.log")
    cfg["access_log"] = {"path": "off"}
    cfg["log_level"] = "warn"
    r = Rampart(tmp_path, cfg)
    yield r
    rc, _ = r.stop()
    origin.stop()
    report = r.sanitizer_report()
    assert rc == 0 and not report, "rampart exit %r\n%s\n%s" % (rc, report, r.logs())


def push(r, cfg, raw=None, query=""):
    """Writes cfg (or raw text) and reloads; (status, json answer, seconds taken)."""
    if raw is None:
        r.write_config(cfg)
    else:
        r.config_path.write_text(raw)
    started = time.monotonic()
    s, _, body = r.admin_post("/config/reload" + query, timeout=120)
    return s, json.loads(body), time.monotonic() - started


def admin_config(r):
    s, _, body = r.admin_get("/config")
    assert s == 200, body
    return json.loads(body)


def assert_refused_with_lines(answer, path, running):
    assert answer["ok"] is False and answer["config_version"] == running, answer
    assert answer["errors"], answer
    for e in answer["errors"]:
        assert e.split(":")[0] == str(path) and e.split(":")[1].isdigit(), e


def write_report(scenario, load, rss_mib, detect=None, rollback=None, notes=""):
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    figures = {
        "scenario": scenario,
        "requests": load.requests,
        "rampart_errors": len(load.rampart_errors),
        "origin_errors": load.origin_errors,
        "stale_served": None,
        "time_to_detect_s": None if detect is None else round(detect, 3),
        "time_to_rollback_s": None if rollback is None else round(rollback, 3),
        "max_rss_mib": round(rss_mib, 1),
        "notes": notes,
        "mode": "long" if LONG else "short",
        "sanitized": helpers.SANITIZED,
    }
    (REPORT_DIR / ("%s.json" % scenario)).write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def steady(load, seconds):
    """Lets the load run for a while (and proves it is flowing)."""
    before = load.requests
    time.sleep(seconds)
    assert load.requests > before, "the load stalled"


# --------------------------------------------------------------------------------------
# scenario 2: expensive and oversized rules pushed at runtime
# --------------------------------------------------------------------------------------

def test_scenario_2_backtracking_regex_and_oversized_rule_sets(node, tmp_path):
    r = node
    running = r.config["version"]
    rss = RssWatch(r.pid)
    rss.start()
    notes = []
    with Load(r.port) as load:
        steady(load, 1.0)

        # A firewall rule and a WAF rule whose regexes backtrack catastrophically on the
        # query every client sends ("aaaa…a!"): the rules language compiles to RE2
        # (linear time); the WAF's backreference needs PCRE2, capped by its match limit.
        waf_file = tmp_path / "evil.conf"
        waf_file.write_text(
            'SecRule ARGS "@rx ^(a|aa|aaa)+\\1$" "id:9001,phase:2,deny,status:403,log"\n')
        evil = copy.deepcopy(r.config)
        evil["version"] = "evil-regex"
        evil["waf"] = {"crs": False, "files": [str(waf_file)]}
        evil["sites"][0]["firewall"] = {"rules": [{
            "id": "evil", "expression": 'http.request.uri.query matches "(a+)+$"',
            "action": "log"}]}
        s, answer, took = push(r, evil)
        assert s == 200 and answer["config_version"] == "evil-regex", answer
        # The WAF rule is live: it denies a value it does match.
        status, _, _ = helpers.http_get(r.port, "/echo?q=aaaaaa")
        assert status == 403
        before = load.requests
        slowest_before = load.slowest
        steady(load, 3.0)
        served_with_evil = load.requests - before
        assert served_with_evil > 50 * CLIENTS, "the backtracking rules slowed serving down"
        notes.append("backtracking regexes: %d requests in 3 s after the push, slowest "
                     "response %.0f ms" % (served_with_evil, 1000 * max(load.slowest,
                                                                         slowest_before)))
        running = "evil-regex"

        # Ten times the WAF's 5,000-rule limit.
        big_waf = tmp_path / "huge.conf"
        big_waf.write_text("".join(
            'SecRule ARGS:p%d "@streq x" "id:%d,phase:2,pass,nolog"\n' % (i, 100000 + i)
            for i in range(50_000)))
        huge = copy.deepcopy(evil)
        huge["version"] = "huge-waf"
        huge["waf"] = {"crs": False, "files": [str(big_waf)]}
        s, answer, waf_detect = push(r, huge)
        assert s == 400, answer
        assert any("over the limit of 5000" in e for e in answer["errors"]), answer
        for e in answer["errors"]:
            assert e.startswith(str(big_waf) + ":") or e.startswith(str(r.config_path) + ":"), e

        # Ten times the 10,000-rule limit of a firewall ruleset.
        huge = copy.deepcopy(evil)
        huge["version"] = "huge-firewall"
        huge["sites"][0]["firewall"] = {"rules": [
            {"id": "r%d" % i, "expression": 'http.request.uri.path eq "/p%d"' % i,
             "action": "block"} for i in range(100_000)]}
        s, answer, fw_detect = push(r, huge)
        assert s == 400, answer
        assert_refused_with_lines(answer, r.config_path, running)
        steady(load, 1.0)
        assert admin_config(r)["current_version"] == "evil-regex"
        load.stop()
    rss_mib = rss.stop()
    notes.append("50,000 WAF rules refused in %.2f s, 100,000 firewall rules in %.2f s"
                 % (waf_detect, fw_detect))
    figures = write_report("rules_at_runtime", load, rss_mib, detect=max(waf_detect, fw_detect),
                           notes="; ".join(notes))
    assert load.rampart_errors == [], load.rampart_errors[:5]
    assert rss_mib < RSS_CAP_MIB, figures
    assert load.requests > 0


# --------------------------------------------------------------------------------------
# scenario 3: invalid, dangling and failing configs
# --------------------------------------------------------------------------------------

def test_scenario_3_invalid_dangling_and_failing_configs(node):
    r = node
    rss = RssWatch(r.pid)
    rss.start()
    notes = []
    good = copy.deepcopy(r.config)
    good["version"] = "guarded"
    good["deployment"] = {"canary_percent": 10, "window": "60s",
                          "max_error_rate_increase": "1%", "min_requests": 20}
    s, answer, _ = push(r, good)  # the first config with the section swaps at once
    assert s == 200 and "staged" not in answer, answer
    with Load(r.port) as load:
        steady(load, 1.0)

        # Invalid YAML.
        s, answer, yaml_detect = push(r, None, raw=helpers.dump_yaml(good) + "sites: [\n  {x: 1\n")
        assert s == 400, answer
        assert_refused_with_lines(answer, r.config_path, "guarded")

        # A site routed to a pool that does not exist.
        dangling = copy.deepcopy(good)
        dangling["version"] = "dangling"
        dangling["sites"][0]["origin"] = {"pool": "nowhere"}
        s, answer, dangling_detect = push(r, dangling)
        assert s == 400, answer
        assert_refused_with_lines(answer, r.config_path, "guarded")
        assert any("nowhere" in e for e in answer["errors"]), answer
        steady(load, 1.0)

        # A valid config whose rule answers 503 to everything: on trial for 10% of
        # connections, it must be rolled back by itself long before its 60 s window.
        failing = copy.deepcopy(good)
        failing["version"] = "failing-canary"
        failing["sites"][0]["firewall"] = {"rules": [{
            "id": "broken", "expression": 'http.request.uri.path ne "/never"',
            "action": "block", "action_parameters": {
                "status_code": 503, "content_type": "text/plain", "content": CANARY_MARKER}}]}
        with load.lock:
            requests_before = load.requests
        pushed = time.monotonic()
        s, answer, _ = push(r, failing)
        assert s == 200 and answer.get("staged") is True, answer
        wait_until(lambda: admin_config(r)["state"] == "stable", 30 * SLOW,
                   what="the failing canary's rollback")
        rolled_back = time.monotonic() - pushed
        st = admin_config(r)
        assert st["current_version"] == "guarded", st
        assert st["last_decision"]["action"] == "rollback", st
        assert st["last_decision"]["version"] == "failing-canary", st
        with load.lock:
            during = load.requests - requests_before
            first_canary = min(load.canary_5xx) if load.canary_5xx else None
        canary_5xx = len(load.canary_5xx)
        steady(load, 2.0)
        with load.lock:
            late = [t for t in load.canary_5xx if t > pushed + rolled_back + 0.5]
        load.stop()
    rss_mib = rss.stop()
    detect = (first_canary - pushed) if first_canary is not None else None
    notes.append("invalid YAML refused in %.2f s; dangling pool in %.2f s"
                 % (yaml_detect, dangling_detect))
    notes.append("failing canary (10%% of connections, 60 s window) rolled back after %.2f s "
                 "by itself: %d expected 503s out of %d requests during its trial; reason: %s"
                 % (rolled_back, canary_5xx, during, st["last_decision"]["reason"]))
    figures = write_report("config_changes", load, rss_mib, detect=detect, rollback=rolled_back,
                           notes="; ".join(notes))
    assert load.rampart_errors == [], load.rampart_errors[:5]
    # The canary's 503s stayed within its share (10% of connections, with slack for the
    # uneven share a few hundred connections give) and stopped with the rollback.
    assert canary_5xx <= 0.25 * max(during, 1), figures
    assert late == [], "503s from the rolled-back canary after the rollback"
    assert rolled_back < 20 * SLOW, figures
    assert rss_mib < RSS_CAP_MIB, figures
