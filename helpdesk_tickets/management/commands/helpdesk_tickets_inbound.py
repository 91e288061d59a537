"""``manage.py helpdesk_tickets_inbound [--recipient ADDRESS] [FILE]``: one e-mail from the mail server's pipe.

Reads one RFC 5322 message from FILE or standard input, as bytes, hands it
to :func:`~helpdesk_tickets.services.receive_email` and prints its outcome
on one line: ``created <reference>``, ``appended <reference>``,
``duplicate``, ``held: <reason>`` or ``ignored: <reason>``.

The exit status speaks to the mail server (sysexits.h, as Postfix's pipe
and Exim's pipe transport read it):

- 0: the message was recorded, whatever its outcome — the server must not
  bounce it;
- 65 (EX_DATAERR): the input is empty — nothing to deliver, a bounce is right;
- 66 (EX_NOINPUT): FILE cannot be read;
- 75 (EX_TEMPFAIL): nothing could be recorded (database or storage down):
  the server keeps the message and tries again later, and the second
  delivery of a message that was recorded after all answers ``duplicate``.

Errors go to stderr as ``error: <reason>``.
"""

import logging
import sys

from django.core.management.base import BaseCommand

from ... import services
from ...exceptions import InboundNotRecorded

logger = logging.getLogger("helpdesk_tickets.email")

EX_DATAERR = 65
EX_NOINPUT = 66
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Receive one e-mail (RFC 5322) from FILE or standard input, e.g. from a Postfix or Exim pipe; prints the "
        "outcome. Exits 0 when it was recorded, 75 (try again later) when it could not be."
    )
    # call_command(..., stdin=<binary file>) stands for standard input (tests, callers in Python).
    stealth_options = ("stdin",)
    # Run once per message by the mail server: the system checks would cost every delivery
    # their time, and on Django 6.1 they open the database before handle() can answer 75.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", metavar="FILE", help="The message; standard input when left out or '-'.")
        parser.add_argument(
            "--recipient",
            metavar="ADDRESS",
            help="The envelope recipient (Postfix pipe: ${recipient}); without it To, Cc and Delivered-To decide.",
        )

    def handle(self, *args, file=None, recipient=None, **options):
        raw = self._read(file, options.get("stdin"))
        if not raw.strip():
            self._fail(EX_DATAERR, "the input is empty: no message to receive")
        try:
            outcome = services.receive_email(raw, recipient=recipient or None)
        except InboundNotRecorded as exc:
            self._fail(EX_TEMPFAIL, f"not recorded, try again later: {exc}")
        except Exception as exc:  # whatever it was, the mail server must keep the message
            logger.exception("helpdesk_tickets: an inbound e-mail from the pipe failed")
            self._fail(EX_TEMPFAIL, f"not recorded, try again later: {exc.__class__.__name__}: {exc}")
        self.stdout.write(outcome.line)

    def _read(self, file, stdin):
        if file and file != "-":
            try:
                with open(file, "rb") as handle:
                    return handle.read()
            except OSError as exc:
                self._fail(EX_NOINPUT, f"cannot read {file}: {exc.strerror or exc}")
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read()

    def _fail(self, status, reason):
        # Not a CommandError: the mail server shows stderr to the sender's postmaster as is.
        self.stderr.write(f"error: {reason}")
        raise SystemExit(status)
