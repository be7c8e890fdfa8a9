"""Chaos scenario 6 (resources): the disk under the cache directory fills up, and one
client range tries to exhaust rampart's connections and descriptors.

Asserted in both: every response to ordinary clients is served (rampart-caused errors
= 0) and memory stays under the node's cap.
"""

import socket
import subprocess
import time

import pytest

import chaos_lib
from chaos_lib import STEP_S, ChaosOrigin, Load, RssSampler, write_report


def test_disk_full_under_the_cache_directory(tmp_path, rampart_factory):
    disk = tmp_path / "disk"
    disk.mkdir()
    # A 2 MiB tmpfs under a disk tier that believes it has 64 MiB: it fills within
    # seconds. Mounting needs root (and a kernel that lets this container mount).
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (%s)" % mounted.stderr.strip())
    origin = ChaosOrigin(body_size=32 * 1024)
    try:
        r = rampart_factory(**chaos_lib.chaos_config({
            "cache": {"memory": "8MiB", "max_object_size": "1MiB",
                      "disk": {"path": str(disk), "size": "64MiB"}},
            "sites": [{"name": "main", "default": True, "hosts": ["main.test"],
                       "origin": {"endpoints": [origin.endpoint]},
                       "cache": {"enabled": True}}]}))
        rss = RssSampler(r.pid)
        paths = ["/cached/big/%d" % i for i in range(600)]  # ~19 MiB of distinct objects
        load = Load(r.port, paths, threads=4, max_seconds=STEP_S * 4 + 30).start()
        time.sleep(STEP_S * 3)
        load.stop()
        max_rss = rss.stop()
        usage = subprocess.run(["df", "-k", str(disk)], capture_output=True, text=True).stdout
        used_kib = int(usage.splitlines()[-1].split()[2])
        errors = load.rampart_errors()
        not_ok = [s for s in load.samples if s.status != 200]
        write_report("disk_full", load, max_rss_mib=max_rss,
                     notes="2 MiB tmpfs under a 64 MiB disk tier; %d KiB used at the end; "
                     "non-200 answers: %d" % (used_kib, len(not_ok)))
        assert used_kib >= 1536, "the disk never filled: %s" % usage
        assert errors == [], chaos_lib.describe(errors)
        assert not_ok == [], chaos_lib.describe(not_ok)
        assert max_rss < chaos_lib.MEMORY_CAP_MIB
        assert r.proc.poll() is None
    finally:
        origin.stop()
        # Lazy: rampart (stopped by its fixture after this) may still hold files there.
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_connection_flood_from_one_range_leaves_others_served(chaos_origin, rampart_factory):
    fd_limit = chaos_lib.raise_own_fd_limit()
    per_ip = 20
    # As many idle connections as our own descriptors allow, from 127.9.x.y: each address
    # tries twice its per-address cap.
    attempts = min(3000 if chaos_lib.LONG else 1200, fd_limit - 500)
    addresses = max(1, attempts // (2 * per_ip))
    r = rampart_factory(**chaos_lib.chaos_config({
        "limits": {"max_connections": 20000, "max_connections_per_ip": per_ip},
        "timeouts": {"header_read": "30s"},
        "sites": [{"name": "main", "default": True, "hosts": ["main.test"],
                   "origin": {"endpoints": [chaos_origin.endpoint]}}]}))
    rss = RssSampler(r.pid)
    load = Load(r.port, ["/dyn/a", "/dyn/b"], threads=2, max_seconds=STEP_S * 6 + 60).start()
    held, refused = [], 0
    t0 = time.monotonic()
    try:
        for n in range(attempts):
            if time.monotonic() - t0 > 60:
                break
            ip = "127.9.%d.%d" % (n % addresses // 250, n % addresses % 250 + 1)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            try:
                s.bind((ip, 0))
                s.connect(("127.0.0.1", r.port))
                s.sendall(b"GET / HTTP/1.1\r\nHost: main.test\r\n")  # never finished
                held.append(s)
            except OSError:
                refused += 1
                s.close()
        time.sleep(STEP_S * 2)
        # A held connection refused at accept is reset: find out how many survive.
        alive = 0
        for s in held:
            try:
                s.setblocking(False)
                data = s.recv(1)
                alive += 0 if data == b"" else 1
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
    finally:
        for s in held:
            s.close()
        load.stop()
    max_rss = rss.stop()
    errors = load.rampart_errors()
    write_report("connection_flood", load, max_rss_mib=max_rss,
                 notes="%d connection attempts from %d addresses in 127.9.0.0/16 (cap %d per "
                 "address): %d held open by rampart, %d refused at connect" % (
                     attempts, addresses, per_ip, alive, refused))
    assert alive <= addresses * per_ip
    assert len(load.samples) > 20
    assert errors == [], chaos_lib.describe(errors)
    assert max_rss < chaos_lib.MEMORY_CAP_MIB
