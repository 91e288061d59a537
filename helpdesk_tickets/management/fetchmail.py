"""IMAP mailboxes into :func:`~helpdesk_tickets.services.receive_email`: the engine of ``helpdesk_tickets_fetchmail``.

The folder is the queue. Each pass lists every message in the mailbox's
folder in UID order, fetches its bytes exactly as the server keeps them
(``BODY.PEEK[]``: not re-serialised, nothing marked seen), hands them to
``receive_email`` and, only once that returned (the message is committed),
moves the message to ``processed_folder`` (or ``held_folder`` for a held
one). Nothing is ever deleted first. A message that could not be recorded
(``InboundNotRecorded``: database or storage down) stays where it is and is
tried again on the next pass.

Correctness rests on ``receive_email`` being idempotent (same Message-ID or
same bytes: ``duplicate``), so a message read twice — a move that failed, a
crash between commit and move, two readers at once — is harmless. What the
reader remembers, in Django's cache, is only an economy: per mailbox and
folder, the folder's UIDVALIDITY and the UIDs recorded whose move has not
happened yet, so that they are moved on the next pass without being fetched
again. UIDs mean something only under the UIDVALIDITY they were read with:
when the server reports another one (the folder was re-created or rebuilt),
the remembered UIDs are dropped, lest a new message that got an old UID be
moved unread. A high-water mark ("every UID up to N is done") is not kept on
purpose: the messages left behind for a retry sit below it.
"""

import hashlib
import imaplib
import logging
import re
import threading
import time

from django.core.cache import cache
from django.db import close_old_connections

from .. import services
from ..exceptions import InboundNotRecorded
from .mailboxes import (
    DEFAULT_PORTS,
    KEYS,
    LOCAL_HOSTS,
    NETWORK_ERRORS,
    MailboxConfigError,
    MailboxSettings,
    _close,
    configured_mailboxes,
    describe,
)

# The mailbox settings and their errors live in .mailboxes; imported here by the
# names the command and host code have always used.
__all__ = [
    "DEFAULT_PORTS",
    "KEYS",
    "LOCAL_HOSTS",
    "MAX_IDLE",
    "NETWORK_ERRORS",
    "MailboxConfigError",
    "MailboxReader",
    "MailboxSettings",
    "UidMemory",
    "configured_mailboxes",
    "describe",
]

logger = logging.getLogger("helpdesk_tickets.email")

#: IMAP IDLE is renewed well before the 29 minutes of RFC 2177.
MAX_IDLE = 25 * 60

_UID_IN_FETCH = re.compile(rb"UID (\d+)")


class UidMemory:
    """What this reader remembers of one folder: its UIDVALIDITY and the UIDs recorded but not moved yet.

    Kept in Django's default cache (a local-memory cache keeps it per
    process; that only costs a re-fetch answered ``duplicate``).
    """

    def __init__(self, box):
        identity = f"{box.host}\0{box.port}\0{box.username}\0{box.folder}".encode()
        self.key = "helpdesk_tickets:fetchmail:" + hashlib.sha256(identity).hexdigest()[:32]

    def load(self, uidvalidity):
        """``{uid: folder it goes to}`` remembered, and the UIDVALIDITY they were kept under if not ``uidvalidity``."""
        try:
            state = cache.get(self.key) or {}
        except Exception:  # a cache that is down costs re-fetches, nothing else
            logger.warning("helpdesk_tickets: fetchmail cannot read the cache", exc_info=True)
            state = {}
        if state.get("uidvalidity") not in (None, uidvalidity):
            return {}, state["uidvalidity"]
        return dict(state.get("recorded") or {}), None

    def save(self, uidvalidity, recorded):
        try:
            cache.set(self.key, {"uidvalidity": uidvalidity, "recorded": recorded}, None)
        except Exception:
            logger.warning("helpdesk_tickets: fetchmail cannot write the cache", exc_info=True)


class MailboxReader:
    """Reads one mailbox: :meth:`run_once` for a single pass, :meth:`run_forever` for the daemon.

    ``report`` receives ``message(box, uid, line)``, ``error(text)`` and
    ``note(text)`` (shown from verbosity 2) calls (see the command); ``stop`` is a
    :class:`threading.Event` that ends :meth:`run_forever` between two messages.
    """

    #: Seconds before the first reconnection; doubled after each failure up to ``max_backoff``.
    backoff = 2.0
    max_backoff = 300.0

    def __init__(self, box, report, stop=None):
        self.box = box
        self.report = report
        self.stop = stop or threading.Event()
        self.memory = UidMemory(box)

    # -- one pass ------------------------------------------------------------

    def run_once(self):
        """Connect, read the folder once, disconnect; False (after reporting why) when the mailbox could not be read."""
        try:
            client = self.box.connect()
        except NETWORK_ERRORS as exc:
            self.report.error(f"{self.box.name} error: {describe(exc, self.box)}")
            return False
        try:
            self.prepare(client)
            self.read(client)
        except NETWORK_ERRORS as exc:
            self.report.error(f"{self.box.name} error: {describe(exc, self.box)}")
            return False
        finally:
            _close(client)
        return True

    def prepare(self, client):
        """Create the folders messages are moved to, when missing (subscribed, so mail clients show them)."""
        for folder in filter(None, (self.box.processed_folder, self.box.held_folder)):
            if not client.folder.exists(folder):
                client.folder.create(folder)
                client.folder.subscribe(folder, True)
                self.report.note(f"{self.box.name}: created the folder {folder!r}")

    def read(self, client):
        """One pass over the folder on an open session."""
        box = self.box
        client.folder.set(box.folder)
        uidvalidity = self._uidvalidity(client)
        recorded, previous = self.memory.load(uidvalidity)
        if previous is not None:
            text = f"UIDVALIDITY of {box.folder!r} is {uidvalidity}, was {previous}: remembered UIDs dropped"
            logger.warning("helpdesk_tickets: fetchmail %s: %s", box.name, text)
            self.report.note(f"{box.name}: {text}")
        uids = sorted(int(uid) for uid in client.uids("ALL"))
        # What left the folder otherwise needs no remembering.
        present = set(uids)
        recorded = {uid: folder for uid, folder in recorded.items() if uid in present}
        for uid in uids:
            if self.stop.is_set():
                break
            if uid in recorded:
                # Recorded on an earlier pass whose move failed: only the move is left to do.
                self._move(client, uid, recorded.pop(uid))
                self.memory.save(uidvalidity, recorded)
                self.report.message(box, uid, "duplicate")
                continue
            raw = self._fetch(client, uid)
            if raw is None:
                continue  # expunged meanwhile by someone else
            try:
                outcome = services.receive_email(raw, recipient=box.recipient)
            except InboundNotRecorded as exc:
                self.report.error(
                    f"{box.name} {uid} error: not recorded ({exc}); left in {box.folder!r} for the next pass"
                )
                continue
            except Exception as exc:  # one bad message must not stop the others
                logger.exception("helpdesk_tickets: receive_email failed on %s UID %s", box.name, uid)
                self.report.error(
                    f"{box.name} {uid} error: {exc.__class__.__name__}: {exc}; left in {box.folder!r} for the next pass"
                )
                continue
            # Committed: from here on, a failure costs a re-fetch answered "duplicate", never the mail.
            held = outcome.line.startswith("held") and box.held_folder
            recorded[uid] = box.held_folder if held else box.processed_folder
            self.memory.save(uidvalidity, recorded)
            self._move(client, uid, recorded.pop(uid))
            self.memory.save(uidvalidity, recorded)
            self.report.message(box, uid, outcome.line)

    @staticmethod
    def _uidvalidity(client):
        # SELECT answers "* OK [UIDVALIDITY n]"; imaplib files it under the code's name.
        found = client.client.untagged_responses.get("UIDVALIDITY")
        if found and found[-1]:
            return int(found[-1])
        return int(client.folder.status(None, ["UIDVALIDITY"])["UIDVALIDITY"])

    @staticmethod
    def _fetch(client, uid):
        """The message's bytes exactly as the server keeps them, or None when it is gone."""
        status, data = client.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if status != "OK":
            raise imaplib.IMAP4.error(f"FETCH of UID {uid} answered {status}: {data!r}")
        for item in data or ():
            # Other (unsolicited) FETCH responses may come along: take the one of this UID.
            if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
                found = _UID_IN_FETCH.search(item[0])
                if found is None or int(found.group(1)) == uid:
                    return item[1]
        return None

    @staticmethod
    def _move(client, uid, folder):
        # imap-tools uses MOVE (RFC 6851) when offered, else COPY then delete.
        client.move(str(uid), folder)

    # -- the daemon ------------------------------------------------------------

    def run_forever(self, interval):
        """Read the folder until :attr:`stop` is set: after each new message (IDLE) or every ``interval`` seconds.

        With IDLE a pass also runs every ``interval`` seconds, for the
        messages left behind for a retry. A lost connection or refused login
        is reported and retried after a pause that doubles up to
        :attr:`max_backoff`.
        """
        backoff = self.backoff
        while not self.stop.is_set():
            idle = False
            try:
                client = self.box.connect()
                try:
                    self.prepare(client)
                    idle = "IDLE" in client.client.capabilities
                    self.report.note(f"{self.box.name}: connected, {'IDLE' if idle else f'polling every {interval}s'}")
                    while not self.stop.is_set():
                        close_old_connections()
                        try:
                            self.read(client)
                        finally:
                            close_old_connections()
                        backoff = self.backoff
                        if not idle:
                            break
                        self._idle(client, interval)
                finally:
                    _close(client)
            except Exception as exc:
                if not isinstance(exc, NETWORK_ERRORS):
                    # A bug must not end the reading of this mailbox for good: reported, then retried.
                    logger.exception("helpdesk_tickets: fetchmail failed on %s", self.box.name)
                self.report.error(f"{self.box.name} error: {describe(exc, self.box)}; trying again in {backoff:g}s")
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if not idle:
                self.stop.wait(interval)

    def _idle(self, client, interval):
        """Wait in IDLE until a new message arrives, ``interval`` seconds pass or :attr:`stop` is set.

        Raises ``IMAP4.abort`` when the server ends the session meanwhile
        (then there is no IDLE left to end).
        """
        deadline = time.monotonic() + min(interval, MAX_IDLE)
        client.idle.start()
        silent_wakeups = 0
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Short polls, so that a stop request is seen within a second.
            timeout = min(1.0, remaining)
            started = time.monotonic()
            responses = client.idle.poll(timeout=timeout)
            if any(response.startswith(b"* BYE") for response in responses):
                raise imaplib.IMAP4.abort(f"the server ended the session: {responses[-1].decode(errors='replace')}")
            if any(b"EXISTS" in response for response in responses):
                break
            # A closed socket is always readable and yields nothing: without this, a busy loop.
            early = not responses and time.monotonic() - started < timeout / 2
            silent_wakeups = silent_wakeups + 1 if early else 0
            if silent_wakeups >= 5:
                raise imaplib.IMAP4.abort("the server closed the connection")
        client.idle.stop()
