"""The managed WAF's response phases through the real proxy, with the real CRS: phase 4
(RESPONSE-95x data leakages) blocks an origin's SQL error page when response body access
is on, lets a normal page through unchanged, and never holds back a response it does not
inspect (a big non-HTML body streams as the origin sends it)."""

import hashlib
import http.client
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import RawConn, free_port

CRS_RULES = "/usr/share/modsecurity-crs/rules"
needs_crs = pytest.mark.skipif(not os.path.isdir(CRS_RULES),
                               reason="Debian's modsecurity-crs is not installed")

SQL_ERROR = (b"<html><body><h1>Error</h1><p>Microsoft OLE DB Provider for SQL Server "
             b"error '80040e14'</p><p>Unclosed quotation mark after the character string "
             b"''.</p></body></html>")
PAGE = b"<html><body><h1>Blue suede shoes</h1><p>In stock.</p></body></html>"
HALF = 1 << 20  # the streamed body: two halves of 1 MiB


class Origin:
    """A small origin with the answers these tests need; `release` lets the second half
    of /stream go (set by the client once it has the first half, or after 5 s)."""

    def __init__(self):
        self.release = threading.Event()
        self.released_by_client = False
        self.blob = os.urandom(2 * HALF)
        self.cached_fetches = 0
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send_body(self, content_type, body, chunked=False):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 50):
                        piece = body[i:i + 50]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def do_GET(self):
                if self.path == "/sql-error":
                    self.send_body("text/html; charset=utf-8", SQL_ERROR)
                elif self.path == "/sql-error-chunked":
                    self.send_body("text/html", SQL_ERROR, chunked=True)
                elif self.path == "/page":
                    self.send_body("text/html", PAGE)
                elif self.path == "/cached-page":
                    origin.cached_fetches += 1
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Cache-Control", "max-age=60")
                    self.send_header("Content-Length", str(len(PAGE)))
                    self.end_headers()
                    self.wfile.write(PAGE)
                elif self.path == "/sql-error.bin":
                    self.send_body("application/octet-stream", SQL_ERROR)
                elif self.path == "/stream":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(origin.blob)))
                    self.end_headers()
                    self.wfile.write(origin.blob[:HALF])
                    self.wfile.flush()
                    origin.release.wait(5.0)
                    self.wfile.write(origin.blob[HALF:])
                else:
                    self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def leaky_origin():
    o = Origin()
    yield o
    o.close()


def get(r, target, headers=()):
    with RawConn(r.port) as c:
        return c.request("GET", target, host="main.test",
                         headers=[("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"),
                                  ("Accept", "text/html,application/xhtml+xml")] + list(headers))


def waf_response_log(r, resp):
    rid = resp.get("X-Request-Id")
    assert rid, resp
    return r.wait_log(lambda e: e["request_id"] == rid).get("waf_response")


@needs_crs
def test_sql_error_page_is_blocked_when_response_bodies_are_inspected(rampart_factory,
                                                                      leaky_origin):
    r = rampart_factory([leaky_origin.endpoint], waf={"rules": "SecResponseBodyAccess On\n"})
    for target in ("/sql-error", "/sql-error-chunked"):
        resp = get(r, target)
        assert resp.status == 403, (target, resp)
        assert b"80040e14" not in resp.body
        log = waf_response_log(r, resp)
        assert log["action"] == "block", log
        assert log["rule"] == 959100, log
        assert 951220 in log["rules"], log
    ok = get(r, "/page")
    assert ok.status == 200, ok
    assert ok.body == PAGE
    # A type outside SecResponseBodyMimeType is not inspected.
    binary = get(r, "/sql-error.bin")
    assert binary.status == 200 and binary.body == SQL_ERROR
    m = r.metrics()
    assert m.value("rampart_waf_requests_total", result="response_blocked") == 2
    assert m.value("rampart_waf_requests_total", result="response_body_inspected") == 3


@needs_crs
def test_without_response_body_access_the_page_passes(rampart_factory, leaky_origin):
    r = rampart_factory([leaky_origin.endpoint], waf={})
    resp = get(r, "/sql-error")
    assert resp.status == 200 and resp.body == SQL_ERROR


@needs_crs
def test_big_uninspected_response_streams_unchanged(rampart_factory, leaky_origin):
    r = rampart_factory([leaky_origin.endpoint], waf={"rules": "SecResponseBodyAccess On\n"})
    conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=10)
    try:
        conn.request("GET", "/stream", headers={"Host": "main.test",
                                                "User-Agent": "Mozilla/5.0 Firefox/120.0",
                                                "Accept": "*/*"})
        resp = conn.getresponse()
        assert resp.status == 200
        started = time.monotonic()
        first = resp.read(HALF)
        # The first half arrived while the origin still held the second one back.
        assert not leaky_origin.release.is_set()
        assert time.monotonic() - started < 4.0
        leaky_origin.release.set()
        rest = resp.read()
    finally:
        conn.close()
    body = first + rest
    assert hashlib.sha256(body).digest() == hashlib.sha256(leaky_origin.blob).digest()


def test_ip_collection_counts_across_requests(rampart_factory, leaky_origin):
    # A rate rule written in SecLang, as the CRS's DoS rules (912) are: the IP collection
    # outlives each request (saved after phase 5), per client address.
    rules = ('SecAction "id:100,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},'
             'setvar:ip.hits=+1,expirevar:ip.hits=60"\n'
             'SecRule IP:hits "@gt 3" "id:101,phase:1,deny,status:429,msg:\'too many\'"\n')
    r = rampart_factory([leaky_origin.endpoint], waf={"crs": False, "rules": rules})
    statuses = [get(r, "/page").status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429], statuses


def test_cache_hits_get_the_response_phases(rampart_factory, leaky_origin):
    # A phase 4 rule that depends on the request: the stored body is inspected for each hit.
    rules = ('SecResponseBodyAccess On\n'
             'SecRule REQUEST_HEADERS:X-Strict "@streq 1" "id:200,phase:4,deny,status:451,chain"\n'
             '  SecRule RESPONSE_BODY "@contains suede" ""\n')
    r = rampart_factory([leaky_origin.endpoint], waf={"crs": False, "rules": rules}, sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [leaky_origin.endpoint]}, "cache": {"enabled": True}}])
    first = get(r, "/cached-page")
    assert first.status == 200 and first.body == PAGE
    strict = get(r, "/cached-page", [("X-Strict", "1")])
    assert strict.status == 451, strict
    again = get(r, "/cached-page")
    assert again.status == 200 and again.body == PAGE
    assert "hit" in again.get("Cache-Status", ""), again
    assert leaky_origin.cached_fetches == 1


def test_response_protocol_is_the_one_the_response_goes_out_in(rampart_factory, leaky_origin):
    # HTTP/1.x clients get an HTTP/1.1 response (an HTTP/1.0 request too, as from nginx);
    # HTTP/2 clients an HTTP/2 one, and a phase 3 rule sees which.
    rules = ('SecRule RESPONSE_PROTOCOL "@streq HTTP/2.0" "id:300,phase:3,deny,status:451"\n'
             'SecRule RESPONSE_PROTOCOL "@streq HTTP/1.1" "id:301,phase:3,pass,log"\n')
    r = rampart_factory([leaky_origin.endpoint], waf={"crs": False, "rules": rules})
    modern = get(r, "/page")
    assert modern.status == 200 and modern.body == PAGE, modern
    assert 301 in waf_response_log(r, modern)["rules"]
    with RawConn(r.port) as c:
        c.send(b"GET /page HTTP/1.0\r\nHost: main.test\r\nUser-Agent: test/1.0\r\n\r\n")
        old = c.read_response()
    assert old.status == 200, old
    assert 301 in waf_response_log(r, old)["rules"]
    out = subprocess.run(
        ["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} "
         "%{http_code}", "-H", "Host: main.test", "http://127.0.0.1:%d/page" % r.port],
        capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split() == ["2", "451"], out.stdout
