"""Shared helpers for rampart's integration tests.

Everything here talks to real processes over loopback: the rampart binary and the
demo origin (scripts/demo_origin.py), plus raw-socket clients for byte-exact cases.
"""

import copy
import http.client
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
RAMPART_BIN = os.environ.get("RAMPART_BIN", "/work/main/build/release/rampart")
SANITIZED = os.environ.get("RAMPART_SANITIZED") == "1"
# Factor applied to timing slack (not to configured timeouts) in ASan builds.
SLOW = 4 if SANITIZED else 1
PYTHON = "/usr/bin/python3"
DEMO_ORIGIN = REPO / "scripts" / "demo_origin.py"
TOKEN = "integration-test-token-0123456789"
LOOPBACK = "127.0.0.1"


def scaled(n, asan_n):
    """A load count: n normally, asan_n under ASan."""
    return asan_n if SANITIZED else n


_handed_out = set()
_port_lock = threading.Lock()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A loopback port nobody listens on now, never handed out before in this session.

    Ports come from below the kernel's ephemeral range when possible, so that outgoing
    connections (clients, rampart's upstream connections) cannot take one between the
    moment it is chosen and the moment a server binds it; and never twice, since the
    kernel happily returns the same free port twice in a row."""
    lo, _ = _ephemeral_range()
    with _port_lock:
        candidates = [random.randrange(20000, lo) for _ in range(200)] if lo > 21000 else []
        for port in candidates + [0] * 100:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind((LOOPBACK, port))
                except OSError:
                    continue
                port = s.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise RuntimeError("no fresh free port found")


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Polls pred() until it returns a truthy value; returns it, or raises on timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - polling through transient errors
            last_exc = e
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last error: %r)"
                         % (timeout, what, last_exc))


# --------------------------------------------------------------------------------------
# Raw HTTP/1.1 over sockets
# --------------------------------------------------------------------------------------

class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] in order
        self.body = body
        self.raw_head = raw_head

    def get(self, name, default=None):
        vals = self.get_all(name)
        return vals[0] if vals else default

    def get_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def tokens(self, name):
        out = []
        for v in self.get_all(name):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %d %s headers=%r body=%r>" % (
            self.status, self.reason, self.headers, self.body[:200])


class Closed(Exception):
    """The peer closed the connection before a complete response arrived."""


class RawConn:
    """A client connection that sends exact bytes and parses responses strictly enough."""

    def __init__(self, port, host=LOOPBACK, timeout=10.0, source=None):
        """source: a loopback address (e.g. "127.0.0.2") to connect from."""
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 16)
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed("connection closed; buffered %r" % self.buf[:300])
        self.buf += data

    def read_until(self, marker, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while marker not in self.buf:
            self._fill(deadline)
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, method="GET", timeout=None, allow_1xx=False):
        """Reads one response. Interim 1xx responses are skipped unless allow_1xx."""
        timeout = timeout or self.timeout
        while True:
            head = self.read_until(b"\r\n\r\n", timeout)
            lines = head[:-4].decode("latin-1").split("\r\n")
            m = re.match(r"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
            assert m, "bad status line %r" % lines[0]
            version, status, reason = m.group(1), int(m.group(2)), m.group(3) or ""
            headers = []
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                assert sep and name == name.strip(), "bad response header line %r" % line
                headers.append((name, value.strip(" \t")))
            resp = Response(version, status, reason, headers, b"", head)
            if 100 <= status < 200 and status != 101:
                if allow_1xx:
                    return resp
                continue
            break
        if method == "HEAD" or status in (101, 204, 304) or 100 <= status < 200:
            return resp
        te = resp.tokens("Transfer-Encoding")
        cl = resp.get_all("Content-Length")
        if te:
            assert te[-1] == "chunked", "unexpected transfer-encoding %r" % te
            assert not cl, "response with both Transfer-Encoding and Content-Length"
            body = bytearray()
            while True:
                line = self.read_until(b"\r\n", timeout)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.read_until(b"\r\n", timeout) != b"\r\n":
                        pass
                    break
                body += self.read_exact(size, timeout)
                assert self.read_exact(2, timeout) == b"\r\n"
            resp.body = bytes(body)
        elif cl:
            assert len(set(cl)) == 1, "conflicting Content-Length %r" % cl
            resp.body = self.read_exact(int(cl[0]), timeout)
        else:  # delimited by close
            deadline = time.monotonic() + timeout
            try:
                while True:
                    self._fill(deadline)
            except Closed:
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def request(self, method, target, host="main.test", headers=(), body=b"", timeout=None):
        self.send(build_request(method, target, host, headers, body))
        return self.read_response(method, timeout)

    def wait_closed(self, timeout):
        """Reads until the peer closes. Returns (closed, data_received).

        closed is False if the connection is still open when the timeout expires."""
        deadline = time.monotonic() + timeout
        data = self.buf
        self.buf = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False, data
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return False, data
            except (ConnectionResetError, BrokenPipeError):
                return True, data
            if not chunk:
                return True, data
            data += chunk


def build_request(method, target, host="main.test", headers=(), body=b""):
    if isinstance(body, str):
        body = body.encode()
    lines = ["%s %s HTTP/1.1" % (method, target)]
    if host is not None:
        lines.append("Host: %s" % host)
    names = {n.lower() for n, _ in headers}
    lines += ["%s: %s" % (n, v) for n, v in headers]
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def parse_responses(data):
    """Splits raw bytes into response status codes (for counting responses on a wire)."""
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.[01] (\d{3}) ", data)]


def http_get(port, path, host="main.test", headers=None, timeout=10.0, method="GET", body=None):
    """One request on a fresh connection through http.client; returns (status, headers, body)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        h = {"Host": host}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return r.status, r.headers, data
    finally:
        conn.close()


# --------------------------------------------------------------------------------------
# The demo origin
# --------------------------------------------------------------------------------------

class Origin:
    def __init__(self, workdir, name="A", port=None):
        self.name = name
        self.workdir = Path(workdir)
        errors = []
        for attempt in range(1 if port else 3):
            self.port = port or free_port()
            problem = self._start()
            if problem is None:
                return
            errors.append(problem)
        raise RuntimeError("demo origin did not start:\n" + "\n".join(errors))

    def _start(self, timeout=20.0):
        self.killed = False
        self.log_path = self.workdir / ("origin-%s-%d.log" % (self.name, self.port))
        self.log = open(self.log_path, "ab")  # appends across restart()
        self.proc = subprocess.Popen(
            [PYTHON, str(DEMO_ORIGIN), "--port", str(self.port), "--host", LOOPBACK,
             "--name", self.name],
            stdout=subprocess.PIPE, stderr=self.log)
        t0 = time.monotonic()
        line = b""
        while time.monotonic() - t0 < timeout and not line.endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                c = os.read(self.proc.stdout.fileno(), 4096)
                if not c:
                    break
                line += c
        expect = "demo origin listening on http://%s:%d" % (LOOPBACK, self.port)
        if line.decode(errors="replace").strip() == expect:
            return None
        rc = self.stop()
        return "port %d: got %r after %.1fs, exit code %r, log: %s" % (
            self.port, line, time.monotonic() - t0, rc,
            self.log_path.read_text(errors="replace")[-2000:])

    @property
    def endpoint(self):
        return "%s:%d" % (LOOPBACK, self.port)

    def stats(self):
        status, _, body = http_get(self.port, "/__stats", host="origin")
        assert status == 200
        return json.loads(body)

    def requests(self, path=None, method=None):
        """Requests this origin received (not counting /__ ones): all of them, or those
        to one path, or with one method."""
        st = self.stats()
        if path is not None:
            assert method is None, "count by path or by method, not both"
            return st["by_path"].get(path, 0)
        if method is not None:
            return st["by_method"].get(method, 0)
        return st["requests"]

    def control(self, **kw):
        """Changes how the origin answers every later non-/__ request: delay_ms=N (sleep
        first), status=S (answer with S; 0: normally), drop=True (close without
        answering), reset=True (clear all first). Returns the settings now in force."""
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
        try:
            body = json.dumps(kw).encode()
            conn.request("POST", "/__control", body=body,
                         headers={"Host": "origin", "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            assert r.status == 200, (r.status, data)
            return json.loads(data)
        finally:
            conn.close()

    def kill(self):
        """SIGKILL: the origin dies at once, as in a crash (restart() brings it back)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.killed = True
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()

    def restart(self):
        """Starts the origin again on the same port, with fresh stats and controls."""
        if self.proc.poll() is None:
            self.stop()
        problem = None
        for _ in range(3):  # the port may take a moment to be bindable again
            problem = self._start()
            if problem is None:
                return
            time.sleep(0.2)
        raise RuntimeError("demo origin did not restart: %s" % problem)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        if self.killed:
            return 0  # killed on purpose by kill()
        return self.proc.returncode


# --------------------------------------------------------------------------------------
# rampart
# --------------------------------------------------------------------------------------

def deep_merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def base_config(port, admin_port, origin_endpoints, access_log, version="test-1"):
    return {
        "version": version,
        "workers": 2,
        "listeners": [{"name": "main", "address": "%s:%d" % (LOOPBACK, port)}],
        "admin": {"address": "%s:%d" % (LOOPBACK, admin_port), "token": TOKEN,
                  "enabled": True},
        "access_log": {"path": str(access_log)},
        "log_level": "info",
        "limits": {
            "max_request_line": 8192,
            "max_header_bytes": 32768,
            "max_header_count": 100,
            "max_body_bytes": "100MiB",
            "max_connections": 2000,
            "max_connections_per_ip": 1000,
            "max_requests_per_connection": 10000,
        },
        "timeouts": {
            "header_read": "5s",
            "body_read": "5s",
            "client_idle": "10s",
            "send": "10s",
            "upstream_connect": "2s",
            "upstream_first_byte": "10s",
            "upstream_idle": "30s",
            "shutdown_grace": "3s",
        },
        "sites": [{
            "name": "main",
            "default": True,
            "hosts": ["main.test"],
            "origin": {"endpoints": list(origin_endpoints)},
        }],
    }


def dump_yaml(cfg):
    return yaml.safe_dump(cfg, sort_keys=False, default_flow_style=False)


def parse_duration(text):
    m = re.fullmatch(r"(\d+)(ms|s|m)", str(text))
    assert m, text
    return int(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(2)]


class Rampart:
    """A running `rampart run -c FILE`."""

    def __init__(self, workdir, config, wait=True, name="rampart"):
        self.workdir = Path(workdir)
        self.config = config
        self.config_path = self.workdir / ("%s.yaml" % name)
        self.stdout_path = self.workdir / ("%s.stdout" % name)
        self.stderr_path = self.workdir / ("%s.stderr" % name)
        self.config_path.write_text(dump_yaml(config))
        self.port = int(config["listeners"][0]["address"].rsplit(":", 1)[1])
        self.admin_port = int(config["admin"]["address"].rsplit(":", 1)[1])
        self.access_log_path = Path(config["access_log"]["path"]) \
            if config.get("access_log", {}).get("path") not in (None, "stdout", "off") else None
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = spawn_rampart(["run", "-c", str(self.config_path)],
                                  stdout=self._out, stderr=self._err)
        self.pid = self.proc.pid
        self.stopped = False
        if wait:
            self.wait_ready()

    @property
    def grace(self):
        return parse_duration(self.config.get("timeouts", {}).get("shutdown_grace", "10s"))

    def wait_ready(self, timeout=10.0 * SLOW):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("rampart exited with %s during startup:\n%s"
                                     % (self.proc.returncode, self.logs()))
            try:
                if self.config.get("admin", {}).get("enabled", True):
                    status, _, _ = http_get(self.admin_port, "/status", host="admin", timeout=1)
                    if status == 200:
                        return
                    last = "status %d" % status
                else:
                    with socket.create_connection((LOOPBACK, self.port), timeout=1):
                        return
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError("rampart not ready after %.0fs (GET /status: %s)\n%s"
                             % (timeout, last, self.logs()))

    def url(self, path="/"):
        return "http://%s:%d%s" % (LOOPBACK, self.port, path)

    def admin_url(self, path="/"):
        return "http://%s:%d%s" % (LOOPBACK, self.admin_port, path)

    def logs(self):
        out = []
        for p in (self.stdout_path, self.stderr_path):
            try:
                text = p.read_text(errors="replace")
            except OSError:
                text = ""
            if len(text) > 20000:
                text = "...\n" + text[-20000:]
            out.append("----- %s -----\n%s" % (p.name, text))
        return "\n".join(out)

    def rss_kib(self):
        return read_status_kib(self.pid, "VmRSS")

    def hwm_kib(self):
        return read_status_kib(self.pid, "VmHWM")

    def write_config(self, config):
        self.config = config
        self.config_path.write_text(dump_yaml(config))

    def reload(self, token=TOKEN, timeout=10):
        conn = http.client.HTTPConnection(LOOPBACK, self.admin_port, timeout=timeout)
        try:
            headers = {"Host": "admin", "Content-Length": "0"}
            if token is not None:
                headers["Authorization"] = "Bearer %s" % token
            conn.request("POST", "/config/reload", headers=headers)
            r = conn.getresponse()
            body = r.read()
            return r.status, r.headers, body
        finally:
            conn.close()

    def admin_get(self, path, timeout=5):
        return http_get(self.admin_port, path, host="admin", timeout=timeout)

    def admin_post(self, path, token=TOKEN, timeout=5):
        """POST with an empty body (and the bearer token unless token is None); returns
        (status, headers, body)."""
        headers = {"Content-Length": "0"}
        if token is not None:
            headers["Authorization"] = "Bearer %s" % token
        return http_get(self.admin_port, path, host="admin", headers=headers,
                        timeout=timeout, method="POST", body=b"")

    def origins(self):
        """GET /origins: {"pools": [...]}."""
        s, _, body = self.admin_get("/origins")
        assert s == 200, (s, body)
        return json.loads(body)

    def endpoint(self, pool, name):
        """One endpoint's JSON from /origins (AssertionError if the pool or endpoint is
        not listed)."""
        for p in self.origins()["pools"]:
            if p["name"] == pool:
                for e in p["endpoints"]:
                    if e["name"] == name:
                        return e
                raise AssertionError("no endpoint %s in pool %s: %r" % (name, pool, p))
        raise AssertionError("no pool %s in /origins" % pool)

    def status(self):
        s, _, body = self.admin_get("/status")
        assert s == 200, (s, body)
        return json.loads(body)

    def metrics(self):
        s, h, body = self.admin_get("/metrics")
        assert s == 200, (s, body)
        return parse_metrics(body.decode())

    def access_log(self):
        if not self.access_log_path or not self.access_log_path.exists():
            return []
        out = []
        for line in self.access_log_path.read_text(errors="replace").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def wait_log(self, pred, timeout=5.0):
        """Waits until an access-log entry satisfies pred; returns it."""
        def find():
            for e in self.access_log():
                if pred(e):
                    return e
            return None
        return wait_until(find, timeout * SLOW, what="access log entry")

    def wait_log_entries(self, pred, count, timeout=5.0):
        """The access-log entries satisfying pred, once there are at least `count` of them
        (the log is written in batches); fails after the timeout."""
        def find():
            entries = [e for e in self.access_log() if pred(e)]
            return entries if len(entries) >= count else None
        return wait_until(find, timeout * SLOW, what="%d access log entries" % count)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=None):
        """SIGTERM; returns (returncode, seconds). Kills after timeout."""
        if self.stopped:
            return self.proc.returncode, 0.0
        self.stopped = True
        timeout = timeout if timeout is not None else self.grace + 5 * SLOW
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            self._close_files()
            return None, time.monotonic() - t0
        self._close_files()
        return self.proc.returncode, time.monotonic() - t0

    def _close_files(self):
        for f in (self._out, self._err):
            try:
                f.close()
            except OSError:
                pass

    def sanitizer_report(self):
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return None
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                return text[text.index(marker) - 200 if text.index(marker) > 200 else 0:][:4000]
        return None


def wait_for_binary(timeout=60.0):
    """Waits (bounded) while the binary is missing or being relinked by a rebuild."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            st = os.stat(RAMPART_BIN)
            if os.access(RAMPART_BIN, os.X_OK) and time.time() - st.st_mtime > 1.0:
                return True
        except OSError:
            pass
        time.sleep(0.25)
    return os.access(RAMPART_BIN, os.X_OK)


def spawn_rampart(args, **kw):
    """Popen of the rampart binary, riding out a concurrent relink (ETXTBSY, ENOEXEC)."""
    deadline = time.monotonic() + 60
    while True:
        wait_for_binary()
        try:
            return subprocess.Popen([RAMPART_BIN, *args], stdin=subprocess.DEVNULL, **kw)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def read_status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def run_cli(*args, timeout=20):
    wait_for_binary()
    return subprocess.run([RAMPART_BIN, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout * SLOW, stdin=subprocess.DEVNULL)


# --------------------------------------------------------------------------------------
# Prometheus text
# --------------------------------------------------------------------------------------

_METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    def __init__(self, samples, text):
        self.samples = samples  # [(name, {labels}, value)]
        self.text = text

    def find(self, name, **labels):
        return [(lb, v) for n, lb, v in self.samples
                if n == name and all(lb.get(k) == str(x) for k, x in labels.items())]

    def value(self, name, **labels):
        """Sum of all samples of name whose labels include `labels` (0 if none)."""
        return sum(v for _, v in self.find(name, **labels))

    def has(self, name):
        return any(n == name for n, _, _ in self.samples)


def parse_metrics(text):
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _METRIC_RE.match(line.strip())
        assert m, "malformed metrics line %r" % line
        labels = dict(_LABEL_RE.findall(m.group(3) or ""))
        v = m.group(4)
        value = float("inf") if v == "+Inf" else float(v)
        samples.append((m.group(1), labels, value))
    return Metrics(samples, text)


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------

def parse_forwarded(value):
    """Parses one Forwarded element list (RFC 7239) into [{param: value}], unquoting."""
    out = []
    for element in value.split(","):
        pairs = {}
        for part in element.split(";"):
            part = part.strip()
            if not part:
                continue
            k, sep, v = part.partition("=")
            assert sep, "bad forwarded-pair %r in %r" % (part, value)
            v = v.strip()
            if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                v = re.sub(r"\\(.)", r"\1", v[1:-1])
            pairs[k.strip().lower()] = v
        out.append(pairs)
    return out


def echo_headers(resp_json):
    return [(n, v) for n, v in resp_json["headers"]]


def header_values(pairs, name):
    n = name.lower()
    return [v for k, v in pairs if k.lower() == n]


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every interval until stopped; keeps the maximum."""

    def __init__(self, pid, interval=0.02):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.max_kib = 0
        self._stop_evt = threading.Event()

    def run(self):
        while not self._stop_evt.is_set():
            try:
                self.max_kib = max(self.max_kib, read_status_kib(self.pid, "VmRSS"))
            except (OSError, KeyError):
                return
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.join(2)
        return self.max_kib


class LoopbackServer:
    """A raw-socket server on a free loopback port: accepts connections on a thread and
    hands each to self._serve(conn, n) on its own thread (n counts from 1)."""

    def _start_listening(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((LOOPBACK, 0))
        self.lsock.listen(64)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.endpoint = "%s:%d" % (LOOPBACK, self.port)
        self.running = True
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accepted(self):
        """Called under self.lock for each new connection."""

    def _accept_loop(self):
        while self.running:
            try:
                conn, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                n = self.connections
                self._accepted()
            threading.Thread(target=self._serve, args=(conn, n), daemon=True).start()

    def close(self):
        self.running = False
        self.lsock.close()
        self.thread.join(2)


class ScriptedOrigin(LoopbackServer):
    """A raw-socket origin that answers each request (any connection) with the next
    scripted raw response. A script item is bytes, or (bytes, close_after). Requests are
    read as head + Content-Length body; the heads are recorded."""

    def __init__(self, script, idle_close=None):
        """idle_close: seconds after which an idle keep-alive connection is closed by the
        origin (as real servers do), None for never."""
        self.script = list(script)
        self.idle_close = idle_close
        self.heads = []
        self.open = 0
        self._start_listening()

    def _accepted(self):
        self.open += 1

    def _serve(self, conn, n):
        conn.settimeout(30)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    if not buf and self.idle_close is not None:
                        conn.settimeout(self.idle_close)
                    try:
                        d = conn.recv(65536)
                    except socket.timeout:
                        return  # idle keep-alive timeout: close
                    conn.settimeout(30)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = 0
                for l in head.split(b"\r\n")[1:]:
                    k, _, v = l.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                while len(buf) < length:
                    d = conn.recv(65536)
                    if not d:
                        return
                    buf += d
                buf = buf[length:]
                with self.lock:
                    self.heads.append(head.decode("latin-1"))
                    item = self.script.pop(0) if self.script else \
                        b"HTTP/1.1 500 Script Exhausted\r\nContent-Length: 0\r\n\r\n"
                data, close = item if isinstance(item, tuple) else (item, False)
                conn.sendall(data)
                if close:
                    return
        except OSError:
            return
        finally:
            conn.close()
            with self.lock:
                self.open -= 1

