#!/usr/bin/env python3
"""Writes the seed corpus of h2_client_fuzz: a few whole origin connections (what an
HTTP/2 origin sends after rampart's request), each prefixed by the fuzzer's knobs byte
(bit 0 tight limits, bit 1 the request has a body, bits 2+ read size). Frames are built
by hand; header blocks use HPACK literals without indexing.

    python3 tests/fuzz/make_h2_client_seeds.py tests/fuzz/corpus/h2_client
"""
import os
import struct
import sys

DATA, HEADERS, RST, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 1, 1, 4


def frame(kind, flags, stream, payload=b""):
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, kind, flags, stream) + payload


def hpack(fields):
    out = b""
    for name, value in fields:
        assert len(name) < 127 and len(value) < 127
        out += b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
    return out


def start():
    settings = struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535)
    return frame(SETTINGS, 0, 0, settings) + frame(SETTINGS, ACK, 0)


def head(stream, status=b"200", extra=(), end=False):
    flags = END_HEADERS | (END_STREAM if end else 0)
    return frame(HEADERS, flags, stream, hpack([(b":status", status)] + list(extra)))


GRPC = [(b"content-type", b"application/grpc")]
SEEDS = {
    "ok_body": start() + head(1, extra=[(b"content-length", b"5")])
    + frame(DATA, END_STREAM, 1, b"hello"),
    "chunks_trailers": start() + head(1, extra=GRPC) + frame(DATA, 0, 1, b"\x00\x00\x00\x00\x02hi")
    + frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack([(b"grpc-status", b"0")])),
    "trailers_only": start() + head(1, extra=GRPC + [(b"grpc-status", b"5"),
                                                      (b"grpc-message", b"not found")], end=True),
    "interim": start() + head(1, b"100") + head(1, b"103", [(b"link", b"</a>")])
    + head(1, b"204", end=True),
    "continuation": start() + frame(HEADERS, 0, 1, hpack([(b":status", b"200")]))
    + frame(CONTINUATION, END_HEADERS, 1, hpack([(b"x-a", b"b")])) + frame(DATA, END_STREAM, 1),
    "goaway_refused": start() + frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0)),
    "goaway_after": start() + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0)) + head(1, end=True),
    "reset": start() + frame(RST, 0, 1, struct.pack(">I", 7)),
    "control": start() + frame(PING, 0, 0, b"12345678")
    + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 100000))
    + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 100000)) + head(1, end=True),
    "next_request": start() + head(1, end=True) + head(3, extra=[(b"x", b"y")])
    + frame(DATA, END_STREAM, 3, b"second"),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, body in SEEDS.items():
        for knobs, suffix in ((0x02, ""), (0x05, "_tight")):
            with open(os.path.join(out, name + suffix), "wb") as f:
                f.write(bytes([knobs]) + body)


if __name__ == "__main__":
    main()
