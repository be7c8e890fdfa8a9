"""IP lists from files (a million entries), and reloads that bring a bad list file or a
bad rule: refused with the position of the mistake, the running rules kept."""

import copy
import json
import random
import re
import time

from helpers import SLOW, RawConn, run_cli


def rule(rule_id, expression, action="block", **params):
    r = {"id": rule_id, "expression": expression, "action": action}
    if params:
        r["action_parameters"] = params
    return r


def start(rampart_factory, origin, rules, lists=None, wait=True):
    cfg = {
        # The test client is 127.0.0.1; as a trusted proxy it may name other clients in
        # X-Forwarded-For, which is what ip.src then is.
        "trusted_proxies": ["127.0.0.1/32"],
        "firewall": {"rules": rules},
    }
    if lists is not None:
        cfg["lists"] = lists
    return rampart_factory([origin], wait=wait, **cfg)


def from_client(conn, ip, target="/echo"):
    """A request relayed for client `ip`; True when it reached the origin, False when the
    firewall refused it."""
    resp = conn.request("GET", target, headers=[("X-Forwarded-For", ip)])
    if resp.status == 200:
        assert resp.json()["target"] == target
        return True
    assert resp.status == 403 and b"refused at the edge" in resp.body, (ip, resp)
    return False


def v4(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def generate_list(path, rng, n_host, n_net24, n_v6):
    """Writes a list file of random IPv4 /32s and /24s and IPv6 /64s (plus comments and
    blank lines); returns the sets written, to tell listed from unlisted addresses."""
    hosts, nets, v6 = set(), set(), set()
    lines = ["# generated for test_million_entry_list_from_file", ""]
    while len(hosts) < n_host:
        a = rng.getrandbits(32)
        if a not in hosts:
            hosts.add(a)
            lines.append(v4(a))
    while len(nets) < n_net24:
        a = rng.getrandbits(24)
        if a not in nets:
            nets.add(a)
            lines.append("%s/24" % v4(a << 8))
    while len(v6) < n_v6:
        x = (rng.getrandbits(16), rng.getrandbits(16))
        if x not in v6:
            v6.add(x)
            lines.append("2001:db8:%x:%x::/64  # a trailing comment" % x)
    path.write_text("\n".join(lines) + "\n")
    return hosts, nets, v6


def listed_v4(a, hosts, nets):
    return a in hosts or (a >> 8) in nets


def test_million_entry_list_from_file(rampart_factory, origin, tmp_path):
    rng = random.Random(20240611)
    path = tmp_path / "big.txt"
    hosts, nets, v6 = generate_list(path, rng, 700_000, 250_000, 50_000)
    assert len(hosts) + len(nets) + len(v6) == 1_000_000
    rules = [rule("big-list", "ip.src in $big")]
    lists = {"big": {"file": str(path)}}

    t0 = time.monotonic()
    r = start(rampart_factory, origin, rules, lists, wait=False)
    r.wait_ready(timeout=60 * SLOW)
    load_s = time.monotonic() - t0
    print("\n1,000,000-entry list (%.1f MB): rampart serving after %.2fs (rss %d MiB)"
          % (path.stat().st_size / 1e6, load_s, r.rss_kib() // 1024))
    assert load_s < 30 * SLOW

    listed = [v4(a) for a in rng.sample(sorted(hosts), 25)]
    listed += [v4((n << 8) | rng.getrandbits(8)) for n in rng.sample(sorted(nets), 25)]
    listed += ["2001:db8:%x:%x::%x" % (x[0], x[1], rng.getrandbits(16))
               for x in rng.sample(sorted(v6), 10)]
    unlisted = []
    while len(unlisted) < 40:
        a = rng.getrandbits(32)
        if not listed_v4(a, hosts, nets):
            unlisted.append(v4(a))
    while len(unlisted) < 50:
        x = (rng.getrandbits(16), rng.getrandbits(16))
        if x not in v6:
            unlisted.append("2001:db8:%x:%x::1" % x)
    unlisted.append("2001:db9::1")

    with RawConn(r.port) as c:
        for ip in listed:
            assert from_client(c, ip) is False, "%s is listed but was let through" % ip
        for ip in unlisted:
            assert from_client(c, ip) is True, "%s is not listed but was refused" % ip
    assert r.metrics().value("rampart_rule_matches_total", rule="big-list") == len(listed)
    e = r.wait_log(lambda e: e["client_ip"] == listed[0])
    assert e["rules"] == ["big-list"] and e["status"] == 403


def test_bad_list_file_on_reload_is_refused_and_old_list_kept(rampart_factory, origin, tmp_path):
    path = tmp_path / "lists" / "blocked.txt"
    path.parent.mkdir()
    path.write_text("192.0.2.0/24\n# comment\n198.51.100.7\n")
    # max_change 0: this test is about bad files, not about held-back jumps
    # (test_lists_feed.py), and its last file is a third of the first.
    r = start(rampart_factory, origin, [rule("blocked", "ip.src in $blocked")],
              {"blocked": {"file": str(path), "max_change": "0%"}})
    with RawConn(r.port) as c:
        assert from_client(c, "192.0.2.5") is False
        assert from_client(c, "198.51.100.7") is False
        assert from_client(c, "203.0.113.1") is True

    # line 4 is bad; line 3 would add an address
    path.write_text("192.0.2.0/24\n# comment\n203.0.113.1\n10.0.0.300\n")
    status, _, body = r.reload()
    assert status == 400, body
    errors = json.loads(body)["errors"]
    text = "\n".join(errors)
    config_text = r.config_path.read_text()
    file_line = next(i for i, l in enumerate(config_text.splitlines(), 1) if "file:" in l)
    assert re.search(r"^%s:%d:\d+: error: list \"blocked\": %s line 4: .*10\.0\.0\.300"
                     % (re.escape(str(r.config_path)), file_line, re.escape(str(path))),
                     text, re.M), text
    assert r.metrics().value("rampart_config_reload_failures_total") == 1
    # the list read before is still the one in force
    with RawConn(r.port) as c:
        assert from_client(c, "192.0.2.5") is False
        assert from_client(c, "198.51.100.7") is False
        assert from_client(c, "203.0.113.1") is True

    # a missing file is refused too
    path.unlink()
    status, _, body = r.reload()
    assert status == 400 and "blocked" in body.decode(), body
    with RawConn(r.port) as c:
        assert from_client(c, "198.51.100.7") is False

    # fixed: the new list replaces the old
    path.write_text("203.0.113.1\n")
    status, _, body = r.reload()
    assert status == 200, body
    with RawConn(r.port) as c:
        assert from_client(c, "192.0.2.5") is True
        assert from_client(c, "203.0.113.1") is False


def line_col(text, needle):
    """1-based line and column of the first occurrence of needle in text."""
    for i, line in enumerate(text.splitlines(), 1):
        col = line.find(needle)
        if col >= 0:
            return i, col + 1
    raise AssertionError("%r not in\n%s" % (needle, text))


BAD_RULES = [
    # (expression, token the error must point at, words of the message)
    ('http.request.uri.pth eq "/x"', "http.request.uri.pth", "unknown field"),
    ('http.request.uri.path eq 5', "eq 5", "Int"),
    ('http.request.uri.path matches "(["', '"(["', "regular expression"),
    ('ip.src in $nowhere', "$nowhere", "no list"),
]


def test_bad_rule_on_reload_is_refused_with_position(rampart_factory, origin):
    good = [rule("deny", 'http.request.uri.path eq "/deny"')]
    r = start(rampart_factory, origin, good)
    with RawConn(r.port) as c:
        assert c.request("GET", "/deny").status == 403
    failures = 0
    for expression, token, words in BAD_RULES:
        bad = copy.deepcopy(r.config)
        bad["version"] = "bad"
        bad["firewall"]["rules"] = [
            rule("allow-all", "true", "allow"),
            rule("broken", expression),
        ]
        r.write_config(bad)
        status, _, body = r.reload()
        assert status == 400, (expression, body)
        failures += 1
        errors = json.loads(body)["errors"]
        assert len(errors) == 1, errors
        line, col = line_col(r.config_path.read_text(), token)
        first = errors[0].splitlines()[0]
        where = "%s:%d:%d: error: rule \"broken\": " % (r.config_path, line, col)
        assert first.startswith(where), (expression, first, where)
        assert words in first, first
        # the message carries the expression with a caret under the token
        snippet = errors[0].splitlines()[1:]
        assert len(snippet) == 2, errors[0]
        start_at = snippet[1].index("^")
        assert snippet[0][start_at:].startswith(token), errors[0]
        # the old rules are still in force
        with RawConn(r.port) as c:
            assert c.request("GET", "/deny").status == 403
            assert c.request("GET", "/echo").status == 200
        assert r.status()["config_version"] == "test-1"
    assert r.metrics().value("rampart_config_reload_failures_total") == failures


VALIDATE_CONFIG = """\
version: caret
listeners:
  - address: 127.0.0.1:8080
firewall:
  rules:
    - id: ok
      expression: http.request.uri.path eq "/a"
      action: block
    - id: broken
      expression: |
        http.request.method eq "POST"
          and lower(http.user_agent) contians "bot"
      action: block
sites:
  - name: a
    default: true
    hosts: [a.test]
    origin: {endpoints: ["127.0.0.1:8081"]}
"""


def test_validate_prints_caret_snippet_for_bad_expression(tmp_path):
    path = tmp_path / "caret.yaml"
    path.write_text(VALIDATE_CONFIG)
    p = run_cli("validate", path)
    assert p.returncode == 1, p.stdout
    lines = p.stderr.splitlines()
    # the error is on the second line of the literal block, at the bad operator
    line, col = line_col(VALIDATE_CONFIG, "contians")
    assert line == 12
    head = "%s:%d:%d: error: rule \"broken\": " % (path, line, col)
    i = next((k for k, l in enumerate(lines) if l.startswith(head)), None)
    assert i is not None, p.stderr
    # then the offending line of the expression with a caret under the token
    text, caret = lines[i + 1], lines[i + 2]
    assert "contians" in text and set(caret.strip()) <= {"^", "~"}, p.stderr
    assert text[caret.index("^"):].startswith("contians"), p.stderr
    assert "1 error(s); config refused" in p.stderr

    path.write_text(VALIDATE_CONFIG.replace("contians", "contains"))
    p = run_cli("validate", path)
    assert p.returncode == 0, p.stderr
