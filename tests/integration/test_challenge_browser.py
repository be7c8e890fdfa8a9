"""The challenge page in a real browser: headless chromium (Debian) driven by
playwright-core (tests/browser/) passes the proof of work by itself and keeps access,
passes the no-JavaScript step with scripts off, and with cookies blocked sees the
explanation instead of a loop. Screenshots of the page in English and French go to
build/browser-artifacts/."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BROWSER_DIR = REPO / "tests" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def test_challenge_in_a_real_browser(rampart_factory, origin):
    node = shutil.which("node")
    if not (node and os.path.exists(CHROMIUM) and
            (BROWSER_DIR / "node_modules" / "playwright-core").is_dir()):
        pytest.skip("chromium, node or tests/browser/node_modules missing: "
                    "run scripts/install-deps.sh")
    # `challenge`, not `managed_challenge`: a real Chromium scores high enough that a
    # managed challenge would let it straight through (asserted below).
    rules = [{"id": "all", "expression": 'not starts_with(http.request.uri.path, "/status/")',
              "action": "challenge"}]
    site = {"name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [origin.endpoint]}, "firewall": {"rules": rules}}
    r = rampart_factory([origin], sites=[site],
                        bot={"difficulty": 16, "puzzles": 8, "no_js_delay": "1s",
                             "branding": {"name": "Rampart test shop"}})
    artifacts = REPO / "build" / "browser-artifacts"
    p = subprocess.run([node, str(BROWSER_DIR / "challenge.mjs"),
                        "http://127.0.0.1:%d" % r.port, str(artifacts)],
                       capture_output=True, text=True, timeout=180, cwd=BROWSER_DIR,
                       env=dict(os.environ, CHROMIUM=CHROMIUM))
    print(p.stdout)
    assert p.returncode == 0, p.stdout + p.stderr
    for name in ("challenge-en.png", "challenge-fr.png"):
        assert (artifacts / name).stat().st_size > 1000, name
    # The bot score of a navigation with Chromium's own headers, before any clearance:
    # its header set, order and client hints are a browser's (headless costs a little).
    plain = [e for e in r.access_log() if e.get("path") == "/echo/plain-navigation"]
    assert plain and "bot" in plain[0], r.access_log()[:3]
    assert plain[0]["bot"]["score"] >= 70, plain[0]
    # Playwright's locale override sends Accept-Language out of Chromium's order: noticed.
    first = [e for e in r.access_log() if e.get("path") == "/echo" and "bot" in e]
    assert first and "order=-15" in first[0]["bot"]["signals"], first[:1]
