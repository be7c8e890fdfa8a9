"""A small HTTP/2-only origin for the integration tests, on the `h2` state machine: cleartext
prior knowledge, or TLS that selects "h2" in ALPN (or, with alpn=("http/1.1",), refuses it).
Counts TCP connections and requests, and remembers what each request carried.

    GET  /hello        -> 200, body "h2 origin GET /hello", no content-length
    POST /echo         -> 200, the request body back, with content-length
    GET  /trailers     -> 200, body "data", then trailers x-checksum: abc
    HEAD /hello        -> 200, content-length of the GET body, no body
    GET  /goaway       -> 200, then (0.2 s later) GOAWAY and the connection closed
"""

import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from helpers import LoopbackServer


class H2Origin(LoopbackServer):
    def __init__(self, tls_cert=None, tls_key=None, alpn=("h2",)):
        self.ctx = None
        if tls_cert is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(str(tls_cert), str(tls_key))
            self.ctx.set_alpn_protocols(list(alpn))
        self.requests = []  # (method, path, headers dict, body)
        self.closed = 0  # connections this side closed
        self._start_listening()

    def _serve(self, raw, _n):
        raw.settimeout(20)
        conn = raw
        try:
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(raw, server_side=True)
                if conn.selected_alpn_protocol() != "h2":
                    conn.close()
                    return
            h2c = h2.connection.H2Connection(h2.config.H2Configuration(
                client_side=False, header_encoding="utf-8"))
            h2c.initiate_connection()
            conn.sendall(h2c.data_to_send())
            streams = {}
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for ev in h2c.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        streams[ev.stream_id] = [dict(ev.headers), b""]
                    elif isinstance(ev, h2.events.DataReceived):
                        streams[ev.stream_id][1] += ev.data
                        h2c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        headers, body = streams.pop(ev.stream_id)
                        self._respond(h2c, conn, ev.stream_id, headers, body)
                        if headers[":path"] == "/goaway":
                            conn.sendall(h2c.data_to_send())
                            time.sleep(0.2)  # after the response, apart from it
                            h2c.close_connection()
                            conn.sendall(h2c.data_to_send())
                            return
                conn.sendall(h2c.data_to_send())
        except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
            return
        finally:
            conn.close()
            with self.lock:
                self.closed += 1

    def _send_body(self, h2c, conn, stream_id, body, end_stream=True):
        # Sends as the window allows, reading WINDOW_UPDATEs while it waits.
        while body:
            window = min(h2c.local_flow_control_window(stream_id), h2c.max_outbound_frame_size)
            if window <= 0:
                conn.sendall(h2c.data_to_send())
                for ev in h2c.receive_data(conn.recv(65536)):
                    pass
                continue
            h2c.send_data(stream_id, body[:window])
            body = body[window:]
            conn.sendall(h2c.data_to_send())
        if end_stream:
            h2c.end_stream(stream_id)

    def _respond(self, h2c, conn, stream_id, headers, body):
        method, path = headers[":method"], headers[":path"]
        with self.lock:
            self.requests.append((method, path, headers, body))
        if path == "/echo":
            h2c.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(body))),
                                         ("x-origin-proto", "h2")])
            self._send_body(h2c, conn, stream_id, body)
        elif path == "/trailers":
            h2c.send_headers(stream_id, [(":status", "200"), ("x-origin-proto", "h2")])
            self._send_body(h2c, conn, stream_id, b"data", end_stream=False)
            h2c.send_headers(stream_id, [("x-checksum", "abc")], end_stream=True)
        else:
            text = ("h2 origin GET %s" % path).encode()
            if method == "HEAD":
                h2c.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(text))),
                                             ("x-origin-proto", "h2")], end_stream=True)
                return
            h2c.send_headers(stream_id, [(":status", "200"), ("x-origin-proto", "h2")])
            self._send_body(h2c, conn, stream_id, text)

    @property
    def accepted(self):
        return self.connections

    def stop(self):
        self.close()
