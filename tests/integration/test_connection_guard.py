"""The connection guard and overload protection, against the real binary.

Per-IP behaviour is exercised for real: client sockets are bound to distinct 127.x.y.z
source addresses (all of 127.0.0.0/8 is loopback on Linux)."""

import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from helpers import LOOPBACK, SLOW, build_request, wait_until

PYTHON = sys.executable


def connect_from(port, source, timeout=5.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect((LOOPBACK, port))
    return s


def read_reply(s, timeout=5.0):
    """Everything the server sends until it closes or a full head+body arrives; b"" when
    the connection was reset or closed without a byte."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length" and len(body) >= int(v):
                        return data
    except (ConnectionResetError, BrokenPipeError):
        pass
    return data


def try_request(port, source, target="/echo"):
    """The status of one request on a fresh connection from `source`; None when the
    connection was refused (reset or closed with no byte sent back)."""
    try:
        s = connect_from(port, source)
    except OSError:
        return None
    try:
        try:
            s.sendall(build_request("GET", target, headers=[("Connection", "close")]))
        except (ConnectionResetError, BrokenPipeError):
            return None
        data = read_reply(s)
    finally:
        s.close()
    if not data:
        return None
    return int(data.split(b" ", 2)[1])


def closed_metric(r, reason):
    return r.metrics().value("rampart_connections_closed_total", reason=reason)


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, want)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------------------------------
# At accept: descriptor limit, accept rate, deny list
# ---------------------------------------------------------------------------------------

def test_rampart_raises_its_soft_fd_limit(origin, rampart_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 256:
        pytest.skip("hard open-file limit too low to observe")
    low = 256
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        r = rampart_factory([origin])  # inherits the low soft limit
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    with open("/proc/%d/limits" % r.pid) as f:
        line = next(x for x in f if x.startswith("Max open files"))
    r_soft, r_hard = line.split()[3:5]
    assert r_soft == r_hard, line
    assert r_soft != str(low), line


def test_accept_rate_per_ip(origin, rampart_factory):
    r = rampart_factory([origin], limits={"accept_rate_per_ip": 5, "accept_burst_per_ip": 10})
    port = r.port
    a = [try_request(port, "127.3.0.1") for _ in range(30)]
    b = [try_request(port, "127.3.0.2") for _ in range(5)]
    ok_a = sum(1 for s in a if s == 200)
    # The burst of 10, plus what the bucket refilled while the loop ran (5 a second).
    assert 10 <= ok_a <= 10 + 1 + int(5 * 2 * SLOW), a
    assert all(s in (200, None) for s in a), a
    assert a[:10] == [200] * 10, a
    # Another address has its own bucket.
    assert b == [200] * 5, b
    refused = a.count(None)
    assert closed_metric(r, "accept_rate") == refused
    # The bucket refills: after a second the first address gets in again.
    time.sleep(1.0)
    assert try_request(port, "127.3.0.1") == 200


def test_deny_list_closes_before_parsing(origin, rampart_factory):
    r = rampart_factory([origin], lists={"bad": {"items": ["127.4.0.0/16"]}},
                        limits={"deny": ["$bad", "127.5.0.1"]})
    port = r.port
    before = origin.stats()["requests"]
    assert try_request(port, "127.4.9.9") is None
    assert try_request(port, "127.5.0.1") is None
    # Garbage from a denied address is never parsed (no 400, no parse error counted).
    s = connect_from(port, "127.4.0.1")
    try:
        try:
            s.sendall(b"\x00\x01 NOT HTTP \r\n\r\n")
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert read_reply(s) == b""
    finally:
        s.close()
    assert try_request(port, "127.5.0.2") == 200
    m = r.metrics()
    assert m.value("rampart_connections_closed_total", reason="denied") == 3
    assert m.value("rampart_parse_errors_total") == 0
    assert origin.stats()["requests"] == before + 1
    assert all(e["client_ip"] not in ("127.4.9.9", "127.5.0.1", "127.4.0.1")
               for e in r.access_log())


def test_deny_list_names_an_unknown_list(tmp_path, origin, rampart_factory):
    from helpers import base_config, dump_yaml, free_port, spawn_rampart
    cfg = base_config(free_port(), free_port(), [origin.endpoint], tmp_path / "a.log")
    cfg["lists"] = {"blocked": {"items": ["10.0.0.0/8"]}}
    cfg["limits"]["deny"] = ["$blockd"]
    cfg["overload"] = {"max_memory": "100KiB"}
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(cfg))
    p = spawn_rampart(["validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=30)
    text = (out + err).decode()
    assert p.returncode != 0
    assert 'no list named "blockd"' in text and '"blocked"' in text, text
    assert "max_memory" in text or "1MiB" in text, text


# ---------------------------------------------------------------------------------------
# Slow clients
# ---------------------------------------------------------------------------------------

LEGIT_CLIENT = r"""
import json, socket, sys, time
port, seconds, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
req = b"GET /echo HTTP/1.1\r\nHost: main.test\r\n\r\n"
lat, fails = [], 0
s = None
end = time.monotonic() + seconds
while time.monotonic() < end:
    t0 = time.monotonic()
    try:
        if s is None:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("closed")
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if len(body) >= int(cl[0].split(b":")[1]):
                    break
        if not data.startswith(b"HTTP/1.1 200"):
            raise OSError(data[:40])
        lat.append(time.monotonic() - t0)
        if len(lat) % 4 == 0:  # every fourth request on a new connection: accepts count too
            s.close()
            s = None
    except OSError:
        fails += 1
        if s is not None:
            s.close()
        s = None
    time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t0)))
print(json.dumps({"lat": lat, "fails": fails}))
"""


def test_slowloris_5000_connections_legit_client_unaffected(origin, rampart_factory):
    wanted = 5000
    soft = raise_nofile(wanted + 500)
    n = min(wanted, soft - 300)
    assert n >= 1000, "open-file limit %d too low for the slow-loris test" % soft
    if n < wanted:
        print("slow-loris: only %d connections (open-file limit %d)" % (n, soft))
    r = rampart_factory(
        [origin],
        limits={"max_connections": 20000, "max_connections_per_ip": 1000,
                "min_request_rate": 128, "min_rate_window": "12s"},
        timeouts={"header_read": "40s"})
    port = r.port
    start = time.monotonic()
    conns = []
    partial = b"GET /echo HTTP/1.1\r\nHost: main.test\r\nX-Slow: "
    try:
        # 100 connections per source address, spread over 127.20.x.y
        for i in range(n):
            src = "127.20.%d.%d" % (1 + (i // 100) // 250, 1 + (i // 100) % 250)
            s = connect_from(port, src)
            s.setblocking(False)
            s.send(partial)
            conns.append(s)
        opened = time.monotonic() - start
        wait_until(lambda: r.metrics().value("rampart_active_connections") >= n,
                   20 * SLOW, what="%d slow connections open in rampart" % n)
        # The legitimate client, in its own process so this one's trickling never
        # delays it.
        legit = subprocess.Popen([PYTHON, "-c", LEGIT_CLIENT, str(port), "6", "50"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Trickle one byte per connection per second while it runs.
        t_end = time.monotonic() + 6.5
        while time.monotonic() < t_end:
            tick = time.monotonic()
            for s in conns:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        out, err = legit.communicate(timeout=30)
        assert legit.returncode == 0, err.decode()
        result = json.loads(out)
        lat = sorted(result["lat"])
        assert result["fails"] == 0, result["fails"]
        assert len(lat) >= 100, len(lat)
        p99 = lat[int(len(lat) * 0.99) - 1]
        print("slow-loris: %d connections opened in %.1fs; legit %d requests, p50 %.2f ms, "
              "p99 %.2f ms" % (n, opened, len(lat), lat[len(lat) // 2] * 1e3, p99 * 1e3))
        assert p99 < 0.050 * SLOW, "legitimate p99 %.1f ms with %d slow connections" % (
            p99 * 1e3, n)
        # The floor (128 B/s after 12 s) then cuts every trickling connection, well
        # before header_read (40 s) would.
        wait_until(lambda: closed_metric(r, "slow_request_head") >= n,
                   25 * SLOW, what="slow-loris connections closed by the rate floor")
        assert time.monotonic() - start < 55
    finally:
        for s in conns:
            s.close()
    assert r.metrics().value("rampart_active_connections") < 10


def test_slow_reader_is_dropped(origin, rampart_factory):
    # Bytes handed to the kernel earn time too, and loopback send buffers grow to a few
    # MiB: a floor of 1 MB/s cuts a stalled reader within seconds of filling them.
    r = rampart_factory([origin], limits={"min_send_rate": 1000000, "min_rate_window": "1s"},
                        timeouts={"send": "30s"})
    size = 64 << 20
    # A normal reader gets the whole body.
    s = connect_from(r.port, "127.7.0.1")
    s.sendall(build_request("GET", "/bytes?n=%d" % size, headers=[("Connection", "close")]))
    total = 0
    s.settimeout(20)
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    s.close()
    assert total > size
    # A reader draining 4 KiB a second is cut off well before the send timeout, with a
    # reset (so the megabytes the kernel buffered for it are dropped, not trickled out).
    s = connect_from(r.port, "127.7.0.2", rcvbuf=4096)
    s.sendall(build_request("GET", "/bytes?n=%d" % size, headers=[("Connection", "close")]))
    t0 = time.monotonic()
    got, closed = 0, False
    try:
        while time.monotonic() - t0 < 25:
            s.settimeout(1.0)
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                closed = True
                break
            got += len(chunk)
            time.sleep(1.0)
    except ConnectionResetError:
        closed = True
    finally:
        s.close()
    elapsed = time.monotonic() - t0
    assert closed, "slow reader still connected after %.0fs (%d bytes)" % (elapsed, got)
    assert got < size
    assert elapsed < 15, elapsed
    assert closed_metric(r, "slow_send") == 1


def test_fast_upload_is_not_cut_by_the_floor(origin, rampart_factory):
    # A body sent in pieces with pauses, but well above the floor on average, succeeds.
    r = rampart_factory([origin], limits={"min_request_rate": 1000, "min_rate_window": "1s"})
    s = connect_from(r.port, "127.8.0.1")
    body = b"x" * 6000
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: main.test\r\nContent-Length: %d\r\n\r\n"
              % len(body))
    for i in range(3):
        time.sleep(0.5)
        s.sendall(body[i * 2000:(i + 1) * 2000])
    data = read_reply(s, timeout=10)
    s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert closed_metric(r, "slow_request_body") == 0


def test_slow_upload_is_cut_by_the_floor(origin, rampart_factory):
    r = rampart_factory([origin], limits={"min_request_rate": 1000, "min_rate_window": "1s"},
                        timeouts={"body_read": "30s"})
    s = connect_from(r.port, "127.8.0.2")
    head = b"POST /echo HTTP/1.1\r\nHost: main.test\r\nContent-Length: 100000\r\n\r\n"
    s.sendall(head)
    t0 = time.monotonic()
    closed = False
    try:
        while time.monotonic() - t0 < 15:
            s.sendall(b"y" * 10)  # 20 bytes a second
            r_ready, _, _ = select.select([s], [], [], 0.5)
            if r_ready:
                data = s.recv(65536)
                closed = True
                break
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    s.close()
    assert closed
    assert time.monotonic() - t0 < 1.0 + 3 * SLOW
    wait_until(lambda: closed_metric(r, "slow_request_body") == 1, 5, what="slow body counted")


# ---------------------------------------------------------------------------------------
# Overload
# ---------------------------------------------------------------------------------------

def test_overload_sheds_on_connections_allow_list_last_and_recovers(origin, rampart_factory):
    r = rampart_factory([origin], overload={"max_connections": 20, "allow": ["127.6.0.1"],
                                            "allow_headroom": "50%", "retry_after": "7s"})
    port = r.port
    assert try_request(port, "127.0.0.1") == 200
    idle = [connect_from(port, "127.9.0.%d" % (1 + i // 10)) for i in range(22)]
    try:
        wait_until(lambda: r.metrics().value("rampart_active_connections") >= 22, 5,
                   what="idle connections open")
        s = connect_from(port, "127.0.0.1")
        s.sendall(build_request("GET", "/echo"))
        data = read_reply(s)
        s.close()
        assert data.startswith(b"HTTP/1.1 503"), data[:200]
        head = data.split(b"\r\n\r\n")[0].lower()
        assert b"retry-after: 7" in head
        assert b"connection: close" in head
        # 23 of 20 connections: past the threshold, inside the allow list's headroom.
        assert try_request(port, "127.6.0.1") == 200
        # Past 150%, even the allow list is shed.
        more = [connect_from(port, "127.9.1.%d" % (1 + i // 10)) for i in range(10)]
        idle.extend(more)
        wait_until(lambda: r.metrics().value("rampart_active_connections") >= 32, 5,
                   what="more idle connections open")
        assert try_request(port, "127.6.0.1") == 503
    finally:
        for s in idle:
            s.close()
    wait_until(lambda: r.metrics().value("rampart_active_connections") <= 1, 5,
               what="idle connections closed")
    assert try_request(port, "127.0.0.1") == 200
    m = r.metrics()
    assert m.value("rampart_overload_shed_total", reason="connections") == 2
    assert any(e.get("status") == 503 and e.get("error") == "overloaded" and e.get("site") == "main"
               for e in r.access_log())


def test_overload_sheds_on_memory_and_recovers_after_reload(origin, rampart_factory):
    r = rampart_factory([origin], overload={"max_memory": "1MiB"})
    port = r.port
    wait_until(lambda: r.metrics().value("rampart_resident_memory_bytes") > 1 << 20, 5,
               what="memory sampled")
    assert try_request(port, "127.0.0.1") == 503
    assert r.metrics().value("rampart_overload_shed_total", reason="memory") == 1
    cfg = dict(r.config)
    cfg["overload"] = {"max_memory": "4GiB"}
    r.write_config(cfg)
    status, _, body = r.reload()
    assert status == 200, body
    assert try_request(port, "127.0.0.1") == 200
    lag = [v for _, v in r.metrics().find("rampart_event_loop_lag_seconds")]
    assert len(lag) == 2 and all(0 <= v < 1 for v in lag), lag


def test_overload_sheds_on_event_loop_lag_and_recovers(origin, rampart_factory):
    # A stopped process is the bluntest event-loop stall: when it runs again every
    # worker's probe fires a second late, and the requests right after are shed until the
    # remembered lag decays below the threshold.
    r = rampart_factory([origin], overload={"max_event_loop_lag": "100ms"})
    port = r.port
    assert try_request(port, "127.0.0.1") == 200
    os.kill(r.pid, signal.SIGSTOP)
    try:
        time.sleep(1.0)
    finally:
        os.kill(r.pid, signal.SIGCONT)
    time.sleep(0.03)  # the probes run first, then the request arrives
    assert try_request(port, "127.0.0.1") == 503
    lag = max(v for _, v in r.metrics().find("rampart_event_loop_lag_seconds"))
    assert lag > 0.1, lag
    wait_until(lambda: try_request(port, "127.0.0.1") == 200, 5 * SLOW,
               what="lag decayed and requests served again")
    assert r.metrics().value("rampart_overload_shed_total", reason="event_loop_lag") >= 1
