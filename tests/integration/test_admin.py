"""Admin API (/status, /metrics) and the access log."""

import json
import re
import socket
import time

import pytest

from helpers import LOOPBACK, SLOW, RawConn, wait_until

ACCESS_LOG_KEYS = {"time", "request_id", "client_ip", "host", "method", "path", "status",
                   "bytes_in", "bytes_out", "upstream", "upstream_ms", "total_ms",
                   "config_version", "site", "verdicts"}


def test_status(rampart):
    s, headers, body = rampart.admin_get("/status")
    assert s == 200
    assert headers["Content-Type"].startswith("application/json")
    j = json.loads(body)
    assert j["config_version"] == "test-1"
    assert j["workers"] == 2
    assert isinstance(j["uptime_seconds"], (int, float)) and 0 <= j["uptime_seconds"] < 60
    time.sleep(1.1)
    assert rampart.status()["uptime_seconds"] >= j["uptime_seconds"] + 1


def test_admin_unknown_path_404(rampart):
    s, _, _ = rampart.admin_get("/no-such-endpoint")
    assert s == 404


def test_reload_endpoint_rejects_get(rampart):
    s, _, _ = rampart.admin_get("/config/reload")
    assert s in (404, 405)


def test_metrics_count_requests_by_site_and_class(rampart):
    with RawConn(rampart.port) as c:
        for _ in range(7):
            assert c.request("GET", "/echo").status == 200
        for _ in range(3):
            assert c.request("GET", "/status/404").status == 404
        assert c.request("GET", "/status/503").status == 503
    def counted():
        m = rampart.metrics()
        return m if m.value("rampart_requests_total", site="main") >= 11 else None
    m = wait_until(counted, 3 * SLOW, what="requests counted in /metrics")
    assert m.find("rampart_requests_total", site="main", code_class="2xx")[0][1] == 7
    assert m.find("rampart_requests_total", site="main", code_class="4xx")[0][1] == 3
    assert m.find("rampart_requests_total", site="main", code_class="5xx")[0][1] == 1
    assert m.value("rampart_requests_total") == 11
    # the latency histogram saw them too
    buckets = m.find("rampart_request_duration_seconds_bucket")
    assert buckets, "no rampart_request_duration_seconds_bucket samples"
    assert all("le" in lb for lb, _ in buckets)
    inf = [v for lb, v in buckets if lb["le"] == "+Inf"]
    assert sum(inf) == 11
    assert m.value("rampart_request_duration_seconds_count") == 11
    assert "# TYPE rampart_requests_total counter" in m.text
    assert "# TYPE rampart_request_duration_seconds histogram" in m.text


def test_metrics_content_type_and_required_families(rampart):
    s, headers, body = rampart.admin_get("/metrics")
    assert s == 200
    assert headers["Content-Type"].startswith("text/plain")
    m = rampart.metrics()
    for name in ("rampart_upstream_connects_total", "rampart_upstream_reuses_total",
                 "rampart_active_connections", "rampart_config_reloads_total",
                 "rampart_config_reload_failures_total"):
        assert m.has(name), "%s missing from /metrics" % name
    assert m.find("rampart_config_version_info", version="test-1") == [({"version": "test-1"}, 1)]
    assert m.value("rampart_config_reloads_total") == 0
    assert m.value("rampart_config_reload_failures_total") == 0


def test_metrics_upstream_connects_and_reuses(rampart, origin):
    before = rampart.metrics()
    n = 10
    with RawConn(rampart.port) as c:
        for _ in range(n):
            assert c.request("GET", "/echo").status == 200
    after = rampart.metrics()
    connects = after.value("rampart_upstream_connects_total") - \
        before.value("rampart_upstream_connects_total")
    reuses = after.value("rampart_upstream_reuses_total") - \
        before.value("rampart_upstream_reuses_total")
    assert connects == origin.stats()["origin_connections"]
    assert connects + reuses == n
    assert reuses >= n - 2


def test_metrics_active_connections(rampart):
    conns = [RawConn(rampart.port) for _ in range(3)]
    try:
        for c in conns:
            assert c.request("GET", "/echo").status == 200
        m = rampart.metrics()
        assert 3 <= m.value("rampart_active_connections") <= 4
    finally:
        for c in conns:
            c.close()
    wait_until(lambda: rampart.metrics().value("rampart_active_connections") <= 1, 3 * SLOW,
               what="active connections to drop after close")


def test_admin_disabled(origin, rampart_factory):
    r = rampart_factory([origin], admin={"enabled": False})
    with RawConn(r.port) as c:
        assert c.request("GET", "/echo").status == 200
    with pytest.raises(OSError):
        socket.create_connection((LOOPBACK, r.admin_port), timeout=1).close()


# ---------------------------------------------------------------------------------------
# Access log
# ---------------------------------------------------------------------------------------

def test_access_log_line_for_proxied_request(rampart, origin):
    with RawConn(rampart.port) as c:
        resp = c.request("POST", "/echo?q=1", host="main.test", body=b"x" * 1234)
    assert resp.status == 200
    rid = resp.get("X-Request-Id")
    e = rampart.wait_log(lambda e: e.get("request_id") == rid)
    assert ACCESS_LOG_KEYS <= set(e), ACCESS_LOG_KEYS - set(e)
    assert e["client_ip"] == "127.0.0.1"
    assert e["host"] == "main.test"
    assert e["method"] == "POST"
    assert e["path"] == "/echo"
    assert e["status"] == 200
    assert e["site"] == "main"
    assert e["config_version"] == "test-1"
    assert e["upstream"] == origin.endpoint
    assert isinstance(e["bytes_in"], int) and e["bytes_in"] >= 1234
    assert isinstance(e["bytes_out"], int) and e["bytes_out"] >= len(resp.body)
    assert isinstance(e["upstream_ms"], (int, float)) and e["upstream_ms"] >= 0
    assert isinstance(e["total_ms"], (int, float)) and e["total_ms"] >= e["upstream_ms"]
    assert isinstance(e["time"], str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", e["time"])


def test_access_log_one_json_object_per_line(rampart):
    rids = []
    with RawConn(rampart.port) as c:
        for i in range(5):
            rids.append(c.request("GET", "/echo?i=%d" % i).get("X-Request-Id"))
        rids.append(c.request("GET", "/status/404").get("X-Request-Id"))
    rampart.wait_log(lambda e: e.get("request_id") == rids[-1])
    raw_lines = [l for l in rampart.access_log_path.read_text().splitlines() if l.strip()]
    entries = [json.loads(l) for l in raw_lines]  # every line parses on its own
    by_id = {e["request_id"]: e for e in entries}
    assert set(rids) <= set(by_id)
    assert by_id[rids[-1]]["status"] == 404
    assert all(by_id[r]["path"] == "/echo" for r in rids[:5])


def test_access_log_for_redirect_and_error(origin, rampart_factory):
    r = rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]},
        "redirects": [{"from": "/old", "to": "/new", "status": 301}],
    }])
    with RawConn(r.port) as c:
        resp = c.request("GET", "/old")
        assert resp.status == 301
    e = r.wait_log(lambda e: e.get("request_id") == resp.get("X-Request-Id"))
    assert e["status"] == 301 and e["path"] == "/old" and e["site"] == "main"
    # no upstream was involved
    assert e["upstream"] in (None, "", "-")


def test_access_log_for_rejected_request(rampart):
    with RawConn(rampart.port) as c:
        c.send(b"GET /echo HTTP/1.1\r\nHost: main.test\r\nContent-Length: 1\r\n"
               b"Content-Length: 2\r\n\r\n")
        resp = c.read_response()
    assert resp.status == 400
    rid = resp.get("X-Request-Id")
    # a production edge logs refused requests too (there may be no request id if the head
    # never parsed; then any 400 line will do)
    e = rampart.wait_log(lambda e: e.get("status") == 400 and
                         (rid is None or e.get("request_id") == rid))
    assert e["client_ip"] == "127.0.0.1"
    assert e["config_version"] == "test-1"


def test_metrics_count_rampart_generated_errors(rampart_factory):
    r = rampart_factory([])  # origin down
    with RawConn(r.port) as c:
        for _ in range(2):
            assert c.request("GET", "/x").status == 502
    m = wait_until(lambda: (lambda m: m if m.value("rampart_requests_total") >= 2 else None)(
        r.metrics()), 3 * SLOW, what="502s counted")
    assert m.find("rampart_requests_total", site="main", code_class="5xx")[0][1] == 2


def test_access_log_to_stdout(origin, rampart_factory):
    r = rampart_factory([origin], access_log={"path": "stdout"})
    with RawConn(r.port) as c:
        rid = c.request("GET", "/echo?stdout").get("X-Request-Id")

    def logged():
        for line in r.stdout_path.read_text(errors="replace").splitlines():
            line = line.strip()
            if line.startswith("{") and rid in line:
                return json.loads(line)
        return None
    e = wait_until(logged, 5 * SLOW, what="access log line on stdout")
    assert e["request_id"] == rid and e["path"] == "/echo" and e["status"] == 200


def test_access_log_off(origin, rampart_factory):
    r = rampart_factory([origin], access_log={"path": "off"})
    with RawConn(r.port) as c:
        rid = c.request("GET", "/echo").get("X-Request-Id")
    time.sleep(0.5 * SLOW)
    out = r.stdout_path.read_text(errors="replace") + r.stderr_path.read_text(errors="replace")
    assert rid not in out


def test_access_log_and_metrics_exact_under_concurrency(rampart):
    # Two workers write one file: every request gets exactly one intact JSON line, and the
    # per-worker metrics add up to exactly the number of requests.
    import threading
    from helpers import scaled
    threads_n, per = scaled(8, 4), scaled(50, 15)
    errors, rids = [], []
    lock = threading.Lock()

    def client(k):
        try:
            with RawConn(rampart.port) as c:
                for i in range(per):
                    resp = c.request("GET", "/echo?k=%d&i=%d" % (k, i))
                    assert resp.status == 200
                    with lock:
                        rids.append(resp.get("X-Request-Id"))
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [threading.Thread(target=client, args=(k,)) for k in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60 * SLOW)
    assert not errors, errors[:3]
    total = threads_n * per
    assert len(rids) == total and len(set(rids)) == total

    def all_logged():
        lines = [l for l in rampart.access_log_path.read_text().splitlines() if l.strip()]
        return lines if len(lines) >= total else None
    lines = wait_until(all_logged, 5 * SLOW, what="%d access log lines" % total)
    entries = [json.loads(l) for l in lines]  # no torn or interleaved lines
    assert len(entries) == total
    assert sorted(e["request_id"] for e in entries) == sorted(rids)
    m = rampart.metrics()
    assert m.find("rampart_requests_total", site="main", code_class="2xx")[0][1] == total
    assert m.value("rampart_request_duration_seconds_count") == total
