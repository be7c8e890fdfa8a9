"""Client keep-alive and pipelining; upstream connection reuse and retries."""

import json
import socket
import threading
import time

import pytest

from helpers import LOOPBACK, SLOW, LoopbackServer, RawConn, ScriptedOrigin, scaled


def origin_conns(origin):
    return origin.stats()["origin_connections"]


# ---------------------------------------------------------------------------------------
# Client side
# ---------------------------------------------------------------------------------------

def test_sequential_requests_on_one_connection_reuse_one_origin_connection(rampart, origin):
    n = 30
    before = origin_conns(origin)
    conn_ids = []
    with RawConn(rampart.port) as c:
        for i in range(n):
            resp = c.request("GET", "/echo?i=%d" % i)
            assert resp.status == 200
            assert "close" not in resp.tokens("Connection")
            conn_ids.append(resp.json()["conn_id"])
    opened = origin_conns(origin) - before
    assert opened <= 2, "%d origin connections for %d sequential requests" % (opened, n)
    # nearly every request went over an already open origin connection
    assert len(set(conn_ids)) == opened


def test_several_client_connections_share_origin_connections(rampart, origin):
    before = origin_conns(origin)
    total = 0
    for _ in range(6):
        with RawConn(rampart.port) as c:
            for i in range(10):
                assert c.request("GET", "/echo?i=%d" % i).status == 200
                total += 1
    opened = origin_conns(origin) - before
    # workers: 2 -> at most a couple of pooled connections are needed for serial traffic
    assert opened <= 4, "%d origin connections for %d requests over 6 client connections" \
        % (opened, total)


def test_concurrent_keepalive_clients(rampart, origin):
    threads_n = scaled(24, 8)
    per_thread = scaled(20, 8)
    errors = []
    ok = [0]
    lock = threading.Lock()
    before = origin_conns(origin)

    def client(k):
        try:
            with RawConn(rampart.port, timeout=15 * SLOW) as c:
                for i in range(per_thread):
                    resp = c.request("GET", "/echo?k=%d&i=%d" % (k, i))
                    assert resp.status == 200, resp
                    assert resp.json()["target"] == "/echo?k=%d&i=%d" % (k, i)
                    with lock:
                        ok[0] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [threading.Thread(target=client, args=(k,)) for k in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60 * SLOW)
    assert not errors, errors[:5]
    assert ok[0] == threads_n * per_thread
    opened = origin_conns(origin) - before
    assert opened <= threads_n + 4, "%d origin connections for %d requests" % (
        opened, threads_n * per_thread)


def test_pipelined_requests_answered_in_order(rampart):
    data = (b"GET /slow?ms=300 HTTP/1.1\r\nHost: main.test\r\n\r\n"
            b"GET /echo?i=1 HTTP/1.1\r\nHost: main.test\r\n\r\n"
            b"HEAD /bytes?n=50 HTTP/1.1\r\nHost: main.test\r\n\r\n"
            b"POST /echo?i=3 HTTP/1.1\r\nHost: main.test\r\nContent-Length: 5\r\n\r\nhello"
            b"GET /stream?n=3000&chunk=1000 HTTP/1.1\r\nHost: main.test\r\n\r\n"
            b"POST /upload HTTP/1.1\r\nHost: main.test\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n"
            b"GET /echo?i=6 HTTP/1.1\r\nHost: main.test\r\n\r\n")
    with RawConn(rampart.port) as c:
        c.send(data)
        r0 = c.read_response()
        assert r0.status == 200 and r0.json()["slept_ms"] == 300
        r1 = c.read_response()
        assert r1.json()["target"] == "/echo?i=1"
        r2 = c.read_response("HEAD")
        assert r2.status == 200 and r2.get("Content-Length") == "50"
        r3 = c.read_response()
        j3 = r3.json()
        assert (j3["method"], j3["target"], j3["body_length"]) == ("POST", "/echo?i=3", 5)
        r4 = c.read_response()
        assert r4.status == 200 and len(r4.body) == 3000
        r5 = c.read_response()
        assert r5.json()["bytes"] == 3
        r6 = c.read_response()
        assert r6.json()["target"] == "/echo?i=6"
        ids = [r.get("X-Request-Id") for r in (r0, r1, r2, r3, r4, r5, r6)]
        assert len(set(ids)) == 7


def test_client_connection_close_honoured(rampart):
    with RawConn(rampart.port) as c:
        resp = c.request("GET", "/echo", headers=[("Connection", "close")])
        assert resp.status == 200
        assert "close" in resp.tokens("Connection")
        closed, extra = c.wait_closed(3 * SLOW)
        assert closed and extra == b""


def test_http10_client_never_gets_chunked(rampart):
    # An HTTP/1.0 client does not know chunked: the origin's chunked body must reach it
    # close-delimited (or with a Content-Length).
    with RawConn(rampart.port) as c:
        c.send(b"GET /stream?n=5000&chunk=1000 HTTP/1.0\r\nHost: main.test\r\n\r\n")
        head = c.read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0]
        assert b"transfer-encoding" not in head.lower(), head
        closed, body = c.wait_closed(5 * SLOW)
        assert closed
        assert body == (bytes(range(256)) * 4)[:1000] * 5  # each chunk restarts the pattern


def test_http10_keepalive_is_consistent(rampart):
    # HTTP/1.0 + Connection: keep-alive: rampart may keep the connection (then it must say
    # so with Connection: keep-alive) or close it after the response. Never silently hold.
    with RawConn(rampart.port) as c:
        c.send(b"GET /echo HTTP/1.0\r\nHost: main.test\r\nConnection: keep-alive\r\n\r\n")
        resp = c.read_response()
        assert resp.status == 200
        if "keep-alive" in resp.tokens("Connection"):
            c.send(b"GET /echo?2 HTTP/1.0\r\nHost: main.test\r\nConnection: keep-alive\r\n\r\n")
            assert c.read_response().json()["target"] == "/echo?2"
        else:
            closed, _ = c.wait_closed(3 * SLOW)
            assert closed, "HTTP/1.0 connection held open without Connection: keep-alive"


def test_max_requests_per_connection(origin, rampart_factory):
    r = rampart_factory([origin], limits={"max_requests_per_connection": 3})
    with RawConn(r.port) as c:
        for i in range(2):
            resp = c.request("GET", "/echo?i=%d" % i)
            assert resp.status == 200
            assert "close" not in resp.tokens("Connection")
        resp = c.request("GET", "/echo?i=2")
        assert resp.status == 200
        assert "close" in resp.tokens("Connection")
        closed, extra = c.wait_closed(3 * SLOW)
        assert closed and extra == b""
    with RawConn(r.port) as c:  # a new connection gets a fresh budget
        assert c.request("GET", "/echo").status == 200


def _last_request_announces_close(port, path, want_status):
    """Three requests on one connection with max_requests_per_connection 3: the third
    response, whatever path answered it, must say Connection: close before the close.
    A close that is not announced makes a keep-alive client send its next request into
    a closed connection."""
    with RawConn(port) as c:
        for i in range(2):
            resp = c.request("GET", path)
            assert resp.status == want_status, (i, resp.status)
            assert "close" not in resp.tokens("Connection")
        resp = c.request("GET", path)
        assert resp.status == want_status
        assert "close" in resp.tokens("Connection"), resp.headers
        closed, extra = c.wait_closed(3 * SLOW)
        assert closed and extra == b""


def test_the_request_limit_close_is_announced_when_the_origin_is_down(rampart_factory):
    r = rampart_factory([], limits={"max_requests_per_connection": 3})  # nothing listens
    _last_request_announces_close(r.port, "/echo", 502)


def test_the_request_limit_close_is_announced_on_a_stale_answer(origin, rampart_factory):
    r = rampart_factory([origin], limits={"max_requests_per_connection": 3}, sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]}, "cache": {"enabled": True}}])
    path = "/cacheable?cc=public%2C+max-age%3D1%2C+stale-if-error%3D60"
    with RawConn(r.port) as c:
        assert c.request("GET", path).status == 200
    time.sleep(2.2)
    origin.control(status=503)  # stale answers: the origin's 5xx path
    _last_request_announces_close(r.port, path, 200)
    origin.kill()  # stale answers: the origin-unreachable path
    _last_request_announces_close(r.port, path, 200)


def test_origin_closing_its_connection_does_not_close_the_client(rampart, origin):
    before = origin_conns(origin)
    with RawConn(rampart.port) as c:
        r1 = c.request("GET", "/close")
        assert r1.status == 200 and r1.body == b"closing\n"
        # the origin's Connection: close is hop-by-hop: it is not the client's business
        assert "close" not in r1.tokens("Connection")
        r2 = c.request("GET", "/echo")
        assert r2.status == 200
    assert origin_conns(origin) - before == 2


def test_origin_connection_reused_after_chunked_head_and_204(rampart, origin):
    before = origin_conns(origin)
    with RawConn(rampart.port) as c:
        assert len(c.request("GET", "/stream?n=5000&chunk=700").body) == 5000
        assert c.request("HEAD", "/bytes?n=99").get("Content-Length") == "99"
        assert c.request("GET", "/status/204").status == 204
        assert c.request("GET", "/status/304").status == 304
        resp = c.request("GET", "/echo")
        assert resp.status == 200
        assert resp.json()["conn_request"] == 5
    assert origin_conns(origin) - before == 1


# ---------------------------------------------------------------------------------------
# Upstream retries, with an origin that drops one request on a reused connection
# ---------------------------------------------------------------------------------------

class FlakyOrigin(LoopbackServer):
    """A raw-socket keep-alive origin. The request number `drop_at` (counted over all
    connections) is read completely and then its connection is closed without sending a
    single byte of response. drop_at=None drops every request."""

    def __init__(self, drop_at=2):
        self.drop_at = drop_at
        self.requests = []  # (connection number, method, target, body)
        self._start_listening()

    def _serve(self, conn, n):
        conn.settimeout(30)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = conn.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for l in lines[1:]:
                    k, _, v = l.partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v.strip())
                while len(buf) < length:
                    d = conn.recv(65536)
                    if not d:
                        return
                    buf += d
                body, buf = buf[:length], buf[length:]
                with self.lock:
                    self.requests.append((n, method, target, body))
                    number = len(self.requests)
                if self.drop_at is None or number == self.drop_at:
                    conn.close()
                    return
                payload = json.dumps({"request": number, "connection": n}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
        except OSError:
            return
        finally:
            conn.close()



@pytest.fixture
def flaky():
    f = FlakyOrigin(drop_at=2)
    yield f
    f.close()


def test_idempotent_get_retried_on_fresh_connection(flaky, rampart_factory):
    r = rampart_factory([flaky.endpoint])
    with RawConn(r.port) as c:
        r1 = c.request("GET", "/first")
        assert r1.status == 200 and r1.json() == {"request": 1, "connection": 1}
        r2 = c.request("GET", "/second")
        assert r2.status == 200, r2
        assert r2.json() == {"request": 3, "connection": 2}
    assert [(n, m, t) for n, m, t, _ in flaky.requests] == [
        (1, "GET", "/first"), (1, "GET", "/second"), (2, "GET", "/second")]


def test_post_not_retried_after_reused_connection_dropped(flaky, rampart_factory):
    r = rampart_factory([flaky.endpoint])
    with RawConn(r.port) as c:
        r1 = c.request("GET", "/first")
        assert r1.status == 200 and r1.json() == {"request": 1, "connection": 1}
        r2 = c.request("POST", "/submit", body=b"order=42")
        assert r2.status == 502, r2
    time.sleep(0.5 * SLOW)  # a (wrong) retry would arrive by now
    assert [(n, m, t, b) for n, m, t, b in flaky.requests] == [
        (1, "GET", "/first", b""), (1, "POST", "/submit", b"order=42")]


def test_always_failing_origin_is_not_retried_forever(rampart_factory):
    # Every connection is dropped right after the request arrives: retries must be bounded
    # and the client gets a 502 promptly.
    f = FlakyOrigin(drop_at=None)
    try:
        r = rampart_factory([f.endpoint])
        with RawConn(r.port, timeout=15 * SLOW) as c:
            t0 = time.monotonic()
            resp = c.request("GET", "/doomed")
            elapsed = time.monotonic() - t0
        assert resp.status == 502
        assert elapsed < 3 * SLOW, elapsed
        time.sleep(0.3)
        assert 1 <= len(f.requests) <= 3, "%d attempts for one GET" % len(f.requests)
    finally:
        f.close()


def test_post_after_origin_closed_idle_pooled_connection(rampart_factory):
    # Origins close idle keep-alive connections sooner than rampart's upstream_idle. By the
    # next request the FIN has long arrived: rampart must notice the dead pooled connection
    # and use a fresh one, so even a non-retryable POST succeeds.
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    o = ScriptedOrigin([ok, ok, ok], idle_close=0.3)
    try:
        r = rampart_factory([o.endpoint])
        with RawConn(r.port) as c:
            assert c.request("GET", "/warm").status == 200
            time.sleep(1.0)  # the origin closed its side 0.7s ago
            resp = c.request("POST", "/submit", body=b"order=1")
            assert resp.status == 200, resp
            assert resp.body == b"ok"
        assert o.connections == 2
        assert [h.split("\r\n")[0] for h in o.heads] == ["GET /warm HTTP/1.1",
                                                           "POST /submit HTTP/1.1"]
    finally:
        o.close()


def test_many_idle_connections_do_not_block_service(rampart):
    n = scaled(400, 100)
    idle = []
    try:
        for _ in range(n):
            idle.append(socket.create_connection((LOOPBACK, rampart.port), timeout=5))
        t0 = time.monotonic()
        with RawConn(rampart.port) as c:
            assert c.request("GET", "/echo").status == 200
        assert time.monotonic() - t0 < 1.0 * SLOW
        # and the idle ones are real connections that can still be used
        idle[0].sendall(b"GET /echo HTTP/1.1\r\nHost: main.test\r\n\r\n")
        idle[0].settimeout(5)
        assert idle[0].recv(100).startswith(b"HTTP/1.1 200 ")
    finally:
        for s in idle:
            s.close()


def test_deep_pipeline_in_one_write(rampart):
    n = scaled(200, 60)
    data = b"".join(b"GET /echo?seq=%d HTTP/1.1\r\nHost: main.test\r\nX-Pad: %s\r\n\r\n"
                    % (i, b"p" * (i * 37 % 500)) for i in range(n))
    with RawConn(rampart.port, timeout=20 * SLOW) as c:
        c.send(data)
        for i in range(n):
            resp = c.read_response()
            assert resp.status == 200
            assert resp.json()["target"] == "/echo?seq=%d" % i


def test_request_trickled_byte_by_byte(rampart):
    # every byte in its own TCP segment: the parser must be fully incremental
    body = b"7\r\ntrickle\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
    data = (b"POST /echo?trickle HTTP/1.1\r\nHost: main.test\r\nX-A:  spaced  \r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + body +
            b"GET /echo?after HTTP/1.1\r\nHost: main.test\r\n\r\n")
    with RawConn(rampart.port, timeout=10 * SLOW) as c:
        for b in data:
            c.sock.sendall(bytes([b]))
            time.sleep(0.001)
        r1 = c.read_response()
        assert r1.status == 200
        j = r1.json()
        assert (j["target"], j["body_length"]) == ("/echo?trickle", 10)
        assert ["X-A", "spaced"] in j["headers"]
        r2 = c.read_response()
        assert r2.json()["target"] == "/echo?after"
