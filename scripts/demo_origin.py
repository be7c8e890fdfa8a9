#!/usr/bin/env python3
"""A small but real HTTP/1.1 origin server for trying out and testing rampart.

Standard library only. Run it as:

    /usr/bin/python3 scripts/demo_origin.py --port 8081 [--host 127.0.0.1] [--name A]

It parses requests itself (instead of http.server's lenient parser) so that what it
reports in /echo is exactly what arrived on the wire: header order, duplicates and
the raw header lines. Endpoints are listed in INDEX_HTML below.
"""

import argparse
import base64
import collections
import hashlib
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_LINE = 256 * 1024
MAX_HEADERS = 1000
BLOCK = bytes(range(256)) * 4096  # 1 MiB of a repeating byte pattern for /bytes and /stream

REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
    202: "Accepted", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
    302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect",
    308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
    410: "Gone", 413: "Content Too Large", 418: "I'm a teapot", 426: "Upgrade Required",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>rampart demo origin {name}</title></head>
<body>
<h1>rampart demo origin</h1>
<p>This is the demo origin server <b>{name}</b>. If you see this page through rampart,
the proxy works.</p>
<ul>
<li><code>/echo</code> (any method): JSON of the request as the origin received it</li>
<li><code>/bytes?n=N</code>: N bytes with Content-Length</li>
<li><code>/stream?n=N&amp;chunk=K&amp;delay_ms=D&amp;trailers=1</code>: N bytes, chunked, K per chunk, D ms apart; with trailers=1 the body ends with trailer fields (X-Body-Sha256, Grpc-Status, and a Content-Length a proxy must drop)</li>
<li><code>/slow?ms=N</code>: answers after N milliseconds</li>
<li><code>/status/NNN</code>: answers with that status</li>
<li><code>/upload</code> (POST/PUT): reads the body, answers {{bytes, sha256}}</li>
<li><code>/headers</code>: sets X-Powered-By and Set-Cookie</li>
<li><code>/cacheable?cc=CC&amp;etag=E&amp;vary=V&amp;tag=T&amp;cookie=1&amp;lm=HTTP-date&amp;delay_ms=D&amp;status=S&amp;size=N</code>: a
page with <code>Cache-Control: CC</code> (default <code>public, max-age=60</code>), and
optionally that ETag, Vary, Cache-Tag, a Set-Cookie, a Last-Modified and a Location
(<code>location=URL</code>); the body
names the origin and counts the requests this path got, so a cache hit is visible
(padded to N bytes with <code>size</code>, sent after D ms with <code>delay_ms</code>, with
status S, its second half B ms after the first with <code>body_delay_ms=B</code>); an
If-None-Match naming the ETag gets a 304</li>
<li><code>/close</code>: answers with Connection: close and closes</li>
<li><code>/ws</code>: WebSocket echo</li>
<li><code>/health</code>: 200 "ok" (a health-check target; the controls below apply to it)</li>
<li><code>/__stats</code>: connections and requests seen (in total, by method and by path)</li>
<li><code>/__control?delay_ms=D&amp;status=S&amp;drop=1&amp;reset=1</code> (GET with a query, or
POST with a JSON object or a form body): changes how every later request is answered,
except <code>/__</code> ones, which are never affected nor counted: <code>delay_ms</code> sleeps
D ms before answering, <code>status</code> answers with status S instead (0: normal),
<code>drop</code> closes the connection without answering, <code>reset</code> clears all
three first. Answers with the current settings as JSON.</li>
</ul>
</body></html>
"""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0        # accepted TCP connections
        self.open_connections = 0
        self.stats_connections = 0  # connections whose first request was a /__ one
        self.requests = 0           # requests, not counting /__stats and /__control
        self.by_method = collections.Counter()  # requests by method
        self.by_path = collections.Counter()    # requests by path (first 1000 paths)
        self.recent = collections.deque(maxlen=200)  # "METHOD target" of recent requests
        self.cacheable_hits = 0     # requests /cacheable answered
        self.cacheable_304 = 0      # of which answered 304 to a conditional request

    def snapshot(self):
        with self.lock:
            return {
                "connections": self.connections,
                "stats_connections": self.stats_connections,
                "origin_connections": self.connections - self.stats_connections,
                "open_connections": self.open_connections,
                "requests": self.requests,
                "by_method": dict(self.by_method),
                "by_path": dict(self.by_path),
                "recent": list(self.recent),
                "control": CONTROL.snapshot(),
                "cacheable_304": self.cacheable_304,
            }


class Control:
    """Behaviour changes set through /__control, applied to every non-/__ request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.delay_ms = 0   # sleep this long before answering
        self.status = 0     # answer with this status instead (0: normal)
        self.drop = False   # close the connection without answering

    def snapshot(self):
        with self.lock:
            return {"delay_ms": self.delay_ms, "status": self.status, "drop": self.drop}

    def update(self, params):
        """params: {name: value} from a query, a form or a JSON object."""
        def as_bool(v):
            if isinstance(v, bool):
                return v
            if isinstance(v, (int, float)):
                return v != 0
            t = str(v).strip().lower()
            if t in ("1", "true", "yes", "on"):
                return True
            if t in ("0", "false", "no", "off", ""):
                return False
            raise ValueError("not a boolean: %r" % v)

        unknown = set(params) - {"delay_ms", "status", "drop", "reset"}
        if unknown:
            raise ValueError("unknown control(s): %s" % ", ".join(sorted(unknown)))
        with self.lock:
            delay, status, drop = self.delay_ms, self.status, self.drop
            if as_bool(params.get("reset", False)):
                delay, status, drop = 0, 0, False
            if "delay_ms" in params:
                delay = int(params["delay_ms"])
                if not 0 <= delay <= 600_000:
                    raise ValueError("delay_ms must be 0..600000")
            if "status" in params:
                status = int(params["status"])
                if status != 0 and not 200 <= status <= 599:
                    raise ValueError("status must be 0 or 200..599")
            if "drop" in params:
                drop = as_bool(params["drop"])
            self.delay_ms, self.status, self.drop = delay, status, drop


STATS = Stats()
CONTROL = Control()
LIVE = set()  # sockets of connections being served, closed at shutdown


class BadRequest(Exception):
    pass


class Request:
    def __init__(self, method, target, version, headers, raw_headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers          # [(name, value)] with OWS trimmed
        self.raw_headers = raw_headers  # header lines exactly as received, without CRLF
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path if target.startswith("/") else target
        self.query = parts.query

    def get(self, name, default=None):
        lname = name.lower()
        for n, v in self.headers:
            if n.lower() == lname:
                return v
        return default

    def get_all(self, name):
        lname = name.lower()
        return [v for n, v in self.headers if n.lower() == lname]

    def tokens(self, name):
        out = []
        for v in self.get_all(name):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def qs(self, key, default):
        vals = urllib.parse.parse_qs(self.query).get(key)
        if not vals:
            return default
        try:
            return int(vals[0])
        except ValueError:
            return default


class BodyReader:
    """Reads a request body incrementally (Content-Length or chunked)."""

    def __init__(self, rfile, req):
        self.rfile = rfile
        self.done = False
        self.chunked = False
        self.remaining = 0
        self.chunk_left = 0
        self.total = 0
        te = req.tokens("Transfer-Encoding")
        if te:
            if te[-1] != "chunked":
                raise BadRequest("unsupported transfer-encoding")
            self.chunked = True
        else:
            cl = req.get_all("Content-Length")
            if cl:
                if len(set(v.strip() for v in cl)) != 1 or not cl[0].strip().isdigit():
                    raise BadRequest("bad content-length")
                self.remaining = int(cl[0].strip())
            self.done = self.remaining == 0

    def read(self, n=65536):
        """Returns up to n bytes, b"" at the end of the body."""
        if self.done:
            return b""
        if not self.chunked:
            data = self.rfile.read1(min(n, self.remaining)) if hasattr(self.rfile, "read1") \
                else self.rfile.read(min(n, self.remaining))
            if not data:
                raise ConnectionError("eof in body")
            self.remaining -= len(data)
            self.total += len(data)
            if self.remaining == 0:
                self.done = True
            return data
        if self.chunk_left == 0:
            line = self.rfile.readline(MAX_LINE)
            if not line.endswith(b"\n"):
                raise ConnectionError("eof in chunk size")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadRequest("bad chunk size")
            if size == 0:
                while True:  # trailer section
                    t = self.rfile.readline(MAX_LINE)
                    if not t:
                        raise ConnectionError("eof in trailers")
                    if t in (b"\r\n", b"\n"):
                        break
                self.done = True
                return b""
            self.chunk_left = size
        data = self.rfile.read1(min(n, self.chunk_left))
        if not data:
            raise ConnectionError("eof in chunk")
        self.chunk_left -= len(data)
        self.total += len(data)
        if self.chunk_left == 0:
            crlf = self.rfile.readline(MAX_LINE)
            if crlf not in (b"\r\n", b"\n"):
                raise BadRequest("missing CRLF after chunk")
        return data

    def drain(self, sha=None):
        while True:
            data = self.read(1 << 20)
            if not data:
                return self.total
            if sha is not None:
                sha.update(data)


class Handler(socketserver.StreamRequestHandler):
    rbufsize = 1 << 16
    wbufsize = 0
    disable_nagle_algorithm = True
    timeout = 300  # a stuck peer never pins a thread forever

    def setup(self):
        super().setup()
        with STATS.lock:
            STATS.connections += 1
            STATS.open_connections += 1
            self.conn_id = STATS.connections
            LIVE.add(self.connection)
        self.conn_requests = 0

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            with STATS.lock:
                STATS.open_connections -= 1
                LIVE.discard(self.connection)

    # ---- wire helpers -------------------------------------------------------------

    def send_raw(self, data):
        self.connection.sendall(data)

    def send_head(self, status, headers, reason=None):
        reason = reason or REASONS.get(status, "Status")
        lines = ["HTTP/1.1 %d %s" % (status, reason)]
        lines += ["%s: %s" % (n, v) for n, v in headers]
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def respond(self, req, status, body=b"", ctype="text/plain; charset=utf-8", extra=(),
                close=False):
        if isinstance(body, str):
            body = body.encode()
        headers = [("Server", "demo-origin"), ("X-Origin-Name", self.server.name)]
        headers += list(extra)
        no_body = status < 200 or status in (204, 304)
        if not no_body:
            headers.append(("Content-Type", ctype))
            headers.append(("Content-Length", str(len(body))))
        if close:
            headers.append(("Connection", "close"))
            self.close_after = True
        self.send_head(status, headers)
        if body and not no_body and req.method != "HEAD":
            self.send_raw(body)

    def respond_json(self, req, obj, status=200, **kw):
        self.respond(req, status, json.dumps(obj, indent=1) + "\n", "application/json", **kw)

    # ---- request loop -------------------------------------------------------------

    def read_request(self):
        line = self.rfile.readline(MAX_LINE)
        while line in (b"\r\n", b"\n"):  # tolerate blank lines between requests
            line = self.rfile.readline(MAX_LINE)
        if not line:
            return None
        if not line.endswith(b"\n"):
            raise BadRequest("request line too long or truncated")
        parts = line.rstrip(b"\r\n").decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest("bad request line")
        headers, raw = [], []
        while True:
            h = self.rfile.readline(MAX_LINE)
            if not h:
                return None
            if h in (b"\r\n", b"\n"):
                break
            text = h.rstrip(b"\r\n").decode("latin-1")
            raw.append(text)
            if text[:1] in (" ", "\t") and headers:  # obs-fold: the origin is lenient
                n, v = headers[-1]
                headers[-1] = (n, v + " " + text.strip(" \t"))
                continue
            name, sep, value = text.partition(":")
            if not sep:
                raise BadRequest("header without colon")
            headers.append((name, value.strip(" \t")))
            if len(headers) > MAX_HEADERS:
                raise BadRequest("too many headers")
        return Request(parts[0], parts[1], parts[2], headers, raw)

    def handle(self):
        try:
            while True:
                self.close_after = False
                try:
                    req = self.read_request()
                except BadRequest as e:
                    r = Request("GET", "/", "HTTP/1.1", [], [])
                    self.respond(r, 400, "bad request: %s\n" % e, close=True)
                    return
                if req is None:
                    return
                self.conn_requests += 1
                internal = req.path.startswith("/__")
                with STATS.lock:
                    if internal:
                        if self.conn_requests == 1:
                            STATS.stats_connections += 1
                    else:
                        STATS.requests += 1
                        STATS.by_method[req.method] += 1
                        if req.path in STATS.by_path or len(STATS.by_path) < 1000:
                            STATS.by_path[req.path] += 1
                        STATS.recent.append("%s %s" % (req.method, req.target))
                try:
                    body = BodyReader(self.rfile, req)
                except BadRequest as e:
                    self.respond(req, 400, "bad request: %s\n" % e, close=True)
                    return
                if not internal:
                    control = CONTROL.snapshot()
                    if control["delay_ms"]:
                        time.sleep(control["delay_ms"] / 1000.0)
                    # a client waiting for 100 Continue gets none: answer (or drop) without
                    # reading its body, and close
                    waiting = "100-continue" in req.tokens("Expect") and not body.done
                    if control["drop"]:
                        if not waiting:
                            body.drain()
                        return  # close without answering
                    if control["status"]:
                        code = control["status"]
                        if waiting:
                            self.respond(req, code, "control status %d\n" % code, close=True)
                            return
                        body.drain()
                        self.respond(req, code, "control status %d\n" % code)
                        conn = req.tokens("Connection")
                        if "close" in conn or (req.version == "HTTP/1.0"
                                               and "keep-alive" not in conn):
                            return
                        continue
                if "100-continue" in req.tokens("Expect") and not body.done:
                    self.send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")
                keep = self.dispatch(req, body)
                if keep is False or self.close_after:
                    return
                body.drain()  # whatever the handler did not read
                conn = req.tokens("Connection")
                if "close" in conn or (req.version == "HTTP/1.0" and "keep-alive" not in conn):
                    return
        except (ConnectionError, socket.timeout, OSError, BadRequest):
            return

    # ---- endpoints ------------------------------------------------------------------

    def dispatch(self, req, body):
        p = req.path
        if p == "/":
            body.drain()
            return self.respond(req, 200, INDEX_HTML.format(name=self.server.name),
                                "text/html; charset=utf-8")
        if p == "/echo":
            return self.ep_echo(req, body)
        if p == "/bytes":
            body.drain()
            return self.ep_bytes(req)
        if p == "/stream":
            body.drain()
            return self.ep_stream(req)
        if p == "/slow":
            body.drain()
            ms = max(0, min(req.qs("ms", 1000), 600_000))
            time.sleep(ms / 1000.0)
            return self.respond_json(req, {"slept_ms": ms, "name": self.server.name})
        if p.startswith("/status/"):
            body.drain()
            return self.ep_status(req)
        if p == "/upload":
            return self.ep_upload(req, body)
        if p == "/cacheable":
            body.drain()
            return self.ep_cacheable(req)
        if p == "/headers":
            body.drain()
            return self.respond_json(req, {"name": self.server.name}, extra=[
                ("X-Powered-By", "demo"),
                ("Set-Cookie", "session=abc123; Path=/; HttpOnly"),
                ("Set-Cookie", "theme=dark; Path=/"),
                ("Cache-Control", "no-store"),
            ])
        if p == "/close":
            body.drain()
            self.respond(req, 200, "closing\n", close=True)
            return False
        if p == "/ws":
            return self.ep_ws(req, body)
        if p == "/health":
            body.drain()
            return self.respond(req, 200, "ok")
        if p == "/__control":
            return self.ep_control(req, body)
        if p == "/__stats":
            body.drain()
            return self.respond_json(req, STATS.snapshot())
        body.drain()
        return self.respond(req, 404, "not found: %s\n" % p)

    def ep_echo(self, req, body):
        sha = hashlib.sha256()
        n = body.drain(sha)
        peer = self.client_address
        self.respond_json(req, {
            "name": self.server.name,
            "method": req.method,
            "target": req.target,
            "path": req.path,
            "query": req.query,
            "version": req.version,
            "headers": [[k, v] for k, v in req.headers],
            "raw_headers": req.raw_headers,
            "body_length": n,
            "body_sha256": sha.hexdigest(),
            "peer": "%s:%d" % (peer[0], peer[1]),
            "conn_id": self.conn_id,
            "conn_request": self.conn_requests,
        })

    def ep_control(self, req, body):
        raw = b""
        while True:
            data = body.read(1 << 16)
            if not data:
                break
            raw += data
            if len(raw) > 65536:
                return self.respond(req, 413, "control body too large\n", close=True)
        if req.method not in ("GET", "POST"):
            return self.respond(req, 405, "use GET or POST\n", extra=[("Allow", "GET, POST")])
        params = {k: v[-1] for k, v in
                  urllib.parse.parse_qs(req.query, keep_blank_values=True).items()}
        try:
            if raw.strip():
                ctype = (req.get("Content-Type") or "").lower()
                if ctype.startswith("application/x-www-form-urlencoded"):
                    form = urllib.parse.parse_qs(raw.decode("latin-1"))
                    params.update({k: v[-1] for k, v in form.items()})
                else:
                    obj = json.loads(raw)
                    if not isinstance(obj, dict):
                        raise ValueError("the body must be a JSON object")
                    params.update(obj)
            CONTROL.update(params)
        except (ValueError, TypeError) as e:
            return self.respond(req, 400, "bad control: %s\n" % e)
        return self.respond_json(req, CONTROL.snapshot())

    def ep_bytes(self, req):
        n = max(0, req.qs("n", 1024))
        self.send_head(200, [("Server", "demo-origin"), ("X-Origin-Name", self.server.name),
                             ("Content-Type", "application/octet-stream"),
                             ("Content-Length", str(n))])
        if req.method == "HEAD":
            return
        view = memoryview(BLOCK)
        left = n
        while left > 0:
            k = min(left, len(BLOCK))
            self.send_raw(view[:k])
            left -= k

    def ep_stream(self, req):
        n = max(0, req.qs("n", 10000))
        chunk = max(1, req.qs("chunk", 1000))
        delay = max(0, req.qs("delay_ms", 0)) / 1000.0
        trailers = req.qs("trailers", 0) == 1
        fields = [("Server", "demo-origin"), ("X-Origin-Name", self.server.name),
                  ("Content-Type", "application/octet-stream"), ("Transfer-Encoding", "chunked")]
        if trailers:
            fields.append(("Trailer", "X-Body-Sha256, Grpc-Status"))
        self.send_head(200, fields)
        if req.method == "HEAD":
            return
        view = memoryview(BLOCK)
        digest = hashlib.sha256()
        left, first = n, True
        while left > 0:
            if not first and delay:
                time.sleep(delay)
            first = False
            k = min(left, chunk, len(BLOCK))
            self.send_raw(b"%x\r\n" % k + bytes(view[:k]) + b"\r\n")
            digest.update(view[:k])
            left -= k
        if trailers:
            self.send_raw(b"0\r\nX-Body-Sha256: %s\r\nGrpc-Status: 0\r\nContent-Length: 5\r\n\r\n"
                          % digest.hexdigest().encode())
        else:
            self.send_raw(b"0\r\n\r\n")

    def ep_status(self, req):
        try:
            code = int(req.path[len("/status/"):])
        except ValueError:
            return self.respond(req, 400, "bad status\n")
        if not 200 <= code <= 599:
            return self.respond(req, 400, "status must be 200..599\n")
        extra = []
        if code in (301, 302, 303, 307, 308):
            extra.append(("Location", "/"))
        return self.respond(req, code, "status %d\n" % code, extra=extra)

    def ep_cacheable(self, req):
        q = urllib.parse.parse_qs(req.query)
        delay = int(q.get("delay_ms", ["0"])[0])
        if delay > 0:
            time.sleep(min(delay, 30000) / 1000.0)
        etag = q.get("etag", [None])[0]
        inm = req.get("If-None-Match")
        not_modified = etag is not None and inm is not None and \
            etag.removeprefix("W/") in [t.strip().removeprefix("W/") for t in inm.split(",")]
        with STATS.lock:
            STATS.cacheable_hits += 1
            n = STATS.cacheable_hits
            if not_modified:
                STATS.cacheable_304 += 1
        extra = [("Cache-Control", q.get("cc", ["public, max-age=60"])[0])]
        for key, header in (("etag", "ETag"), ("vary", "Vary"), ("tag", "Cache-Tag"),
                            ("lm", "Last-Modified"), ("location", "Location")):
            if key in q:
                extra.append((header, q[key][0]))
        if q.get("cookie", ["0"])[0] == "1":
            extra.append(("Set-Cookie", "session=%d; Path=/" % n))
        if not_modified:
            return self.respond(req, 304, extra=extra)
        body = "origin %s, fetch %d\n" % (self.server.name, n)
        size = int(q.get("size", ["0"])[0])
        if size > len(body):
            body = "x" * (size - len(body)) + body
        status = int(q.get("status", ["200"])[0])
        body_delay = int(q.get("body_delay_ms", ["0"])[0])
        if body_delay <= 0 or req.method == "HEAD":
            return self.respond(req, status, body, extra=extra)
        # The head and the first half now, the rest later: a body that arrives slowly.
        data = body.encode()
        self.send_head(status, [("Server", "demo-origin"), ("X-Origin-Name", self.server.name),
                                ("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(data)))] + extra)
        self.send_raw(data[:len(data) // 2])
        time.sleep(min(body_delay, 30000) / 1000.0)
        self.send_raw(data[len(data) // 2:])

    def ep_upload(self, req, body):
        if req.method not in ("POST", "PUT"):
            body.drain()
            return self.respond(req, 405, "use POST or PUT\n", extra=[("Allow", "POST, PUT")])
        sha = hashlib.sha256()
        n = body.drain(sha)
        return self.respond_json(req, {"bytes": n, "sha256": sha.hexdigest(),
                                       "name": self.server.name})

    # ---- WebSocket ------------------------------------------------------------------

    def ep_ws(self, req, body):
        body.drain()
        key = req.get("Sec-WebSocket-Key")
        if "websocket" not in req.tokens("Upgrade") or "upgrade" not in req.tokens("Connection") \
                or not key:
            return self.respond(req, 426, "websocket upgrade required\n",
                                extra=[("Upgrade", "websocket")])
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                             ("Sec-WebSocket-Accept", accept),
                             ("X-Origin-Name", self.server.name)])
        while True:
            frame = self.ws_read_frame()
            if frame is None:
                return False
            fin, opcode, payload = frame
            if opcode == 0x8:  # close: echo it back and end
                self.ws_send(True, 0x8, payload[:125])
                return False
            if opcode == 0x9:  # ping
                self.ws_send(True, 0xA, payload)
            elif opcode == 0xA:
                pass
            else:  # text, binary, continuation: echo unmasked
                self.ws_send(fin, opcode, payload)

    def ws_read_exact(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            return None
        return data

    def ws_read_frame(self):
        h = self.ws_read_exact(2)
        if h is None:
            return None
        fin = bool(h[0] & 0x80)
        opcode = h[0] & 0x0F
        masked = bool(h[1] & 0x80)
        length = h[1] & 0x7F
        if length == 126:
            ext = self.ws_read_exact(2)
            if ext is None:
                return None
            length = int.from_bytes(ext, "big")
        elif length == 127:
            ext = self.ws_read_exact(8)
            if ext is None:
                return None
            length = int.from_bytes(ext, "big")
        if length > 64 << 20:
            return None
        mask = self.ws_read_exact(4) if masked else b"\0\0\0\0"
        if mask is None:
            return None
        payload = self.ws_read_exact(length) if length else b""
        if payload is None:
            return None
        if masked:
            payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        return fin, opcode, payload

    def ws_send(self, fin, opcode, payload):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            head = bytes([b0, n])
        elif n < 65536:
            head = bytes([b0, 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([b0, 127]) + n.to_bytes(8, "big")
        self.send_raw(head + payload)


class OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, addr, name):
        self.name = name
        super().__init__(addr, Handler)

    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


def main():
    ap = argparse.ArgumentParser(description="rampart demo origin server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--name", default="A")
    args = ap.parse_args()

    server = OriginServer((args.host, args.port), args.name)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print("demo origin listening on http://%s:%d" % (host, port), flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        # End the connection threads before the interpreter goes: daemon threads blocked
        # in socket reads during interpreter finalization can crash CPython.
        with STATS.lock:
            live = list(LIVE)
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + 0.5
        for t in threading.enumerate():
            if t is not threading.current_thread() and t.daemon:
                t.join(max(0.0, deadline - time.monotonic()))
        sys.stdout.flush()
        sys.stderr.flush()
    # Skip interpreter finalization (threads that did not end in time are simply dropped).
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
