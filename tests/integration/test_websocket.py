"""WebSocket upgrades pass through rampart to the origin's /ws echo."""

import base64
import hashlib
import os
import struct


from helpers import SLOW, RawConn, header_values

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_frame(opcode, payload, fin=True):
    mask = os.urandom(4)
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return head + mask + masked


def ws_read(c, timeout=5 * SLOW):
    h = c.read_exact(2, timeout)
    fin, opcode = bool(h[0] & 0x80), h[0] & 0x0F
    assert not h[1] & 0x80, "server frames must not be masked"
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", c.read_exact(2, timeout))[0]
    elif n == 127:
        n = struct.unpack("!Q", c.read_exact(8, timeout))[0]
    return fin, opcode, c.read_exact(n, timeout) if n else b""


def upgrade(c, path="/ws", host="main.test"):
    key = base64.b64encode(os.urandom(16)).decode()
    c.send("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Origin: http://%s\r\n\r\n" % (path, host, key, host))
    resp = c.read_response()
    return key, resp


def expected_accept(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def test_websocket_upgrade_and_echo(rampart, origin):
    with RawConn(rampart.port) as c:
        key, resp = upgrade(c)
        assert resp.status == 101, resp
        assert resp.get("Sec-WebSocket-Accept") == expected_accept(key)
        assert "websocket" in resp.tokens("Upgrade")
        assert "upgrade" in resp.tokens("Connection")
        assert resp.get("X-Origin-Name") == "A"

        c.send(ws_frame(0x1, b"hello rampart"))
        assert ws_read(c) == (True, 0x1, b"hello rampart")

        big = os.urandom(70000)  # 64-bit length form
        c.send(ws_frame(0x2, big))
        assert ws_read(c) == (True, 0x2, big)

        mid = b"m" * 300  # 16-bit length form
        c.send(ws_frame(0x1, mid))
        assert ws_read(c) == (True, 0x1, mid)

        c.send(ws_frame(0x9, b"ping!"))
        assert ws_read(c) == (True, 0xA, b"ping!")

        c.send(ws_frame(0x8, struct.pack("!H", 1000) + b"bye"))
        assert ws_read(c) == (True, 0x8, struct.pack("!H", 1000) + b"bye")
        closed, _ = c.wait_closed(3 * SLOW)
        assert closed


def test_websocket_many_round_trips(rampart):
    with RawConn(rampart.port) as c:
        _, resp = upgrade(c)
        assert resp.status == 101
        for i in range(100):
            msg = ("message %d " % i).encode() * (i % 7 + 1)
            c.send(ws_frame(0x1, msg))
            assert ws_read(c) == (True, 0x1, msg)


def test_websocket_upgrade_headers_reach_origin(rampart):
    # the upgrade request itself is forwarded with Upgrade/Connection for websocket
    with RawConn(rampart.port) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: main.test\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
        resp = c.read_response()
    # /echo does not switch protocols; it answers 200 with what it saw
    assert resp.status == 200
    h = resp.json()["headers"]
    assert header_values(h, "Upgrade") == ["websocket"]
    assert [v.lower() for v in header_values(h, "Connection")] == ["upgrade"]
    assert header_values(h, "Sec-WebSocket-Key") == ["dGhlIHNhbXBsZSBub25jZQ=="]


def test_websocket_disabled_site_does_not_upgrade(origin, rampart_factory):
    r = rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"], "websocket": False,
        "origin": {"endpoints": [origin.endpoint]}}])
    with RawConn(r.port) as c:
        key, resp = upgrade(c)
        assert resp.status != 101, resp
    with RawConn(r.port) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: main.test\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
        resp = c.read_response()
        if resp.status == 200:  # forwarded as a plain request: no upgrade headers
            names = {n.lower() for n, _ in resp.json()["headers"]}
            assert "upgrade" not in names
            assert all(v.lower() != "upgrade"
                       for v in header_values(resp.json()["headers"], "Connection"))


def test_websocket_to_non_upgrading_path_stays_http(rampart):
    # The origin answers the upgrade request with a normal response: the connection stays
    # an HTTP/1.1 connection and the next request works.
    with RawConn(rampart.port) as c:
        key, resp = upgrade(c, path="/status/404")
        assert resp.status == 404
        if "close" not in resp.tokens("Connection"):
            assert c.request("GET", "/echo").status == 200
