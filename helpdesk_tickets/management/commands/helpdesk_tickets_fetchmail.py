"""``manage.py helpdesk_tickets_fetchmail [--once] [--mailbox NAME] [--interval SECONDS]``: IMAP into tickets.

Reads the mailboxes of ``HELPDESK_TICKETS["INBOUND_MAILBOXES"]`` (see
:mod:`helpdesk_tickets.management.fetchmail` for the keys and for why a
message is moved only after it was recorded). Prints one line per message,
``<mailbox> <uid> <outcome>`` (verbosity 0: errors only, on stderr).

Without ``--once`` it runs until SIGTERM or SIGINT (finishing the message in
hand): one connection per mailbox, waiting in IMAP IDLE when the server
offers it, else polling every ``--interval`` seconds (with IDLE, a pass also
runs that often, for messages left behind for a retry); a lost connection
is retried with a growing pause.

``--once`` reads every mailbox once and exits: 0 when each could be read
(messages that could not be recorded are reported and stay for the next
run), 1 when one could not be read at all (unreachable, TLS or login
refused), 2 when ``INBOUND_MAILBOXES`` is unusable.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ..fetchmail import MailboxConfigError, MailboxReader, configured_mailboxes


class Report:
    """The readers' output: one line per message on stdout, errors on stderr; safe across threads."""

    def __init__(self, command, verbosity):
        self.command, self.verbosity = command, verbosity
        self.lock = threading.Lock()

    def message(self, box, uid, line):
        if self.verbosity >= 1:
            with self.lock:
                self.command.stdout.write(f"{box.name} {uid} {line}")

    def note(self, text):
        if self.verbosity >= 2:
            with self.lock:
                self.command.stdout.write(text)

    def error(self, text):
        with self.lock:
            self.command.stderr.write(text)


class Command(BaseCommand):
    help = (
        "Read the IMAP mailboxes of HELPDESK_TICKETS['INBOUND_MAILBOXES'] into tickets: each message is moved "
        "to its processed folder once recorded. Runs until stopped (IDLE or polling), or once with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Read every mailbox once and exit (for cron); 1 if one was unreadable."
        )
        parser.add_argument(
            "--mailbox",
            action="append",
            metavar="NAME",
            help="Only the mailbox of this name (its 'name' key, else username@host); may be repeated.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="Seconds between two passes when the server has no IDLE, and at most between two with it "
            "(default 60).",
        )

    def handle(self, *args, once=False, mailbox=None, interval=60.0, **options):
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.", returncode=2)
        try:
            boxes = configured_mailboxes(mailbox)
        except MailboxConfigError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if not boxes:
            raise CommandError(
                "HELPDESK_TICKETS['INBOUND_MAILBOXES'] is empty: there is no mailbox to read.", returncode=2
            )
        report = Report(self, options["verbosity"])
        if once:
            unreadable = [box.name for box in boxes if not MailboxReader(box, report).run_once()]
            if unreadable:
                raise CommandError(
                    f"{len(unreadable)} of {len(boxes)} mailbox(es) could not be read: {', '.join(unreadable)}",
                    returncode=1,
                )
            return
        stop = threading.Event()
        with _stopped_by_signals(stop):
            readers = [MailboxReader(box, report, stop=stop) for box in boxes]
            if len(readers) == 1:
                readers[0].run_forever(interval)
                return
            threads = [
                threading.Thread(target=_in_thread, args=(reader, interval), name=f"fetchmail {reader.box.name}")
                for reader in readers
            ]
            for thread in threads:
                thread.start()
            try:
                for thread in threads:
                    # Short joins, so that the main thread keeps taking signals.
                    while thread.is_alive():
                        thread.join(timeout=0.5)
            finally:
                stop.set()


def _in_thread(reader, interval):
    try:
        reader.run_forever(interval)
    finally:
        # A thread's database connection is its own: closed here, or it outlives the thread.
        connections.close_all()


class _stopped_by_signals:
    """SIGTERM and SIGINT set ``stop`` while the block runs (main thread only); the old handlers come back after."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, stop):
        self.stop, self.previous = stop, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame):
        self.stop.set()

    def __exit__(self, *exc_info):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
