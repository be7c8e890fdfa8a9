#!/usr/bin/env python3
"""Writes the WAF differential-test corpus, tests/waf/corpus/corpus.jsonl.

Deterministic: the same payload lists and the same seed give the same file byte for byte, so
the corpus in the repo can be regenerated and diffed. Sources:
  payloads/<category>.txt  hand-written attack payloads, each placed at every injection
                           point (query string, urlencoded form, JSON body, multipart field,
                           cookie, Referer/User-Agent header, and for path-like payloads the
                           path itself)
  payloads/benign.txt      everyday values placed at the same points (benign)
  payloads/scanners.txt    scanner User-Agents, probe paths and headers
  handwritten.py           protocol anomalies, multipart attacks, session fixation and
                           benign browsing / API / upload traffic

    /usr/bin/python3 tests/waf/make_corpus.py [--seed N] [--out FILE]

The format of a line is described in corpus_client.py.
"""

import argparse
import json
import random
import sys
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import handwritten  # noqa: E402

HOST = "shop.example.com"
ATTACK_FILES = ["sqli", "xss", "lfi", "rfi", "rce", "php", "java", "nodejs", "session"]
# Path-like payloads are also tried as the request path itself.
PATH_CATEGORIES = {"lfi"}
POINTS = ["query", "form", "json", "multipart", "cookie", "header", "query_raw"]


def read_list(name):
    out = []
    for line in (HERE / "payloads" / (name + ".txt")).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("# "):
            continue
        out.append(line)
    return out


class Builder:
    """Makes corpus entries with realistic, varied (seeded) browser or API headers."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.entries = []
        self.counts = {}

    def add(self, category, kind, method, path, headers, body=None, body_b64=None, **extra):
        n = self.counts.get(category, 0) + 1
        self.counts[category] = n
        e = {"id": "%s-%04d" % (category, n), "category": category, "method": method,
             "path": path, "headers": headers, "expected_kind": kind}
        if body_b64 is not None:
            e["body_b64"] = body_b64
        elif body is not None:
            e["body"] = body
        e.update(extra)
        self.entries.append(e)
        return e

    def browser_headers(self, extra=(), referer=True, cookie=True):
        return handwritten.browser_headers(self.rng, HOST, extra, referer, cookie)

    def api_headers(self, extra=()):
        return handwritten.api_headers(self.rng, HOST, extra)


def multipart(fields, boundary):
    """A well-formed multipart/form-data body; fields: (name, value, filename or None, type)."""
    parts = []
    for name, value, filename, ctype in fields:
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        head = "Content-Disposition: " + disp
        if ctype:
            head += "\r\nContent-Type: " + ctype
        parts.append("--%s\r\n%s\r\n\r\n%s\r\n" % (boundary, head, value))
    return "".join(parts) + "--%s--\r\n" % boundary


def escapes_root(path):
    """nginx answers 400 itself (before ModSecurity) to a path whose dot segments, once
    percent-decoded, climb above the root; such requests are left out of the corpus."""
    depth = 0
    for seg in urllib.parse.unquote(path.split("?", 1)[0]).split("/")[1:]:
        if seg == "..":
            depth -= 1
            if depth < 0:
                return True
        elif seg not in ("", "."):
            depth += 1
    return False


def place(b, category, kind, value, point):
    """Adds one request carrying value at the injection point."""
    rng = b.rng
    q = urllib.parse.quote_plus
    if point == "query":
        name = rng.choice(["q", "search", "id", "name", "page", "redirect", "file", "lang"])
        path = "/%s?%s=%s" % (rng.choice(["search", "products", "index.php", "view", "item"]), name,
                              q(value))
        if rng.random() < 0.4:
            path += "&sort=price&page=%d" % rng.randint(1, 9)
        b.add(category, kind, "GET", path, b.browser_headers(), point=point)
    elif point == "query_raw":
        # Only the characters that would break the request line are encoded.
        raw = urllib.parse.quote(value, safe="!$'()*+,;=:@/?&-._~%<>\"[]{}|\\^`")
        b.add(category, kind, "GET", "/page?%s=%s" % (rng.choice(["file", "include", "cmd", "x"]), raw),
              b.browser_headers(), point=point)
    elif point == "form":
        user = rng.choice(["alice", "bob", "carol", "dave"])
        fields = [("username", user), ("comment", value), ("submit", "Send")]
        rng.shuffle(fields)
        body = urllib.parse.urlencode(fields)
        h = b.browser_headers([("Content-Type", "application/x-www-form-urlencoded"),
                               ("Origin", "https://" + HOST)])
        b.add(category, kind, "POST", rng.choice(["/login", "/contact", "/comments", "/profile"]), h,
              body=body, point=point)
    elif point == "json":
        doc = rng.choice([
            {"name": value, "quantity": rng.randint(1, 5)},
            {"user": {"id": rng.randint(1, 999), "bio": value}, "active": True},
            {"items": [{"sku": "A-%d" % rng.randint(100, 999), "note": value}], "coupon": None},
            {"query": value, "filters": {"in_stock": True}},
        ])
        h = b.api_headers([("Content-Type", "application/json")])
        b.add(category, kind, "POST", rng.choice(["/api/v1/items", "/api/search", "/api/v2/users"]), h,
              body=json.dumps(doc, ensure_ascii=False), point=point)
    elif point == "multipart":
        boundary = "----WebKitFormBoundary%016x" % rng.getrandbits(64)
        body = multipart([("title", "My post", None, None), ("message", value, None, None)], boundary)
        h = b.browser_headers([("Content-Type", "multipart/form-data; boundary=" + boundary)])
        b.add(category, kind, "POST", "/posts/new", h, body=body, point=point)
    elif point == "cookie":
        cookie = "sid=%032x; %s=%s" % (rng.getrandbits(128), rng.choice(["prefs", "last_search", "theme"]),
                                       urllib.parse.quote(value, safe="'()*!-._~/<>=:"))
        h = b.browser_headers([("Cookie", cookie)], cookie=False)
        b.add(category, kind, "GET", rng.choice(["/", "/account", "/cart"]), h, point=point)
    elif point == "header":
        if rng.random() < 0.5:
            h = b.browser_headers(referer=False)
            h.append(("Referer", "https://%s/search?q=%s" % (HOST, value)))
        else:
            h = [(n, v) for n, v in b.browser_headers() if n != "User-Agent"]
            h.insert(1, ("User-Agent", value))
        b.add(category, kind, "GET", "/", h, point=point)
    elif point == "path":
        path = "/static/" + urllib.parse.quote(value, safe="/%.:;\\")
        if not escapes_root(path):
            b.add(category, kind, "GET", path, b.browser_headers(), point=point)
    else:
        raise ValueError(point)


def build(seed):
    b = Builder(seed)
    for cat in ATTACK_FILES:
        for value in read_list(cat):
            points = POINTS + (["path"] if cat in PATH_CATEGORIES else [])
            for point in points:
                place(b, cat, "attack", value, point)
    for value in read_list("benign"):
        for point in POINTS[:-1]:  # query_raw of prose is not a realistic request
            place(b, "benign", "benign", value, point)
    handwritten.scanners(b, read_list("scanners"))
    handwritten.protocol(b)
    handwritten.multipart_attacks(b)
    handwritten.session_fixation(b)
    handwritten.benign_traffic(b)
    return b.entries


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(HERE / "corpus" / "corpus.jsonl"))
    args = ap.parse_args()
    entries = build(args.seed)
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")
    by_cat = {}
    for e in entries:
        by_cat[e["category"]] = by_cat.get(e["category"], 0) + 1
    print("%d requests -> %s" % (len(entries), args.out))
    for cat, n in sorted(by_cat.items()):
        print("  %-10s %5d" % (cat, n))


if __name__ == "__main__":
    main()
