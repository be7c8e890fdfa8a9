"""`rampart rules test`: evaluates an expression against a request file and shows every
field it read. Exit 0: match, 1: no match, 2: error."""

import subprocess

from helpers import RAMPART_BIN, SLOW, run_cli, wait_for_binary

REQUEST = (
    "POST /admin/login.php?user=bob&debug=%74rue HTTP/1.1\r\n"
    "Host: Shop.Example:8443\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Cookie: session=abc; role=admin\r\n"
    "X-Tag: one\r\n"
    "X-Tag: two\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world"
)


def request_file(tmp_path, text=REQUEST, name="req.http"):
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return path


def rules_test(expr, request, *extra):
    return run_cli("rules", "test", "--expr", expr, "--request", request, *extra)


def fields(stdout):
    """The `name = value` lines under fields:, as a dict."""
    lines = stdout.splitlines()
    assert lines[0] == "fields:", stdout
    out = {}
    for line in lines[1:]:
        if not line.startswith("  "):
            break
        name, sep, value = line.strip().partition(" = ")
        if sep:
            out[name] = value
    return out


def result(stdout):
    return [l for l in stdout.splitlines() if l.startswith("result: ")][-1]


def test_match_prints_fields_and_exits_0(tmp_path):
    req = request_file(tmp_path)
    p = rules_test('http.request.uri.path eq "/admin/login.php" and http.host eq "shop.example"'
                   ' and http.request.headers["x-tag"] eq "two"', req)
    assert p.returncode == 0, p.stderr
    assert fields(p.stdout) == {
        "http.request.uri.path": '"/admin/login.php"',
        "http.host": '"shop.example"',
        'http.request.headers["x-tag"]': '["one", "two"]',
    }
    assert result(p.stdout) == "result: true (matches)"
    assert p.stderr == ""


def test_no_match_exits_1_and_shows_what_was_read(tmp_path):
    req = request_file(tmp_path)
    p = rules_test('http.request.method eq "GET" and http.request.uri.path eq "/x"', req)
    assert p.returncode == 1, p.stderr
    # `and` stops at the first false operand: the path was never read
    assert fields(p.stdout) == {"http.request.method": '"POST"'}
    assert result(p.stdout) == "result: false (no match)"

    p = rules_test('http.request.headers["x-missing"] eq "1"', req)
    assert p.returncode == 1
    assert result(p.stdout) == "result: false (no match)"

    p = rules_test('http.request.uri.path contains "nothing"', req)
    assert p.returncode == 1


def test_fields_of_every_kind(tmp_path):
    req = request_file(tmp_path)
    expr = ('http.request.uri.args["debug"] eq "true" and http.request.cookies["role"] eq "admin"'
            ' and ip.src in {203.0.113.0/24} and ssl and http.request.body.size eq 11'
            ' and http.request.body.raw eq "hello world" and http.response.code eq 502'
            ' and http.user_agent contains "curl" and http.request.uri.path.extension eq "php"')
    p = rules_test(expr, req, "--ip", "203.0.113.9", "--tls", "--status", "502")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert fields(p.stdout) == {
        'http.request.uri.args["debug"]': '["true"]',
        'http.request.cookies["role"]': '["admin"]',
        "ip.src": "203.0.113.9",
        "ssl": "true",
        "http.request.body.size": "11",
        "http.request.body.raw": '"hello world"',
        "http.response.code": "502",
        "http.user_agent": '"curl/8.5.0"',
        "http.request.uri.path.extension": '"php"',
    }
    # the defaults: not TLS, a loopback client
    p = rules_test("ssl", req)
    assert p.returncode == 1 and fields(p.stdout) == {"ssl": "false"}
    p = rules_test("ip.src in {203.0.113.0/24}", req)
    assert p.returncode == 1, p.stdout
    # an expression that reads nothing
    p = rules_test("true", req)
    assert p.returncode == 0 and "(none read)" in p.stdout


def test_error_with_caret_exits_2(tmp_path):
    req = request_file(tmp_path)
    cases = [
        ('http.request.uri.pth eq "/"', "http.request.uri.pth", "unknown field"),
        ('http.request.uri.path eq 5', "eq", "Int"),
        ('http.request.uri.path matches "(["', '"(["', "regular expression"),
        ('http.request.method eq "GET" and', "", "expected"),
    ]
    for expr, token, words in cases:
        p = rules_test(expr, req)
        assert p.returncode == 2, (expr, p.stdout, p.stderr)
        assert p.stdout == "", p.stdout  # no verdict on an error
        lines = p.stderr.splitlines()
        assert lines[0].startswith("error: ") and words in lines[0], p.stderr
        text, caret = lines[1], lines[2]
        assert text.strip() == expr
        assert "^" in caret and set(caret.strip()) <= {"^", "~"}, p.stderr
        at = caret.index("^") - text.index(expr[0])
        if token:
            assert expr[at:].startswith(token), (expr, p.stderr)
        else:
            assert at == len(expr), (expr, p.stderr)  # at the end


def test_lf_only_request_file(tmp_path):
    req = request_file(tmp_path, "GET /a?b=c HTTP/1.1\nHost: lf.example\nX-A: 1\n\n", "lf.http")
    p = rules_test('http.host eq "lf.example" and http.request.uri.query eq "b=c"'
                   ' and http.request.headers["x-a"] eq "1"', req)
    assert p.returncode == 0, (p.stdout, p.stderr)
    # without the blank line at the end, and with a body after it
    req = request_file(tmp_path, "GET / HTTP/1.1\nHost: lf.example\nX-A: 1", "nolast.http")
    p = rules_test('http.request.headers["x-a"] eq "1"', req)
    assert p.returncode == 0, (p.stdout, p.stderr)
    req = request_file(tmp_path, "PUT /u HTTP/1.1\nHost: h\nContent-Length: 5\n\nab\ncd", "b.http")
    p = rules_test('http.request.body.raw eq "ab\\ncd"', req)
    assert p.returncode == 0, (p.stdout, p.stderr)
    # an LF head whose body holds a CRLF blank line: the head still ends at the first
    req = request_file(tmp_path, "POST /u HTTP/1.1\nHost: h\nContent-Length: 8\n\nab\r\n\r\ncd",
                       "mixed.http")
    p = rules_test('http.request.uri.path eq "/u" and http.request.body.raw eq "ab\\r\\n\\r\\ncd"',
                   req)
    assert p.returncode == 0, (p.stdout, p.stderr)


def test_request_from_stdin(tmp_path):
    wait_for_binary()
    p = subprocess.run([RAMPART_BIN, "rules", "test", "-e", 'http.request.method eq "PATCH"',
                        "-r", "-"], input="PATCH /x HTTP/1.1\nHost: h\n\n", capture_output=True,
                       text=True, timeout=20 * SLOW)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert fields(p.stdout) == {"http.request.method": '"PATCH"'}


def test_bad_request_file_exits_2(tmp_path):
    p = rules_test("true", tmp_path / "missing.http")
    assert p.returncode == 2 and "cannot read" in p.stderr
    bad = request_file(tmp_path, "this is not http\n\n", "bad.http")
    p = rules_test("true", bad)
    assert p.returncode == 2 and "not a valid HTTP/1.1 request" in p.stderr
    p = rules_test("true", request_file(tmp_path), "--ip", "not-an-ip")
    assert p.returncode == 2 and "not an IP address" in p.stderr


CONFIG = """\
version: lists
listeners:
  - address: 127.0.0.1:8080
lists:
  office:
    items: [192.0.2.0/24, "2001:db8::/32"]
  feed:
    file: feed.txt
sites:
  - name: a
    default: true
    hosts: [a.test]
    origin: {endpoints: ["127.0.0.1:8081"]}
"""


def test_config_lists(tmp_path):
    req = request_file(tmp_path)
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "feed.txt").write_text("# feed\n198.51.100.0/25\n")
    config = conf_dir / "rampart.yaml"
    config.write_text(CONFIG)
    for ip, code in (("192.0.2.200", 0), ("2001:db8::5", 0), ("198.51.100.9", 0),
                     ("198.51.100.200", 1), ("203.0.113.1", 1)):
        p = rules_test("ip.src in $office or ip.src in $feed", req, "--ip", ip, "-c", config)
        assert p.returncode == code, (ip, p.stdout, p.stderr)
        assert fields(p.stdout)["ip.src"] == ip
    # without the config the list is unknown
    p = rules_test("ip.src in $office", req, "--ip", "192.0.2.1")
    assert p.returncode == 2 and 'no list is named "office"' in p.stderr
    # a config that does not load is an error, with its positions
    (conf_dir / "feed.txt").write_text("198.51.100.0/25\nnot-an-address\n")
    p = rules_test("ip.src in $office", req, "--ip", "192.0.2.1", "-c", config)
    assert p.returncode == 2
    assert "%s:8:" % config in p.stderr and "line 2" in p.stderr, p.stderr
