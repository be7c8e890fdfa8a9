"""Range requests answered from stored full responses, and stored copies dropped after an
unsafe method succeeds, through the real proxy and a real origin."""

import urllib.parse

from test_cache import cacheable, cached_site, fetch_number, get


def test_a_single_range_is_cut_from_the_stored_copy(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(size=1000)
    full = get(r, path)
    assert full.status == 200 and len(full.body) == 1000
    part = get(r, path, [("Range", "bytes=10-19")])
    assert part.status == 206
    assert part.get("Content-Range") == "bytes 10-19/1000"
    assert part.body == full.body[10:20]
    assert part.get("Content-Length") == "10"
    assert part.get("Cache-Status").startswith("rampart; hit")
    tail = get(r, path, [("Range", "bytes=-5")])
    assert tail.body == full.body[-5:]
    assert get(r, path).get("Accept-Ranges") == "bytes"
    assert origin.requests("/cacheable") == 1


def test_several_ranges_make_a_multipart_answer(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(size=1000)
    full = get(r, path)
    multi = get(r, path, [("Range", "bytes=0-4, 100-109")])
    assert multi.status == 206
    ctype = multi.get("Content-Type")
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=", 1)[1].encode()
    parts = multi.body.split(b"--" + boundary)
    assert parts[-1] == b"--\r\n"
    bodies = []
    for part in parts[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        assert b"Content-Type: text/plain" in head
        assert b"Content-Range: bytes " in head
        bodies.append(data[:-2])  # the CRLF before the next delimiter
    assert bodies == [full.body[0:5], full.body[100:110]]
    assert int(multi.get("Content-Length")) == len(multi.body)


def test_unsatisfiable_and_if_range(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(size=100, etag='"r1"')
    get(r, path)
    beyond = get(r, path, [("Range", "bytes=500-600")])
    assert beyond.status == 416
    assert beyond.get("Content-Range") == "bytes */100"
    same = get(r, path, [("Range", "bytes=0-9"), ("If-Range", '"r1"')])
    assert same.status == 206
    changed = get(r, path, [("Range", "bytes=0-9"), ("If-Range", '"r0"')])
    assert changed.status == 200 and len(changed.body) == 100
    ignored = get(r, path, [("Range", "lines=1-2")])
    assert ignored.status == 200


def test_a_successful_unsafe_method_drops_the_stored_copies(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    target = cacheable(item=1)
    other = cacheable(item=2)
    assert fetch_number(get(r, target)) == 1
    assert fetch_number(get(r, other)) == 2
    assert fetch_number(get(r, target)) == 1  # cached
    # A POST to the URL drops it; so does a Location naming another URL on this host.
    location = "http://main.test" + other
    post = cacheable(item=1, location=location, cc="no-store")
    # The POST's own target differs (its query) from `target`: post to target itself too.
    get(r, target, method="POST")
    assert fetch_number(get(r, target)) == 4
    get(r, post, method="POST")
    assert fetch_number(get(r, other)) == 6
    # A Location on another host is not trusted to drop anything here.
    foreign = cacheable(item=1, location="http://elsewhere.test" + target, cc="no-store")
    get(r, foreign, method="POST")
    assert fetch_number(get(r, target)) == 4
    # A failed unsafe request leaves the copy alone.
    origin.control(status=500)
    assert get(r, target, method="DELETE").status == 500
    origin.control(reset=True)
    assert fetch_number(get(r, target)) == 4
    assert get(r, target, method="DELETE").status == 200
    assert fetch_number(get(r, target)) == 9
