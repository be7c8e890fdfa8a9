"""Fixtures of the chaos suite (see chaos_lib.py for what a scenario measures).

- chaos_origin: a ChaosOrigin on a free loopback port, stopped at teardown
- rampart_factory, origin_factory, redis_server: the integration tests' fixtures (a real
  `rampart run`, demo origins, a redis-server), reused as they are
"""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import chaos_lib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "integration_conftest", os.path.join(HERE, "..", "integration", "conftest.py"))
_integration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_integration)

pytest_runtest_makereport = _integration.pytest_runtest_makereport
origin_factory = _integration.origin_factory
rampart_factory = _integration.rampart_factory
redis_server = _integration.redis_server


@pytest.fixture
def chaos_origin():
    o = chaos_lib.ChaosOrigin()
    yield o
    if o.mode != "down":
        o.stop()
