"""Certificates for the TLS tests, made with the openssl command-line tool: a test CA,
leaf certificates (ECDSA P-256 or RSA 2048) for given names, client certificates, and
broken ones (expired, not yet valid, a key that does not match)."""

import os
import socket
import ssl
import subprocess
from pathlib import Path


def openssl(*args, cwd=None):
    out = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd)
    assert out.returncode == 0, "openssl %s failed: %s" % (" ".join(args), out.stderr)
    return out.stdout


def _key_args(kind):
    if kind == "ec":
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    return ["-newkey", "rsa:2048"]


class CertFactory:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_cert = self.dir / "ca.pem"
        self.ca_key = self.dir / "ca.key"
        openssl("req", "-x509", *_key_args("ec"), "-nodes", "-keyout", str(self.ca_key),
                "-out", str(self.ca_cert), "-days", "30", "-subj", "/CN=rampart test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.count = 0
        # `openssl ca` is the only CLI way to set arbitrary validity dates.
        (self.dir / "index.txt").write_text("")
        (self.dir / "serial").write_text("1000\n")
        (self.dir / "ca.cnf").write_text(
            "[ca]\ndefault_ca = test\n[test]\ndatabase = %s\nserial = %s\nnew_certs_dir = %s\n"
            "default_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = copy\n"
            "[any]\ncommonName = supplied\n" % (self.dir / "index.txt", self.dir / "serial",
                                                self.dir))

    def leaf(self, names, kind="ec", client=False, start=None, end=None, days=30):
        """(cert path, key path) for `names` (the first is the CN), signed by the CA.
        start/end: "YYYYMMDDHHMMSSZ" validity bounds instead of `days` from now."""
        self.count += 1
        base = self.dir / ("leaf%d-%s" % (self.count, kind))
        key, csr, cert = base.with_suffix(".key"), base.with_suffix(".csr"), \
            base.with_suffix(".pem")
        ext = base.with_suffix(".ext")
        usage = "clientAuth" if client else "serverAuth"
        san = ",".join("DNS:%s" % n for n in names)
        ext.write_text("subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n"
                       % (san, usage))
        openssl("req", "-new", *_key_args(kind), "-nodes", "-keyout", str(key), "-out", str(csr),
                "-subj", "/CN=%s" % names[0])
        if start or end:
            openssl("ca", "-batch", "-config", str(self.dir / "ca.cnf"), "-cert",
                    str(self.ca_cert), "-keyfile", str(self.ca_key), "-in", str(csr), "-out",
                    str(cert), "-notext", "-extfile", str(ext), "-startdate", start,
                    "-enddate", end)
        else:
            openssl("x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert), "-CAkey",
                    str(self.ca_key), "-CAcreateserial", "-days", str(days), "-out", str(cert),
                    "-extfile", str(ext))
        # A chain file: the leaf, then the CA (as servers usually send it).
        chain = base.with_name(base.name + "-chain.pem")
        chain.write_text(cert.read_text() + self.ca_cert.read_text())
        return chain, key


def peer_certificate(port, server_name, cafile, alpn=None, check_hostname=True):
    """Connects with Python's ssl module; returns (subject CN, negotiated ALPN, version)."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if server_name is None or not check_hostname:
        ctx.check_hostname = False
    if alpn:
        ctx.set_alpn_protocols(alpn)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_name) as s:
            cert = s.getpeercert()
            cn = dict(x[0] for x in cert["subject"])["commonName"]
            return cn, s.selected_alpn_protocol(), s.version()


def curl_https(port, host, path="/", cafile=None, extra=(), timeout=20):
    """curl over TLS to 127.0.0.1:port with `host` as SNI and Host. Returns
    (returncode, http_version, status, body, stderr)."""
    args = ["curl", "-sS", "--resolve", "%s:%d:127.0.0.1" % (host, port), "-o", "-", "-w",
            "\n%{http_version} %{http_code}", "--max-time", str(timeout)]
    if cafile:
        args += ["--cacert", str(cafile)]
    out = subprocess.run(args + list(extra) + ["https://%s:%d%s" % (host, port, path)],
                         capture_output=True, timeout=timeout + 5)
    body, _, trailer = out.stdout.rpartition(b"\n")
    parts = trailer.decode().split()
    version, code = (parts + ["", "0"])[:2] if len(parts) == 2 else ("", "0")
    return out.returncode, version, int(code), body, out.stderr.decode(errors="replace")
