"""Graceful shutdown on SIGTERM (and SIGINT)."""

import signal
import socket
import threading
import time

from helpers import LOOPBACK, SLOW, RawConn


def new_connection_refused(port):
    """True if a new connection is refused, or accepted by a closing socket and dropped
    without being served."""
    try:
        s = socket.create_connection((LOOPBACK, port), timeout=2)
    except OSError:
        return True
    try:
        s.settimeout(2)
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: main.test\r\n\r\n")
        data = s.recv(65536)
        return not data.startswith(b"HTTP/1.1 200")
    except OSError:
        return True
    finally:
        s.close()


def slow_request(port, ms, out):
    try:
        with RawConn(port, timeout=15 * SLOW) as c:
            out["resp"] = c.request("GET", "/slow?ms=%d" % ms)
            out["closed"] = c.wait_closed(3 * SLOW)[0]
    except Exception as e:  # noqa: BLE001
        out["error"] = e
    out["done_at"] = time.monotonic()


def test_sigterm_lets_in_flight_request_finish(origin, rampart_factory):
    r = rampart_factory([origin], timeouts={"shutdown_grace": "5s"})
    out = {}
    t = threading.Thread(target=slow_request, args=(r.port, 1000, out))
    t.start()
    time.sleep(0.3)
    t_term = time.monotonic()
    r.signal(signal.SIGTERM)
    time.sleep(0.2)
    assert r.proc.poll() is None, "exited with a request in flight"
    assert new_connection_refused(r.port), "a new connection was served after SIGTERM"
    t.join(10 * SLOW)
    assert "error" not in out, out.get("error")
    resp = out["resp"]
    assert resp.status == 200
    assert resp.json()["slept_ms"] == 1000
    assert out["closed"], "connection left open after the drained request"
    rc = r.proc.wait(5 + 2 * SLOW)
    exit_after = time.monotonic() - t_term
    assert rc == 0
    # it exits once the work is done, not at the end of the grace period
    assert exit_after < 5.0, exit_after


def test_draining_response_announces_connection_close(origin, rampart_factory):
    # Not spelled out in the contract; what nginx/HAProxy/Envoy do: a response finished
    # while draining carries `Connection: close`, so a keep-alive client does not race the
    # close with its next request.
    r = rampart_factory([origin], timeouts={"shutdown_grace": "5s"})
    out = {}
    t = threading.Thread(target=slow_request, args=(r.port, 800, out))
    t.start()
    time.sleep(0.3)
    r.signal(signal.SIGTERM)
    t.join(10 * SLOW)
    assert "error" not in out, out.get("error")
    assert out["resp"].status == 200
    assert "close" in out["resp"].tokens("Connection"), out["resp"].headers
    assert r.proc.wait(5 + 2 * SLOW) == 0


def test_sigterm_closes_idle_connections_and_exits_promptly(rampart):
    idle = [RawConn(rampart.port) for _ in range(3)]
    try:
        for c in idle:
            assert c.request("GET", "/echo").status == 200
        t0 = time.monotonic()
        rampart.signal(signal.SIGTERM)
        for c in idle:
            closed, data = c.wait_closed(3 * SLOW)
            assert closed, "idle keep-alive connection not closed on shutdown"
            assert data == b""
        rc = rampart.proc.wait(5 * SLOW)
        elapsed = time.monotonic() - t0
    finally:
        for c in idle:
            c.close()
    assert rc == 0
    assert elapsed < 1.5 * SLOW, "idle connections held shutdown for %.2fs" % elapsed


def test_sigterm_cuts_requests_at_the_grace_deadline(origin, rampart_factory):
    r = rampart_factory([origin], timeouts={"shutdown_grace": "1s"})
    out = {}
    t = threading.Thread(target=slow_request, args=(r.port, 8000, out))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    try:
        rc = r.proc.wait(1.0 + 2.0 * SLOW)
    except Exception:  # noqa: BLE001
        rc = None
    elapsed = time.monotonic() - t0
    t.join(10 * SLOW)
    assert rc == 0, "exit code %r %.2fs after SIGTERM with grace 1s" % (rc, elapsed)
    assert 0.9 <= elapsed <= 1.0 + 1.0 * SLOW, elapsed
    # the client was not told a lie: no 200 for a request that never finished
    resp = out.get("resp")
    assert resp is None or resp.status != 200


def test_sigint_is_graceful_too(rampart):
    with RawConn(rampart.port) as c:
        assert c.request("GET", "/echo").status == 200
    rampart.signal(signal.SIGINT)
    assert rampart.proc.wait(5 * SLOW) == 0


def test_no_requests_ever_exit_zero(rampart_factory):
    r = rampart_factory([])
    rc, secs = r.stop()
    assert rc == 0
    assert secs < 1.5 * SLOW
