"""Hand-written parts of the WAF corpus (used by make_corpus.py): realistic header sets,
scanner fingerprints, protocol anomalies, multipart attacks, session fixation and benign
browsing / API / upload traffic.

Every request here must be deliverable through nginx (it parses the request before
ModSecurity sees it): no invalid Content-Length, no bare CR/LF in headers, no NUL bytes in
the request line or headers (they travel percent-encoded instead).
"""

import base64
import json
import urllib.parse

UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
]
LANGS = ["en-US,en;q=0.9", "de-DE,de;q=0.9,en;q=0.8", "fr-FR,fr;q=0.8", "pt-BR,pt;q=0.9,en;q=0.5",
         "ja,en-US;q=0.7"]
ACCEPT_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def browser_headers(rng, host, extra=(), referer=True, cookie=True):
    h = [("Host", host), ("User-Agent", rng.choice(UAS)), ("Accept", ACCEPT_HTML),
         ("Accept-Language", rng.choice(LANGS)), ("Accept-Encoding", "gzip, deflate, br")]
    if referer:
        h.append(("Referer", "https://%s/%s" % (host, rng.choice(["", "products", "blog/latest"]))))
    if cookie:
        h.append(("Cookie", "sid=%032x; consent=yes" % rng.getrandbits(128)))
    h += list(extra)
    return h


def api_headers(rng, host, extra=()):
    token = base64.urlsafe_b64encode(json.dumps({"sub": rng.randint(1, 99999)}).encode()).decode()
    h = [("Host", host), ("User-Agent", rng.choice(["okhttp/4.12.0", "axios/1.6.8", UAS[0],
                                                    "python-requests/2.31.0"])),
         ("Accept", "application/json"), ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.%s.sig" % token)]
    return h + list(extra)


def scanners(b, lines):
    for line in lines:
        kind, _, value = line.partition(" ")
        if kind == "ua":
            h = [(n, v) for n, v in b.browser_headers() if n != "User-Agent"]
            h.insert(1, ("User-Agent", value))
            b.add("scanner", "attack", "GET", "/", h, point="header")
            b.add("scanner", "attack", "GET", "/index.php?id=1", h, point="header")
        elif kind == "path":
            b.add("scanner", "attack", "GET", value, b.browser_headers(), point="path")
            b.add("scanner", "attack", "HEAD", value, b.browser_headers(referer=False), point="path")
        elif kind == "header":
            name, _, v = value.partition(": ")
            b.add("scanner", "attack", "GET", "/", b.browser_headers([(name, v)]), point="header")
        else:
            raise ValueError(line)


def protocol(b):
    """Protocol violations and anomalies (REQUEST-911/920/921) that nginx still forwards."""
    P = "protocol"
    bh = b.browser_headers
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    # TRACE is not here: nginx answers it with 405 before ModSecurity sees it.
    for m in ["PUT", "DELETE", "PATCH", "PROPFIND", "MKCOL", "FOO", "CONNECTX", "DEBUG", "TRACK"]:
        b.add(P, "attack", m, "/resource/1", bh(), note="method not in tx.allowed_methods")
    for ct in ["application/x-evil", "text/x-php", "application/x-shockwave-flash", "image/svg+xml",
               "application/java-archive", "text/html"]:
        b.add(P, "attack", "POST", "/submit", bh([("Content-Type", ct)]), body="a=1",
              note="Content-Type not allowed")
    for cs in ["ibm037", "utf-7", "x-unknown", "iso-2022-kr"]:
        b.add(P, "attack", "POST", "/submit",
              bh([("Content-Type", "application/x-www-form-urlencoded; charset=" + cs)]), body="a=1",
              note="charset not allowed")
    b.add(P, "attack", "GET", "/search?q=shoes", bh(), body="q=boots", note="GET with a body")
    b.add(P, "attack", "HEAD", "/", bh(), body="x=1", note="HEAD with a body")
    b.add(P, "attack", "POST", "/submit", bh(), note="POST without Content-Length")
    b.add(P, "attack", "POST", "/submit", bh(form + [("Content-Length", "0")]), note="empty POST")
    b.add(P, "attack", "GET", "/", [("User-Agent", "curl/8.5.0"), ("Accept", "*/*")], version="HTTP/1.0",
          note="no Host header (HTTP/1.0)")
    b.add(P, "attack", "GET", "/", [(n, v) for n, v in bh() if n != "Host"] + [("Host", "127.0.0.1")],
          note="Host is an IP address")
    b.add(P, "attack", "GET", "/", [(n, v) for n, v in bh() if n != "Host"] + [("Host", "10.1.2.3:8080")],
          note="Host is an IP address with port")
    b.add(P, "attack", "GET", "/", [(n, v) if n != "User-Agent" else (n, "") for n, v in bh()],
          note="empty User-Agent")
    b.add(P, "attack", "GET", "/", [(n, v) for n, v in bh() if n != "User-Agent"], note="no User-Agent")
    b.add(P, "attack", "GET", "/", [(n, v) for n, v in bh() if n != "Accept"], note="no Accept")
    b.add(P, "attack", "GET", "/", [(n, v) if n != "Accept" else (n, "") for n, v in bh()],
          note="empty Accept")
    for rng in ["bytes=0-,1-,2-,3-,4-,5-,6-,7-", "bytes=0-1,0-1,0-1,0-1,0-1,0-1,0-1", "bytes=10-5",
                "bytes=0-0,-1", "bytes=1-2,3-4,5-6,7-8,9-10,11-12,13-14,15-16,17-18"]:
        b.add(P, "attack", "GET", "/files/big.iso", bh([("Range", rng)]), note="Range abuse")
    b.add(P, "attack", "GET", "/files/big.iso", bh([("Request-Range", "bytes=0-,1-,2-,3-,4-,5-,6-")]),
          note="Request-Range abuse")
    for q in ["q=%G1", "q=%zz%yy", "q=100%", "q=%%41", "q=%u00", "a=%2"]:
        b.add(P, "attack", "GET", "/search?" + q, bh(), note="invalid URL encoding")
    b.add(P, "attack", "POST", "/search", bh(form), body="q=%G1%ZZ", note="invalid URL encoding in form")
    for q in ["q=abc%00def", "file=index.php%00.jpg", "q=%01%02%03", "q=%7f%1b", "name=a%00"]:
        b.add(P, "attack", "GET", "/search?" + q, bh(), note="NUL / control bytes")
    b.add(P, "attack", "POST", "/search", bh(form), body="q=abc%00def", note="NUL byte in form")
    for q in ["q=%uff1cscript%uff1e", "x=%u0027%u0020or%u00201=1", "q=%uFF0E%uFF0E%uFF0F"]:
        b.add(P, "attack", "GET", "/search?" + q, bh(), note="%u / full-width encoding")
    b.add(P, "attack", "GET", "/search?" + "&".join("a%d=%d" % (i, i) for i in range(300)), bh(),
          note="300 arguments")
    b.add(P, "attack", "POST", "/submit", bh(form), body="&".join("f%d=x" % i for i in range(1100)),
          note="more than SecArgumentsLimit arguments")
    b.add(P, "attack", "GET", "/search?q=" + "A" * 6000, bh(), note="very long argument")
    for name, v in [("Proxy", "http://evil.example:3128"), ("Lock-Token", "<opaquelocktoken:1>"),
                    ("Content-Range", "bytes 0-10/20"), ("If", "<http://x/> (<opaquelocktoken:1>)"),
                    ("Translate", "f"), ("X-HTTP-Method-Override", "DELETE")]:
        b.add(P, "attack", "GET", "/", bh([(name, v)]), note="restricted header " + name)
    for ext in ["backup.bak", "db.sql", "config.ini", "site.conf", "users.mdb", "app.log", "web.config",
                ".htaccess", "settings.cfg", "old.backup", "dump.dbf", "key.pem"]:
        b.add(P, "attack", "GET", "/" + ext, bh(), note="restricted file extension")
    for q in ["x=%0d%0aSet-Cookie:%20a=b", "next=%0d%0aLocation:%20http://evil.example",
              "q=foo%0d%0aContent-Length:%200%0d%0a%0d%0aHTTP/1.1%20200%20OK",
              "a=x%0aGET%20/admin%20HTTP/1.1%0d%0aHost:%20internal",
              "lang=en%0d%0aX-Injected:%201"]:
        b.add(P, "attack", "GET", "/redirect?" + q, bh(), note="response splitting / smuggling in args")
    b.add(P, "attack", "GET", "/page?%0d%0aX-Evil=1", bh(), note="CR/LF in an argument name")
    b.add(P, "attack", "POST", "/submit", bh(form),
          body="a=1%0d%0a%0d%0aPOST%20/admin%20HTTP/1.1%0d%0aHost:%20x", note="smuggled request in body")
    b.add(P, "attack", "GET", "/", bh([("Transfer-Encoding", "chunked")]), body="0\r\n\r\n",
          note="GET with a chunked body")
    b.add(P, "attack", "POST", "/submit", bh(form + [("Transfer-Encoding", "chunked")]),
          body="5\r\na=123\r\n0\r\n\r\n", note="chunked form body")
    b.add(P, "attack", "GET", "/", bh([("Content-Type", "application/x-www-form-urlencoded"),
                                       ("Content-Type", "text/plain")]), note="two Content-Types")
    b.add(P, "attack", "GET", "/", bh([("Accept-Encoding", "gzip," * 40 + "br")]), note="long Accept-Encoding")
    b.add(P, "attack", "GET", "/", bh([("X-Forwarded-For", "1.1.1.1, 2.2.2.2, ' or 1=1--")]),
          note="injection in X-Forwarded-For")
    b.add(P, "attack", "GET", "/a/b/%2e%2e/%2e%2e/etc/passwd", bh(), note="encoded dot segments in the path")
    b.add(P, "attack", "GET", "/index.php/..%5c..%5cwindows/win.ini", bh(), note="backslash traversal")
    b.add(P, "attack", "GET", "/" + "a/" * 200 + "x", bh(), note="deep path")
    b.add(P, "attack", "POST", "/api/v1/items", b.api_headers([("Content-Type", "application/json")]),
          body='{"a": [1, 2,, }', note="malformed JSON body")
    b.add(P, "attack", "POST", "/api/v1/items", b.api_headers([("Content-Type", "application/json")]),
          body='{"a":' * 600 + "1" + "}" * 600, note="deeply nested JSON")
    b.add(P, "attack", "POST", "/api/xml", b.api_headers([("Content-Type", "application/xml")]),
          body='<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
          note="XXE in an XML body")
    b.add(P, "attack", "GET", "/search?q=caf%C3", bh(), note="truncated UTF-8 in an argument")
    b.add(P, "attack", "GET", "/?" + urllib.parse.quote("q=\u202e\u0000"), bh(), note="bidi + NUL")


def _mp(b, note, body, ctype=None, kind="attack", path="/upload", **extra):
    boundary = "XyZzy0123456789"
    ct = ctype if ctype is not None else "multipart/form-data; boundary=" + boundary
    body = body.replace("{B}", boundary)
    b.add("multipart", kind, "POST", path, b.browser_headers([("Content-Type", ct)]), body=body, note=note,
          point="multipart", **extra)


def multipart_attacks(b):
    """Malformed and malicious multipart/form-data bodies (REQUEST-922, the strict multipart
    checks of modsecurity.conf, file-upload rules)."""
    ok_end = "--{B}--\r\n"
    part = '--{B}\r\nContent-Disposition: form-data; name="%s"%s\r\n%s\r\n%s\r\n'
    _mp(b, "PHP file upload", part % ("f", '; filename="shell.php"', "Content-Type: image/jpeg\r\n",
                                     "<?php system($_GET['c']); ?>") + ok_end)
    for fn in ["shell.php5", "x.phtml", "a.jsp", "cmd.asp", "x.aspx", ".htaccess", "run.sh", "evil.php.jpg",
               "../../etc/passwd", "..\\..\\boot.ini", "a.pl", "a.cgi", "web.config"]:
        _mp(b, "dangerous filename " + fn, part % ("upload", '; filename="%s"' % fn, "", "hello") + ok_end)
    _mp(b, "part Content-Type with disallowed charset",
        part % ("a", "", "Content-Type: text/plain; charset=ibm037\r\n", "x") + ok_end)
    _mp(b, "part Content-Transfer-Encoding",
        part % ("a", "", "Content-Transfer-Encoding: base64\r\n", "eA==") + ok_end)
    _mp(b, "data before the first boundary", "junk before\r\n" + part % ("a", "", "", "1") + ok_end)
    _mp(b, "data after the last boundary", part % ("a", "", "", "1") + ok_end + "trailing junk\r\n")
    _mp(b, "missing final boundary", part % ("a", "", "", "1"))
    _mp(b, "LF-only line endings", (part % ("a", "", "", "1") + ok_end).replace("\r\n", "\n"))
    _mp(b, "quoted boundary", part % ("a", "", "", "1") + ok_end,
        ctype='multipart/form-data; boundary="XyZzy0123456789"')
    _mp(b, "boundary with whitespace", part % ("a", "", "", "1") + ok_end,
        ctype="multipart/form-data; boundary =XyZzy0123456789")
    _mp(b, "missing semicolon in Content-Disposition",
        '--{B}\r\nContent-Disposition: form-data name="a"\r\n\r\n1\r\n' + ok_end)
    _mp(b, "invalid quoting in Content-Disposition",
        '--{B}\r\nContent-Disposition: form-data; name="a\\"b"; filename="x\r\n\r\n1\r\n' + ok_end)
    _mp(b, "folded part header",
        '--{B}\r\nContent-Disposition: form-data;\r\n name="a"\r\n\r\n1\r\n' + ok_end)
    _mp(b, "part without Content-Disposition", "--{B}\r\nX-Foo: bar\r\n\r\n1\r\n" + ok_end)
    _mp(b, "unmatched boundary inside a part",
        part % ("a", "", "", "1\r\n--XyZzy0123456788\r\nfoo") + ok_end)
    _mp(b, "duplicate parameters", '--{B}\r\nContent-Disposition: form-data; name="a"; name="b"\r\n\r\n1\r\n'
        + ok_end)
    _mp(b, "no boundary parameter", part % ("a", "", "", "1") + ok_end, ctype="multipart/form-data")
    _mp(b, "SQLi in a part name", part % ("id' or 1=1--", "", "", "1") + ok_end)
    _mp(b, "XSS in a filename", part % ("f", '; filename="<img src=x onerror=alert(1)>.png"', "", "x") + ok_end)
    _mp(b, "RCE in a part", part % ("host", "", "", "127.0.0.1; cat /etc/passwd") + ok_end)
    _mp(b, "mixed-case multipart type", part % ("a", "", "", "1") + ok_end,
        ctype="Multipart/Form-Data; boundary=XyZzy0123456789")
    _mp(b, "multipart/mixed nested", part % ("a", "", "Content-Type: multipart/mixed; boundary=inner\r\n",
                                           "--inner\r\n\r\nx\r\n--inner--") + ok_end)


def session_fixation(b):
    """REQUEST-943: session ids set through parameters, off-site referers, cookie-setting markup."""
    names = ["PHPSESSID", "JSESSIONID", "ASPSESSIONID", "sessionid", "sid", "jsessionid", "ASP.NET_SessionId"]
    for i, name in enumerate(names):
        v = "%032x" % b.rng.getrandbits(128)
        b.add("session", "attack", "GET", "/login?%s=%s" % (name, v), b.browser_headers(referer=False),
              note="session id in a parameter, no Referer")
        h = b.browser_headers(referer=False) + [("Referer", "https://evil.example/phish%d" % i)]
        b.add("session", "attack", "GET", "/account?%s=%s" % (name, v), h,
              note="session id in a parameter, off-site Referer")
        b.add("session", "attack", "POST", "/login",
              b.browser_headers([("Content-Type", "application/x-www-form-urlencoded")], referer=False),
              body="user=alice&%s=%s" % (name, v), note="session id in a form field")


PAGES = ["/", "/products", "/products/%d", "/products/%d/reviews", "/blog/2024/05/how-we-roast-coffee",
         "/about", "/help/shipping", "/category/shoes", "/cart", "/account/orders", "/faq", "/contact"]
ASSETS = ["/static/css/site.%x.css", "/static/js/app.%x.js", "/images/p/%d.jpg", "/favicon.ico",
          "/fonts/inter-%d.woff2", "/robots.txt", "/sitemap.xml", "/manifest.json"]


def benign_traffic(b):
    """Everyday traffic: page views, assets, searches, forms, API calls, uploads."""
    rng, B = b.rng, "benign"
    for _ in range(260):
        p = rng.choice(PAGES)
        if "%d" in p:
            p = p % rng.randint(1, 99999)
        if rng.random() < 0.3:
            p += "?" + urllib.parse.urlencode(rng.choice([
                {"page": rng.randint(1, 20)}, {"sort": "price_asc", "page": 2},
                {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring-sale"},
                {"color": "blue", "size": "M"}, {"ref": "home"}]))
        b.add(B, "benign", rng.choice(["GET", "GET", "GET", "HEAD"]), p, b.browser_headers(), point="browse")
    for _ in range(160):
        a = rng.choice(ASSETS)
        if "%" in a:
            a = a % rng.getrandbits(24)
        h = [(n, v if n != "Accept" else "*/*") for n, v in b.browser_headers()]
        b.add(B, "benign", "GET", a, h, point="browse")
    for _ in range(80):
        n = rng.choice(["alice", "Bob", "Chloé", "Mary-Jane", "O'Neil"])
        body = urllib.parse.urlencode({
            "name": n, "email": "%s@example.org" % n.lower().replace("'", ""),
            "address": "%d Main St., Apt %d" % (rng.randint(1, 999), rng.randint(1, 50)),
            "city": rng.choice(["Portland", "Köln", "Lyon"]), "zip": "%05d" % rng.randint(0, 99999),
            "notes": rng.choice(["Leave at the door, please.", "Ring twice", "", "Call me (555) 123-4567"]),
            "csrf_token": "%040x" % rng.getrandbits(160)})
        body += "&pad=" + "a" * rng.randint(0, 200)
        b.add(B, "benign", "POST", rng.choice(["/checkout", "/account/address", "/newsletter"]),
              b.browser_headers([("Content-Type", "application/x-www-form-urlencoded"),
                                 ("Origin", "https://shop.example.com")]), body=body, point="form")
    for _ in range(120):
        kind = rng.random()
        if kind < 0.35:
            b.add(B, "benign", "GET", "/api/v1/orders?limit=%d&offset=%d&status=shipped" % (
                rng.choice([10, 20, 50]), rng.randint(0, 500)), b.api_headers(), point="api")
        elif kind < 0.75:
            doc = {"cart_id": "%016x" % rng.getrandbits(64),
                   "items": [{"sku": "SKU-%d" % rng.randint(1000, 9999), "qty": rng.randint(1, 3),
                              "price": round(rng.uniform(1, 200), 2)} for _ in range(rng.randint(1, 6))],
                   "customer": {"name": "Jane O'Hara", "tags": ["vip", "newsletter"]}, "gift": False}
            b.add(B, "benign", "POST", "/api/v1/cart", b.api_headers([("Content-Type", "application/json")]),
                  body=json.dumps(doc), point="json")
        elif kind < 0.9:
            b.add(B, "benign", "OPTIONS", "/api/v1/cart", b.api_headers([
                ("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,authorization")]), point="api")
        else:
            b.add(B, "benign", "POST", "/api/v1/events", b.api_headers([("Content-Type", "application/json")]),
                  body=json.dumps([{"type": "view", "path": "/products/%d" % rng.randint(1, 999),
                                    "ts": 1700000000 + rng.randint(0, 10**6)}]), point="json")
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    for i in range(40):
        boundary = "----formdata-%012x" % rng.getrandbits(48)
        head = ('--%s\r\nContent-Disposition: form-data; name="caption"\r\n\r\nMy cat, %d years old\r\n'
                '--%s\r\nContent-Disposition: form-data; name="photo"; filename="IMG_%04d.png"\r\n'
                'Content-Type: image/png\r\n\r\n' % (boundary, rng.randint(1, 15), boundary, i)).encode()
        body = head + png + ("\r\n--%s--\r\n" % boundary).encode()
        b.add(B, "benign", "POST", "/account/avatar",
              b.browser_headers([("Content-Type", "multipart/form-data; boundary=" + boundary)]),
              body_b64=base64.b64encode(body).decode(), point="multipart")
