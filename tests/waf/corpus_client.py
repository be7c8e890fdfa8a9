"""Sends the WAF corpus's requests to a proxy, byte for byte as written, and reads the answers.

Shared by run_modsecurity.py and run_rampart.py so that both sides of the differential test
receive exactly the same bytes. Every request goes out on its own loopback connection, built
by hand (no http.client): odd requests -- bad methods, duplicated headers, raw bytes, invalid
percent-encoding -- must reach the proxy as the corpus spells them.

Corpus entry (one JSON object per line of tests/waf/corpus/*.jsonl):
  id             unique string, e.g. "sqli-0042"
  category       e.g. "sqli", "benign"
  method         request method, sent as is
  path           request target with its query string, sent as is (UTF-8)
  headers        list of [name, value] pairs in order, sent as is (UTF-8); Host included
  body           request body as text (UTF-8), or
  body_b64       the body as base64 when it is binary
  expected_kind  "attack" or "benign"
  version        optional request-line version, default "HTTP/1.1" (e.g. "HTTP/1.0" to send
                 a request without Host that nginx still accepts)
  point          optional: where the payload sits (query, form, json, multipart, cookie,
                 header, path, raw)
  note           optional free text

Added by the client: `X-Waf-Corpus-Id: <id>` (the reference maps audit-log entries back to
requests with it; the candidate receives it too, so both see the same request), and
`Content-Length` when the body is not empty and the entry names neither Content-Length nor
Transfer-Encoding.
"""

import base64
import concurrent.futures
import json
import socket
import time

CORPUS_ID_HEADER = "X-Waf-Corpus-Id"


def load_corpus(path, categories=None, limit_per_category=None):
    """The entries of a .jsonl corpus file, optionally only some categories and at most
    limit_per_category of each (the first ones, in file order)."""
    out, seen = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            e = json.loads(line)
            cat = e["category"]
            if categories and cat not in categories:
                continue
            if limit_per_category is not None:
                if seen.get(cat, 0) >= limit_per_category:
                    continue
                seen[cat] = seen.get(cat, 0) + 1
            out.append(e)
    return out


def body_bytes(entry):
    if "body_b64" in entry:
        return base64.b64decode(entry["body_b64"])
    return entry.get("body", "").encode("utf-8")


def build_request(entry):
    """The exact bytes sent for a corpus entry."""
    body = body_bytes(entry)
    names = {n.lower() for n, _ in entry["headers"]}
    lines = ["%s %s %s" % (entry["method"], entry["path"], entry.get("version", "HTTP/1.1"))]
    lines += ["%s: %s" % (n, v) for n, v in entry["headers"]]
    lines.append("%s: %s" % (CORPUS_ID_HEADER, entry["id"]))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


class Answer:
    def __init__(self, status, headers, body, error=None, elapsed_ms=0.0):
        self.status = status  # 0 when no status line came back
        self.headers = headers  # dict, lower-case names, last value wins
        self.body = body
        self.error = error  # None, or why the answer is incomplete
        self.elapsed_ms = elapsed_ms


def _read_answer(sock, deadline, method):
    buf = b""

    def fill():
        nonlocal buf
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            return False
        buf += chunk
        return True

    while b"\r\n\r\n" not in buf:
        if not fill():
            break
    head, sep, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return Answer(0, {}, b"", error="no status line: %r" % buf[:80])
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if not sep:
        return Answer(status, headers, b"", error="connection closed inside the header")
    buf = rest
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Answer(status, headers, b"")
    if "content-length" in headers and headers["content-length"].isdigit():
        want = int(headers["content-length"])
        while len(buf) < want and fill():
            pass
        return Answer(status, headers, buf[:want])
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while not buf.endswith(b"0\r\n\r\n") and fill():
            pass
        return Answer(status, headers, buf)
    while fill():
        pass
    return Answer(status, headers, buf)


def send(entry, port, host="127.0.0.1", timeout=10.0):
    """Sends one corpus entry on a new connection; returns an Answer (never raises for
    network trouble: the error is in Answer.error)."""
    data = build_request(entry)
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the proxy may answer (400, 413) and close before reading it all
            a = _read_answer(s, deadline, entry["method"])
    except (OSError, TimeoutError) as exc:
        a = Answer(0, {}, b"", error="%s: %s" % (type(exc).__name__, exc))
    a.elapsed_ms = (time.monotonic() - t0) * 1000.0
    return a


def send_all(entries, port, concurrency=4, timeout=10.0, progress=None):
    """Sends every entry (concurrency connections at a time); returns {id: Answer}."""
    out = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        futs = {pool.submit(send, e, port, "127.0.0.1", timeout): e["id"] for e in entries}
        for n, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            out[futs[fut]] = fut.result()
            if progress and n % 500 == 0:
                progress(n, len(entries))
    return out


def result_record(entry, answer, rule_ids, extra=None):
    """One line of a results file, the format compare.py reads."""
    rec = {
        "id": entry["id"],
        "category": entry["category"],
        "expected_kind": entry["expected_kind"],
        "status": answer.status,
        "blocked": answer.status == 403,
        "rule_ids": sorted(set(int(r) for r in rule_ids)),
    }
    if answer.error:
        rec["error"] = answer.error
    if extra:
        rec.update(extra)
    return rec


def write_results(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, sort_keys=True) + "\n")


class Origin:
    """A loopback origin answering 200 with a short body to every request (any method),
    reading and discarding the request body. Runs in threads of this process."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                n = self.headers.get("Content-Length")
                if n and n.isdigit():
                    self.rfile.read(int(n))
                body = b"ok\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def __getattr__(self, name):
                if name.startswith("do_"):
                    return self._answer
                raise AttributeError(name)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout, alive=lambda: True):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
