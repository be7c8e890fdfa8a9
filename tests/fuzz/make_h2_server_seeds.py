#!/usr/bin/env python3
"""Writes the seed corpus of h2_server_fuzz: a few whole client connections, each
prefixed by the fuzzer's knobs byte (bit 0 tight limits, bit 1 trailers, bits 2+ read
size). Frames are built by hand; header blocks use HPACK literals without indexing.

    python3 tests/fuzz/make_h2_server_seeds.py tests/fuzz/corpus/h2_server
"""
import os
import struct
import sys

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 2, 3, 4, 6, 7, 8, 9)
END_STREAM, ACK, END_HEADERS, PADDED = 1, 1, 4, 8


def frame(kind, flags, stream, payload=b""):
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, kind, flags, stream) + payload


def hpack_int(first, bits, v):
    top = (1 << bits) - 1
    if v < top:
        return bytes([first | v])
    out = bytearray([first | top])
    v -= top
    while v >= 128:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def hpack(fields):
    out = b""
    for name, value in fields:
        out += b"\x00" + hpack_int(0, 7, len(name)) + name + hpack_int(0, 7, len(value)) + value
    return out


def req(method=b"GET", path=b"/", extra=()):
    return [(b":method", method), (b":scheme", b"https"), (b":authority", b"example.com"),
            (b":path", path)] + list(extra)


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def start():
    return PREFACE + settings((3, 100), (4, 65535)) + frame(SETTINGS, ACK, 0)


SEEDS = {
    "get": start() + frame(HEADERS, END_HEADERS | END_STREAM, 1,
                           hpack(req(extra=[(b"user-agent", b"seed"), (b"cookie", b"a=1"),
                                            (b"cookie", b"b=2")]))),
    "post_body": start() + frame(HEADERS, END_HEADERS, 1,
                                 hpack(req(b"POST", b"/up", [(b"content-length", b"10")])))
    + frame(DATA, 0, 1, b"01234") + frame(DATA, END_STREAM, 1, b"56789"),
    "post_chunked_trailers": start() + frame(HEADERS, END_HEADERS, 3, hpack(req(b"POST", b"/t")))
    + frame(DATA, PADDED, 3, b"\x03abc\x00\x00\x00")
    + frame(HEADERS, END_HEADERS | END_STREAM, 3, hpack([(b"x-sum", b"1")])),
    "continuation": start() + frame(HEADERS, END_STREAM, 1, hpack(req())[:10])
    + frame(CONTINUATION, 0, 1, hpack(req())[10:30])
    + frame(CONTINUATION, END_HEADERS, 1, hpack(req())[30:]),
    "many_streams": start() + b"".join(
        frame(HEADERS, END_HEADERS | END_STREAM, i, hpack(req(path=b"/%d" % i)))
        for i in range(1, 20, 2)),
    "reset": start() + b"".join(
        frame(HEADERS, END_HEADERS, i, hpack(req())) + frame(RST, 0, i, struct.pack(">I", 8))
        for i in range(1, 12, 2)),
    "control": start() + frame(PING, 0, 0, b"12345678") + frame(PRIORITY, 0, 5, b"\x00\x00\x00\x01\x10")
    + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1000))
    + frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack(req(b"HEAD")))
    + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0)),
    "connect": start() + frame(HEADERS, END_HEADERS, 1,
                               hpack([(b":method", b"CONNECT"), (b":authority", b"o.test:443")])),
    "small_window": PREFACE + settings((4, 10), (5, 16384)) + frame(
        HEADERS, END_HEADERS | END_STREAM, 1, hpack(req(b"GET", b"/big")))
    + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        for knobs, suffix in ((0x00, ""), (0x07, "_tight")):
            with open(os.path.join(out, name + suffix), "wb") as f:
                f.write(bytes([knobs]) + body)


if __name__ == "__main__":
    main()
