"""HTTP/2 from real clients (curl, httpx with h2, h2load) over cleartext with prior
knowledge: the same pipeline as HTTP/1.1 (firewall rules, cache, logs, metrics), bodies
both ways, and many streams on one connection."""

import asyncio
import hashlib
import json
import subprocess

import httpx
import pytest

from helpers import LOOPBACK, SLOW, scaled


def curl_h2(r, path, *args, host="main.test", timeout=20):
    out = subprocess.run(
        ["curl", "-sS", "--http2-prior-knowledge", "-o", "-", "-D", "/dev/stderr",
         "-w", "\n%{http_version} %{http_code}", "-H", "Host: " + host, *args,
         "http://%s:%d%s" % (LOOPBACK, r.port, path)],
        capture_output=True, timeout=timeout * SLOW)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    body, _, trailer = out.stdout.rpartition(b"\n")
    version, code = trailer.decode().split()
    head = out.stderr.decode(errors="replace")
    headers = {}
    for line in head.splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return version, int(code), headers, body


def test_curl_prior_knowledge_get(rampart_factory, origin):
    r = rampart_factory([origin])
    version, code, headers, body = curl_h2(r, "/echo?x=1")
    assert (version, code) == ("2", 200)
    seen = json.loads(body)
    # The origin got an ordinary HTTP/1.1 request with the client's authority as Host.
    assert seen["version"] == "HTTP/1.1"
    assert seen["target"] == "/echo?x=1"
    received = dict((k.lower(), v) for k, v in seen["headers"])
    assert received["host"] == "main.test"
    assert received["via"] == "2 rampart"  # the protocol rampart received it with
    assert "x-request-id" in headers
    assert "connection" not in headers and "transfer-encoding" not in headers


def test_request_body_streams_to_origin(rampart_factory, origin, tmp_path):
    r = rampart_factory([origin])
    payload = bytes(range(256)) * 4096 * 3  # 3 MiB: several flow-control windows
    f = tmp_path / "body.bin"
    f.write_bytes(payload)
    version, code, _, body = curl_h2(r, "/echo", "--data-binary", "@" + str(f))
    assert (version, code) == ("2", 200)
    seen = json.loads(body)
    assert seen["body_length"] == len(payload)
    assert seen["body_sha256"] == hashlib.sha256(payload).hexdigest()


def test_large_and_chunked_response_bodies(rampart_factory, origin):
    r = rampart_factory([origin])
    version, code, headers, body = curl_h2(r, "/bytes?n=5000000")
    assert (version, code) == ("2", 200) and len(body) == 5_000_000
    assert headers.get("content-length") == "5000000"
    # A chunked origin body arrives as plain DATA frames.
    version, code, headers, body = curl_h2(r, "/stream?n=300000&chunk=7000")
    assert (version, code) == ("2", 200) and len(body) == 300_000


def test_head_and_no_body_statuses(rampart_factory, origin):
    r = rampart_factory([origin])
    version, code, headers, body = curl_h2(r, "/bytes?n=1000", "-I")
    assert code == 200 and headers.get("content-length") == "1000"
    version, code, _, body = curl_h2(r, "/status/204")
    assert code == 204 and body == b""


def test_httpx_many_concurrent_streams_on_one_connection(rampart_factory, origin):
    r = rampart_factory([origin])
    n = scaled(200, 50)

    # One event loop, not threads: httpcore's sync HTTP/2 connection is not safe to share
    # between threads (its stream bookkeeping races), the async one is.
    async def all_at_once():
        async with httpx.AsyncClient(http1=False, http2=True, base_url=r.url(),
                                     timeout=20 * SLOW, headers={"host": "main.test"}) as client:
            async def one(i):
                resp = await client.get("/echo?i=%d" % i)
                return (i, resp.http_version, resp.status_code,
                        json.loads(resp.content)["query"])

            return await asyncio.gather(*(one(i) for i in range(n)))

    results = asyncio.run(all_at_once())
    assert len(results) == n
    for i, version, status, query in results:
        assert (version, status, query) == ("HTTP/2", 200, "i=%d" % i)
    # One TCP connection carried them all.
    m = r.metrics()
    assert m.value("rampart_http2_connections_total") == 1
    assert m.value("rampart_http2_streams_total") >= n
    assert m.value("rampart_http_requests_total", protocol="HTTP/2") >= n


def test_h2load_all_requests_succeed(rampart_factory, origin):
    r = rampart_factory([origin])
    n = scaled(4000, 500)
    out = subprocess.run(
        ["h2load", "-n", str(n), "-c", "4", "-m", "32", "-H", ":authority: main.test",
         "http://%s:%d/health" % (LOOPBACK, r.port)],
        capture_output=True, text=True, timeout=120 * SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "requests: %d total, %d started, %d done, %d succeeded, 0 failed, 0 errored" % (
        n, n, n, n) in out.stdout, out.stdout
    assert "status codes: %d 2xx" % n in out.stdout, out.stdout


def test_rules_see_the_protocol_and_logs_record_it(rampart_factory, origin):
    r = rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]},
        "firewall": {"rules": [{
            "id": "h2-only-block", "expression": 'http.request.version eq "HTTP/2" and '
            'http.request.uri.path eq "/blocked"', "action": "block"}]},
    }])
    _, code, _, _ = curl_h2(r, "/blocked")
    assert code == 403
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                          "Host: main.test", r.url("/blocked")], capture_output=True, text=True)
    assert out.stdout == "404"  # HTTP/1.1 passes the rule; the origin has no /blocked
    entries = r.wait_log_entries(lambda e: e.get("path") == "/blocked", 2)
    assert sorted(e["protocol"] for e in entries) == ["HTTP/1.1", "HTTP/2"]
    h2 = next(e for e in entries if e["protocol"] == "HTTP/2")
    assert h2["status"] == 403 and "h2-only-block" in h2.get("rules", [])


def test_cache_serves_http2_clients(rampart_factory, origin):
    r = rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]}, "cache": {"enabled": True},
    }])
    path = "/cacheable?cc=max-age%3D60&size=20000"
    _, code, headers, first = curl_h2(r, path)
    assert code == 200 and "fwd=uri-miss" in headers.get("cache-status", "")
    _, code, headers, second = curl_h2(r, path)
    assert code == 200 and headers.get("cache-status", "").startswith("rampart; hit")
    assert first == second and len(second) == 20000


def test_malformed_request_is_refused_without_harming_the_connection(rampart_factory, origin):
    from h2_frames import H2Raw, HEADERS, END_HEADERS, END_STREAM, frame
    r = rampart_factory([origin])
    with H2Raw(r.port) as c:
        c.start()
        # A request with no :path is malformed (RFC 9113 §8.3.1): that stream is refused.
        bad = c.encoder.encode([(":method", "GET"), (":scheme", "http"),
                                (":authority", "main.test")])
        c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, bad))
        c.next_id = 3
        sid, good = c.headers(path="/health")
        c.send(good)
        status, _, body = c.response(sid)
        assert status == 200 and body == b"ok"
