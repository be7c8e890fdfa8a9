"""HTTP/2 to origins (`http2: true` on a pool): a real HTTP/2-only origin (the `h2` state
machine) over cleartext prior knowledge and over TLS with ALPN h2; bodies both ways, one
origin connection for several sequential requests, trailers relayed, an origin that will
not speak h2 refused with a clear reason; and gRPC end to end (a real grpc server behind
rampart, a real grpc client in front of it): unary, server streaming, and an error status
with its details carried in trailers."""

import socket
import threading
from concurrent import futures

import grpc
import pytest

from h2_origin import H2Origin
from helpers import LOOPBACK, SLOW, RawConn, wait_until
from origins_util import health, pool, start, wait_state
from tls_util import CertFactory
from test_trailers import read_chunked_with_trailers


@pytest.fixture
def certs(tmp_path):
    return CertFactory(tmp_path / "certs")


@pytest.fixture
def h2_origins():
    made = []

    def make(*args, **kw):
        o = H2Origin(*args, **kw)
        made.append(o)
        return o

    yield make
    for o in made:
        o.stop()


def h2_pool(rampart_factory, o, tls=None, **extra):
    p = pool([o], http2=True, **extra)
    if tls is not None:
        p["tls"] = tls
    return start(rampart_factory, {"web": p}, {"pool": "web"})


def exchange(r, n_requests):
    """Sequential GET and POST requests on one client connection; checks each answer."""
    big = bytes(range(256)) * 1200  # 300 KiB: more than the origin's first window
    with RawConn(r.port, timeout=10 * SLOW) as c:
        for i in range(n_requests):
            resp = c.request("GET", "/hello?i=%d" % i)
            assert resp.status == 200, resp
            assert resp.body == b"h2 origin GET /hello?i=%d" % i
            assert resp.get("x-origin-proto") == "h2"
            resp = c.request("POST", "/echo", body=big,
                             headers=[("Content-Type", "application/octet-stream")])
            assert resp.status == 200, resp
            assert resp.body == big
        resp = c.request("HEAD", "/hello")
        assert resp.status == 200 and resp.body == b""
        assert resp.get("content-length") == str(len(b"h2 origin GET /hello"))


def test_cleartext_prior_knowledge_get_post_and_reuse(h2_origins, rampart_factory):
    o = h2_origins()
    r = h2_pool(rampart_factory, o)
    exchange(r, 3)
    # Seven requests, one origin connection: each went on a new stream of the same one.
    assert o.accepted == 1, o.accepted
    assert len(o.requests) == 7
    method, path, headers, body = o.requests[0]
    assert (method, path) == ("GET", "/hello?i=0")
    assert headers[":authority"] == "main.test" and headers[":scheme"] == "http"
    assert headers.get("te") == "trailers"
    assert "connection" not in headers and "host" not in headers
    # A chunked request body (length unknown) goes out as DATA frames too.
    with RawConn(r.port, timeout=10 * SLOW) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: main.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        resp = c.read_response()
    assert resp.status == 200 and resp.body == b"hello world"


def test_tls_with_alpn_h2(certs, h2_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = h2_origins(cert, key)
    r = h2_pool(rampart_factory, o, tls={"ca": str(certs.ca_cert), "sni": "origin.test"})
    exchange(r, 2)
    assert o.accepted == 1, o.accepted
    assert o.requests[0][2][":scheme"] == "https"


def test_tls_origin_that_said_goaway_while_idle_is_not_reused(certs, h2_origins,
                                                              rampart_factory):
    # A POST is not replayed: the pooled connection must be checked, and one the origin
    # ended (GOAWAY, then its close) must not carry it.
    cert, key = certs.leaf(["origin.test"])
    o = h2_origins(cert, key)
    p = pool([o], http2=True, tls={"ca": str(certs.ca_cert), "sni": "origin.test"})
    r = start(rampart_factory, {"web": p}, {"pool": "web"}, workers=1)  # one pool
    with RawConn(r.port, timeout=10 * SLOW) as c:
        resp = c.request("GET", "/goaway")
        assert resp.status == 200 and resp.body == b"h2 origin GET /goaway"
    # The GOAWAY and the close then wait in the socket of rampart's idle connection.
    wait_until(lambda: o.closed == 1, 3 * SLOW, what="the origin's close")
    with RawConn(r.port, timeout=10 * SLOW) as c:
        resp = c.request("POST", "/echo", body=b"after goaway",
                         headers=[("Content-Type", "text/plain")])
        assert resp.status == 200, resp
        assert resp.body == b"after goaway"
    assert o.accepted == 2, o.accepted


def test_tls_origin_without_h2_is_refused_with_the_reason(certs, h2_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = h2_origins(cert, key, alpn=("http/1.1",))
    r = h2_pool(rampart_factory, o, tls={"ca": str(certs.ca_cert), "sni": "origin.test"})
    with RawConn(r.port, timeout=10 * SLOW) as c:
        assert c.request("GET", "/hello").status == 502
    wait_until(lambda: "did not choose h2 in ALPN" in r.stderr_path.read_text(errors="replace"),
               3 * SLOW, what="the ALPN log line")
    assert o.requests == []


def test_trailers_reach_an_http11_client(h2_origins, rampart_factory):
    o = h2_origins()
    r = h2_pool(rampart_factory, o)
    with socket.create_connection((LOOPBACK, r.port), timeout=10 * SLOW) as s:
        s.sendall(b"GET /trailers HTTP/1.1\r\nHost: main.test\r\nTE: trailers\r\n\r\n")
        body, trailers = read_chunked_with_trailers(s)
    assert body == b"data"
    assert trailers.get("x-checksum") == "abc"


def test_health_check_goes_over_http2(h2_origins, rampart_factory):
    o = h2_origins()
    # The origin speaks nothing but HTTP/2: a check that reaches it and reads its body
    # went over HTTP/2.
    hc = health(path="/hc", expected_body="h2 origin GET /hc")
    r = start(rampart_factory, {"web": pool([o], http2=True, health_check=hc)}, {"pool": "web"})
    wait_until(lambda: sum(p == "/hc" for _, p, _, _ in o.requests) >= 3, 5 * SLOW,
               what="three health checks")
    wait_state(r, "web", o.endpoint, "up", 3)
    # An endpoint whose checks fail goes down: the verdict is real.
    bad = start(rampart_factory, {"web": pool([o], http2=True,
                                              health_check=health(path="/hc",
                                                                  expected_body="nope"))},
                {"pool": "web"})
    wait_state(bad, "web", o.endpoint, "down", 5)


def test_inline_origin_http2(h2_origins, rampart_factory):
    o = h2_origins()
    r = rampart_factory(sites=[{"name": "main", "default": True, "hosts": ["main.test"],
                                "origin": {"endpoints": [o.endpoint], "http2": True}}])
    with RawConn(r.port, timeout=10 * SLOW) as c:
        resp = c.request("GET", "/hello")
    assert resp.status == 200 and resp.get("x-origin-proto") == "h2"


# ---- gRPC end to end ----

SERVICE = "rampart.test.Echo"


def _unary(request, context):
    return b"echo:" + request


def _stream(request, context):
    n = int(request.decode())
    for i in range(n):
        yield b"msg-%d" % i


def _fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing: " + request.decode())


@pytest.fixture
def grpc_server():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    ident = lambda b: b  # noqa: E731  (bytes in, bytes out: no protoc step)
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(_unary, ident, ident),
        "Stream": grpc.unary_stream_rpc_method_handler(_stream, ident, ident),
        "Fail": grpc.unary_unary_rpc_method_handler(_fail, ident, ident),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield "127.0.0.1:%d" % port
    server.stop(0)


def test_grpc_through_rampart(grpc_server, rampart_factory):
    r = start(rampart_factory, {"grpc": {"endpoints": [grpc_server], "http2": True}},
              {"pool": "grpc"})
    ident = lambda b: b  # noqa: E731
    channel = grpc.insecure_channel("%s:%d" % (LOOPBACK, r.port),
                                    options=[("grpc.default_authority", "main.test")])
    try:
        unary = channel.unary_unary("/%s/Unary" % SERVICE, ident, ident)
        assert unary(b"hello", timeout=10 * SLOW) == b"echo:hello"

        stream = channel.unary_stream("/%s/Stream" % SERVICE, ident, ident)
        got = list(stream(b"25", timeout=10 * SLOW))
        assert got == [b"msg-%d" % i for i in range(25)]

        fail = channel.unary_unary("/%s/Fail" % SERVICE, ident, ident)
        with pytest.raises(grpc.RpcError) as err:
            fail(b"x42", timeout=10 * SLOW)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert err.value.details() == "no such thing: x42"

        # The same calls again: the origin connection is reused, nothing breaks.
        assert unary(b"again", timeout=10 * SLOW) == b"echo:again"
    finally:
        channel.close()
