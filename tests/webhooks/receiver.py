"""A real HTTP receiver on 127.0.0.1 for the webhook tests and the benchmark: it keeps what it is sent.

Each request is kept as a :class:`Received` (headers, body, parsed JSON);
``answer`` decides the reply (a status, or ``(status, headers, body)``), by
default 204. ``stop()`` closes the port (the receiver is "down"); ``start()``
opens it again on the same port.
"""

import dataclasses
import http.server
import json
import socket
import threading


@dataclasses.dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


def free_port():
    """A port the system has free on 127.0.0.1 (several test runs may share the machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.received = []
        self.answer = lambda request: 204
        self._lock = threading.Lock()
        self._server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                with receiver._lock:
                    receiver.received.append(request)
                answer = receiver.answer(request)
                status, headers, body = answer if isinstance(answer, tuple) else (answer, {}, b"")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self):
        """The JSON bodies received, in order."""
        with self._lock:
            return [request.json for request in self.received]
