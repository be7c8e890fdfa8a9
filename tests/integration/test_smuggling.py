"""Strict request parsing: malformed or ambiguous requests are refused and the connection
closed, and the origin never sees a request smuggled behind them.

Each case sends the bad request immediately followed by a second, well-formed request
(`GET /smuggled`) in the same write — the way a smuggling attack arrives. rampart must
answer the first with the expected status and `Connection: close`, close the connection,
and never let `/smuggled` (or anything, for head-level errors) reach the origin.
"""

import pytest

from helpers import SLOW, RawConn, parse_responses

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: main.test\r\n\r\n"

LIMITS = {
    "max_request_line": 1024,
    "max_header_bytes": 4096,
    "max_header_count": 20,
    "max_body_bytes": 1048576,
}


def req(head_lines, body=b"", start=b"POST /echo HTTP/1.1"):
    return start + b"\r\n" + b"".join(l + b"\r\n" for l in head_lines) + b"\r\n" + body


H = b"Host: main.test"

# (id, bytes, expected status). All of these are refused from the head alone, so the
# origin must not receive any request at all.
HEAD_CASES = [
    ("te-and-cl", req([H, b"Content-Length: 5", b"Transfer-Encoding: chunked"],
                      b"0\r\n\r\n"), 400),
    ("cl-and-te", req([H, b"Transfer-Encoding: chunked", b"Content-Length: 5"],
                      b"0\r\n\r\n"), 400),
    ("two-cl-same", req([H, b"Content-Length: 5", b"Content-Length: 5"], b"hello"), 400),
    ("two-cl-different", req([H, b"Content-Length: 5", b"Content-Length: 6"], b"hello!"), 400),
    ("cl-list", req([H, b"Content-Length: 1,1"], b"x"), 400),
    ("cl-negative", req([H, b"Content-Length: -1"]), 400),
    ("cl-plus-sign", req([H, b"Content-Length: +5"], b"hello"), 400),
    ("cl-hex", req([H, b"Content-Length: 0x5"], b"hello"), 400),
    ("cl-inner-space", req([H, b"Content-Length: 1 1"], b"x"), 400),
    ("cl-overflow", req([H, b"Content-Length: 99999999999999999999999"]), 400),
    ("te-gzip-chunked", req([H, b"Transfer-Encoding: gzip, chunked"], b"0\r\n\r\n"), 501),
    ("te-chunked-gzip", req([H, b"Transfer-Encoding: chunked, gzip"], b"0\r\n\r\n"), 400),
    # an unknown transfer coding is 501 (RFC 9112 6.1), like gzip above
    ("te-unknown", req([H, b"Transfer-Encoding: xchunked"], b"0\r\n\r\n"), 501),
    # chunked applied twice (RFC 9112 6.1: MUST NOT) -> cannot frame the body
    ("te-chunked-twice", req([H, b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"],
                             b"0\r\n\r\n"), 400),
    ("obs-fold", req([H, b"X-Long: first", b"  continued"], b"", b"GET /echo HTTP/1.1"), 400),
    ("obs-fold-te", req([H, b"Transfer-Encoding:", b" chunked"], b"0\r\n\r\n"), 400),
    ("obs-fold-first-line", req([b" X-Lead: x", H], b"", b"GET /echo HTTP/1.1"), 400),
    ("space-before-colon", req([H, b"X-Foo : bar"], b"", b"GET /echo HTTP/1.1"), 400),
    ("space-before-colon-te", req([H, b"Transfer-Encoding : chunked"], b"0\r\n\r\n"), 400),
    ("tab-before-colon", req([H, b"Content-Length\t: 0"]), 400),
    ("nul-in-value", req([H, b"X-Foo: a\x00b"], b"", b"GET /echo HTTP/1.1"), 400),
    ("bare-cr-in-value", req([H, b"X-Foo: a\rb"], b"", b"GET /echo HTTP/1.1"), 400),
    ("bare-lf-line-endings", b"GET /echo HTTP/1.1\nHost: main.test\n\n", 400),
    ("bare-lf-one-header", b"GET /echo HTTP/1.1\r\nX-Foo: a\nHost: main.test\r\n\r\n", 400),
    ("bad-header-name-char", req([H, b"X(Foo): bar"], b"", b"GET /echo HTTP/1.1"), 400),
    ("empty-header-name", req([H, b": bar"], b"", b"GET /echo HTTP/1.1"), 400),
    ("header-without-colon", req([H, b"NoColonHere"], b"", b"GET /echo HTTP/1.1"), 400),
    ("missing-host-http11", req([], b"", b"GET /echo HTTP/1.1"), 400),
    ("two-host", req([H, b"Host: other.test"], b"", b"GET /echo HTTP/1.1"), 400),
    ("http09", b"GET /\r\n", 400),
    # RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing
    ("te-in-http10", req([H, b"Transfer-Encoding: chunked"], b"0\r\n\r\n",
                         b"POST /echo HTTP/1.0"), 400),
    ("http2-version", req([H], b"", b"GET /echo HTTP/2.0"), 505),
    ("http3-version", req([H], b"", b"GET /echo HTTP/3.0"), 505),
    ("bad-version-token", req([H], b"", b"GET /echo HTTPS/1.1"), 400),
    ("request-line-too-long", req([H], b"", b"GET /" + b"a" * 2000 + b" HTTP/1.1"), 414),
    ("head-too-large", req([H] + [b"X-Big-%d: %s" % (i, b"v" * 1500) for i in range(3)],
                           b"", b"GET /echo HTTP/1.1"), 431),
    ("too-many-headers", req([H] + [b"X-H%d: v" % i for i in range(25)], b"",
                             b"GET /echo HTTP/1.1"), 431),
    ("body-too-large", req([H, b"Content-Length: 2000000"]), 413),
    ("method-bad-char", req([H], b"", b"GE(T /echo HTTP/1.1"), 400),
    ("method-control-char", req([H], b"", b"G\x01T /echo HTTP/1.1"), 400),
    ("target-space", req([H], b"", b"GET /a b HTTP/1.1"), 400),
    ("target-control", req([H], b"", b"GET /a\x01b HTTP/1.1"), 400),
    ("target-tab", req([H], b"", b"GET /a\tb HTTP/1.1"), 400),
    ("target-del", req([H], b"", b"GET /a\x7fb HTTP/1.1"), 400),
    ("double-space-request-line", req([H], b"", b"GET  /echo HTTP/1.1"), 400),
    ("trailing-space-after-version", req([H], b"", b"GET /echo HTTP/1.1 "), 400),
    ("target-not-origin-form", req([H], b"", b"GET echo HTTP/1.1"), 400),
    ("asterisk-form-with-get", req([H], b"", b"GET * HTTP/1.1"), 400),
    # an invalid Host is refused (RFC 9110 7.2 / 9112 3.2): host-header injection
    ("host-with-space", req([b"Host: main test"], b"", b"GET /echo HTTP/1.1"), 400),
    ("host-with-slash", req([b"Host: main.test/evil"], b"", b"GET /echo HTTP/1.1"), 400),
    ("host-with-userinfo", req([b"Host: user@main.test"], b"", b"GET /echo HTTP/1.1"), 400),
    ("host-bad-port", req([b"Host: main.test:80x"], b"", b"GET /echo HTTP/1.1"), 400),
]

# Refused while reading a chunked body: the head may already be on its way to the origin,
# but the smuggled request must never get there.
CHUNK_HEAD = [H, b"Transfer-Encoding: chunked"]
BODY_CASES = [
    ("chunk-size-zz", req(CHUNK_HEAD, b"zz\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-size-overflow", req(CHUNK_HEAD, b"f" * 20 + b"\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-size-negative", req(CHUNK_HEAD, b"-5\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-size-0x", req(CHUNK_HEAD, b"0x5\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-size-empty", req(CHUNK_HEAD, b"\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-ext-control", req(CHUNK_HEAD, b"5;\x01\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-ext-quoted-name", req(CHUNK_HEAD, b'5;"x"\r\nhello\r\n0\r\n\r\n'), 400),
    ("chunk-ext-bare-cr", req(CHUNK_HEAD, b"5;a=b\rc\r\nhello\r\n0\r\n\r\n"), 400),
    ("chunk-data-no-crlf", req(CHUNK_HEAD, b"5\r\nhelloXX0\r\n\r\n"), 400),
    ("chunk-bare-lf", req(CHUNK_HEAD, b"5\nhello\n0\n\n"), 400),
]


@pytest.fixture
def strict(origin, rampart_factory):
    return rampart_factory([origin], limits=LIMITS)


def assert_refused(r, origin, data, status, head_level):
    before = origin.stats()
    with RawConn(r.port, timeout=5 * SLOW) as c:
        c.send(data + SMUGGLED)
        resp = c.read_response()
        assert resp.status == status, resp
        assert "close" in resp.tokens("Connection"), resp.headers
        closed, rest = c.wait_closed(3 * SLOW)
        assert closed, "connection left open after a %d" % status
        assert parse_responses(rest) == [], "extra response(s) after the error: %r" % rest[:300]
    after = origin.stats()
    assert not any("/smuggled" in x for x in after["recent"]), after["recent"]
    if head_level:
        assert after["requests"] == before["requests"], after["recent"][-3:]


@pytest.mark.parametrize("data,status", [c[1:] for c in HEAD_CASES],
                         ids=[c[0] for c in HEAD_CASES])
def test_refused_head(strict, origin, data, status):
    assert_refused(strict, origin, data, status, head_level=True)


@pytest.mark.parametrize("data,status", [c[1:] for c in BODY_CASES],
                         ids=[c[0] for c in BODY_CASES])
def test_refused_chunked_body(strict, origin, data, status):
    assert_refused(strict, origin, data, status, head_level=False)


def test_chunked_body_over_max_body_bytes_is_413(strict, origin):
    # The size is only known while streaming; the request is cut off with 413 (if no
    # response began yet) and the connection closed. 1 MiB limit, 1.5 MiB body.
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(24)) + b"0\r\n\r\n"
    with RawConn(strict.port, timeout=10 * SLOW) as c:
        try:
            c.send(req(CHUNK_HEAD, body, b"POST /upload HTTP/1.1") + SMUGGLED)
        except (BrokenPipeError, ConnectionResetError):
            pass  # rampart may close while we are still sending
        resp = c.read_response()
        assert resp.status == 413, resp
        assert "close" in resp.tokens("Connection")
        closed, rest = c.wait_closed(3 * SLOW)
        assert closed and parse_responses(rest) == []
    assert not any("/smuggled" in x for x in origin.stats()["recent"])


# ---------------------------------------------------------------------------------------
# Positive controls: strict, but not wrong about valid requests
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("data,length", [
    (req(CHUNK_HEAD, b"5;name=value\r\nhello\r\n0\r\n\r\n"), 5),
    (req(CHUNK_HEAD, b"5;name=\"quoted value\"\r\nhello\r\n0\r\n\r\n"), 5),
    (req(CHUNK_HEAD, b"A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"), 10),
    (req([H, b"Transfer-Encoding: Chunked"], b"3\r\nabc\r\n0\r\n\r\n"), 3),
    (req([H, b"Content-Length:   5  "], b"hello"), 5),
    (req([H, b"Content-Length: 0005"], b"hello"), 5),
    (b"\r\n" + req([H, b"Content-Length: 2"], b"hi"), 2),  # RFC 9112 2.2: leading CRLF ignored
], ids=["chunk-ext", "chunk-ext-quoted", "trailer", "te-case-insensitive",
        "cl-ows", "cl-leading-zeros", "leading-crlf"])
def test_valid_framing_accepted_and_pipelined(strict, origin, data, length):
    follow = b"GET /echo?second HTTP/1.1\r\nHost: main.test\r\n\r\n"
    with RawConn(strict.port) as c:
        c.send(data + follow)
        r1 = c.read_response()
        assert r1.status == 200, r1
        assert r1.json()["body_length"] == length
        r2 = c.read_response()
        assert r2.status == 200
        assert r2.json()["target"] == "/echo?second"


def test_limits_at_exact_boundary_accepted(strict):
    # exactly max_header_count fields (Host included) is fine; so is a long-but-legal line
    headers = [b"X-H%d: v" % i for i in range(LIMITS["max_header_count"] - 1)]
    data = req([H] + headers, b"", b"GET /echo HTTP/1.1")
    with RawConn(strict.port) as c:
        c.send(data)
        assert c.read_response().status == 200
        target = b"/echo?" + b"q" * 900
        c.send(b"GET " + target + b" HTTP/1.1\r\nHost: main.test\r\n\r\n")
        resp = c.read_response()
        assert resp.status == 200 and resp.json()["target"] == target.decode()


def test_http10_request_without_host_accepted(strict):
    # Host is only mandatory in HTTP/1.1; a 1.0 request goes to the default site.
    with RawConn(strict.port) as c:
        c.send(b"GET /echo HTTP/1.0\r\n\r\n")
        resp = c.read_response()
        assert resp.status == 200
        closed, _ = c.wait_closed(3 * SLOW)  # 1.0 without keep-alive: closed after
        assert closed
