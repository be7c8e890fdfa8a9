"""The cache when copies go stale or the origin fails, through the real proxy and a real
origin: revalidation with the stored validators, stale-while-revalidate in the
background, stale-if-error and always-online, and request collapsing (a thundering herd
of misses makes one origin request, streamed to every waiter as it arrives).
"""

import asyncio
import time

from helpers import SLOW
from test_cache import cacheable, fetch_number, get


def cached_site(rampart_factory, origin, **cache):
    settings = {"enabled": True}
    settings.update(cache)
    return rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]}, "cache": settings}],
        limits={"max_connections": 3000, "max_connections_per_ip": 3000})


def log_cache_field(r, count):
    """The access log's cache field of the first `count` /cacheable requests."""
    entries = r.wait_log_entries(lambda e: e["path"] == "/cacheable", count)
    return [e.get("cache") for e in entries]


def test_a_stale_copy_is_revalidated_with_its_etag(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=1", etag='"v1"')
    assert fetch_number(get(r, path)) == 1
    time.sleep(2.2)
    again = get(r, path)
    assert again.status == 200
    assert fetch_number(again) == 1  # the stored body, confirmed by a 304
    assert again.get("Cache-Status").startswith("rampart; fwd=stale; fwd-status=304; ttl=")
    assert again.get("ETag") == '"v1"'
    assert origin.stats()["cacheable_304"] == 1
    # The refreshed copy is fresh again: a plain hit, no origin request.
    hit = get(r, path)
    assert hit.get("Cache-Status").startswith("rampart; hit; ttl=")
    assert origin.requests("/cacheable") == 2
    assert log_cache_field(r, 3) == ["miss", "revalidated", "hit"]


def test_a_clients_own_condition_is_answered_from_the_revalidated_copy(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=1", etag='"v1"')
    get(r, path)
    time.sleep(2.2)
    resp = get(r, path, [("If-None-Match", '"v1"')])
    assert resp.status == 304
    assert resp.body == b""
    assert origin.stats()["cacheable_304"] == 1


def test_no_cache_with_a_validator_is_validated_on_every_use(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="no-cache", etag='"n1"')
    first = get(r, path)
    assert "stored" in first.get("Cache-Status")
    validated = 0
    for _ in range(3):
        resp = get(r, path)
        assert fetch_number(resp) == 1
        status = resp.get("Cache-Status")
        # Validated by its own 304, or (on a slow machine) joined to the previous request's
        # validation still finishing: either way never served without asking the origin.
        assert "fwd-status=304" in status or "collapsed" in status, status
        validated += "collapsed" not in status
    assert validated >= 1
    assert origin.stats()["cacheable_304"] == validated


def test_stale_while_revalidate_answers_at_once_and_validates_once(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    # Every origin answer takes 600 ms (more under sanitizers), the validation included.
    # The validation's own delay counts in the refreshed copy's age (RFC 9111 §4.2.3),
    # so the lifetime leaves room for it.
    max_age = int(1 + 2 * SLOW)
    path = cacheable(cc="public, max-age=%d, stale-while-revalidate=30" % max_age, etag='"s1"',
                     delay_ms=int(600 * SLOW))
    get(r, path)
    time.sleep(max_age + 1.2)
    t0 = time.monotonic()
    answers = [get(r, path) for _ in range(5)]
    elapsed = time.monotonic() - t0
    assert elapsed < 0.5 * SLOW, elapsed  # nobody waited for the origin
    for a in answers:
        assert fetch_number(a) == 1
        assert "detail=stale-while-revalidate" in a.get("Cache-Status")
    time.sleep(0.8 * SLOW)
    assert origin.requests("/cacheable") == 2  # the first fetch and one validation
    assert origin.stats()["cacheable_304"] == 1
    fresh = get(r, path)
    assert fresh.get("Cache-Status").startswith("rampart; hit; ttl=")
    assert log_cache_field(r, 7) == ["miss"] + ["stale"] * 5 + ["hit"]


def test_stale_if_error_serves_the_copy_when_the_origin_fails(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=1, stale-if-error=60")
    get(r, path)
    time.sleep(2.2)
    origin.control(status=503)
    served = get(r, path)
    assert served.status == 200 and fetch_number(served) == 1
    assert served.get("Cache-Status").startswith("rampart; fwd=stale; fwd-status=503")
    assert "detail=stale-if-error" in served.get("Cache-Status")
    origin.kill()
    down = get(r, path)
    assert down.status == 200 and fetch_number(down) == 1
    assert "detail=stale-if-error" in down.get("Cache-Status")
    # Something never cached has nothing to fall back on.
    assert get(r, cacheable(other=1)).status in (502, 503)
    # Sequential requests may be logged by different workers, not always in request order.
    assert sorted(log_cache_field(r, 4)) == ["miss", "miss", "stale", "stale"]
    assert r.metrics().value("rampart_cache_requests_total", result="stale") == 2


def test_always_online_serves_stale_copies_without_stale_if_error(origin, rampart_factory):
    r = cached_site(rampart_factory, origin, always_online=True)
    path = cacheable(cc="public, max-age=1")
    strict = cacheable(cc="public, max-age=1, must-revalidate")
    get(r, path)
    get(r, strict)
    time.sleep(2.2)
    origin.kill()
    served = get(r, path)
    assert served.status == 200 and fetch_number(served) == 1
    assert "fwd=stale" in served.get("Cache-Status")
    # must-revalidate: the origin said a stale copy must never be served unconfirmed.
    assert get(r, strict).status in (502, 503)


def test_without_stale_if_error_an_origin_failure_is_passed_on(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=1")
    get(r, path)
    time.sleep(2.2)
    origin.control(status=500)
    failed = get(r, path)
    assert failed.status == 500


async def _fetch_raw(port, path, results):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(("GET %s HTTP/1.1\r\nHost: main.test\r\nConnection: close\r\n\r\n"
                      % path).encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), 30)
        results.append(data)
    finally:
        writer.close()


def _body_of(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_a_thundering_herd_of_misses_makes_one_origin_request(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=60", delay_ms=int(1500 * SLOW), size=20000)

    async def herd():
        results = []
        await asyncio.wait_for(asyncio.gather(
            *[_fetch_raw(r.port, path, results) for _ in range(1000)]), 60)
        return results

    results = asyncio.run(herd())
    assert len(results) == 1000
    bodies = set()
    collapsed = hits = 0
    for raw in results:
        head, body = _body_of(raw)
        assert head.startswith("HTTP/1.1 200"), head[:200]
        assert len(body) == 20000
        bodies.add(body)
        collapsed += "; collapsed" in head
        hits += "Cache-Status: rampart; hit" in head
    assert len(bodies) == 1
    assert origin.requests("/cacheable") == 1
    # One led the fetch; the others streamed it, or arrived after it was stored.
    assert collapsed + hits == 999 and collapsed > 0
    assert r.metrics().value("rampart_cache_requests_total", result="collapsed") == collapsed


def test_waiters_stream_the_body_as_it_arrives(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=60", size=200000, body_delay_ms=1500)

    async def two():
        leader_results, follower_results = [], []
        leader = asyncio.ensure_future(_fetch_raw(r.port, path, leader_results))
        await asyncio.sleep(0.3)
        reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
        t0 = time.monotonic()
        writer.write(("GET %s HTTP/1.1\r\nHost: main.test\r\nConnection: close\r\n\r\n"
                      % path).encode())
        await writer.drain()
        first = await asyncio.wait_for(reader.read(65536), 10)
        first_at = time.monotonic() - t0
        rest = await asyncio.wait_for(reader.read(-1), 10)
        done_at = time.monotonic() - t0
        writer.close()
        await leader
        return first + rest, first_at, done_at, leader_results[0]

    follower, first_at, done_at, leader = asyncio.run(two())
    head, body = _body_of(follower)
    assert "; collapsed" in head
    assert body == _body_of(leader)[1] and len(body) == 200000
    # The first half reached the waiter while the origin was still sending the rest.
    assert first_at < 0.8, first_at
    assert done_at > 1.0, done_at
    assert origin.requests("/cacheable") == 1


def test_an_uncacheable_answer_is_not_shared_by_waiters(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="private", delay_ms=500)

    async def some():
        results = []
        await asyncio.gather(*[_fetch_raw(r.port, path, results) for _ in range(5)])
        return results

    results = asyncio.run(some())
    numbers = sorted(int(_body_of(raw)[1].decode().rsplit(" ", 1)[1]) for raw in results)
    assert numbers == [1, 2, 3, 4, 5]  # each got its own answer from the origin
    assert origin.requests("/cacheable") == 5


def test_the_leaders_client_leaving_does_not_cut_the_waiters_off(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=60", size=200000, body_delay_ms=1000)

    async def scenario():
        # The first client (whose request leads the fetch) leaves after the first bytes.
        reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
        writer.write(("GET %s HTTP/1.1\r\nHost: main.test\r\n\r\n" % path).encode())
        await writer.drain()
        await asyncio.wait_for(reader.read(1024), 10)
        results = []
        follower = asyncio.ensure_future(_fetch_raw(r.port, path, results))
        await asyncio.sleep(0.2)
        writer.transport.abort()
        await follower
        return results[0]

    head, body = _body_of(asyncio.run(scenario()))
    assert "; collapsed" in head
    assert len(body) == 200000
    stored = get(r, path)
    assert stored.get("Cache-Status").startswith("rampart; hit")
    assert origin.requests("/cacheable") == 1


def test_a_restart_keeps_what_the_disk_tier_holds(origin, rampart_factory, tmp_path):
    disk = tmp_path / "disk-cache"
    settings = {"memory": "64MiB", "disk": {"path": str(disk), "size": "64MiB"}}
    sites = [{"name": "main", "default": True, "hosts": ["main.test"],
              "origin": {"endpoints": [origin.endpoint]}, "cache": {"enabled": True}}]
    first = rampart_factory([origin], sites=sites, cache=settings)
    paths = [cacheable(page=i, size=3000) for i in range(20)]
    bodies = [get(first, p).body for p in paths]
    assert origin.requests("/cacheable") == 20
    m = first.metrics()
    assert m.value("rampart_cache_objects", tier="memory") == 20
    # Disk writes are asynchronous: wait until every object is on disk, then restart.
    deadline = time.monotonic() + 10
    while sum(1 for f in disk.rglob("*") if f.is_file()) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.stop()
    second = rampart_factory([origin], sites=sites, cache=settings)
    for p, body in zip(paths, bodies):
        again = get(second, p)
        assert again.body == body
        assert again.get("Cache-Status").startswith("rampart; hit"), again.get("Cache-Status")
    assert origin.requests("/cacheable") == 20
    # A damaged file is never served: it is a miss and the origin is asked again.
    second.stop()
    victim = max((f for f in disk.rglob("*") if f.is_file()), key=lambda f: f.stat().st_size)
    data = bytearray(victim.read_bytes())
    data[-10] ^= 0xFF
    victim.write_bytes(bytes(data))
    third = rampart_factory([origin], sites=sites, cache=settings)
    fetched = [fetch_number(get(third, p)) for p in paths]
    assert origin.requests("/cacheable") == 21
    assert sorted(fetched)[-1] == 21
    assert third.metrics().value("rampart_cache_disk_corrupt_total", tier="disk") == 1
