"""Config reload through the admin API and SIGHUP: atomic, validated, never losing requests."""

import copy
import json
import re
import signal
import threading
import time

import pytest

from helpers import SLOW, TOKEN, RawConn, scaled, wait_until


def with_header(cfg, value, version):
    """A copy of cfg whose default site sets X-Cfg: value on responses."""
    new = copy.deepcopy(cfg)
    new["version"] = version
    new["sites"][0]["response_headers"] = [{"set": {"name": "X-Cfg", "value": value}}]
    return new


@pytest.fixture
def v1(origin, rampart_factory):
    r = rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]},
        "response_headers": [{"set": {"name": "X-Cfg", "value": "one"}}],
    }])
    return r


def x_cfg(r, path="/echo"):
    with RawConn(r.port) as c:
        resp = c.request("GET", path)
    assert resp.status == 200, resp
    return resp.get_all("X-Cfg")


def error_re(path):
    return re.compile(r"^%s:\d+:\d+: error: \S.*$" % re.escape(str(path)))


def test_reload_applies_new_config(v1):
    assert x_cfg(v1) == ["one"]
    assert v1.status()["config_version"] == "test-1"
    m0 = v1.metrics()
    v1.write_config(with_header(v1.config, "two", "test-2"))
    status, headers, body = v1.reload()
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"ok": True, "config_version": "test-2"}
    assert x_cfg(v1) == ["two"]
    assert v1.status()["config_version"] == "test-2"
    m1 = v1.metrics()
    assert m1.value("rampart_config_reloads_total") == m0.value("rampart_config_reloads_total") + 1
    assert m1.value("rampart_config_reload_failures_total") == 0
    assert m1.find("rampart_config_version_info", version="test-2") == [({"version": "test-2"}, 1)]
    assert all(v == 0 for _, v in m1.find("rampart_config_version_info", version="test-1"))


def test_reload_changes_routing(v1, origin_factory):
    b = origin_factory("B")
    new = copy.deepcopy(v1.config)
    new["version"] = "test-2"
    new["sites"].append({"name": "b", "hosts": ["b.test"],
                         "origin": {"endpoints": [b.endpoint]}})
    v1.write_config(new)
    status, _, body = v1.reload()
    assert status == 200, body
    with RawConn(v1.port) as c:
        assert c.request("GET", "/echo", host="b.test").json()["name"] == "B"
        assert c.request("GET", "/echo", host="main.test").json()["name"] == "A"


def test_invalid_reload_rejected_and_old_config_kept(v1):
    bad = with_header(v1.config, "two", "test-2")
    bad["admin"]["token"] = "short"                    # < 16 characters
    bad["timeouts"]["header_read"] = "soon"            # not a duration
    v1.config_path.write_text(_dump_with_known_lines(bad))
    status, headers, body = v1.reload()
    assert status == 400, body
    j = json.loads(body)
    assert j["ok"] is False
    assert isinstance(j["errors"], list) and len(j["errors"]) >= 2, j
    pat = error_re(v1.config_path)
    for e in j["errors"]:
        assert pat.match(e), e
    text = "\n".join(j["errors"])
    assert ":%d:" % _line_of(v1.config_path, "token:") in text
    assert ":%d:" % _line_of(v1.config_path, "header_read:") in text
    # the running config is untouched
    assert x_cfg(v1) == ["one"]
    assert v1.status()["config_version"] == "test-1"
    m = v1.metrics()
    assert m.value("rampart_config_reload_failures_total") == 1
    assert m.find("rampart_config_version_info", version="test-1") == [({"version": "test-1"}, 1)]
    # the old token still works for the next (valid) reload
    v1.write_config(with_header(v1.config, "three", "test-3"))
    status, _, body = v1.reload()
    assert status == 200 and json.loads(body)["config_version"] == "test-3"
    assert x_cfg(v1) == ["three"]


def test_reload_with_yaml_syntax_error(v1):
    v1.config_path.write_text("version: broken\nsites:\n  - name: [unclosed\n")
    status, _, body = v1.reload()
    assert status == 400
    j = json.loads(body)
    assert j["ok"] is False and j["errors"]
    assert error_re(v1.config_path).match(j["errors"][0]), j["errors"]
    assert x_cfg(v1) == ["one"]


def test_reload_with_missing_file(v1):
    v1.config_path.unlink()
    status, _, body = v1.reload()
    assert status == 400
    assert json.loads(body)["ok"] is False
    assert x_cfg(v1) == ["one"]


def test_reload_requires_token(v1):
    v1.write_config(with_header(v1.config, "two", "test-2"))
    status, _, body = v1.reload(token=None)
    assert status == 401, body
    status, _, body = v1.reload(token="not-the-right-token-at-all")
    assert status == 403, body
    status, _, body = v1.reload(token=TOKEN + "x")
    assert status == 403, body
    status, _, body = v1.reload(token=TOKEN[:-1])
    assert status == 403, body
    assert x_cfg(v1) == ["one"]
    assert v1.status()["config_version"] == "test-1"


def test_sighup_reloads(v1):
    v1.write_config(with_header(v1.config, "two", "test-2"))
    v1.signal(signal.SIGHUP)
    wait_until(lambda: v1.status()["config_version"] == "test-2", 5 * SLOW,
               what="config_version test-2 after SIGHUP")
    assert x_cfg(v1) == ["two"]
    assert v1.proc.poll() is None


def test_sighup_with_invalid_file_keeps_running(v1):
    v1.config_path.write_text("version: [\n")
    v1.signal(signal.SIGHUP)
    wait_until(lambda: v1.metrics().value("rampart_config_reload_failures_total") == 1,
               5 * SLOW, what="reload failure counted")
    assert v1.proc.poll() is None
    assert x_cfg(v1) == ["one"]
    assert v1.status()["config_version"] == "test-1"


def test_in_flight_request_finishes_on_its_snapshot(v1):
    result = {}

    def slow():
        with RawConn(v1.port, timeout=10 * SLOW) as c:
            result["resp"] = c.request("GET", "/slow?ms=1500")

    # a keep-alive connection opened before the reload
    early = RawConn(v1.port)
    try:
        assert early.request("GET", "/echo").get_all("X-Cfg") == ["one"]
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.3)
        v1.write_config(with_header(v1.config, "two", "test-2"))
        status, _, body = v1.reload()
        assert status == 200, body
        assert x_cfg(v1) == ["two"]
        t.join(10 * SLOW)
        resp = result["resp"]
        assert resp.status == 200
        assert resp.get_all("X-Cfg") == ["one"], "in-flight request saw the new config"
        # a new request on the old connection uses the new snapshot
        assert early.request("GET", "/echo").get_all("X-Cfg") == ["two"]
    finally:
        early.close()


def test_reload_under_load_loses_no_requests(v1):
    duration = 3.0
    stop = threading.Event()
    lock = threading.Lock()
    counts = {"ok": 0, "one": 0, "two": 0}
    errors = []

    def hammer(k):
        conn = None
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if conn is None:
                    conn = RawConn(v1.port, timeout=10 * SLOW)
                fresh = i % 5 == 0  # every 5th request on a brand-new connection
                headers = [("Connection", "close")] if fresh else []
                resp = conn.request("GET", "/echo?k=%d&i=%d" % (k, i), headers=headers)
                if resp.status != 200 or resp.json()["target"] != "/echo?k=%d&i=%d" % (k, i):
                    errors.append("status %d on %d/%d" % (resp.status, k, i))
                vals = resp.get_all("X-Cfg")
                with lock:
                    counts["ok"] += 1
                    if vals in (["one"], ["two"]):
                        counts[vals[0]] += 1
                    else:
                        errors.append("X-Cfg %r" % vals)
                if fresh or "close" in resp.tokens("Connection"):
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001
                errors.append("%d/%d: %r" % (k, i, e))
                if conn:
                    conn.close()
                conn = None
        if conn:
            conn.close()

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    reload_results = []
    try:
        t0 = time.monotonic()
        for n in range(10):
            value = "two" if n % 2 == 0 else "one"
            v1.write_config(with_header(v1.config, value, "load-%d" % n))
            status, _, body = v1.reload()
            reload_results.append((status, body))
            time.sleep(max(0.0, (duration / 10) * (n + 1) - (time.monotonic() - t0)))
    finally:
        stop.set()
        for t in threads:
            t.join(15 * SLOW)
    assert all(s == 200 and json.loads(b)["ok"] for s, b in reload_results), reload_results
    assert not errors, "%d failures, first: %s" % (len(errors), errors[:5])
    assert counts["ok"] >= scaled(200, 40), counts
    assert counts["one"] > 0 and counts["two"] > 0, counts
    assert v1.status()["config_version"] == "load-9"


def test_error_pages_and_access_log_carry_current_version(rampart_factory):
    r = rampart_factory([])  # origin down: every request is a 502 error page

    def error_version():
        with RawConn(r.port) as c:
            resp = c.request("GET", "/x", headers=[("Accept", "application/json")])
        assert resp.status == 502
        return resp.get("X-Request-Id"), resp.json()["config_version"]

    rid1, ver1 = error_version()
    assert ver1 == "test-1"
    new = copy.deepcopy(r.config)
    new["version"] = "test-2"
    r.write_config(new)
    assert r.reload()[0] == 200
    rid2, ver2 = error_version()
    assert ver2 == "test-2"
    e1 = r.wait_log(lambda e: e.get("request_id") == rid1)
    e2 = r.wait_log(lambda e: e.get("request_id") == rid2)
    assert e1["config_version"] == "test-1" and e1["status"] == 502
    assert e2["config_version"] == "test-2" and e2["status"] == 502


def test_version_derived_from_content_when_omitted(v1):
    cfg = copy.deepcopy(v1.config)
    del cfg["version"]
    v1.write_config(cfg)
    s, _, body = v1.reload()
    assert s == 200
    derived = json.loads(body)["config_version"]
    assert derived and derived != "test-1"
    s, _, body = v1.reload()  # same content -> same version
    assert json.loads(body)["config_version"] == derived
    cfg["sites"][0]["response_headers"] = [{"set": {"name": "X-Cfg", "value": "changed"}}]
    v1.write_config(cfg)
    s, _, body = v1.reload()
    assert s == 200 and json.loads(body)["config_version"] not in (derived, "test-1")


# helpers to locate keys in the written YAML --------------------------------------------

def _dump_with_known_lines(cfg):
    from helpers import dump_yaml
    return dump_yaml(cfg)


def _line_of(path, needle):
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip().startswith(needle):
            return i
    raise AssertionError("%s not in %s" % (needle, path))
