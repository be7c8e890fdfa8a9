#!/usr/bin/env python3
"""The candidate side of the WAF differential test: rampart with its managed WAF running the
same OWASP CRS as the reference (run_modsecurity.py).

Starts the rampart binary (RAMPART_BIN, default build/release/rampart of this checkout, else
/work/main's) on a free loopback port with a generated config: one listener, one default site
proxying to a loopback origin (corpus_client.Origin, 200 "ok" to everything), the access log
in a temp file, limits wide enough for the corpus, and the WAF section from waf_config().
Sends every corpus request with corpus_client (the very bytes the reference receives), then
reads the access log: one JSON object per request, matched to the request by the
X-Request-Id response header (= the entry's `request_id`). The matched rule ids of a request
are the `rules` list of the entry's `waf` field (integers: the ids of the rules that matched and
logged, as ModSecurity's audit log lists them); an entry without the field has none.

    RAMPART_BIN=build/release/rampart /usr/bin/python3 tests/waf/run_rampart.py \
        --out /tmp/rampart-pl1.jsonl [--paranoia 1] [--waf-yaml FILE] [--no-waf] \
        [--categories ...] [--per-category N] [--keep]
    /usr/bin/python3 tests/waf/compare.py /tmp/ref-pl1.jsonl /tmp/rampart-pl1.jsonl

--waf-yaml FILE: a YAML fragment merged over the generated config instead of waf_config()'s
section; the text `{{PARANOIA}}` in it is replaced by --paranoia (the same fragment format
bench/waf.sh takes in RAMPART_WAF_CONFIG). --no-waf runs rampart without a WAF section (every
request should pass: a check of the harness itself).
"""

import argparse
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import corpus_client  # noqa: E402

CRS_SETUP = "/etc/modsecurity/crs/crs-setup.conf"
CRS_RULES_DIR = "/usr/share/modsecurity-crs/rules"


def default_binary():
    env = os.environ.get("RAMPART_BIN")
    if env:
        return env
    own = REPO / "build" / "release" / "rampart"
    return str(own) if own.exists() else "/work/main/build/release/rampart"


def waf_config(paranoia):
    """The part of rampart's YAML config that turns the managed WAF on the way the reference
    runs ModSecurity: Debian's modsecurity.conf first (its body-processor and body-error
    rules 200000-200007), then the CRS setup and rules (`crs: true`, the defaults of
    docs/configuration.md's `waf` section), in blocking mode at the given paranoia level
    (rampart presets `tx.paranoia_level`, as the reference's SecAction 900000 does).
    ModSecurity has no time budget, so the comparison gives rampart a generous one: a slow
    sanitizer build must not turn a verdict into the budget's fail-open.
    A different layout can be given without editing this file: --waf-yaml FILE.
    """
    return {
        "waf": {
            "mode": "block",
            "files": ["/etc/nginx/modsecurity.conf"],
            "paranoia_level": paranoia,
            "time_budget": "10s",
        }
    }


def deep_merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def base_config(port, admin_port, origin_port, access_log):
    return {
        "version": "waf-differential",
        "workers": 2,
        "listeners": [{"name": "main", "address": "127.0.0.1:%d" % port}],
        "admin": {"address": "127.0.0.1:%d" % admin_port, "token": "waf-differential-%x" % os.getpid()},
        "access_log": {"path": str(access_log)},
        "log_level": "warn",
        "limits": {
            "max_request_line": "64KiB",
            "max_header_bytes": "128KiB",
            "max_header_count": 200,
            "max_body_bytes": "20MiB",
            "max_connections": 2000,
            "max_connections_per_ip": 2000,
        },
        "sites": [{
            "name": "main",
            "default": True,
            "hosts": ["shop.example.com"],
            "origin": {"endpoints": ["127.0.0.1:%d" % origin_port]},
        }],
    }


def load_fragment(path, paranoia):
    text = Path(path).read_text().replace("{{PARANOIA}}", str(paranoia))
    frag = yaml.safe_load(text) or {}
    if not isinstance(frag, dict):
        raise SystemExit("%s: not a YAML map" % path)
    return frag


class Candidate:
    """A running rampart with the WAF configured, in front of an in-process origin."""

    def __init__(self, binary, waf, tmp=None):
        self.tmp = Path(tmp or tempfile.mkdtemp(prefix="waf-rampart-"))
        self.origin = corpus_client.Origin()
        self.port = corpus_client.free_port()
        self.access_log = self.tmp / "access.log"
        cfg = deep_merge(base_config(self.port, corpus_client.free_port(), self.origin.port, self.access_log),
                         waf or {})
        self.config = self.tmp / "rampart.yaml"
        self.config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        check = subprocess.run([binary, "validate", str(self.config)], capture_output=True, text=True, timeout=120)
        if check.returncode != 0:
            self.origin.stop()
            raise RuntimeError("rampart validate rejected %s:\n%s%s" % (self.config, check.stdout, check.stderr))
        self.proc = subprocess.Popen([binary, "run", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.tmp / "stderr.log", "w"))
        if not corpus_client.wait_port(self.port, 120, lambda: self.proc.poll() is None):
            self.stop()
            raise RuntimeError("rampart did not come up:\n" + (self.tmp / "stderr.log").read_text()[-2000:])

    def log_entries(self):
        """{request_id: access-log entry}."""
        out = {}
        if not self.access_log.exists():
            return out
        for line in self.access_log.read_text(errors="replace").splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if isinstance(e, dict) and "request_id" in e:
                out[e["request_id"]] = e
        return out

    def stop(self):
        if getattr(self, "proc", None) is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.origin.stop()

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def waf_rules_of(entry):
    """The matched rule ids an access-log entry carries: the `rules` list of its `waf`
    field (absent when no WAF rule matched)."""
    rules = (entry.get("waf") or {}).get("rules") or []
    return [int(r) for r in rules if isinstance(r, int) or (isinstance(r, str) and r.isdigit())]


def run(entries, binary, waf, concurrency=8, keep=False, settle=0.0, log=print):
    cand = Candidate(binary, waf)
    try:
        time.sleep(max(0.0, min(settle, 600.0)))
        t0 = time.monotonic()
        answers = corpus_client.send_all(entries, cand.port, concurrency=concurrency,
                                         progress=lambda n, t: log("  %d/%d sent" % (n, t)))
        took = time.monotonic() - t0
        log("sent %d requests in %.1fs (%.0f req/s)" % (len(entries), took, len(entries) / max(took, 1e-9)))
        logged = {}
        deadline = time.monotonic() + 10
        want = {a.headers.get("x-request-id") for a in answers.values()} - {None}
        while time.monotonic() < deadline:  # the log is written after the answer
            logged = cand.log_entries()
            if want <= logged.keys():
                break
            time.sleep(0.2)
    finally:
        cand.stop()
    records = []
    for e in entries:
        a = answers[e["id"]]
        entry = logged.get(a.headers.get("x-request-id"))
        extra = {} if entry is not None else {"log": "missing"}
        records.append(corpus_client.result_record(e, a, waf_rules_of(entry or {}), extra))
    if keep:
        log("temp dir kept: %s" % cand.tmp)
    else:
        cand.cleanup()
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(HERE / "corpus" / "corpus.jsonl"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--paranoia", type=int, default=1, choices=[1, 2, 3, 4])
    ap.add_argument("--waf-yaml", help="YAML fragment for the WAF ({{PARANOIA}} substituted)")
    ap.add_argument("--no-waf", action="store_true", help="run without the WAF (harness check)")
    ap.add_argument("--categories")
    ap.add_argument("--per-category", type=int)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="seconds to wait after rampart is up before sending (e.g. for the "
                         "WAF prefilters, which compile in the background: waf.prefilter)")
    args = ap.parse_args()
    if args.no_waf:
        waf = {}
    elif args.waf_yaml:
        waf = load_fragment(args.waf_yaml, args.paranoia)
    else:
        waf = waf_config(args.paranoia)
    cats = set(args.categories.split(",")) if args.categories else None
    entries = corpus_client.load_corpus(args.corpus, cats, args.per_category)
    records = run(entries, args.binary, waf, args.concurrency, args.keep, args.settle)
    corpus_client.write_results(args.out, records)
    print("%d results -> %s (%d blocked, %d with an error, %d without an access-log entry)" % (
        len(records), args.out, sum(r["blocked"] for r in records), sum("error" in r for r in records),
        sum(r.get("log") == "missing" for r in records)))


if __name__ == "__main__":
    main()
