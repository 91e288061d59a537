"""``manage.py helpdesk_tickets_housekeeping``: the periodic chores of the helpdesk.

Closes tickets resolved more than ``AUTO_CLOSE_AFTER`` days ago, escalates
(a warning ``SLA_WARNING_BEFORE`` ahead of each deadline; on a breach an
``sla_breached`` event, the department's priority rise and an e-mail, once
per deadline and due time; see ``services.escalate``), flags tickets that
finished past their SLA deadline and sweeps the outbox: e-mails a crashed worker held go back to the queue, and those
that are due (say, after the mail server was down) are sent; the webhook
deliveries likewise. Meant for cron, e.g. every minute::

    * * * * * /path/to/venv/bin/python manage.py helpdesk_tickets_housekeeping --verbosity 0

Idempotent and safe to overlap: every change is a conditional update in its
own transaction, so a second run (or two at once) finds nothing left to do.

``--recompute-due-times`` also moves the SLA deadlines of open tickets to
match the current calendar and department targets: run it once after
editing holidays, business hours or targets.

``--every SECONDS`` keeps running and repeats the chores every SECONDS, for
sites without cron: start it beside the tasks worker (the example project's
demo command does). A failed round (the database restarting, say) is logged
and the next one runs on time; stop it with Ctrl+C or SIGTERM.

``--delete-orphan-files`` also deletes stored attachment files of the last
two months that no attachment refers to and that are older than an hour
(left behind when a failed write could not delete them either, say because
the storage was down too). It lists the storage: run it hourly or daily.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ... import attachments, services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Close long-resolved tickets, warn ahead of SLA deadlines, escalate and flag breaches, and send the "
        "e-mails that are due. "
        "Idempotent; run it from cron every minute."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recompute-due-times",
            action="store_true",
            help="First recompute the SLA deadlines of open tickets (after editing holidays or targets).",
        )
        parser.add_argument(
            "--delete-orphan-files",
            action="store_true",
            help="Also delete stored attachment files that no attachment refers to (older than an hour).",
        )
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="Keep running and repeat the chores every SECONDS (for sites without cron).",
        )

    def handle(self, *args, **options):
        every = options["every"]
        if every is None:
            self.run_once(options)
            return
        if every < 1:
            raise CommandError("--every must be at least 1 second.")
        stopping = []
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            while not stopping:
                started = time.monotonic()
                # A connection the database dropped meanwhile is replaced, as
                # for a request (close_old_connections, but never inside a
                # transaction of the caller's).
                for connection in connections.all(initialized_only=True):
                    if not connection.in_atomic_block:
                        connection.close_if_unusable_or_obsolete()
                try:
                    self.run_once(options)
                except Exception:
                    # The next round retries: every chore is idempotent.
                    logger.exception("helpdesk_tickets_housekeeping: a round failed; the next one runs on time")
                # What is asked for once (recomputing deadlines, listing the storage) is not repeated.
                options = {**options, "recompute_due_times": False, "delete_orphan_files": False}
                while not stopping and time.monotonic() - started < every:
                    time.sleep(min(0.5, every))
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)

    def run_once(self, options):
        if options["recompute_due_times"]:
            # Before flagging, so that breaches are judged against the new deadlines.
            moved = services.recompute_open_due_times()
            if options["verbosity"] >= 1:
                self.stdout.write(f"Moved the SLA deadlines of {moved} open ticket(s).")
        # The services work through the tickets batch by batch themselves.
        closed = services.auto_close_resolved()
        # Escalation flags the breaches of open tickets itself; flag_breaches()
        # then those that finished late.
        escalation = services.escalate()
        flagged = escalation.flagged + services.flag_breaches()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Closed {closed} resolved ticket(s); flagged {flagged} SLA breach(es).")
            self.stdout.write(
                f"Escalation: warned about {escalation.warned} deadline(s) coming up, escalated "
                f"{escalation.breached} breach(es), raised {escalation.raised} priority(ies)."
            )
        # After the chores, whose changes may have written e-mails of their own.
        mail = services.sweep_outbox()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Outbox: sent {mail.sent} e-mail(s), {mail.retried} wait for a retry, {mail.failed} failed, "
                f"{mail.skipped} skipped; took back {mail.released} from stopped workers."
            )
        hooks = services.sweep_webhooks()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Webhooks: delivered {hooks.sent}, {hooks.retried} wait for a retry, {hooks.failed} failed; "
                f"took back {hooks.released} from stopped workers."
            )
        if options["delete_orphan_files"]:
            orphans = attachments.delete_orphan_files()
            if options["verbosity"] >= 1:
                self.stdout.write(f"Deleted {len(orphans)} orphan attachment file(s).")
