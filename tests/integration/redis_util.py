"""A real redis-server for the cluster tests (rate limits, rollouts), integration and
chaos alike: started on a loopback port with no persistence, so a restart comes back
empty, and ready once it answers PING."""

import shutil
import socket
import subprocess
import time

import pytest

REDIS = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    REDIS is None, reason="redis-server is not installed (scripts/install-deps.sh installs it)")


class RedisServer:
    def __init__(self, workdir, port):
        self.workdir, self.port, self.proc = workdir, port, None

    def start(self):
        log = open(self.workdir / ("redis-%d.log" % self.port), "ab")
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("redis-server did not come up on port %d" % self.port)

    def kill(self):
        """SIGKILL: the server goes at once, with everything it held."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None
