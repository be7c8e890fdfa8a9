"""TLS termination with real clients (curl, Python's ssl, openssl s_client, h2load):
certificates chosen by SNI, RSA and ECDSA side by side, ALPN, resumption, HTTPS
redirects and HSTS, and what rules and logs see of TLS."""

import json
import re
import socket
import ssl
import subprocess

import pytest

from helpers import LOOPBACK, SLOW, free_port, scaled
from tls_util import CertFactory, curl_https, peer_certificate


@pytest.fixture
def certs(tmp_path):
    return CertFactory(tmp_path / "certs")


def tls_config(origin, certs, sites=None, listener_tls=None, **extra):
    """Overrides for rampart_factory: a plain listener first (the helpers' port) and a TLS
    listener second."""
    https_port = free_port()
    if sites is None:
        cert, key = certs.leaf(["main.test"])
        sites = [{"name": "main", "default": True, "hosts": ["main.test"],
                  "origin": {"endpoints": [origin.endpoint]},
                  "tls": {"certificates": [{"cert": str(cert), "key": str(key)}]}}]
    cfg = {
        "listeners": [{"name": "main", "address": "%s:%d" % (LOOPBACK, free_port())},
                      {"name": "https", "address": "%s:%d" % (LOOPBACK, https_port),
                       "tls": listener_tls or {}}],
        "sites": sites,
    }
    cfg.update(extra)
    return cfg, https_port


def test_https_request_reaches_the_origin_with_forwarded_proto(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs)
    r = rampart_factory([origin], **cfg)
    rc, version, code, body, err = curl_https(port, "main.test", "/echo", certs.ca_cert,
                                              ["--http1.1"])
    assert rc == 0, err
    assert (version, code) == ("1.1", 200)
    seen = dict((k.lower(), v) for k, v in json.loads(body)["headers"])
    assert seen["x-forwarded-proto"] == "https"
    entry = r.wait_log(lambda e: e.get("path") == "/echo")
    assert entry.get("tls") is True and entry["protocol"] == "HTTP/1.1"
    m = r.metrics()
    assert m.value("rampart_tls_handshakes_total", result="full") >= 1


def test_sni_picks_exact_wildcard_and_default_certificates(rampart_factory, origin, certs):
    a_cert, a_key = certs.leaf(["a.test"])
    b_cert, b_key = certs.leaf(["*.b.test"])
    d_cert, d_key = certs.leaf(["default.test"])
    sites = [
        {"name": "a", "hosts": ["a.test"], "origin": {"endpoints": [origin.endpoint]},
         "tls": {"certificates": [{"cert": str(a_cert), "key": str(a_key)}]}},
        {"name": "b", "hosts": ["*.b.test"], "origin": {"endpoints": [origin.endpoint]},
         "tls": {"certificates": [{"cert": str(b_cert), "key": str(b_key)}]}},
        {"name": "d", "default": True, "hosts": ["default.test"],
         "origin": {"endpoints": [origin.endpoint]},
         "tls": {"certificates": [{"cert": str(d_cert), "key": str(d_key)}]}},
    ]
    cfg, port = tls_config(origin, certs, sites=sites)
    rampart_factory([origin], **cfg)
    assert peer_certificate(port, "a.test", certs.ca_cert)[0] == "a.test"
    assert peer_certificate(port, "x.b.test", certs.ca_cert)[0] == "*.b.test"
    # Sites route "*.b.test" to any depth, so the certificate follows (a client checking
    # names refuses it, as it would for any one-label wildcard).
    assert peer_certificate(port, "deep.x.b.test", certs.ca_cert,
                            check_hostname=False)[0] == "*.b.test"
    # An unknown name and no SNI at all get the default site's certificate.
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                          "-servername", "unknown.test"], input="", capture_output=True,
                         text=True, timeout=20)
    assert "CN = default.test" in out.stdout, out.stdout[-2000:]
    out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-noservername"],
                         input="", capture_output=True, text=True, timeout=20)
    assert "CN = default.test" in out.stdout, out.stdout[-2000:]


def test_rsa_and_ecdsa_certificates_side_by_side(rampart_factory, origin, certs):
    ec_cert, ec_key = certs.leaf(["main.test"], kind="ec")
    rsa_cert, rsa_key = certs.leaf(["main.test"], kind="rsa")
    sites = [{"name": "main", "default": True, "hosts": ["main.test"],
              "origin": {"endpoints": [origin.endpoint]},
              "tls": {"certificates": [{"cert": str(ec_cert), "key": str(ec_key)},
                                       {"cert": str(rsa_cert), "key": str(rsa_key)}]}}]
    cfg, port = tls_config(origin, certs, sites=sites)
    rampart_factory([origin], **cfg)

    def served_key(sigalgs, version):
        out = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                              "-servername", "main.test", version, "-sigalgs", sigalgs],
                             input="", capture_output=True, text=True, timeout=20)
        m = re.search(r"Server public key is (\d+) bit", out.stdout)
        assert m, out.stdout[-2000:] + out.stderr[-1000:]
        return int(m.group(1))

    for version in ("-tls1_2", "-tls1_3"):
        assert served_key("ECDSA+SHA256", version) == 256
        assert served_key("rsa_pss_rsae_sha256", version) == 2048


def test_alpn_chooses_http2_or_http11(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs)
    rampart_factory([origin], **cfg)
    assert peer_certificate(port, "main.test", certs.ca_cert, ["h2", "http/1.1"])[1] == "h2"
    assert peer_certificate(port, "main.test", certs.ca_cert, ["http/1.1"])[1] == "http/1.1"
    rc, version, code, _, err = curl_https(port, "main.test", "/health", certs.ca_cert,
                                           ["--http2"])
    assert rc == 0 and (version, code) == ("2", 200), err


def test_http2_without_h2_in_the_listener(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs)
    cfg["listeners"][1]["http2"] = False
    rampart_factory([origin], **cfg)
    assert peer_certificate(port, "main.test", certs.ca_cert, ["h2", "http/1.1"])[1] == "http/1.1"


def test_minimum_version_is_enforced(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs, listener_tls={"min_version": "1.3"})
    rampart_factory([origin], **cfg)
    rc, _, _, _, _ = curl_https(port, "main.test", "/health", certs.ca_cert,
                                ["--tlsv1.2", "--tls-max", "1.2"])
    assert rc != 0
    rc, _, code, _, err = curl_https(port, "main.test", "/health", certs.ca_cert, ["--tlsv1.3"])
    assert rc == 0 and code == 200, err


def negotiated(port, cafile, max_version=None, ciphers=None):
    """(version, cipher) of a handshake by Python's ssl module with main.test as SNI."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if max_version:
        ctx.maximum_version = max_version
    if ciphers:
        ctx.set_ciphers(ciphers)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="main.test") as s:
            return s.version(), s.cipher()[0]


def test_listener_cipher_settings_hold_after_sni_picks_the_site(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs, listener_tls={
        "ciphers": "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
        "ciphersuites": "TLS_CHACHA20_POLY1305_SHA256"})
    default_port = free_port()
    cfg["listeners"].append({"name": "https-defaults",
                             "address": "%s:%d" % (LOOPBACK, default_port), "tls": {}})
    rampart_factory([origin], **cfg)
    ca = certs.ca_cert
    assert negotiated(port, ca) == ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256")
    assert negotiated(port, ca, ssl.TLSVersion.TLSv1_2) == \
        ("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305")
    # The defaults: AES-128-GCM first for TLS 1.3, AEAD only for TLS 1.2.
    assert negotiated(default_port, ca) == ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    assert negotiated(default_port, ca, ssl.TLSVersion.TLSv1_2)[1] == \
        "ECDHE-ECDSA-AES128-GCM-SHA256"
    with pytest.raises(ssl.SSLError):
        negotiated(default_port, ca, ssl.TLSVersion.TLSv1_2,
                   "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256")


def test_session_tickets_resume(rampart_factory, origin, certs, tmp_path):
    cfg, port = tls_config(origin, certs)
    r = rampart_factory([origin], **cfg)
    sess = tmp_path / "session.pem"
    for version in ("-tls1_2", "-tls1_3"):
        # -ign_eof: read the response, and with it TLS 1.3's post-handshake ticket.
        first = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                                "-servername", "main.test", version, "-ign_eof",
                                "-sess_out", str(sess)],
                               input="GET /health HTTP/1.1\r\nHost: main.test\r\n"
                                     "Connection: close\r\n\r\n",
                               capture_output=True, text=True, timeout=20)
        assert "New," in first.stdout, first.stdout[-2000:]
        again = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                                "-servername", "main.test", version, "-sess_in", str(sess)],
                               input="", capture_output=True, text=True, timeout=20)
        assert "Reused," in again.stdout, again.stdout[-2000:]
    assert r.metrics().value("rampart_tls_handshakes_total", result="resumed") >= 2


def test_https_redirect_and_hsts(rampart_factory, origin, certs):
    cert, key = certs.leaf(["main.test"])
    cfg, port = tls_config(origin, certs)
    cfg["sites"][0]["tls"].update({"https_redirect": True, "https_port": port,
                                   "hsts": {"max_age": "365d", "include_subdomains": True}})
    r = rampart_factory([origin], **cfg)
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                          "-H", "Host: main.test", r.url("/a/b?x=1")],
                         capture_output=True, text=True, timeout=20)
    assert out.stdout == "301 https://main.test:%d/a/b?x=1" % port
    out = subprocess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", "--cacert",
                          str(certs.ca_cert), "--resolve", "main.test:%d:127.0.0.1" % port,
                          "https://main.test:%d/health" % port],
                         capture_output=True, text=True, timeout=20)
    assert re.search(r"(?im)^strict-transport-security: max-age=31536000; includeSubDomains\r?$",
                     out.stdout), out.stdout


def test_h2load_over_tls(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs)
    rampart_factory([origin], **cfg)
    n = scaled(3000, 300)
    out = subprocess.run(["h2load", "-n", str(n), "-c", "4", "-m", "20",
                          "https://127.0.0.1:%d/health" % port, "-H", ":authority: main.test"],
                         capture_output=True, text=True, timeout=120 * SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Application protocol: h2" in out.stdout, out.stdout
    assert "%d succeeded, 0 failed, 0 errored" % n in out.stdout, out.stdout


def test_rules_see_tls_facts(rampart_factory, origin, certs):
    cfg, port = tls_config(origin, certs)
    cfg["sites"][0]["firewall"] = {"rules": [
        {"id": "tls-only", "expression": 'http.request.uri.path eq "/secure" and not ssl',
         "action": "block"},
        {"id": "old-tls", "expression": 'http.request.uri.path eq "/new" and '
         'tls.version ne "TLSv1.3"', "action": "block"},
    ]}
    r = rampart_factory([origin], **cfg)
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                          "Host: main.test", r.url("/secure")], capture_output=True, text=True)
    assert out.stdout == "403"
    rc, _, code, _, err = curl_https(port, "main.test", "/secure", certs.ca_cert)
    assert rc == 0 and code == 404, err  # passed the rule; the origin has no /secure
    rc, _, code, _, _ = curl_https(port, "main.test", "/new", certs.ca_cert,
                                   ["--tlsv1.2", "--tls-max", "1.2"])
    assert code == 403
    rc, _, code, _, _ = curl_https(port, "main.test", "/new", certs.ca_cert, ["--tlsv1.3"])
    assert code == 404


def test_keep_alive_pipelining_and_idle_reuse_over_tls(rampart_factory, origin, certs):
    """Requests in separate TLS records that arrive together, and a connection that sat
    idle past the hot period, are all answered on one TLS connection."""
    import socket
    import ssl
    import time
    cfg, port = tls_config(origin, certs)
    rampart_factory([origin], **cfg)
    ctx = ssl.create_default_context(cafile=str(certs.ca_cert))
    request = b"GET /echo?n=%d HTTP/1.1\r\nHost: main.test\r\n\r\n"
    with socket.create_connection((LOOPBACK, port), timeout=10 * SLOW) as raw:
        with ctx.wrap_socket(raw, server_hostname="main.test") as s:
            def read_responses(count):
                data = b""
                bodies = []
                while len(bodies) < count:
                    while b"\r\n\r\n" not in data:
                        chunk = s.recv(65536)
                        assert chunk, "rampart closed the TLS connection"
                        data += chunk
                    head, data = data.split(b"\r\n\r\n", 1)
                    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                    while len(data) < length:
                        data += s.recv(65536)
                    bodies.append(json.loads(data[:length]))
                    data = data[length:]
                return bodies

            # Three records in one write: each request its own TLS record.
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            for i in range(3):
                s.sendall(request % i)
            assert [b["query"] for b in read_responses(3)] == ["n=0", "n=1", "n=2"]
            time.sleep(0.3)  # past the hot period: the connection waits idle
            s.sendall(request % 3)
            assert [b["query"] for b in read_responses(1)] == ["n=3"]
