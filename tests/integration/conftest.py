"""Fixtures for rampart's integration tests.

- origin / origin_factory: demo origins (scripts/demo_origin.py) on free loopback ports
- rampart_factory(**overrides): starts `rampart run -c FILE` with a test config deep-merged
  with overrides, waits for the admin /status to answer 200, and at teardown stops it with
  SIGTERM and asserts it exits 0 within the shutdown grace. Its stdout/stderr are printed
  when the test fails.
- rampart: one rampart with the default config in front of `origin`.
- redis_server: a redis-server on a free loopback port (redis_util.py), killed at teardown.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import helpers  # noqa: E402
from helpers import Origin, Rampart, base_config, deep_merge, free_port  # noqa: E402
from redis_util import RedisServer  # noqa: E402


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    for when in ("setup", "call"):
        rep = getattr(request.node, "rep_" + when, None)
        if rep is not None and rep.failed:
            return True
    return False


@pytest.fixture
def origin_factory(tmp_path):
    started = []

    def start(name="A", port=None):
        o = Origin(tmp_path, name=name, port=port)
        started.append(o)
        return o

    yield start
    bad = []
    for o in started:
        rc = o.stop()
        if rc != 0:
            bad.append("demo origin %s on port %d exited with %r on SIGTERM; log:\n%s"
                       % (o.name, o.port, rc, o.log_path.read_text(errors="replace")[-3000:]))
    assert not bad, "\n".join(bad)


@pytest.fixture
def origin(origin_factory):
    return origin_factory("A")


@pytest.fixture
def rampart_factory(tmp_path, request):
    started = []

    def start(origins=None, wait=True, config=None, **overrides):
        """origins: list of Origin (or "host:port" strings) for the default site."""
        assert helpers.wait_for_binary(), \
            "rampart binary not found at %s (set RAMPART_BIN)" % helpers.RAMPART_BIN
        if config is None:
            eps = [o if isinstance(o, str) else o.endpoint for o in (origins or [])]
            if not eps:
                eps = ["127.0.0.1:%d" % free_port()]  # nothing listens there
            config = base_config(free_port(), free_port(), eps,
                                 tmp_path / ("access-%d.log" % len(started)))
            config = deep_merge(config, overrides)
        r = Rampart(tmp_path, config, wait=False, name="rampart-%d" % len(started))
        started.append(r)
        if wait:
            r.wait_ready()
        return r

    yield start

    problems = []
    for r in started:
        rc, secs = r.stop()
        if rc != 0:
            problems.append("rampart pid %d: exit code %r after SIGTERM (waited %.1fs; grace "
                            "%.1fs)" % (r.pid, rc, secs, r.grace))
        report = r.sanitizer_report()
        if report:
            problems.append("sanitizer report from pid %d:\n%s" % (r.pid, report))
    if _failed(request) or problems:
        for r in started:
            print("\n===== rampart pid %d (config %s) =====" % (r.pid, r.config_path))
            print(r.logs())
    assert not problems, "\n".join(problems)


@pytest.fixture
def rampart(rampart_factory, origin):
    return rampart_factory([origin])


@pytest.fixture
def redis_server(tmp_path):
    r = RedisServer(tmp_path, free_port())
    r.start()
    yield r
    r.kill()
