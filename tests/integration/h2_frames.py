"""A raw HTTP/2 client for the flood tests: it writes frames byte by byte as RFC 9113
section 4 lays them out, including the malformed or abusive sequences a real client
library refuses to send, and reads frames back to see how rampart answered."""

import socket
import struct
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4

NO_ERROR, PROTOCOL_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x8, 0xb


def frame(kind, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream_id & 0x7fffffff) + payload


def settings(**values):
    ids = {"header_table_size": 1, "enable_push": 2, "max_concurrent_streams": 3,
           "initial_window_size": 4, "max_frame_size": 5, "max_header_list_size": 6}
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in values.items()))


def rst_stream(stream_id, code=CANCEL):
    return frame(RST_STREAM, 0, stream_id, struct.pack(">I", code))


def ping(data=b"12345678", ack=False):
    return frame(PING, ACK if ack else 0, 0, data)


def window_update(stream_id, increment):
    return frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment))


class H2Raw:
    """One connection over which a test writes exact frames."""

    def __init__(self, port, host="127.0.0.1", authority="main.test", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.authority = authority
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.buf = b""
        self.next_id = 1
        self.goaway = None  # the error code of the first GOAWAY read, whoever read it

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self, **setting_values):
        self.send(PREFACE + settings(**setting_values))

    def send(self, data):
        self.sock.sendall(data)

    def try_send(self, data):
        """sendall that reports a peer that already closed instead of raising."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def header_block(self, method="GET", path="/", extra=()):
        fields = [(":method", method), (":scheme", "http"), (":authority", self.authority),
                  (":path", path)] + list(extra)
        return self.encoder.encode(fields)

    def headers(self, method="GET", path="/", extra=(), end_stream=True):
        sid = self.next_id
        self.next_id += 2
        flags = END_HEADERS | (END_STREAM if end_stream else 0)
        return sid, frame(HEADERS, flags, sid, self.header_block(method, path, extra))

    def read_frame(self, timeout=10.0):
        """(type, flags, stream_id, payload), or None once the peer closed. A HEADERS
        frame's payload comes decoded, as a list of (name, value): every header block
        must go through the one HPACK decoder, in order, whichever stream it is for."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 9:
                length = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) >= 9 + length:
                    kind, flags = self.buf[3], self.buf[4]
                    sid = int.from_bytes(self.buf[5:9], "big") & 0x7fffffff
                    payload = self.buf[9:9 + length]
                    self.buf = self.buf[9 + length:]
                    if kind == HEADERS:
                        payload = self.decoder.decode(payload)
                    if kind == GOAWAY and self.goaway is None and len(payload) >= 8:
                        self.goaway = struct.unpack(">I", payload[4:8])[0]
                    return kind, flags, sid, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("no frame within %.1fs" % timeout)
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                return None
            self.buf += data

    def wait_goaway(self, timeout=10.0):
        """Reads until a GOAWAY; returns its error code (None when the peer just closed).
        A GOAWAY already read while waiting for a response counts."""
        if self.goaway is not None:
            return self.goaway
        deadline = time.monotonic() + timeout
        while True:
            f = self.read_frame(max(0.1, deadline - time.monotonic()))
            if f is None:
                return None
            if f[0] == GOAWAY:
                return struct.unpack(">I", f[3][4:8])[0]

    def response(self, stream_id, timeout=10.0):
        """Status, headers and body of one stream (answering PINGs and SETTINGS)."""
        deadline = time.monotonic() + timeout
        status, headers, body = None, [], b""
        while True:
            f = self.read_frame(max(0.1, deadline - time.monotonic()))
            assert f is not None, "connection closed before the response of %d" % stream_id
            kind, flags, sid, payload = f
            if kind == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))
            if sid != stream_id:
                continue
            if kind == HEADERS:
                for name, value in payload:
                    if name == ":status":
                        status = int(value)
                    else:
                        headers.append((name, value))
            elif kind == DATA:
                body += payload
                if payload:
                    self.send(window_update(0, len(payload)) + window_update(sid, len(payload)))
            elif kind == RST_STREAM:
                raise AssertionError("stream %d reset with %d" % (sid, struct.unpack(">I", payload)[0]))
            if flags & END_STREAM and kind in (HEADERS, DATA):
                return status, headers, body
