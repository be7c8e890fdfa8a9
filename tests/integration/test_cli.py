"""The command line: version, validate, run."""

import re
import signal
import socket
import subprocess

import pytest

from helpers import (RAMPART_BIN, REPO, SLOW, base_config, dump_yaml, free_port, http_get,
                     run_cli, spawn_rampart, wait_for_binary, wait_until)


def error_lines(stderr, path):
    pat = re.compile(r"^%s:(\d+):(\d+): error: (\S.*)$" % re.escape(str(path)))
    out = []
    for line in stderr.splitlines():
        m = pat.match(line)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return out


def test_version():
    p = run_cli("version")
    assert p.returncode == 0
    assert re.fullmatch(r"rampart \d+\.\d+\.\d+\n", p.stdout), p.stdout


def test_validate_example_config():
    path = REPO / "examples" / "rampart.yaml"
    p = run_cli("validate", path)
    assert p.returncode == 0, p.stderr
    assert any(re.search(r"\bok\b", l) for l in p.stdout.splitlines()), p.stdout
    assert "error" not in p.stderr


def test_validate_generated_test_config(tmp_path):
    cfg = base_config(free_port(), free_port(), ["127.0.0.1:1"], tmp_path / "a.log")
    path = tmp_path / "c.yaml"
    path.write_text(dump_yaml(cfg))
    p = run_cli("validate", path)
    assert p.returncode == 0, p.stderr


BAD = """\
version: bad-1
workers: 2
listeners:
  - name: main
    address: 127.0.0.1:99999
admin:
  address: 127.0.0.1:9901
  token: short
trusted_proxies:
  - 10.0.0.0/33
timeouts:
  header_read: soon
limits:
  max_header_count: -5
sites:
  - name: a
    hosts: [a.test]
    origin:
      endpoints: []
    redirects:
      - from: /x
        to: /y
        status: 299
"""
# line numbers of the planted errors above
BAD_LINES = {
    5: "listener port out of range",
    8: "admin token shorter than 16",
    10: "CIDR prefix /33",
    12: "duration 'soon'",
    14: "negative count",
    19: "no origin endpoints",
    23: "redirect status 299",
}


def test_validate_reports_every_error_with_position(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    p = run_cli("validate", path)
    assert p.returncode == 1
    assert p.stdout.strip() == "" or "ok" not in p.stdout.split()
    errs = error_lines(p.stderr, path)
    assert errs, p.stderr
    found = {line for line, _, _ in errs}
    missing = {l: what for l, what in BAD_LINES.items() if l not in found}
    assert not missing, "errors not reported (line: what): %r\nstderr:\n%s" % (missing, p.stderr)
    assert all(col >= 1 for _, col, _ in errs)


ONE_ERROR = """\
version: one-error
listeners:
  - name: main
    address: 127.0.0.1:8080
admin:
  address: 127.0.0.1:9901
  token: long-enough-token-123
sites:
  - name: a
    default: true
    hosts: [a.test]
    origin:
      endpoints: []
"""


def test_validate_points_at_the_offending_value(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(ONE_ERROR)
    p = run_cli("validate", path)
    assert p.returncode == 1
    errs = error_lines(p.stderr, path)
    assert len(errs) == 1, p.stderr
    assert errs[0][0] == 13, errs  # the empty endpoints list


def test_validate_yaml_syntax_error(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("version: x\nlisteners:\n  - name: [unclosed\n    address: 1\n")
    p = run_cli("validate", path)
    assert p.returncode == 1
    errs = error_lines(p.stderr, path)
    assert errs, p.stderr
    assert 2 <= errs[0][0] <= 5


TWO_DEFAULTS = """\
version: v
listeners:
  - name: main
    address: 127.0.0.1:8080
admin:
  token: long-enough-token-123
sites:
  - name: a
    default: true
    hosts: [a.test]
    origin: {endpoints: ["127.0.0.1:8081"]}
  - name: b
    default: true
    hosts: [b.test]
    origin: {endpoints: ["127.0.0.1:8081"]}
"""


def test_validate_two_default_sites(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(TWO_DEFAULTS)
    p = run_cli("validate", path)
    assert p.returncode == 1
    lines = {l for l, _, _ in error_lines(p.stderr, path)}
    assert lines & {12, 13}, p.stderr  # the second site, or its `default: true`


def test_validate_unknown_key(tmp_path):
    # An unknown key is a typo until proven otherwise: production configs reject it
    # (a silently ignored "timeout:" instead of "timeouts:" is an outage waiting to happen).
    path = tmp_path / "unknown.yaml"
    path.write_text(ONE_ERROR.replace("      endpoints: []", '      endpoints: ["127.0.0.1:8081"]')
                    + "    colour: blue\n")
    p = run_cli("validate", path)
    assert p.returncode == 1, p.stdout
    assert [l for l, _, _ in error_lines(p.stderr, path)] == [14], p.stderr


def test_validate_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    p = run_cli("validate", path)
    assert p.returncode == 1
    assert str(path) in p.stderr
    assert "error" in p.stderr


def test_run_with_invalid_config_exits_1_with_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    wait_for_binary()
    p = subprocess.run([RAMPART_BIN, "run", "-c", str(path)], capture_output=True, text=True,
                       timeout=10 * SLOW, stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    assert len(error_lines(p.stderr, path)) >= len(BAD_LINES)


def test_unknown_command_fails():
    p = run_cli("frobnicate")
    assert p.returncode != 0


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def test_run_without_config_uses_embedded_demo(tmp_path):
    # The embedded demo config listens on the example's ports (8080 public, 9901 admin).
    if not (_port_free(8080) and _port_free(9901)):
        pytest.skip("ports 8080/9901 busy")
    out = open(tmp_path / "demo.out", "wb")
    proc = spawn_rampart(["run"], stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        def ready():
            assert proc.poll() is None, "exited %s" % proc.returncode
            return http_get(9901, "/status", host="admin", timeout=1)[0] == 200
        wait_until(ready, 10 * SLOW, what="embedded demo config /status")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(15 * SLOW)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait(5)
        out.close()
    assert rc == 0, (tmp_path / "demo.out").read_text(errors="replace")
