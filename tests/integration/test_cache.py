"""The CDN cache through the real proxy and a real origin (first cut: the memory tier,
freshness, storability, Vary, conditional requests and HEAD from a cached GET).

The demo origin's /cacheable answers with the Cache-Control, ETag, Vary, Cache-Tag or
Set-Cookie a test asks for, and its body counts how often it ran ("fetch N"), so a hit
is a response whose body still says an earlier fetch.
"""

import json
import time
import urllib.parse

from helpers import TOKEN, RawConn


def cached_site(rampart_factory, origin, **cache):
    settings = {"enabled": True}
    settings.update(cache)
    return rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]}, "cache": settings}])


def get(r, path, headers=(), method="GET"):
    with RawConn(r.port) as c:
        return c.request(method, path, headers=list(headers))


def cacheable(**params):
    return "/cacheable?" + urllib.parse.urlencode(params) if params else "/cacheable"


def fetch_number(resp):
    return int(resp.body.decode().rsplit(" ", 1)[1])


def test_cache_is_off_unless_a_site_enables_it(origin, rampart_factory):
    r = rampart_factory([origin])
    first, second = get(r, cacheable()), get(r, cacheable())
    assert (fetch_number(first), fetch_number(second)) == (1, 2)
    assert first.get("Cache-Status") is None and second.get("Cache-Status") is None


def test_miss_then_hits_with_cache_status_age_and_log(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    miss = get(r, cacheable())
    assert miss.status == 200
    assert miss.get("Cache-Status") == \
        "rampart; fwd=uri-miss; fwd-status=200; stored; ttl=60"
    hits = [get(r, cacheable()) for _ in range(3)]
    for h in hits:
        assert h.status == 200
        assert fetch_number(h) == 1
        assert h.get("Cache-Status").startswith("rampart; hit; ttl=")
        assert int(h.get("Age")) <= 2
        assert h.get("Content-Length") == str(len(h.body))
        assert h.get("X-Origin-Name") == "A"
    assert origin.requests("/cacheable") == 1
    entries = r.wait_log_entries(lambda e: e["path"] == "/cacheable", 4)
    assert [e.get("cache") for e in entries] == ["miss", "hit", "hit", "hit"]
    assert entries[1].get("upstream") in (None, "")


def test_distinct_queries_and_hosts_are_distinct_objects(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    a = get(r, cacheable(x=1))
    b = get(r, cacheable(x=2))
    assert fetch_number(b) == fetch_number(a) + 1
    assert fetch_number(get(r, cacheable(x=1))) == fetch_number(a)


def test_expired_object_is_fetched_again(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="public, max-age=1")
    assert fetch_number(get(r, path)) == 1
    assert fetch_number(get(r, path)) == 1
    time.sleep(2.2)
    again = get(r, path)
    assert fetch_number(again) == 2
    assert again.get("Cache-Status").startswith("rampart; fwd=stale")


def test_s_maxage_is_the_shared_cache_lifetime(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(cc="max-age=0, s-maxage=60")
    get(r, path)
    assert fetch_number(get(r, path)) == 1


def test_what_must_not_be_stored_is_not(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    cases = [
        (cacheable(cc="no-store"), (), "no-store"),
        (cacheable(cc="private, max-age=60"), (), "private"),
        (cacheable(cookie=1), (), "set-cookie"),
        (cacheable(cc="no-cache"), (), None),
    ]
    for path, headers, detail in cases:
        first = get(r, path, headers)
        second = get(r, path, headers)
        assert fetch_number(second) == fetch_number(first) + 1, path
        status = second.get("Cache-Status")
        assert "stored" not in status, (path, status)
        if detail:
            assert "detail=%s" % detail in status, (path, status)
    # An Authorization-bearing request bypasses the cache both ways.
    auth = [("Authorization", "Bearer secret")]
    first = get(r, cacheable(u=1), auth)
    second = get(r, cacheable(u=1), auth)
    assert fetch_number(second) == fetch_number(first) + 1
    assert second.get("Cache-Status") is None
    # and never receives what another client stored
    plain = get(r, cacheable(u=2))
    with_auth = get(r, cacheable(u=2), auth)
    assert fetch_number(with_auth) == fetch_number(plain) + 1


def test_conditional_requests_are_answered_from_the_cache(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(etag='"v1"')
    get(r, path)
    not_modified = get(r, path, [("If-None-Match", '"v0", W/"v1"')])
    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.get("ETag") == '"v1"'
    changed = get(r, path, [("If-None-Match", '"v2"')])
    assert changed.status == 200 and fetch_number(changed) == 1
    assert origin.requests("/cacheable") == 1


def test_head_is_answered_from_a_cached_get(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    full = get(r, cacheable())
    head = get(r, cacheable(), method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.get("Content-Length") == str(len(full.body))
    assert head.get("Cache-Status").startswith("rampart; hit")
    assert origin.requests("/cacheable") == 1


def test_vary_keeps_one_variant_per_request_header_value(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(vary="Accept-Language")
    en = get(r, path, [("Accept-Language", "en")])
    fr = get(r, path, [("Accept-Language", "fr")])
    assert fetch_number(fr) == fetch_number(en) + 1
    # each language keeps its own object; spacing differences do not matter
    assert fetch_number(get(r, path, [("Accept-Language", "en")])) == fetch_number(en)
    assert fetch_number(get(r, path, [("Accept-Language", "fr")])) == fetch_number(fr)
    assert get(r, path, [("Accept-Language", "de")]).get("Cache-Status").startswith(
        "rampart; fwd=vary-miss")
    assert "stored" not in get(r, cacheable(vary="*")).get("Cache-Status")


def test_objects_over_max_object_size_stream_through_uncached(origin, rampart_factory):
    r = rampart_factory([origin], cache={"max_object_size": "8"}, sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]}, "cache": {"enabled": True}}])
    first, second = get(r, cacheable()), get(r, cacheable())
    assert fetch_number(second) == fetch_number(first) + 1
    assert "detail=too-large" in second.get("Cache-Status")
    assert second.body.startswith(b"origin A")


def test_a_request_may_refuse_a_cached_answer(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    get(r, cacheable())
    assert fetch_number(get(r, cacheable(), [("Cache-Control", "no-cache")])) == 2
    # what the origin sent last replaced the stored object
    assert fetch_number(get(r, cacheable())) == 2
    # max-age=0 accepts only an object of age 0 (RFC 9111 §5.2.1.1): older ones are fetched
    time.sleep(1.1)
    assert fetch_number(get(r, cacheable(), [("Cache-Control", "max-age=0")])) == 3


def purge(r, query, token=TOKEN):
    s, _, body = r.admin_post("/cache/purge?" + query, token=token)
    return s, (json.loads(body) if body.strip().startswith(b"{") else body)


def test_purge_by_url_prefix_host_tag_and_all(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)

    def warm(*paths):
        return {p: fetch_number(get(r, p)) for p in paths}

    def still_cached(path, number):
        return fetch_number(get(r, path)) == number

    a, b = cacheable(p="a", tag="product"), cacheable(p="b", tag="product,sale")
    c = "/cacheable?p=c&tag=page"
    first = warm(a, b, c)
    assert purge(r, "tag=sale") == (200, {"purged": 1})
    assert not still_cached(b, first[b])
    assert still_cached(a, first[a]) and still_cached(c, first[c])

    second = warm(a, b, c)
    url = "http://MAIN.test" + a
    assert purge(r, "url=" + urllib.parse.quote(url, safe="")) == (200, {"purged": 1})
    assert not still_cached(a, second[a])
    assert still_cached(b, second[b])

    third = warm(a, b, c)
    assert purge(r, "prefix=" + urllib.parse.quote("main.test/cacheable?p=c", safe=""))[1] == \
        {"purged": 1}
    assert not still_cached(c, third[c])

    assert purge(r, "host=other.example") == (200, {"purged": 0})
    fourth = warm(a, b, c)
    assert purge(r, "host=main.test")[1]["purged"] == 3
    assert not any(still_cached(p, n) for p, n in fourth.items())
    warm(a, b, c)
    assert purge(r, "all=1")[1]["purged"] == 3


def test_purge_needs_the_token_and_a_selector(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    assert purge(r, "all=1", token=None)[0] == 401
    assert purge(r, "all=1", token="wrong-token-000000")[0] == 403
    assert purge(r, "nothing=1")[0] == 400
    assert purge(r, "url=%zz")[0] == 400
    s, _, _ = r.admin_get("/cache/purge?all=1")
    assert s == 405
