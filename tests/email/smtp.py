"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, on a free port, keeping what it receives.

:func:`smtp_sink` starts one and points Django's SMTP backend at it; a test
module makes it a fixture::

    @pytest.fixture
    def sink(settings):
        with smtp.smtp_sink(settings) as running:
            yield running

The sink can be stopped and started again on the same port (the mail server
is down), or told to drop the connection after some messages (it fails in
the middle of a batch).
"""

import contextlib
import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Sink:
    """The handler and controller of one SMTP server that keeps every accepted message."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []  # email.message.EmailMessage, in the order accepted
        self.envelopes = []  # (mail from, [rcpt to])
        self._lock = threading.Lock()
        self._accept = None  # None: accept everything; n: accept n more, then drop each connection
        self.refused = {}  # recipient address -> the reply to RCPT TO, e.g. "550 5.1.1 No such user"
        self.sessions = 0  # EHLO greetings: one per connection a client made
        self._controller = None

    # --- the server's side

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.refused.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._accept is not None:
                if self._accept <= 0:
                    # The server goes away mid-conversation: the client loses the connection.
                    server.transport.close()
                    return "421 4.3.2 Service shutting down"
                self._accept -= 1
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted"

    # --- the test's side

    def start(self):
        self._controller = Controller(self, hostname=HOST, port=self.port, ready_timeout=10)
        for attempt in range(50):
            try:
                self._controller.start()
                return self
            except OSError:  # the port of the previous run is still being released
                if attempt == 49:
                    raise
                self._controller = Controller(self, hostname=HOST, port=self.port, ready_timeout=10)
                time.sleep(0.1)
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self):
        return self._controller is not None

    def fail_after(self, count):
        """Accept ``count`` more messages, then drop the connection of every one after them (until :meth:`recover`)."""
        with self._lock:
            self._accept = count

    def recover(self):
        with self._lock:
            self._accept = None

    def clear(self):
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()
            self.sessions = 0

    def message_ids(self):
        with self._lock:
            return [message["Message-ID"] for message in self.messages]

    def wait_for(self, count, timeout=30):
        """Wait until ``count`` messages arrived; returns them."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            return list(self.messages)


@contextlib.contextmanager
def smtp_sink(settings):
    """A running :class:`Sink`, with Django's SMTP backend pointed at it (``settings``: pytest-django's fixture)."""
    sink = Sink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        sink.stop()
