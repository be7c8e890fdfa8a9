"""IP list files as data feeds: a list file that changes on disk reaches `ip.src in $name`
without a reload; a bad or over-limit file is refused and the old entries keep
blocking; a jump in size or entry count beyond max_change is held back (also across a
config reload) until an operator accepts it through the admin API."""

import json
import os
import threading
import time

from helpers import SLOW, RawConn, wait_until

FEED = "list.blocked"


def write_atomic(path, text):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def start(rampart_factory, origin, path, **limits):
    lists = {"blocked": {"file": str(path), **limits}}
    return rampart_factory([origin], trusted_proxies=["127.0.0.1/32"], lists=lists, firewall={
        "rules": [{"id": "blocked", "expression": "ip.src in $blocked", "action": "block"}]})


def allowed(r, ip):
    """True when a request for client `ip` (named through X-Forwarded-For) reached the
    origin, False when the firewall refused it."""
    with RawConn(r.port) as c:
        resp = c.request("GET", "/echo", headers=[("X-Forwarded-For", ip)])
    assert resp.status in (200, 403), resp
    return resp.status == 200


def feed_state(r):
    status, _, body = r.admin_get("/feeds")
    assert status == 200, body
    feeds = {f["name"]: f for f in json.loads(body)["feeds"]}
    return feeds[FEED]


def push(r, path, text, result):
    before = feed_state(r)["version"]
    write_atomic(path, text)
    wait_until(lambda: feed_state(r)["last_result"] == result, 5 * SLOW, what=result)
    state = feed_state(r)
    assert state["version"] == before, state  # the running version keeps serving
    return state


def test_a_changed_list_file_is_matched_under_load_without_a_reload(rampart_factory, origin,
                                                                    tmp_path):
    path = tmp_path / "blocked.txt"
    base = "192.0.2.0/24\n198.51.100.7\n" + "".join("10.9.0.%d\n" % i for i in range(8))
    path.write_text(base)  # ten entries: one more is within max_change
    r = start(rampart_factory, origin, path)
    assert not allowed(r, "192.0.2.9") and allowed(r, "203.0.113.5")

    # Steady load on keep-alive connections while the file changes: every answer is a
    # 200 or a 403, never an error, and the new entry blocks within about two seconds.
    stop = threading.Event()
    statuses, errors = {}, []

    def load():
        deadline = time.monotonic() + 30 * SLOW
        with RawConn(r.port) as c:
            for i in range(100_000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                ip = "203.0.113.5" if i % 2 else "198.51.100.%d" % (i % 200)
                try:
                    resp = c.request("GET", "/echo", headers=[("X-Forwarded-For", ip)])
                except Exception as e:  # noqa: BLE001 - recorded, then failed on below
                    errors.append(repr(e))
                    return
                statuses[resp.status] = statuses.get(resp.status, 0) + 1

    threads = [threading.Thread(target=load, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    write_atomic(path, base + "203.0.113.0/24\n")
    changed = time.monotonic()
    wait_until(lambda: not allowed(r, "203.0.113.5"), 5 * SLOW, what="the new entry blocks")
    took = time.monotonic() - changed
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(10 * SLOW)
    assert not errors, errors
    assert set(statuses) <= {200, 403} and statuses.get(403, 0) > 0, statuses
    assert took < 2.5 * SLOW, took
    assert not allowed(r, "192.0.2.9")  # old entries still there
    state = feed_state(r)
    assert state["entries"] == 11 and state["last_result"] == "applied", state
    assert r.metrics().value("rampart_feed_entries", feed=FEED) == 11


def test_bad_files_are_refused_and_a_jump_is_held_back_until_accepted(rampart_factory, origin,
                                                                     tmp_path):
    path = tmp_path / "blocked.txt"
    base = ["192.0.2.0/24", "198.51.100.7", "198.51.100.8", "198.51.100.9"]
    path.write_text("\n".join(base) + "\n")
    r = start(rampart_factory, origin, path, max_entries=100, max_bytes=2000)
    assert not allowed(r, "192.0.2.9") and allowed(r, "203.0.113.5")
    good = feed_state(r)
    assert good["entries"] == 4 and good["held_back"] is None

    def still_blocking():
        assert not allowed(r, "192.0.2.9") and not allowed(r, "198.51.100.7")
        assert allowed(r, "203.0.113.5")

    assert "line 2" in push(r, path, "192.0.2.0/24\nnot-an-ip\n203.0.113.5\n",
                            "malformed")["last_reason"]
    still_blocking()
    oversize = "\n".join(["10.0.%d.%d" % (i // 250, i % 250) for i in range(300)]) + "\n"
    assert len(oversize) > 2000
    assert "over the limit" in push(r, path, oversize, "too_big")["last_reason"]
    still_blocking()
    many = "\n".join(["10.1.%d.0/24" % i for i in range(150)]) + "\n"
    assert len(many) < 2000
    push(r, path, many, "too_many_entries")
    still_blocking()

    # Ten times the entries, within every cap: held back, alarmed, not applied.
    jump = base + ["203.0.113.5"] + ["10.2.%d.0/24" % i for i in range(35)]
    held = push(r, path, "\n".join(jump) + "\n", "held_back")
    assert held["held_back"]["entries"] == 40, held
    still_blocking()
    metrics = r.metrics()
    assert metrics.value("rampart_feed_held_back", feed=FEED) == 1
    for result in ("malformed", "too_big", "too_many_entries", "held_back"):
        assert metrics.value("rampart_feed_updates_total", feed=FEED, result=result) >= 1, result
    assert "held_back" in r.logs()

    # A config reload does not accept the jump behind the operator's back.
    status, _, body = r.reload()
    assert status == 200, body
    assert feed_state(r)["held_back"] is not None
    still_blocking()

    assert r.admin_post("/feeds/%s/accept" % FEED, token=None)[0] == 401
    status, _, body = r.admin_post("/feeds/%s/accept" % FEED)
    assert status == 200, body
    assert json.loads(body)["entries"] == 40
    assert not allowed(r, "203.0.113.5") and not allowed(r, "10.2.7.1")
    assert not allowed(r, "192.0.2.9")
    assert r.admin_post("/feeds/%s/accept" % FEED)[0] == 409
    assert r.metrics().value("rampart_feed_held_back", feed=FEED) == 0

