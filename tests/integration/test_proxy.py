"""Proxying: host routing, forwarding headers, header rules, redirects, error pages."""

import re
import socket
import threading
import time

import pytest

from helpers import (LOOPBACK, SLOW, Closed, RawConn, ScriptedOrigin, free_port, header_values, http_get,
                     parse_forwarded)

REQ_ID_RE = re.compile(r"^[0-9a-fA-F]{16,}$")


def echo(r, path="/echo", host="main.test", headers=(), method="GET", body=b""):
    """Sends one request on a fresh raw connection; returns (response, origin's echo JSON)."""
    with RawConn(r.port) as c:
        resp = c.request(method, path, host=host, headers=headers, body=body)
    assert resp.status == 200, resp
    return resp, resp.json()


def site(name, hosts, origin, default=False, **extra):
    s = {"name": name, "hosts": hosts, "origin": {"endpoints": [origin.endpoint]}}
    if default:
        s["default"] = True
    s.update(extra)
    return s


# ---------------------------------------------------------------------------------------
# Basic proxying and routing
# ---------------------------------------------------------------------------------------

def test_get_index_through_default_site(rampart):
    status, headers, body = http_get(rampart.port, "/", host="anything.test")
    assert status == 200
    assert b"demo origin" in body
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers.get_all("Via") == ["1.1 rampart"]
    assert REQ_ID_RE.match(headers["X-Request-Id"])


def test_host_routing_exact_wildcard_and_default(origin_factory, rampart_factory):
    a, b, c = origin_factory("A"), origin_factory("B"), origin_factory("C")
    r = rampart_factory([c], sites=[
        site("site-a", ["a.test"], a),
        site("site-b", ["*.b.test"], b),
        site("site-c", ["c.test"], c, default=True),
    ])
    cases = {
        "a.test": "A",
        "A.TEST": "A",            # host names are case-insensitive
        "a.test:8080": "A",       # the port in Host does not take part in matching
        "www.b.test": "B",
        "API.b.test": "B",
        "b.test": "C",            # "*.b.test" does not match the bare suffix
        "c.test": "C",
        "unknown.test": "C",      # unmatched -> the default site
        "a.test.evil": "C",
    }
    got = {}
    for host in cases:
        _, j = echo(r, host=host)
        got[host] = j["name"]
    assert got == cases


def test_unmatched_host_without_default_is_404(origin, rampart_factory):
    r = rampart_factory([origin], sites=[site("only", ["only.test"], origin)])
    before = origin.stats()["requests"]
    with RawConn(r.port) as c:
        resp = c.request("GET", "/echo", host="other.test")
        assert resp.status == 404
        ok = c.request("GET", "/echo", host="only.test")  # same connection still usable
        assert ok.status == 200 and ok.json()["name"] == "A"
    assert origin.stats()["requests"] - before == 1


def test_query_string_and_method_passed_through(rampart):
    resp, j = echo(rampart, path="/echo?a=1&b=%20x&c&d=%2F", method="DELETE")
    assert j["method"] == "DELETE"
    assert j["target"] == "/echo?a=1&b=%20x&c&d=%2F"
    assert j["version"] == "HTTP/1.1"


def test_upstream_statuses_passed_through_unchanged(rampart):
    with RawConn(rampart.port) as c:
        for code in (201, 404, 418, 500, 503):
            resp = c.request("GET", "/status/%d" % code)
            assert resp.status == code
            # the origin's own response, not a rampart error page
            assert resp.get("X-Origin-Name") == "A"
            assert resp.body == b"status %d\n" % code
        resp = c.request("GET", "/status/204")
        assert resp.status == 204 and resp.body == b""
        assert resp.get("Content-Length") in (None, "0")
        assert resp.get("Transfer-Encoding") is None
        resp = c.request("GET", "/echo")  # the connection survived all of it
        assert resp.status == 200


def test_head_has_length_but_no_body(rampart):
    with RawConn(rampart.port) as c:
        resp = c.request("HEAD", "/bytes?n=1234")
        assert resp.status == 200
        assert resp.get("Content-Length") == "1234"
        # the next response must start right away: no body bytes were sent after HEAD
        resp2 = c.request("GET", "/bytes?n=10")
        assert resp2.status == 200 and len(resp2.body) == 10


def test_head_of_chunked_resource(rampart):
    # the origin's HEAD answer says "chunked" but has no body: rampart must not wait for one
    with RawConn(rampart.port, timeout=5 * SLOW) as c:
        resp = c.request("HEAD", "/stream?n=5000")
        assert resp.status == 200
        assert c.request("GET", "/bytes?n=7").body == bytes(range(7))


def test_absolute_form_target(origin_factory, rampart_factory):
    a, b = origin_factory("A"), origin_factory("B")
    r = rampart_factory([a], sites=[site("a", ["a.test"], a, default=True),
                                    site("b", ["b.test"], b)])
    with RawConn(r.port) as c:
        c.send(b"GET http://b.test/echo?x=1 HTTP/1.1\r\nHost: b.test\r\n\r\n")
        resp = c.read_response()
    assert resp.status == 200
    j = resp.json()
    assert j["name"] == "B"
    assert j["target"] == "/echo?x=1"  # origin-form towards the origin
    assert header_values(j["headers"], "Host") == ["b.test"]
    # Host disagreeing with the absolute-form authority: RFC 9112 3.2.2 says the authority
    # wins; rejecting with 400 is also safe. Routing and the forwarded Host must agree.
    with RawConn(r.port) as c:
        c.send(b"GET http://b.test/echo HTTP/1.1\r\nHost: a.test\r\n\r\n")
        resp = c.read_response()
    if resp.status != 400:
        assert resp.status == 200
        j = resp.json()
        assert (j["name"], header_values(j["headers"], "Host")) == ("B", ["b.test"])


def test_header_order_and_obs_text_preserved(rampart):
    with RawConn(rampart.port) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: main.test\r\nX-Order: 1\r\nX-Other: a\r\n"
               b"X-Order: 2\r\nX-Latin: caf\xe9 cr\xe8me\r\nX-Order: 3\r\n"
               b"x-under_score: u\r\n\r\n")
        resp = c.read_response()
    assert resp.status == 200
    h = resp.json()["headers"]
    assert header_values(h, "X-Order") == ["1", "2", "3"]
    assert header_values(h, "X-Other") == ["a"]
    assert header_values(h, "X-Latin") == ["caf\xe9 cr\xe8me"]  # obs-text passes byte-exact
    assert header_values(h, "x-under_score") == ["u"]
    names = [n.lower() for n, _ in h]
    assert names.index("x-order") < names.index("x-other") < names.index("x-latin")


def test_failover_to_second_endpoint_when_first_is_down(origin, rampart_factory):
    # Not spelled out in the contract: with two endpoints and one refusing connections,
    # a production edge retries the connect on the other one (nothing was sent yet).
    down = "127.0.0.1:%d" % free_port()
    r = rampart_factory([down, origin])
    with RawConn(r.port) as c:
        statuses = [c.request("GET", "/echo?i=%d" % i).status for i in range(10)]
    assert statuses == [200] * 10
    with RawConn(r.port) as c:
        assert c.request("POST", "/upload", body=b"abc").json()["bytes"] == 3


# ---------------------------------------------------------------------------------------
# Origin responses rampart has to be careful with (raw-socket origins)
# ---------------------------------------------------------------------------------------

OK2 = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Seq: next\r\n\r\nok"


@pytest.fixture
def scripted(request):
    made = []

    def make(script):
        s = ScriptedOrigin(script)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def test_origin_close_delimited_response(scripted, rampart_factory):
    body = bytes(range(256)) * 40
    o = scripted([(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                   b"Connection: close\r\n\r\n" + body, True), OK2])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        resp = c.request("GET", "/a")
        assert resp.status == 200 and resp.body == body
        if "close" not in resp.tokens("Connection"):
            resp = c.request("GET", "/b")  # reframed (chunked): the connection lives on
            assert resp.status == 200 and resp.body == b"ok"


def test_origin_response_with_cl_and_te_is_not_passed_ambiguously(scripted, rampart_factory):
    # RFC 9112 6.3: TE overrides CL; an intermediary either rejects it (502) or forwards
    # the chunked body without the Content-Length. Either way no desync follows.
    o = scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n" + b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nsmuggled!",
                  OK2, OK2])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        resp = c.request("GET", "/a")  # (the parser asserts CL and TE never come together)
        assert resp.status in (200, 502), resp
        if resp.status == 200:
            assert resp.body == b"hello"
        if "close" not in resp.tokens("Connection"):
            resp = c.request("GET", "/b")
            assert resp.body != b"smuggled!"
            assert resp.status in (200, 502)


@pytest.mark.parametrize("raw,cut_ok", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!", False),
    (b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok", False),
    (b"garbage that is not http\r\n\r\n", False),
    (b"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\nok", False),
    (b"HTTP/1.1 200 OK\r\nX-Split: a\rSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok", False),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", True),
], ids=["two-cl", "bad-status", "garbage", "nul-in-header", "bare-cr-in-header",
        "bad-chunk-size"])
def test_malformed_origin_response_gives_502(scripted, rampart_factory, raw, cut_ok):
    o = scripted([(raw, True), OK2])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        c.send(b"GET /a HTTP/1.1\r\nHost: main.test\r\n\r\n")
        try:
            resp = c.read_response()
        except socket.timeout:
            pytest.fail("client left hanging after a malformed origin response")
        except (Closed, AssertionError, ValueError, OSError) as e:
            # a bad chunk can only show up after the head was relayed: the client connection
            # must then be cut rather than the body completed as if it were whole
            assert cut_ok, "broken response relayed for a head-level error: %r" % e
            return
        assert resp.status == 502, "malformed origin response relayed as %r" % resp


def test_truncated_origin_body_is_not_passed_off_as_complete(scripted, rampart_factory):
    # The origin promises 100 bytes, sends 10 and closes. The client already has the head,
    # so rampart must cut the client connection promptly (not wait for client_idle, not
    # reuse it as if the response were complete).
    o = scripted([(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", True), OK2])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        c.send(b"GET /a HTTP/1.1\r\nHost: main.test\r\n\r\n")
        t0 = time.monotonic()
        try:
            resp = c.read_response(timeout=5 * SLOW)
        except Closed:
            assert time.monotonic() - t0 < 3 * SLOW
            return
        except socket.timeout:
            pytest.fail("client left waiting for bytes the origin will never send")
        assert resp.status == 502, "truncated body relayed as complete: %r" % resp


def test_origin_early_response_to_upload_is_relayed(rampart_factory):
    # The origin refuses an upload from its head alone (413), then discards the rest of
    # the body and closes (nginx's lingering close). The client must see the origin's
    # answer, not a 502.
    lsock = socket.socket()
    lsock.bind((LOOPBACK, 0))
    lsock.listen(8)
    port = lsock.getsockname()[1]
    done = threading.Event()

    def serve():
        lsock.settimeout(10)
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        buf = b""
        conn.settimeout(10)
        while b"\r\n\r\n" not in buf:
            d = conn.recv(65536)
            if not d:
                break
            buf += d
        conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n"
                     b"Connection: close\r\n\r\nbig!")
        conn.settimeout(2)
        try:
            while conn.recv(1 << 20):  # discard the body until rampart stops sending
                pass
        except OSError:
            pass
        conn.close()
        done.set()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        r = rampart_factory(["%s:%d" % (LOOPBACK, port)], limits={"max_body_bytes": 0})
        with RawConn(r.port, timeout=10 * SLOW) as c:
            c.send(b"POST /upload HTTP/1.1\r\nHost: main.test\r\nContent-Length: %d\r\n\r\n"
                   % (64 << 20))
            block = b"u" * (1 << 20)
            try:
                for _ in range(64):
                    c.sock.sendall(block)
            except OSError:
                pass  # rampart stopped reading the body: fine
            resp = c.read_response()
        assert resp.status == 413, resp
        assert resp.body == b"big!"
    finally:
        lsock.close()
        t.join(5)


def test_origin_304_with_content_length_has_no_body(scripted, rampart_factory):
    o = scripted([b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 100\r\n\r\n", OK2])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        resp = c.request("GET", "/a", headers=[("If-None-Match", '"v1"')])
        assert resp.status == 304 and resp.body == b""
        assert resp.get("ETag") == '"v1"'
        t0 = time.monotonic()
        resp = c.request("GET", "/b")
        assert resp.status == 200 and resp.body == b"ok" and resp.get("X-Seq") == "next"
        assert time.monotonic() - t0 < 2 * SLOW
    assert o.connections == 1  # the upstream connection stayed in sync and was reused


def test_origin_interim_103_then_final(scripted, rampart_factory):
    o = scripted([b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                  b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", OK2])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        resp = c.request("GET", "/a")  # 1xx are skipped by the reader
        assert resp.status == 200 and resp.body == b"final"
        assert c.request("GET", "/b").body == b"ok"


def test_origin_obs_fold_response_rejected_or_unfolded(scripted, rampart_factory):
    # RFC 9112 5.2: a proxy MUST either reject (502) or replace each obs-fold with SP.
    o = scripted([b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n second\r\nContent-Length: 2\r\n\r\nok"])
    r = rampart_factory([o.endpoint])
    with RawConn(r.port, timeout=5 * SLOW) as c:
        resp = c.request("GET", "/a")
    assert resp.status in (200, 502)
    if resp.status == 200:
        assert resp.get("X-Folded") in ("first second", "first  second")
        assert b"\r\n second" not in resp.raw_head


# ---------------------------------------------------------------------------------------
# Forwarding headers
# ---------------------------------------------------------------------------------------

def test_forwarding_headers_added(rampart):
    resp, j = echo(rampart, host="main.test")
    h = j["headers"]
    assert header_values(h, "X-Forwarded-For") == ["127.0.0.1"]
    assert header_values(h, "X-Forwarded-Proto") == ["http"]
    fwd = header_values(h, "Forwarded")
    assert len(fwd) == 1, fwd
    # RFC 7239: values may be tokens or quoted strings; compare the parsed pairs
    assert parse_forwarded(fwd[0]) == [{"for": "127.0.0.1", "proto": "http", "host": "main.test"}]
    assert header_values(h, "Via") == ["1.1 rampart"]
    ids = header_values(h, "X-Request-Id")
    assert len(ids) == 1 and REQ_ID_RE.match(ids[0]), ids
    assert resp.get_all("X-Request-Id") == ids
    assert resp.get_all("Via") == ["1.1 rampart"]
    assert header_values(h, "Host") == ["main.test"]


def test_untrusted_client_forwarding_headers_replaced(rampart):
    # 127.0.0.1 is not in trusted_proxies (none configured): what the client claims about
    # the original client or scheme is discarded, not appended to.
    _, j = echo(rampart, headers=[
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-For", "198.51.100.1"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "for=203.0.113.9;proto=https"),
    ])
    h = j["headers"]
    assert header_values(h, "X-Forwarded-For") == ["127.0.0.1"]
    assert header_values(h, "X-Forwarded-Proto") == ["http"]
    fwd = header_values(h, "Forwarded")
    assert len(fwd) == 1, fwd
    assert parse_forwarded(fwd[0]) == [{"for": "127.0.0.1", "proto": "http", "host": "main.test"}]


def test_trusted_proxy_xff_appended(origin, rampart_factory):
    r = rampart_factory([origin], trusted_proxies=["127.0.0.1/32"])
    _, j = echo(r, headers=[("X-Forwarded-For", "203.0.113.7")])
    assert header_values(j["headers"], "X-Forwarded-For") == ["203.0.113.7, 127.0.0.1"]
    # several incoming XFF fields form one list (RFC 9110 5.3)
    _, j = echo(r, headers=[("X-Forwarded-For", "203.0.113.7, 10.1.2.3"),
                            ("X-Forwarded-For", "10.4.5.6")])
    assert header_values(j["headers"], "X-Forwarded-For") == \
        ["203.0.113.7, 10.1.2.3, 10.4.5.6, 127.0.0.1"]
    # no incoming XFF: just the peer
    _, j = echo(r)
    assert header_values(j["headers"], "X-Forwarded-For") == ["127.0.0.1"]


def test_ipv6_client_forwarding_headers(origin, rampart_factory):
    # A listener on [::1]: the peer is ::1. RFC 7239 6: an IPv6 node in Forwarded is
    # bracketed and quoted ("[::1]"); X-Forwarded-For carries the bare address.
    port = free_port()
    r = rampart_factory([origin], listeners=[{"name": "v6", "address": "[::1]:%d" % port}])
    try:
        s = socket.create_connection(("::1", port), timeout=5)
    except OSError as e:
        pytest.skip("no IPv6 loopback: %r" % e)
    s.sendall(b"GET /echo HTTP/1.1\r\nHost: main.test\r\n\r\n")
    c = RawConn.__new__(RawConn)
    c.sock, c.buf, c.timeout = s, b"", 5.0
    try:
        resp = c.read_response()
    finally:
        s.close()
    assert resp.status == 200
    h = resp.json()["headers"]
    assert header_values(h, "X-Forwarded-For") == ["::1"]
    fwd = header_values(h, "Forwarded")
    assert len(fwd) == 1
    assert '"[::1]"' in fwd[0], fwd  # must be quoted: ':' is not a token character
    assert parse_forwarded(fwd[0]) == [{"for": "[::1]", "proto": "http", "host": "main.test"}]
    e = r.wait_log(lambda e: e.get("request_id") == resp.get("X-Request-Id"))
    assert e["client_ip"] == "::1"


def test_request_ids_are_unique(rampart):
    ids = set()
    with RawConn(rampart.port) as c:
        for _ in range(20):
            resp = c.request("GET", "/echo")
            rid = resp.get("X-Request-Id")
            assert REQ_ID_RE.match(rid)
            assert header_values(resp.json()["headers"], "X-Request-Id") == [rid]
            ids.add(rid)
    assert len(ids) == 20


def test_hop_by_hop_headers_not_forwarded(rampart):
    _, j = echo(rampart, headers=[
        ("Connection", "keep-alive"),
        ("Keep-Alive", "timeout=5, max=100"),
        ("TE", "trailers"),
        ("Trailer", "X-Checksum"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz"),
        ("Proxy-Connection", "keep-alive"),
        ("Proxy-Authenticate", "Basic"),
        ("Upgrade", "h2c"),
        ("X-Normal", "kept"),
    ])
    names = {n.lower() for n, _ in j["headers"]}
    for hop in ("keep-alive", "te", "trailer", "proxy-authorization", "proxy-connection",
                "proxy-authenticate", "upgrade"):
        assert hop not in names, "%s forwarded: %r" % (hop, j["headers"])
    for v in header_values(j["headers"], "Connection"):
        # rampart may speak for its own upstream connection, but not relay the client's
        assert v.lower() in ("keep-alive", "close"), j["headers"]
    assert header_values(j["headers"], "X-Normal") == ["kept"]


def test_headers_named_in_connection_not_forwarded(rampart):
    # RFC 9110 7.6.1: a field named in Connection is hop-by-hop too. (Beyond the explicit
    # list in the contract; every production proxy strips these.)
    _, j = echo(rampart, headers=[("Connection", "keep-alive, X-Hop-Secret"),
                                  ("X-Hop-Secret", "do-not-forward"),
                                  ("X-Normal", "kept")])
    assert header_values(j["headers"], "X-Hop-Secret") == []
    assert header_values(j["headers"], "X-Normal") == ["kept"]


def test_request_reserialized_with_trimmed_values(rampart):
    with RawConn(rampart.port) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost:   main.test  \r\n"
               b"X-Padded: \t  value with  inner   spaces \t \r\n"
               b"X-Empty:\r\n"
               b"X-Tight:tight\r\n\r\n")
        resp = c.read_response()
    assert resp.status == 200
    raw = resp.json()["raw_headers"]

    def raw_line(name):
        lines = [l for l in raw if l.lower().startswith(name.lower() + ":")]
        assert len(lines) == 1, raw
        return lines[0].split(":", 1)[1]

    assert raw_line("X-Padded") == " value with  inner   spaces"
    assert raw_line("X-Tight") == " tight"
    assert raw_line("Host") == " main.test"
    assert raw_line("X-Empty").strip() == ""


# ---------------------------------------------------------------------------------------
# Header rules
# ---------------------------------------------------------------------------------------

def test_request_header_rules_visible_at_origin(origin, rampart_factory):
    r = rampart_factory([origin], sites=[site("main", ["main.test"], origin, default=True,
        request_headers=[
            {"set": {"name": "X-Edge", "value": "rampart"}},
            {"add": {"name": "X-Added", "value": "by-edge"}},
            {"remove": "X-Debug-Token"},
        ])])
    _, j = echo(r, headers=[("X-Edge", "spoofed"), ("X-Edge", "spoofed-again"),
                            ("X-Added", "by-client"), ("x-debug-token", "s3cret")])
    h = j["headers"]
    assert header_values(h, "X-Edge") == ["rampart"]
    assert header_values(h, "X-Added") == ["by-client", "by-edge"]
    assert header_values(h, "X-Debug-Token") == []
    # without client headers the rules still apply
    _, j = echo(r)
    assert header_values(j["headers"], "X-Edge") == ["rampart"]
    assert header_values(j["headers"], "X-Added") == ["by-edge"]


def test_response_header_rules_visible_to_client(origin, rampart_factory):
    r = rampart_factory([origin], sites=[site("main", ["main.test"], origin, default=True,
        response_headers=[
            {"add": {"name": "X-Frame-Options", "value": "SAMEORIGIN"}},
            {"remove": "x-powered-by"},
            {"set": {"name": "Cache-Control", "value": "public, max-age=60"}},
        ])])
    with RawConn(r.port) as c:
        resp = c.request("GET", "/headers")
    assert resp.status == 200
    assert resp.get_all("X-Powered-By") == []
    assert resp.get_all("X-Frame-Options") == ["SAMEORIGIN"]
    assert resp.get_all("Cache-Control") == ["public, max-age=60"]
    # Set-Cookie fields must stay separate lines (never comma-joined)
    assert resp.get_all("Set-Cookie") == ["session=abc123; Path=/; HttpOnly",
                                          "theme=dark; Path=/"]
    assert resp.get_all("Via") == ["1.1 rampart"]


# ---------------------------------------------------------------------------------------
# Redirects
# ---------------------------------------------------------------------------------------

REDIRECTS = [
    {"from": "/old-catalog", "to": "/catalog", "status": 301},
    {"from": "/blog/", "match": "prefix", "to": "https://blog.example/", "status": 302},
    {"from": "/tmp-move", "to": "/moved", "status": 307},
    {"from": "/perm-move", "to": "/moved", "status": 308},
    {"from": "/no-query", "to": "/target", "status": 301, "keep_query": False},
]


@pytest.fixture
def redirecting(origin, rampart_factory):
    return rampart_factory([origin], sites=[site("main", ["main.test"], origin, default=True,
                                                 redirects=REDIRECTS)])


@pytest.mark.parametrize("target,status,location", [
    ("/old-catalog", 301, "/catalog"),
    ("/old-catalog?page=2&sort=asc", 301, "/catalog?page=2&sort=asc"),
    ("/blog/", 302, "https://blog.example/"),
    ("/blog/2024/post-1", 302, "https://blog.example/2024/post-1"),
    ("/blog/a/b?x=1", 302, "https://blog.example/a/b?x=1"),
    ("/tmp-move", 307, "/moved"),
    ("/perm-move?q=1", 308, "/moved?q=1"),
    ("/no-query?secret=1", 301, "/target"),  # keep_query: false (key name from config.h)
])
def test_redirects_answered_without_origin(redirecting, origin, target, status, location):
    before = origin.stats()["requests"]
    with RawConn(redirecting.port) as c:
        resp = c.request("GET", target)
        assert resp.status == status
        assert resp.get_all("Location") == [location]
        assert REQ_ID_RE.match(resp.get("X-Request-Id", ""))
        after = c.request("GET", "/echo")  # keep-alive survives a redirect
        assert after.status == 200
    assert origin.stats()["requests"] - before == 1


@pytest.mark.parametrize("target", ["/old-catalog/deeper", "/old-catalogue", "/blog",
                                    "/blogger", "/BLOG/x"])
def test_paths_not_matching_redirects_go_to_origin(redirecting, target):
    with RawConn(redirecting.port) as c:
        resp = c.request("GET", target)
    # the demo origin answers 404 for these paths itself
    assert resp.status == 404
    assert resp.get("X-Origin-Name") == "A"
    assert resp.get("Location") is None


def test_redirect_of_post_with_body_keeps_connection_in_sync(redirecting, origin):
    with RawConn(redirecting.port) as c:
        c.send(b"POST /tmp-move HTTP/1.1\r\nHost: main.test\r\nContent-Length: 11\r\n\r\n"
               b"hello world"
               b"GET /echo?after HTTP/1.1\r\nHost: main.test\r\n\r\n")
        r1 = c.read_response()
        assert r1.status == 307 and r1.get("Location") == "/moved"
        if "close" in r1.tokens("Connection"):
            return  # closing instead of draining the body is also safe
        r2 = c.read_response()
        assert r2.status == 200
        j = r2.json()
        assert j["target"] == "/echo?after" and j["method"] == "GET"
    # the redirected POST body was never taken for a request
    assert not any("hello" in x for x in origin.stats()["recent"])


# ---------------------------------------------------------------------------------------
# CONNECT
# ---------------------------------------------------------------------------------------

def test_connect_not_implemented(rampart, origin):
    before = origin.stats()["requests"]
    with RawConn(rampart.port) as c:
        c.send(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
               % (origin.port, origin.port))
        resp = c.read_response()
    assert resp.status == 501
    assert origin.stats()["requests"] == before


# ---------------------------------------------------------------------------------------
# Error responses
# ---------------------------------------------------------------------------------------

def test_origin_down_gives_502_html(rampart_factory):
    r = rampart_factory([])  # the endpoint is a free port nobody listens on
    with RawConn(r.port) as c:
        resp = c.request("GET", "/anything", headers=[("Accept", "text/html")])
    assert resp.status == 502
    assert resp.get("Content-Type", "").startswith("text/html")
    rid = resp.get("X-Request-Id")
    assert REQ_ID_RE.match(rid)
    text = resp.body.decode()
    assert len(resp.body) < 8192
    assert "502" in text
    assert rid in text
    assert "test-1" in text  # the config version
    assert "<html" in text.lower()


def test_origin_down_gives_502_json(rampart_factory):
    r = rampart_factory([])
    with RawConn(r.port) as c:
        resp = c.request("GET", "/anything", headers=[("Accept", "application/json")])
        assert resp.status == 502
        assert resp.get("Content-Type", "").startswith("application/json")
        j = resp.json()
        assert {"status", "error", "message", "request_id", "config_version"} <= set(j)
        assert j["status"] == 502
        assert isinstance(j["error"], str) and j["error"]
        assert isinstance(j["message"], str) and j["message"]
        assert j["request_id"] == resp.get("X-Request-Id")
        assert REQ_ID_RE.match(j["request_id"])
        assert j["config_version"] == "test-1"
        # an upstream failure is not a reason to drop the client connection
        resp2 = c.request("GET", "/x", headers=[("Accept", "application/json")])
        assert resp2.status == 502
        assert resp2.json()["request_id"] != j["request_id"]


def test_404_for_no_site_uses_error_page_with_version(origin, rampart_factory):
    r = rampart_factory([origin], sites=[site("only", ["only.test"], origin)])
    with RawConn(r.port) as c:
        resp = c.request("GET", "/", host="nope.test", headers=[("Accept", "application/json")])
    assert resp.status == 404
    j = resp.json()
    assert j["status"] == 404
    assert j["config_version"] == "test-1"
    assert j["request_id"] == resp.get("X-Request-Id")
