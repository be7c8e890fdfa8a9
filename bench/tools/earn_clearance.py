# Earns a rampart clearance cookie the way a browser would (proof of work), for bench
# scripts: python3 earn_clearance.py PORT USER_AGENT prints "name=value".
import hashlib, http.client, re, sys, urllib.parse
port, ua = int(sys.argv[1]), sys.argv[2]
def req(method, target, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"User-Agent": ua, "Accept": "text/html"}
    if body:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, target, body=body, headers=h)
    r = c.getresponse()
    return r.status, r.getheader("Set-Cookie"), r.read().decode(errors="replace")
status, _, page = req("GET", "/app/")
m = re.search(r'data-c="([^"]+)" data-b="(\d+)" data-n="(\d+)"', page)
if status != 403 or not m:
    sys.exit("no proof-of-work page (status %d)" % status)
challenge, bits, puzzles = m.group(1), int(m.group(2)), int(m.group(3))
def zeros(d):
    n = 0
    for b in d:
        if b:
            return n + 8 - b.bit_length()
        n += 8
    return n
answers = []
for i in range(puzzles):
    for n in range(1 << (bits + 8)):
        if zeros(hashlib.sha256(("%s:%d:%d" % (challenge, i, n)).encode()).digest()) >= bits:
            answers.append(n)
            break
    else:
        sys.exit("puzzle %d not solved" % i)
body = urllib.parse.urlencode({"c": challenge, "s": ",".join(map(str, answers)), "r": "/"})
status, cookie, _ = req("POST", "/.rampart/challenge", body)
if status != 303 or not cookie:
    sys.exit("answer refused (status %d)" % status)
print(cookie.split(";")[0])
