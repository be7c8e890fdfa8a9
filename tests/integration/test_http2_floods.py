"""The HTTP/2 attacks of recent years, each reproduced by a raw client of our own
(h2_frames.H2Raw) and answered with GOAWAY while other connections keep being served:
Rapid Reset (CVE-2023-44487), CONTINUATION floods (2024), SETTINGS / PING / empty-frame
floods, stream-id exhaustion and zero-window stalls. Each is counted in /metrics."""

import subprocess
import threading
import time

from h2_frames import (CONTINUATION, DATA, END_HEADERS, END_STREAM, ENHANCE_YOUR_CALM, GOAWAY,
                       HEADERS, NO_ERROR, RST_STREAM, H2Raw, frame, ping, rst_stream, settings)
from helpers import LOOPBACK, SLOW


class Bystander:
    """A well-behaved HTTP/2 client (curl) polling while an attack runs; every one of its
    requests must succeed."""

    def __init__(self, port):
        self.port = port
        self.codes = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            out = subprocess.run(
                ["curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                 "-H", "Host: main.test", "--max-time", str(10 * SLOW),
                 "http://%s:%d/health" % (LOOPBACK, self.port)], capture_output=True, text=True)
            self.codes.append(out.stdout)
            time.sleep(0.02)

    def finish(self):
        self.stop.set()
        self.thread.join()
        assert self.codes, "the bystander made no request"
        assert set(self.codes) == {"200"}, self.codes


def flood_metric(r, kind):
    return r.metrics().value("rampart_http2_floods_total", kind=kind)


def test_rapid_reset_is_cut_off(rampart_factory, origin):
    r = rampart_factory([origin])
    by = Bystander(r.port)
    with H2Raw(r.port) as c:
        c.start()
        sent = 0
        for _ in range(5000):
            sid, f = c.headers(path="/slow?ms=2000")
            if not c.try_send(f + rst_stream(sid)):
                break
            sent += 1
        assert c.wait_goaway(10 * SLOW) == ENHANCE_YOUR_CALM
    by.finish()
    assert flood_metric(r, "rapid_reset") >= 1
    # The reset streams did not each become an origin request that runs to its end.
    assert origin.stats()["requests"] < sent


def test_continuation_flood_is_cut_off(rampart_factory, origin):
    r = rampart_factory([origin])
    by = Bystander(r.port)
    with H2Raw(r.port) as c:
        c.start()
        block = c.header_block(path="/health", extra=[("x-filler-%d" % i, "v" * 20)
                                                       for i in range(40)])
        c.send(frame(HEADERS, END_STREAM, 1, block[:1]))
        for i in range(1, 5000):
            # Never END_HEADERS: the header block would grow without end.
            if not c.try_send(frame(CONTINUATION, 0, 1, block[i % len(block):i % len(block) + 1])):
                break
        assert c.wait_goaway(10 * SLOW) in (ENHANCE_YOUR_CALM, 0x1, 0x9)
    by.finish()
    assert flood_metric(r, "continuation") + flood_metric(r, "header_list") >= 1


def test_settings_flood_is_cut_off(rampart_factory, origin):
    r = rampart_factory([origin])
    by = Bystander(r.port)
    with H2Raw(r.port) as c:
        c.start()
        for _ in range(20000):
            if not c.try_send(settings(initial_window_size=65535) * 10):
                break
        assert c.wait_goaway(10 * SLOW) == ENHANCE_YOUR_CALM
    by.finish()
    assert flood_metric(r, "settings") >= 1


def test_ping_flood_is_cut_off(rampart_factory, origin):
    r = rampart_factory([origin])
    by = Bystander(r.port)
    with H2Raw(r.port) as c:
        c.start()
        for _ in range(20000):
            if not c.try_send(ping() * 10):
                break
        assert c.wait_goaway(10 * SLOW) == ENHANCE_YOUR_CALM
    by.finish()
    assert flood_metric(r, "ping") >= 1


def test_empty_data_frame_flood_is_cut_off(rampart_factory, origin):
    r = rampart_factory([origin])
    by = Bystander(r.port)
    with H2Raw(r.port) as c:
        c.start()
        sid, f = c.headers(method="POST", path="/echo", end_stream=False)
        c.send(f)
        for _ in range(20000):
            if not c.try_send(frame(DATA, 0, sid) * 10):
                break
        assert c.wait_goaway(10 * SLOW) == ENHANCE_YOUR_CALM
    by.finish()
    assert flood_metric(r, "empty_frames") >= 1


def test_streams_per_connection_end_with_a_graceful_goaway(rampart_factory, origin):
    r = rampart_factory([origin], limits={"max_requests_per_connection": 5})
    with H2Raw(r.port) as c:
        c.start()
        for _ in range(5):
            sid, f = c.headers(path="/health")
            c.send(f)
            status, _, body = c.response(sid)
            assert status == 200
        # The fifth stream used the connection up: a GOAWAY without error tells the
        # client to go on elsewhere (a new connection).
        assert c.wait_goaway(5 * SLOW) == NO_ERROR


def test_zero_window_stall_is_cut_after_the_send_timeout(rampart_factory, origin):
    r = rampart_factory([origin], timeouts={"send": "1s"})
    with H2Raw(r.port) as c:
        # A window of zero: rampart may send headers but no body byte, ever.
        c.start(initial_window_size=0)
        sid, f = c.headers(path="/bytes?n=200000")
        c.send(f)
        deadline = time.monotonic() + 10 * SLOW
        reset = False
        while time.monotonic() < deadline:
            got = c.read_frame(deadline - time.monotonic())
            assert got is not None, "rampart closed the whole connection"
            kind, flags, stream, payload = got
            if kind == RST_STREAM and stream == sid:
                reset = True
                break
            assert kind != GOAWAY, "a stalled stream must not cost the connection"
        assert reset, "the stalled stream was never cut"
        # The connection itself still works.
        sid2, f = c.headers(path="/health")
        c.send(f + frame(0x8, 0, sid2, (1 << 20).to_bytes(4, "big")))  # WINDOW_UPDATE
        status, _, body = c.response(sid2)
        assert status == 200 and body == b"ok"
    assert r.metrics().value("rampart_http2_stalled_streams_total") >= 1
