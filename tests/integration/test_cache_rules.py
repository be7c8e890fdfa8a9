"""Cache rules (sites[].cache.rules) through the real proxy and a small origin.

The origin here answers /o/<status>/<max-age|none>/<rest>: that status, with
`Cache-Control: public, max-age=N` unless "none", a Content-Type that follows the
extension of <rest> except under "profile.php" (which, like a PHP front controller,
answers its own HTML page whatever follows it), and a body "fetch N" counting the
requests for that path without its query, so a cache hit is a body that repeats an
earlier number.
"""

import http.server
import re
import threading
import urllib.parse

import pytest

from helpers import RawConn, dump_yaml, base_config, free_port, run_cli

TYPES = {"css": "text/css", "js": "application/javascript", "png": "image/png"}


class RuleOrigin:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.seen = []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                m = re.fullmatch(r"/o/(\d{3})/(none|\d+)(/.*)", path)
                if not m:
                    self.send_error(400)
                    return
                status, max_age, rest = int(m.group(1)), m.group(2), m.group(3)
                with origin.lock:
                    n = origin.counts.get(path, 0) + 1
                    origin.counts[path] = n
                    origin.seen.append((self.path, dict(self.headers)))
                ext = rest.rsplit(".", 1)[-1] if "." in rest.rsplit("/", 1)[-1] else ""
                ctype = "text/html" if "profile.php" in rest else TYPES.get(ext, "text/html")
                body = ("fetch %d" % n).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if max_age != "none":
                    self.send_header("Cache-Control", "public, max-age=%s" % max_age)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = "127.0.0.1:%d" % self.server.server_address[1]

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rule_origin():
    o = RuleOrigin()
    yield o
    o.stop()


def site_with_rules(rampart_factory, origin, rules, enabled=True):
    return rampart_factory([origin.endpoint], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]},
        "cache": {"enabled": enabled, "rules": rules}}])


def get(r, target, headers=()):
    with RawConn(r.port) as c:
        return c.request("GET", target, headers=list(headers))


def fetch(resp):
    return int(resp.body.decode().rsplit(" ", 1)[1])


def rule(rule_id, expression, **params):
    return {"id": rule_id, "expression": expression, "action_parameters": params}


def test_bypass_by_path(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("no-admin", 'starts_with(http.request.uri.path, "/o/200/60/admin")', cache=False)])
    assert [fetch(get(r, "/o/200/60/admin/x")) for _ in range(3)] == [1, 2, 3]
    assert get(r, "/o/200/60/admin/x").get("Cache-Status") is None
    # The rest of the site caches as the origin says.
    assert [fetch(get(r, "/o/200/60/page")) for _ in range(3)] == [1, 1, 1]


def test_a_rule_makes_a_request_eligible_on_a_site_that_does_not_cache(rule_origin,
                                                                       rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("static", 'starts_with(http.request.uri.path, "/o/200/60/static/")', cache=True)],
        enabled=False)
    assert [fetch(get(r, "/o/200/60/static/a.css")) for _ in range(2)] == [1, 1]
    assert [fetch(get(r, "/o/200/60/page")) for _ in range(2)] == [1, 2]


def test_edge_ttl_override_caches_what_the_origin_does_not_mark(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("ruled", 'starts_with(http.request.uri.path, "/o/200/none/ruled")',
             edge_ttl={"mode": "override_origin", "default": 3600})])
    first = get(r, "/o/200/none/ruled")
    assert "stored; ttl=3600" in first.get("Cache-Status")
    second = get(r, "/o/200/none/ruled")
    assert fetch(second) == 1
    assert second.get("Cache-Status").startswith("rampart; hit; ttl=")
    assert int(second.get("Cache-Status").rsplit("=", 1)[1]) > 3500
    # The client is not told anything the origin did not say.
    assert second.get("Cache-Control") is None
    # Without the rule the same kind of response is not stored.
    assert [fetch(get(r, "/o/200/none/free")) for _ in range(2)] == [1, 2]


def test_status_code_ttl(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("errors", "true", edge_ttl={"status_code_ttl": [
            {"status_code": 404, "value": 60},
            {"status_code_range": {"from": 500, "to": 599}, "value": 0}]})])
    miss = get(r, "/o/404/none/gone")
    assert miss.status == 404
    assert "stored; ttl=60" in miss.get("Cache-Status")
    hit = get(r, "/o/404/none/gone")
    assert (hit.status, fetch(hit)) == (404, 1)
    # A 503 the origin marks cacheable for a minute is not stored: the rule says 0.
    first = get(r, "/o/503/60/down")
    assert "detail=status-ttl" in first.get("Cache-Status")
    assert fetch(get(r, "/o/503/60/down")) == 2
    # Statuses no entry names follow the origin.
    assert [fetch(get(r, "/o/200/60/ok")) for _ in range(2)] == [1, 1]


def test_browser_ttl_is_what_the_client_sees_while_the_edge_keeps_its_own(rule_origin,
                                                                            rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("assets", 'starts_with(http.request.uri.path, "/o/200/600/assets/")',
             edge_ttl={"mode": "override_origin", "default": 86400},
             browser_ttl={"mode": "override_origin", "default": 30})])
    miss = get(r, "/o/200/600/assets/app.js")
    assert miss.get("Cache-Control") == "max-age=30"
    assert "stored; ttl=86400" in miss.get("Cache-Status")
    hit = get(r, "/o/200/600/assets/app.js")
    assert fetch(hit) == 1
    assert hit.get("Cache-Control") == "max-age=30"
    assert int(hit.get("Cache-Status").rsplit("=", 1)[1]) > 86000
    # Outside the rule the origin's Cache-Control goes through untouched.
    assert get(r, "/o/200/600/page").get("Cache-Control") == "public, max-age=600"


def test_query_string_order_and_exclusions_share_one_object(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("key", "true", cache_key={"ignore_query_strings_order": True, "custom_key": {
            "query_string": {"exclude": ["utm_source", "utm_medium"]}}})])
    a = get(r, "/o/200/60/q?a=1&b=2")
    b = get(r, "/o/200/60/q?b=2&utm_source=mail&a=1&utm_medium=x")
    assert (fetch(a), fetch(b)) == (1, 1)
    # A different value of an argument that counts is another object.
    assert fetch(get(r, "/o/200/60/q?a=1&b=3")) == 2
    # The origin got the query as the client sent it.
    assert rule_origin.seen[0][0] == "/o/200/60/q?a=1&b=2"


def test_query_string_include(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("key", "true", cache_key={"custom_key": {"query_string": {"include": ["id"]}}})])
    assert fetch(get(r, "/o/200/60/item?id=7&ref=x")) == 1
    assert fetch(get(r, "/o/200/60/item?ref=y&id=7")) == 1
    assert fetch(get(r, "/o/200/60/item?id=8")) == 2
    # An encoded name is the name the origin reads: it counts.
    assert fetch(get(r, "/o/200/60/item?i%64=9")) == 3


def test_header_in_key_keeps_variants_apart(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("device", "true", cache_key={"custom_key": {"header": {"include": ["X-Device"]}}})])
    mobile = get(r, "/o/200/60/home", [("X-Device", "mobile")])
    desktop = get(r, "/o/200/60/home", [("X-Device", "desktop")])
    assert (fetch(mobile), fetch(desktop)) == (1, 2)
    assert fetch(get(r, "/o/200/60/home", [("X-Device", "mobile")])) == 1
    assert fetch(get(r, "/o/200/60/home", [("X-Device", "desktop")])) == 2
    assert fetch(get(r, "/o/200/60/home")) == 3


def test_deception_armor_refuses_a_page_under_a_static_extension(rule_origin, rampart_factory):
    r = site_with_rules(rampart_factory, rule_origin, [
        rule("static", 'ends_with(http.request.uri.path, ".css")',
             edge_ttl={"mode": "override_origin", "default": 3600},
             cache_key={"cache_deception_armor": True})])
    page = get(r, "/o/200/none/profile.php/x.css")
    assert page.get("Content-Type") == "text/html"
    assert "detail=deception-armor" in page.get("Cache-Status")
    assert fetch(get(r, "/o/200/none/profile.php/x.css")) == 2
    # A real stylesheet under the same rule is stored.
    css = get(r, "/o/200/none/static/site.css")
    assert "stored" in css.get("Cache-Status")
    assert fetch(get(r, "/o/200/none/static/site.css")) == 1


BAD_RULES = """\
listeners: [{address: 127.0.0.1:%d}]
sites:
  - name: main
    default: true
    origin: {endpoints: [127.0.0.1:1]}
    cache:
      enabled: true
      rules:
        - id: edge
          expression: "true"
          action_parameters:
            edge_ttl:
              mode: respect_orign
              status_code_ttl:
                - status_code_range: {from: 599, to: 500}
                  value: 60
        - id: key
          expression: http.request.uri.pth eq "/"
          action_parameters:
            cache_key: {custom_key: {query_string: {include: [a], exclude: [b]}}}
"""


def test_config_errors_point_at_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_RULES % free_port())
    p = run_cli("validate", path)
    assert p.returncode == 1, p.stdout
    errors = p.stderr
    assert re.search(r"bad\.yaml:13:21: error: .*\"respect_orign\" is not one of.*"
                     r"did you mean \"respect_origin\"", errors), errors
    assert re.search(r"bad\.yaml:15:38: error: .*the range 599-500 is empty", errors), errors
    assert re.search(r"bad\.yaml:20:76: error: .*either include or exclude", errors), errors
    # The expression is compiled only after the file itself checks out.
    good_yaml = (BAD_RULES % free_port()).replace("respect_orign", "respect_origin") \
        .replace("from: 599, to: 500", "from: 500, to: 599") \
        .replace("include: [a], exclude: [b]", "include: [a]")
    path.write_text(good_yaml)
    p = run_cli("validate", path)
    assert p.returncode == 1
    assert re.search(r"bad\.yaml:18:23: error: .*http\.request\.uri\.pth", p.stderr), p.stderr
