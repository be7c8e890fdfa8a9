"""Shared pieces of the load-balancing integration tests (test_origins*.py): pool and
health-check config builders, a rampart with one site in front of pools, requests that
report which demo origin answered, admin /origins helpers, and a bounded closed-loop load.
"""

import re
import threading
import time

from helpers import SLOW, TOKEN, Closed, RawConn, wait_until

HASH_KEY = 'http.request.headers["x-user"][0]'
NO_OUTLIERS = {"enabled": False}


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def pool(origins, steering="round_robin", weights=None, **extra):
    eps = []
    for i, o in enumerate(origins):
        if weights is None:
            eps.append(o.endpoint)
        else:
            eps.append({"address": o.endpoint, "weight": weights[i]})
    p = {"steering": steering, "endpoints": eps}
    p.update(extra)
    return p


def health(interval="200ms", timeout="150ms", **extra):
    hc = {"type": "http", "method": "GET", "path": "/health", "expected_codes": "2xx",
          "expected_body": "ok", "interval": interval, "timeout": timeout,
          "healthy_threshold": 2, "unhealthy_threshold": 2, "jitter": "10%"}
    hc.update(extra)
    return hc


def start(rampart_factory, pools, origin, rules=None, **overrides):
    """rampart whose only (default) site main.test has `origin` (a dict: pool/pools/...)
    and, optionally, site firewall `rules`."""
    site = {"name": "main", "default": True, "hosts": ["main.test"], "origin": origin}
    if rules is not None:
        site["firewall"] = {"rules": rules}
    return rampart_factory(pools=pools, sites=[site], **overrides)


def send(r, path="/echo", method="GET", headers=(), body=b"", conn=None, timeout=5):
    """One request, on `conn` or on a fresh connection; returns the Response."""
    if conn is not None:
        return conn.request(method, path, headers=list(headers), body=body,
                            timeout=timeout * SLOW)
    with RawConn(r.port, timeout=timeout * SLOW) as c:
        return c.request(method, path, headers=list(headers), body=body)


def served_by(resp):
    """The demo origin that made this response (None: rampart answered on its own)."""
    return resp.get("X-Origin-Name")


def admin(r, pool_name, endpoint, op, token=TOKEN):
    s, _, body = r.admin_post("/origins/%s/%s/%s" % (pool_name, endpoint, op), token=token)
    return s, body


def pool_json(r, name):
    for p in r.origins()["pools"]:
        if p["name"] == name:
            return p
    raise AssertionError("no pool %s in /origins" % name)


def state(r, pool_name, endpoint):
    return r.endpoint(pool_name, endpoint)["state"]


def wait_state(r, pool_name, endpoint, want, timeout):
    return wait_until(lambda: state(r, pool_name, endpoint) == want, timeout * SLOW,
                      interval=0.05, what="%s in pool %s to be %s" % (endpoint, pool_name, want))


def wait_all_up(r, pool_name, origins, timeout=3):
    for o in origins:
        wait_state(r, pool_name, o.endpoint, "up", timeout)


def wait_metric(r, name, pred, timeout=3, **labels):
    """Waits until pred(value of the metric) holds; returns the value."""
    box = {}

    def ok():
        box["v"] = r.metrics().value(name, **labels)
        return pred(box["v"])
    try:
        wait_until(ok, timeout * SLOW, what="%s%r" % (name, labels))
    except AssertionError:
        raise AssertionError("%s%r stayed at %r" % (name, labels, box.get("v")))
    return box["v"]


def state_log_lines(r, endpoint, word):
    """Indexes of rampart's stdout/stderr lines naming endpoint and the word (as a word)
    that are not access-log JSON lines."""
    pat = re.compile(r"\b%s\b" % word, re.I)
    return [i for i, l in enumerate(r.logs().splitlines())
            if endpoint in l and pat.search(l) and not l.lstrip().startswith("{")]


def set_cookie_value(resp, name):
    for v in resp.get_all("Set-Cookie"):
        k, _, rest = v.partition("=")
        if k.strip() == name:
            return rest.split(";", 1)[0].strip(), v
    return None, None


class Load:
    """Closed-loop client threads, each on its own keep-alive connection, sending GETs
    until stop() or a bound (requests per thread, seconds). Records, per response,
    (sent, done, status, origin name); failures (no response) go to errors."""

    def __init__(self, r, threads, per_thread, seconds, path="/echo"):
        self.r = r
        self.path = path
        self.per_thread = per_thread
        self.seconds = seconds * SLOW
        self.lock = threading.Lock()
        self.results = []
        self.errors = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                         for k in range(threads)]

    def _run(self, k):
        deadline = time.monotonic() + self.seconds
        conn = None
        try:
            for i in range(self.per_thread):
                if self._stop.is_set() or time.monotonic() > deadline:
                    return
                t0 = time.monotonic()
                try:
                    if conn is None:
                        conn = RawConn(self.r.port, timeout=5 * SLOW)
                    resp = conn.request("GET", "%s?k=%d&i=%d" % (self.path, k, i))
                except (OSError, Closed, AssertionError) as e:
                    with self.lock:
                        self.errors.append((time.monotonic(), repr(e)))
                    if conn is not None:
                        conn.close()
                    conn = None
                    continue
                with self.lock:
                    self.results.append((t0, time.monotonic(), resp.status, served_by(resp)))
                if "close" in resp.tokens("Connection"):
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(self.seconds + 10 * SLOW)
        assert not any(t.is_alive() for t in self._threads), "load threads did not end"
        return self

    def run(self):
        return self.start().stop_when_done()

    def stop_when_done(self):
        for t in self._threads:
            t.join(self.seconds + 10 * SLOW)
        return self.stop()

    def snapshot(self):
        with self.lock:
            return list(self.results)
