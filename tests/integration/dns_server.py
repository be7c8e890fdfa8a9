"""A small real DNS server on loopback UDP for the verified-bot tests: answers PTR, A and
AAAA queries from dictionaries the test fills, NXDOMAIN for everything else. Standard
library only."""

import socket
import struct
import threading

TYPE_A, TYPE_PTR, TYPE_AAAA = 1, 12, 28


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def decode_question(packet):
    """(labels joined with '.', qtype, offset after the question) of the first question."""
    pos, labels = 12, []
    while True:
        n = packet[pos]
        pos += 1
        if n == 0:
            break
        labels.append(packet[pos:pos + n].decode("ascii"))
        pos += n
    qtype, _ = struct.unpack("!HH", packet[pos:pos + 4])
    return ".".join(labels).lower(), qtype, pos + 4


def ptr_name(ip):
    if ":" in ip:
        packed = socket.inet_pton(socket.AF_INET6, ip).hex()
        return ".".join(reversed(packed)) + ".ip6.arpa"
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


class DnsServer:
    def __init__(self):
        self.ptr = {}    # "127.0.0.2" -> ["crawl.googlebot.com", ...]
        self.addrs = {}  # "crawl.googlebot.com" -> ["127.0.0.2", ...]
        self.queries = []  # (name, qtype) as received
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.address = "127.0.0.1:%d" % self.port
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()

    def _answer(self, name, qtype):
        if qtype == TYPE_PTR:
            for ip, names in self.ptr.items():
                if ptr_name(ip) == name:
                    return [(TYPE_PTR, encode_name(n)) for n in names]
        elif qtype in (TYPE_A, TYPE_AAAA):
            family = socket.AF_INET if qtype == TYPE_A else socket.AF_INET6
            ips = self.addrs.get(name.rstrip("."), [])
            return [(qtype, socket.inet_pton(family, ip)) for ip in ips
                    if (":" in ip) == (qtype == TYPE_AAAA)]
        return []

    def _serve(self):
        while not self._stop:
            try:
                packet, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                name, qtype, end = decode_question(packet)
            except (IndexError, UnicodeDecodeError, struct.error):
                continue
            self.queries.append((name, qtype))
            answers = self._answer(name, qtype)
            (qid,) = struct.unpack("!H", packet[:2])
            rcode = 0 if answers or name.rstrip(".") in self.addrs else 3
            header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
            body = packet[12:end]
            for rtype, rdata in answers:
                body += struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(rdata)) + rdata
            self.sock.sendto(header + body, peer)
