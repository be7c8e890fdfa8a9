"""On-the-fly compression through the real proxy and a real origin: the coding chosen by
Accept-Encoding, on misses (streamed) and on hits (made once, kept with the stored copy),
and the responses that must be left alone."""

import gzip
import zlib

import brotli
import zstandard

from test_cache import cacheable, cached_site, fetch_number, get

DECODERS = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


def test_each_coding_on_a_miss_and_on_a_hit(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(size=20000)
    plain = get(r, path)  # no Accept-Encoding: identity, and the copy is stored
    assert plain.get("Content-Encoding") is None and len(plain.body) == 20000
    assert plain.get("Vary") == "Accept-Encoding"
    for coding, decode in DECODERS.items():
        hit = get(r, path, [("Accept-Encoding", coding)])
        assert hit.get("Content-Encoding") == coding
        assert hit.get("Cache-Status").startswith("rampart; hit")
        assert int(hit.get("Content-Length")) == len(hit.body) < 2000
        assert decode(hit.body) == plain.body
        assert hit.get("Accept-Ranges") is None
    miss = get(r, cacheable(size=20000, other=1), [("Accept-Encoding", "gzip, br;q=0.5")])
    assert miss.get("Content-Encoding") == "gzip"
    assert miss.get("Transfer-Encoding") == "chunked"
    assert gzip.decompress(miss.body).endswith(b"fetch 2\n")
    assert origin.requests("/cacheable") == 2


def test_preference_and_refusals_follow_the_q_values(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    path = cacheable(size=5000)
    get(r, path)
    both = get(r, path, [("Accept-Encoding", "gzip, deflate, br, zstd")])
    assert both.get("Content-Encoding") == "zstd"  # ties go to the fastest good coding
    weighted = get(r, path, [("Accept-Encoding", "zstd;q=0.1, br;q=0.9")])
    assert weighted.get("Content-Encoding") == "br"
    refused = get(r, path, [("Accept-Encoding", "gzip;q=0, identity")])
    assert refused.get("Content-Encoding") is None
    assert len(refused.body) == 5000


def test_a_streamed_body_is_compressed_piece_by_piece(origin, rampart_factory):
    r = rampart_factory([origin])
    resp = get(r, "/stream?n=200000&chunk=10000&delay_ms=5", [("Accept-Encoding", "gzip")])
    # /stream is application/octet-stream: not compressible, sent as it is.
    assert resp.get("Content-Encoding") is None and len(resp.body) == 200000
    page = get(r, cacheable(size=100000, body_delay_ms=200), [("Accept-Encoding", "gzip")])
    assert page.get("Content-Encoding") == "gzip"
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert len(decoder.decompress(page.body)) == 100000


def test_what_must_not_be_compressed_is_not(origin, rampart_factory):
    r = cached_site(rampart_factory, origin)
    ae = [("Accept-Encoding", "gzip")]
    small = get(r, cacheable(size=100), ae)
    assert small.get("Content-Encoding") is None  # too small to be worth it
    no_transform = get(r, cacheable(size=5000, cc="public, max-age=60, no-transform"), ae)
    assert no_transform.get("Content-Encoding") is None
    get(r, cacheable(size=5000))
    ranged = get(r, cacheable(size=5000), ae + [("Range", "bytes=0-99")])
    assert ranged.status == 206  # ranges are of the stored (identity) bytes
    assert ranged.get("Content-Encoding") is None and len(ranged.body) == 100
    head = get(r, cacheable(size=5000), ae, method="HEAD")
    assert head.get("Content-Encoding") == "gzip" and head.body == b""


def test_a_site_may_turn_compression_off(origin, rampart_factory):
    r = rampart_factory([origin], sites=[{
        "name": "main", "default": True, "hosts": ["main.test"],
        "origin": {"endpoints": [origin.endpoint]}, "compression": {"enabled": False}}])
    resp = get(r, cacheable(size=5000), [("Accept-Encoding", "gzip")])
    assert resp.get("Content-Encoding") is None and resp.get("Vary") is None
    assert fetch_number(resp) == 1
