"""Certificates as untrusted input: an expired, not yet valid, mismatched or unreadable
certificate is a config error naming the file (at start and on reload, where the running
certificate stays); a good new certificate is picked up by a reload under load without
dropping connections; client certificates (mTLS) required, optional and refused."""

import re
import subprocess
import time

import pytest

from helpers import SLOW, base_config, deep_merge, free_port, scaled, spawn_rampart
from test_tls import certs, tls_config  # noqa: F401 (fixture)
from tls_util import curl_https, peer_certificate


def validate(tmp_path, cfg):
    path = tmp_path / "candidate.yaml"
    import yaml
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    proc = spawn_rampart(["validate", str(path)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, (out + err).decode(errors="replace")


def full_config(tmp_path, origin, overrides):
    cfg = base_config(free_port(), free_port(), [origin.endpoint], tmp_path / "access.log")
    return deep_merge(cfg, overrides)


@pytest.mark.parametrize("problem", ["expired", "not_yet_valid", "mismatched_key", "missing",
                                     "garbage"])
def test_bad_certificates_are_config_errors(tmp_path, origin, certs, problem):  # noqa: F811
    good_cert, good_key = certs.leaf(["main.test"])
    cert, key = good_cert, good_key
    if problem == "expired":
        cert, key = certs.leaf(["main.test"], start="20200101000000Z", end="20200201000000Z")
    elif problem == "not_yet_valid":
        cert, key = certs.leaf(["main.test"], start="20990101000000Z", end="20990201000000Z")
    elif problem == "mismatched_key":
        _, key = certs.leaf(["other.test"])
    elif problem == "missing":
        cert = tmp_path / "nowhere.pem"
    elif problem == "garbage":
        cert = tmp_path / "garbage.pem"
        cert.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n")
    overrides, _ = tls_config(origin, certs, sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]},
        "tls": {"certificates": [{"cert": str(cert), "key": str(key)}]}}])
    rc, out = validate(tmp_path, full_config(tmp_path, origin, overrides))
    assert rc != 0, out
    named = str(key) if problem == "mismatched_key" else str(cert)
    assert named in out or cert.name in out, out
    assert re.search(r":\d+:\d+: error:", out), out


def test_reload_with_a_bad_certificate_keeps_the_running_one(rampart_factory, origin,
                                                            certs, tmp_path):  # noqa: F811
    cfg, port = tls_config(origin, certs)
    r = rampart_factory([origin], **cfg)
    assert peer_certificate(port, "main.test", certs.ca_cert)[0] == "main.test"
    bad_cert, bad_key = certs.leaf(["main.test"], start="20200101000000Z", end="20200201000000Z")
    new = dict(r.config)
    new["sites"] = [dict(new["sites"][0])]
    new["sites"][0]["tls"] = {"certificates": [{"cert": str(bad_cert), "key": str(bad_key)}]}
    r.write_config(new)
    status, _, body = r.reload()
    body = body.decode(errors="replace")
    assert status != 200 and bad_cert.name in body, body
    rc, _, code, _, err = curl_https(port, "main.test", "/health", certs.ca_cert)
    assert rc == 0 and code == 200, err


def test_certificate_reload_under_load_drops_nothing(rampart_factory, origin, certs):  # noqa: F811
    cfg, port = tls_config(origin, certs)
    r = rampart_factory([origin], **cfg)
    first_serial = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "main.test"],
        input="", capture_output=True, text=True, timeout=20).stdout
    n = scaled(6000, 600)
    load = subprocess.Popen(["h2load", "-n", str(n), "-c", "8", "-m", "4",
                             "https://127.0.0.1:%d/health" % port, "-H", ":authority: main.test"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.3)
    new_cert, new_key = certs.leaf(["main.test", "renewed.main.test"])
    new = dict(r.config)
    new["sites"] = [dict(new["sites"][0])]
    new["sites"][0]["tls"] = {"certificates": [{"cert": str(new_cert), "key": str(new_key)}]}
    r.write_config(new)
    status, _, body = r.reload()
    assert status == 200, body
    out, _ = load.communicate(timeout=120 * SLOW)
    assert "%d succeeded, 0 failed, 0 errored" % n in out, out
    # New handshakes get the new certificate.
    after = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "main.test",
         "-showcerts"], input="", capture_output=True, text=True, timeout=20).stdout
    assert "renewed.main.test" not in first_serial
    text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"],
                          input=after[after.index("-----BEGIN CERTIFICATE-----"):],
                          capture_output=True, text=True).stdout
    assert "renewed.main.test" in text, text


def mtls_site(origin, certs, required):  # noqa: F811
    cert, key = certs.leaf(["main.test"])
    return [{"name": "main", "default": True, "hosts": ["main.test"],
             "origin": {"endpoints": [origin.endpoint]},
             "tls": {"certificates": [{"cert": str(cert), "key": str(key)}],
                     "client_auth": {"ca": str(certs.ca_cert), "required": required}},
             "firewall": {"rules": [{"id": "need-cert", "action": "block",
                                     "expression": 'http.request.uri.path eq "/private" and '
                                                   'not tls.client_cert.verified'}]}}]


def test_mtls_required(rampart_factory, origin, certs):  # noqa: F811
    cfg, port = tls_config(origin, certs, sites=mtls_site(origin, certs, True))
    r = rampart_factory([origin], **cfg)
    rc, _, code, _, _ = curl_https(port, "main.test", "/health", certs.ca_cert)
    assert rc != 0 or code == 0, "a client without a certificate was let in"
    client_cert, client_key = certs.leaf(["client-1"], client=True)
    rc, _, code, body, err = curl_https(port, "main.test", "/echo", certs.ca_cert,
                                        ["--cert", str(client_cert), "--key", str(client_key)])
    assert rc == 0 and code == 200, err
    entry = r.wait_log(lambda e: e.get("path") == "/echo")
    assert entry.get("tls") is True


def test_mtls_optional_exposes_the_certificate_to_rules(rampart_factory, origin, certs):  # noqa: F811
    cfg, port = tls_config(origin, certs, sites=mtls_site(origin, certs, False))
    rampart_factory([origin], **cfg)
    rc, _, code, _, err = curl_https(port, "main.test", "/private", certs.ca_cert)
    assert rc == 0 and code == 403, err
    client_cert, client_key = certs.leaf(["client-2"], client=True)
    rc, _, code, _, err = curl_https(port, "main.test", "/private", certs.ca_cert,
                                     ["--cert", str(client_cert), "--key", str(client_key)])
    assert rc == 0 and code == 404, err  # passed the rule; the origin has no /private
