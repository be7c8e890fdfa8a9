"""Chaos scenario 5: the origin fails under steady load — killed (nothing listens),
hanging (reads requests, never answers), answering 500 to everything, resetting in the
middle of a body — and comes back after each fault.

Asserted: rampart itself breaks no response while the origin is healthy (before, between
and after the faults); every request for a cached path during a fault where a stored
copy can answer (killed, hanging, 500) gets that copy; rampart's memory stays under the
node's cap; it answers normally once the origin is back.
"""

import time

import chaos_lib
from chaos_lib import STEP_S, Load, RssSampler, write_report

CACHED = ["/cached/%d" % i for i in range(8)]
DYNAMIC = ["/dyn/%d" % i for i in range(4)]
# Faults a stored copy answers. A reset in the middle of a body comes after the origin
# sent a 200 head, which rampart has already begun to stream: that response is broken
# for the client (an origin error), whether cached or not.
STALE_MODES = ("down", "hang", "error")
MODES = STALE_MODES + ("reset",)
# After the origin is back, rampart may still hold a failure count or an ejection for
# the endpoint; requests in this window belong to the fault.
SETTLE_S = 3.0


def test_origin_failures_serve_stale_and_never_break_on_their_own(chaos_origin,
                                                                  rampart_factory):
    r = rampart_factory(config=None, **chaos_lib.chaos_config({
        "sites": [{
            "name": "main", "default": True, "hosts": ["main.test"],
            "origin": {"endpoints": [chaos_origin.endpoint]},
            "cache": {"enabled": True},
        }],
    }))
    rss = RssSampler(r.pid)
    for path in CACHED:  # stored before the first fault
        status, headers, _ = chaos_lib.helpers.http_get(r.port, path)
        assert status == 200 and headers.get("X-Chaos-Origin") == "1"

    load = Load(r.port, CACHED + DYNAMIC, threads=4, max_seconds=STEP_S * 20 + 60,
                max_requests=2_000_000).start()
    detect = {}
    try:
        time.sleep(STEP_S)
        for mode in MODES:
            t = load.fault_start(mode)
            chaos_origin.set_mode(mode)
            # Long enough for the cached copies to expire (max-age=1) and be asked for.
            time.sleep(max(STEP_S, 2.5))
            chaos_origin.set_mode("ok")
            load.fault_end(settle=SETTLE_S)
            detect[mode] = load.first_after(
                t, lambda s: s.path.startswith("/cached/") and s.status == 200 and s.stale)
            time.sleep(SETTLE_S + STEP_S)
    finally:
        load.stop()
    max_rss = rss.stop()

    rampart_errors = load.rampart_errors()
    stale = load.stale_served()
    notes = []
    for mode in MODES:
        during = load.during(mode)
        notes.append("%s: %d requests, %d origin errors, %d stale" % (
            mode, len(during), len(load.origin_errors(mode)), len(load.stale_served(mode))))
    detected = [v for v in detect.values() if v is not None]
    write_report("origin_failures", load, origin_errors=len(load.origin_errors()),
                 stale_served=len(stale),
                 time_to_detect_s=max(detected) if detected else None,
                 max_rss_mib=max_rss,
                 notes="; ".join(notes) + ". time_to_detect_s: the slowest fault's first "
                 "stale answer after it began")

    assert len(load.healthy()) > 50, "too little load to judge: %d" % len(load.healthy())
    assert rampart_errors == [], chaos_lib.describe(rampart_errors)
    for mode in STALE_MODES:
        missed = load.cached_failures(mode)
        fault = [f for f in load.faults if f[0] == mode][0]
        assert missed == [], "%s (fault %.3f..%.3f): %s" % (mode, fault[1], fault[2],
                                                            chaos_lib.describe(missed))
        assert load.stale_served(mode), "%s: no stale copy served" % mode
    assert max_rss < chaos_lib.MEMORY_CAP_MIB, max_rss
    # Back to normal: the origin answers through rampart again.
    status, headers, _ = chaos_lib.helpers.http_get(r.port, "/dyn/after")
    assert status == 200 and headers.get("X-Chaos-Origin") == "1"
