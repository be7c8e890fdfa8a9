"""Trailer fields an origin sends after a chunked body reach the client: in the last
chunk over HTTP/1.1, as a trailing HEADERS frame over HTTP/2 — without the fields a
trailer may not carry."""

import hashlib
import socket

from h2_frames import H2Raw
from helpers import LOOPBACK, SLOW

N = 30000
PATH = "/stream?n=%d&chunk=7000&trailers=1" % N


def read_chunked_with_trailers(sock):
    data = b""

    def more():
        nonlocal data
        got = sock.recv(65536)
        assert got, "rampart closed before the end of the body"
        data += got

    while b"\r\n\r\n" not in data:
        more()
    head, data = data.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head.lower(), head
    body = b""
    while True:
        while b"\r\n" not in data:
            more()
        line, data = data.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        if size == 0:
            break
        while len(data) < size + 2:
            more()
        body, data = body + data[:size], data[size + 2:]
    while b"\r\n\r\n" not in b"\r\n" + data:
        more()
    section = (b"\r\n" + data).split(b"\r\n\r\n", 1)[0]
    trailers = {}
    for line in section.split(b"\r\n"):
        if line:
            name, value = line.split(b":", 1)
            trailers[name.strip().lower().decode()] = value.strip().decode()
    return body, trailers


def test_http11_client_gets_the_origins_trailers(rampart_factory, origin):
    r = rampart_factory([origin])
    with socket.create_connection((LOOPBACK, r.port), timeout=10 * SLOW) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: main.test\r\nTE: trailers\r\n\r\n" % PATH.encode())
        body, trailers = read_chunked_with_trailers(s)
    assert len(body) == N
    assert trailers.get("x-body-sha256") == hashlib.sha256(body).hexdigest()
    assert trailers.get("grpc-status") == "0"
    assert "content-length" not in trailers  # framing never rides in a trailer


def test_http2_client_gets_the_origins_trailers(rampart_factory, origin):
    r = rampart_factory([origin])
    with H2Raw(r.port) as c:
        c.start()
        sid, f = c.headers(path=PATH, extra=[("te", "trailers")])
        c.send(f)
        status, headers, body = c.response(sid, timeout=10 * SLOW)
    assert status == 200 and len(body) == N
    fields = dict(headers)
    assert fields.get("x-body-sha256") == hashlib.sha256(body).hexdigest()
    assert fields.get("grpc-status") == "0"
    assert "content-length" not in fields


def test_a_body_without_trailers_ends_plainly(rampart_factory, origin):
    r = rampart_factory([origin])
    with socket.create_connection((LOOPBACK, r.port), timeout=10 * SLOW) as s:
        s.sendall(b"GET /stream?n=5000 HTTP/1.1\r\nHost: main.test\r\n\r\n")
        body, trailers = read_chunked_with_trailers(s)
    assert len(body) == 5000 and trailers == {}
