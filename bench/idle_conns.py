#!/usr/bin/python3
"""Open N idle HTTP/1.1 keep-alive connections to a proxy and hold them.

Each connection sends one complete GET and reads the full response, so the proxy has
served it and holds it as a real keep-alive connection; then it stays idle.

When every connection is set up, a JSON summary is written (atomically) to
--ready-file. The script then holds the connections until SIGTERM/SIGINT or
--hold-seconds, checks how many are still open (a peer close reads as EOF), writes
that to --result-file, and closes them all.

Loopback only: the host must be 127.0.0.1 or ::1.
"""

import argparse
import errno
import json
import os
import resource
import select
import signal
import socket
import sys
import time

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
        f.write("\n")
    os.replace(tmp, path)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def read_response(sock, deadline):
    """Reads one HTTP/1.1 response. Returns (status, keep_alive)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("peer closed before response head")
        buf += chunk
        if len(buf) > 1 << 20:
            raise ValueError("response head too large")
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError("bad status line: %r" % lines[0][:80])
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    keep_alive = b"close" not in headers.get(b"connection", b"")
    if parts[0] == b"HTTP/1.0" and b"keep-alive" not in headers.get(b"connection", b""):
        keep_alive = False
    if b"content-length" in headers:
        need = int(headers[b"content-length"])
        while len(body) < need:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("peer closed inside body")
            body += chunk
    elif b"chunked" in headers.get(b"transfer-encoding", b""):
        while not body.endswith(b"0\r\n\r\n"):
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("peer closed inside chunked body")
            body += chunk
    elif status not in (204, 304) and status >= 200:
        keep_alive = False  # body delimited by close: not a keep-alive response
    return status, keep_alive


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=10.0, help="per batch, seconds")
    ap.add_argument("--hold-seconds", type=float, default=300.0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--result-file", required=True)
    args = ap.parse_args()

    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("idle_conns: loopback only")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    limit = raise_nofile(args.count + 64)
    if limit < args.count + 16:
        sys.exit("idle_conns: RLIMIT_NOFILE %d is too low for %d connections" % (limit, args.count))

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    request = ("GET / HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: rampart-bench-idle\r\n"
               "Accept: */*\r\n\r\n" % (args.host, args.port)).encode()

    held = []
    errors = {}
    statuses = {}
    not_keepalive = 0
    t0 = time.monotonic()

    def err(kind):
        errors[kind] = errors.get(kind, 0) + 1

    remaining = args.count
    while remaining > 0 and not stop:
        n = min(args.batch, remaining)
        remaining -= n
        deadline = time.monotonic() + args.timeout
        batch = []
        for _ in range(n):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(args.timeout)
            try:
                s.connect((args.host, args.port))
                s.sendall(request)
                batch.append(s)
            except OSError as e:
                err("connect/send: " + (errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__))
                s.close()
        for s in batch:
            try:
                status, ka = read_response(s, deadline)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if not ka:
                    not_keepalive += 1
                    s.close()
                    continue
                held.append(s)
            except (OSError, ValueError) as e:
                err("read: " + type(e).__name__)
                s.close()

    setup_seconds = time.monotonic() - t0
    write_json(args.ready_file, {
        "requested": args.count,
        "held": len(held),
        "statuses": statuses,
        "not_keepalive": not_keepalive,
        "errors": errors,
        "setup_seconds": round(setup_seconds, 3),
    })

    end = time.monotonic() + args.hold_seconds
    while not stop and time.monotonic() < end:
        time.sleep(0.1)

    # Which connections did the peer close while we held them?
    closed_by_peer = 0
    unexpected_data = 0
    poller = select.poll()  # select() cannot take fds above FD_SETSIZE (1024)
    by_fd = {}
    for s in held:
        s.setblocking(False)
        by_fd[s.fileno()] = s
        poller.register(s, select.POLLIN | select.POLLERR | select.POLLHUP)
    for fd, _ in poller.poll(0):
        try:
            data = by_fd[fd].recv(4096)
        except OSError:
            closed_by_peer += 1
            continue
        if data:
            unexpected_data += 1
        else:
            closed_by_peer += 1
    write_json(args.result_file, {
        "held": len(held),
        "still_open": len(held) - closed_by_peer,
        "closed_by_peer": closed_by_peer,
        "unexpected_data": unexpected_data,
    })
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
