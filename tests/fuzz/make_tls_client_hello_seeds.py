#!/usr/bin/env python3
"""Writes ClientHello seeds for tls_client_hello_fuzz: the handshake messages Python's
ssl module (OpenSSL) sends with a few settings (SNI or not, ALPN, TLS 1.2 only)."""
import pathlib
import ssl
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/tls_client_hello")
out.mkdir(parents=True, exist_ok=True)


def hello(sni, alpn, max_version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if max_version:
        ctx.maximum_version = max_version
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        pass
    record = outgoing.read()
    return record[5:]  # the handshake message without its record header


cases = {
    "sni_h2": ("example.com", ["h2", "http/1.1"], None),
    "no_sni": (None, None, None),
    "tls12_http11": ("a.example", ["http/1.1"], ssl.TLSVersion.TLSv1_2),
    "odd_alpn": ("xn--bcher-kva.example", ["\x01x-", "h3"], None),
}
for name, args in cases.items():
    (out / name).write_bytes(hello(*args))
