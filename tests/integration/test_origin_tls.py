"""Origins over TLS: a real TLS origin (Python's ssl module) behind a pool with `tls:`.
Verified with the right CA -> 200; an untrusted certificate, a wrong name or a pin that
does not match -> 502 with the reason logged; `insecure: true` -> 200 and a warning;
kept-alive connections reused without a new handshake, new connections resumed; and an
HTTPS health check that marks an endpoint with a bad certificate down."""

import base64
import hashlib
import ssl
import subprocess
import time

import pytest

from helpers import SLOW, LoopbackServer, RawConn, wait_until
from origins_util import health, pool, start, wait_state
from tls_util import CertFactory


class TlsOrigin(LoopbackServer):
    """An HTTP/1.1 keep-alive origin over TLS. Counts accepted TCP connections, completed
    handshakes and resumed ones. /health answers "ok"; `close=True` closes after each
    response (so every request needs a new connection)."""

    def __init__(self, cert, key, name="T", close=False, close_delimited=False):
        self.name = name
        self.close_after = close
        # No Content-Length: the body ends where the origin closes (without a
        # close_notify, as many HTTP/1.0-style origins do).
        self.close_delimited = close_delimited
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.handshakes = 0
        self.resumed = 0
        self.requests = 0
        self._start_listening()

    def _serve(self, raw, _n):
        raw.settimeout(10)
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        with self.lock:
            self.handshakes += 1
            self.resumed += 1 if conn.session_reused else 0
        data = b""
        try:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                with self.lock:
                    self.requests += 1
                body = b"ok" if path == "/health" else ("tls origin %s %s" % (self.name, path)).encode()
                if self.close_delimited:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body * 50)
                    return
                extra = b"Connection: close\r\n" if self.close_after else b""
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Origin-Name: %s\r\n%s\r\n"
                             % (len(body), self.name.encode(), extra) + body)
                if self.close_after:
                    return
        except (ssl.SSLError, OSError):
            return
        finally:
            conn.close()

    @property
    def accepted(self):
        return self.connections

    def stop(self):
        self.close()


@pytest.fixture
def certs(tmp_path):
    return CertFactory(tmp_path / "certs")


@pytest.fixture
def tls_origins():
    made = []

    def make(*args, **kw):
        o = TlsOrigin(*args, **kw)
        made.append(o)
        return o

    yield make
    for o in made:
        o.stop()


def spki_pin(cert_path, encoding="base64"):
    der = subprocess.run(["openssl", "x509", "-in", str(cert_path), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                          capture_output=True, check=True).stdout
    digest = hashlib.sha256(spki).digest()
    return base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()


def stderr_of(r):
    return r.stderr_path.read_text(errors="replace")


def get(r, path="/x"):
    with RawConn(r.port, timeout=10 * SLOW) as c:
        return c.request("GET", path)


def one_pool(rampart_factory, o, tls, **overrides):
    return start(rampart_factory, {"web": pool([o], tls=tls)}, {"pool": "web"}, **overrides)


def test_verified_origin_answers(certs, tls_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test"})
    resp = get(r, "/hello")
    assert resp.status == 200, resp
    assert resp.body == b"tls origin T /hello"
    m = r.metrics()
    assert m.value("rampart_origin_tls_handshakes_total", result="full") >= 1, m.text


def test_inline_origin_with_tls_and_the_endpoint_name_as_sni(certs, tls_origins,
                                                              rampart_factory):
    # "localhost" is the endpoint's host: sent as SNI and verified by default.
    cert, key = certs.leaf(["localhost"])
    o = tls_origins(cert, key)
    r = rampart_factory(sites=[{"name": "main", "default": True, "hosts": ["main.test"],
                                "origin": {"endpoints": ["localhost:%d" % o.port],
                                           "tls": {"ca": str(certs.ca_cert)}}}])
    assert get(r).status == 200


def test_untrusted_certificate_is_a_502_with_the_reason_logged(certs, tmp_path, tls_origins,
                                                               rampart_factory):
    other_ca = CertFactory(tmp_path / "other")
    cert, key = other_ca.leaf(["origin.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test"})
    resp = get(r)
    assert resp.status == 502, resp
    wait_until(lambda: "origin certificate not trusted" in stderr_of(r), 3 * SLOW,
               what="the untrusted-certificate log line")
    assert o.requests == 0  # nothing was sent over the refused connection
    m = r.metrics()
    assert m.value("rampart_origin_tls_handshakes_total", result="untrusted") >= 1, m.text


def test_wrong_name_is_a_502(certs, tls_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "elsewhere.test"})
    assert get(r).status == 502
    wait_until(lambda: "hostname mismatch" in stderr_of(r), 3 * SLOW,
               what="the name-mismatch log line")


def test_ip_endpoint_without_sni_needs_an_ip_in_the_certificate(certs, tls_origins,
                                                                rampart_factory):
    cert, key = certs.leaf(["origin.test"])  # DNS names only
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert)})
    assert get(r).status == 502
    wait_until(lambda: "origin certificate not trusted" in stderr_of(r), 3 * SLOW,
               what="the IP-mismatch log line")


def test_pins(certs, tls_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    other_cert, _ = certs.leaf(["origin.test"])
    o = tls_origins(cert, key)
    good = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test",
                                         "pin_sha256": [spki_pin(other_cert, "hex"),
                                                        spki_pin(cert)]})
    assert get(good).status == 200
    bad = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test",
                                        "pin_sha256": [spki_pin(other_cert)]})
    assert get(bad).status == 502
    wait_until(lambda: "pin mismatch" in stderr_of(bad), 3 * SLOW, what="the pin log line")
    m = bad.metrics()
    assert m.value("rampart_origin_tls_handshakes_total", result="pin_mismatch") >= 1, m.text


def test_pinned_self_signed_origin_without_verification(certs, tmp_path, tls_origins,
                                                        rampart_factory):
    lone = CertFactory(tmp_path / "lone")  # a CA nobody trusts stands in for self-signed
    cert, key = lone.leaf(["whatever.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"verify": False, "pin_sha256": spki_pin(cert)})
    assert get(r).status == 200
    assert "insecure" not in stderr_of(r)


def test_insecure_accepts_anything_and_warns(certs, tmp_path, tls_origins, rampart_factory):
    lone = CertFactory(tmp_path / "lone")
    cert, key = lone.leaf(["whatever.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"insecure": True})
    assert get(r).status == 200
    assert 'pool "web": tls insecure: true' in stderr_of(r)
    # And again on every reload.
    before = stderr_of(r).count("tls insecure: true")
    status, _, body = r.reload()
    assert status == 200, body
    wait_until(lambda: stderr_of(r).count("tls insecure: true") > before, 3 * SLOW,
               what="the warning after the reload")


def test_kept_alive_connection_is_reused_without_a_new_handshake(certs, tls_origins,
                                                                 rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test"},
                 workers=1)
    for i in range(8):
        resp = get(r, "/n%d" % i)
        assert resp.status == 200 and resp.body == ("tls origin T /n%d" % i).encode()
    assert o.requests == 8
    assert o.accepted == 1 and o.handshakes == 1, (o.accepted, o.handshakes)
    # A reload that leaves the pool's TLS as it was keeps using the same connection.
    status, _, body = r.reload()
    assert status == 200, body
    for i in range(3):
        assert get(r, "/after%d" % i).status == 200
    assert o.accepted == 1, o.accepted


def test_body_ended_by_the_origin_closing_without_close_notify(certs, tls_origins,
                                                               rampart_factory):
    # An origin that closes its TCP connection without a close_notify ends a body with no
    # length of its own: the client gets all of it and a proper end, not a cut response.
    cert, key = certs.leaf(["origin.test"])
    o = tls_origins(cert, key, close_delimited=True)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test"})
    for i in range(3):
        resp = get(r, "/d%d" % i)
        assert resp.status == 200, resp
        assert resp.body == ("tls origin T /d%d" % i).encode() * 50


def test_new_connections_resume_the_session(certs, tls_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = tls_origins(cert, key, close=True)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test"})
    for i in range(5):
        assert get(r, "/n%d" % i).status == 200
    assert o.handshakes == 5
    assert o.resumed >= 3, (o.handshakes, o.resumed)
    m = r.metrics()
    assert m.value("rampart_origin_tls_handshakes_total", result="resumed") >= 3, m.text


def test_failed_handshake_moves_on_to_the_next_endpoint(certs, tmp_path, tls_origins,
                                                        rampart_factory):
    other_ca = CertFactory(tmp_path / "other")
    bad_cert, bad_key = other_ca.leaf(["origin.test"])
    good_cert, good_key = certs.leaf(["origin.test"])
    bad = tls_origins(bad_cert, bad_key, name="bad")
    good = tls_origins(good_cert, good_key, name="good")
    r = start(rampart_factory,
              {"web": pool([bad, good], tls={"ca": str(certs.ca_cert), "sni": "origin.test"},
                           outlier_detection={"enabled": False})},
              {"pool": "web"})
    for _ in range(6):
        resp = get(r)
        assert resp.status == 200 and resp.get("X-Origin-Name") == "good", resp
    assert bad.requests == 0


def test_https_health_check_marks_a_bad_certificate_down(certs, tmp_path, tls_origins,
                                                         rampart_factory):
    other_ca = CertFactory(tmp_path / "other")
    bad_cert, bad_key = other_ca.leaf(["origin.test"])
    good_cert, good_key = certs.leaf(["origin.test"])
    bad = tls_origins(bad_cert, bad_key, name="bad")
    good = tls_origins(good_cert, good_key, name="good")
    r = start(rampart_factory,
              {"web": pool([bad, good], tls={"ca": str(certs.ca_cert), "sni": "origin.test"},
                           health_check=health(interval="300ms", timeout="300ms"))},
              {"pool": "web"})
    wait_state(r, "web", bad.endpoint, "down", 5)
    wait_state(r, "web", good.endpoint, "up", 5)
    # The checks reach the good one over TLS, and it stays up.
    wait_until(lambda: good.requests >= 3, 5 * SLOW, what="checks of the good endpoint")
    assert r.endpoint("web", good.endpoint)["state"] == "up"


def test_config_errors_keep_the_running_config(certs, tmp_path, tls_origins, rampart_factory):
    cert, key = certs.leaf(["origin.test"])
    o = tls_origins(cert, key)
    r = one_pool(rampart_factory, o, {"ca": str(certs.ca_cert), "sni": "origin.test"})
    client_cert, _ = certs.leaf(["client.test"], client=True)
    _, other_key = certs.leaf(["other.test"])
    cfg = dict(r.config)
    cfg["pools"] = {"web": pool([o], tls={"ca": str(tmp_path / "missing.pem"),
                                          "sni": "origin.test",
                                          "cert": str(client_cert), "key": str(other_key)})}
    r.write_config(cfg)
    status, _, body = r.reload()
    assert status != 200
    text = body.decode()
    assert "missing.pem" in text and "does not match" in text, text
    assert get(r).status == 200  # still the old config
