"""JA4 fingerprints: curl's ClientHello is captured by a plain socket server here, its
JA4 computed in Python straight from FoxIO's description, and compared with what
rampart computed for the same client (access log and the `tls.ja4` rules field)."""

import hashlib
import socket
import struct
import subprocess
import threading

from helpers import LOOPBACK, free_port
from test_tls import certs, tls_config  # noqa: F401 (fixture)
from tls_util import curl_https

GREASE = {0x0a0a + 0x1010 * i for i in range(16)}


def capture_client_hello(curl_args):
    """Runs curl against a socket that records the first TLS record(s) it sends."""
    port = free_port()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((LOOPBACK, port))
    srv.listen(1)
    got = {}

    def serve():
        conn, _ = srv.accept()
        conn.settimeout(5)
        data = b""
        while True:
            if len(data) >= 5:
                need = 5 + struct.unpack(">H", data[3:5])[0]
                if len(data) >= need:
                    hs_len = int.from_bytes(data[6:9], "big")
                    # A ClientHello longer than one record continues in the next ones.
                    body, rest = b"", data
                    while len(body) < 4 + hs_len and len(rest) >= 5:
                        n = struct.unpack(">H", rest[3:5])[0]
                        if len(rest) < 5 + n:
                            break
                        body += rest[5:5 + n]
                        rest = rest[5 + n:]
                    if len(body) >= 4 + hs_len:
                        got["hello"] = body[4:4 + hs_len]
                        break
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    subprocess.run(["curl", "-s", "--max-time", "5", "--resolve", "main.test:%d:127.0.0.1" % port,
                    *curl_args, "https://main.test:%d/" % port], capture_output=True)
    t.join(10)
    srv.close()
    return got["hello"]


def ja4_of(hello):
    """JA4 (TLS over TCP) of a ClientHello body, per the published specification."""
    pos = 2 + 32
    legacy_version = struct.unpack(">H", hello[:2])[0]
    sid_len = hello[pos]
    pos += 1 + sid_len
    n = struct.unpack(">H", hello[pos:pos + 2])[0]
    ciphers = [struct.unpack(">H", hello[pos + 2 + i:pos + 4 + i])[0] for i in range(0, n, 2)]
    pos += 2 + n
    pos += 1 + hello[pos]
    ext_total = struct.unpack(">H", hello[pos:pos + 2])[0]
    pos += 2
    end = pos + ext_total
    exts, sigalgs, alpn, versions, sni = [], [], [], [], False
    while pos < end:
        kind, length = struct.unpack(">HH", hello[pos:pos + 4])
        data = hello[pos + 4:pos + 4 + length]
        pos += 4 + length
        exts.append(kind)
        if kind == 0x0000:
            sni = True
        elif kind == 0x000d:
            k = struct.unpack(">H", data[:2])[0]
            sigalgs = [struct.unpack(">H", data[2 + i:4 + i])[0] for i in range(0, k, 2)]
        elif kind == 0x0010:
            i = 2
            while i < len(data):
                alpn.append(data[i + 1:i + 1 + data[i]])
                i += 1 + data[i]
        elif kind == 0x002b:
            versions = [struct.unpack(">H", data[1 + i:3 + i])[0] for i in range(0, data[0], 2)]
    versions = [v for v in versions if v not in GREASE]
    version = max(versions) if versions else legacy_version
    vtext = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10"}.get(version, "00")
    ciphers = [c for c in ciphers if c not in GREASE]
    exts = [e for e in exts if e not in GREASE]
    if alpn:
        first = alpn[0]
        a = chr(first[0]) + chr(first[-1]) if chr(first[0]).isalnum() and \
            chr(first[-1]).isalnum() else first.hex()[0] + first.hex()[-1]
    else:
        a = "00"
    part_a = "t%s%s%02d%02d%s" % (vtext, "d" if sni else "i", min(len(ciphers), 99),
                                  min(len(exts), 99), a)

    def h12(text):
        return hashlib.sha256(text.encode()).hexdigest()[:12] if text else "000000000000"

    part_b = h12(",".join("%04x" % c for c in sorted(ciphers)))
    ext_text = ",".join("%04x" % e for e in sorted(e for e in exts if e not in (0x0000, 0x0010)))
    if sigalgs:
        ext_text += "_" + ",".join("%04x" % s for s in sigalgs)
    part_c = h12(ext_text)
    return "%s_%s_%s" % (part_a, part_b, part_c)


def test_ja4_of_curl_matches_an_independent_computation(rampart_factory, origin, certs):  # noqa: F811
    expected = {}
    for name, args in (("h1", ["--http1.1"]), ("h2", ["--http2"])):
        ja4 = ja4_of(capture_client_hello(args))
        assert ja4_of(capture_client_hello(args)) == ja4, "curl's ClientHello is not stable"
        assert ja4.startswith("t13d") and ja4[8:10] == name, ja4
        expected[name] = (args, ja4)
    cfg, port = tls_config(origin, certs)
    cfg["sites"][0]["firewall"] = {"rules": [
        {"id": "ja4-" + name, "action": "block",
         "expression": 'http.request.uri.path eq "/ja4/%s" and tls.ja4 eq "%s"' % (name, ja4)}
        for name, (_, ja4) in expected.items()]}
    r = rampart_factory([origin], **cfg)
    for name, (args, ja4) in expected.items():
        for _ in range(2):  # the same on every connection
            rc, _, code, _, err = curl_https(port, "main.test", "/ja4/" + name, certs.ca_cert, args)
            assert code == 403, err
        entries = r.wait_log_entries(lambda e: e.get("path") == "/ja4/" + name, 2)
        assert {e.get("ja4") for e in entries} == {ja4}
