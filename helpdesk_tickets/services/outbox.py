"""The outbox: delivering the e-mails that :func:`helpdesk_tickets.notifications.notify` wrote.

Each notification e-mail is an :class:`~helpdesk_tickets.models.OutboundEmail`
row, written in the transaction of the change it reports. After the commit
a task (:mod:`helpdesk_tickets.tasks`) calls :func:`deliver`, which

1. claims a batch: the given rows and any others that are due, at most
   ``OUTBOX_BATCH_SIZE``, with one conditional ``UPDATE`` (``pending`` →
   ``sending``, a fresh claim token): two workers never hold the same row,
   on SQLite, PostgreSQL and MariaDB alike, without ``SKIP LOCKED``;
2. reads the claimed rows with everything their e-mails show, in one query;
   rows to an address that bounced, or to someone no longer allowed to hear
   about the ticket, become ``skipped``;
3. sends the rest over one mail-server connection, marking each row
   ``sent`` right after its own e-mail went: an outage or a crash in the
   middle of a batch never sends one twice;
4. puts back what could not be sent: ``pending`` again with ``attempts + 1``
   and the next attempt ``OUTBOX_RETRY_DELAYS[attempts - 1]`` seconds later,
   or ``failed`` after the last delay. A broken connection ends the batch.

When the task backend runs deferred tasks (``supports_defer``), a retry is
enqueued for the next due time; otherwise the next delivery (each one also
takes due rows) or :func:`sweep` sends them. :func:`sweep` also takes back
the rows of a worker that died holding them; ``helpdesk_tickets_housekeeping``
calls it, and ``tasks.sweep_outbox`` runs it as a periodic task.
"""

import dataclasses
import logging
import smtplib
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from .. import notifications, tasks
from ..choices import OutboxStatus
from ..conf import settings as app_settings
from ..models import BouncedAddress, OutboundEmail
from . import _claims
from ._transactions import commits_without_waiting_for_the_disk

logger = logging.getLogger(__name__)

#: A row ``sending`` for longer than this belongs to a worker that died: :func:`sweep` takes it back.
#: A delivery run stops claiming time at half of it (what is left goes back to ``pending``).
STALE_CLAIM_AFTER = timedelta(minutes=10)
#: Batches one :func:`sweep` delivers at most; the rest waits for the next run.
MAX_SWEEP_BATCHES = 50
#: Seconds an SMTP connection may hang when ``EMAIL_TIMEOUT`` is unset: a stuck server must not hold a worker.
DEFAULT_MAIL_TIMEOUT = 60

SKIPPED_BOUNCED = "The address is marked as failing (it bounced); clear it in the admin to send again."
SKIPPED_NOT_ALLOWED = "The recipient may no longer be told about this ticket (removed, deactivated or deleted)."
STALE_CLAIM = "The worker sending it stopped before it finished."


@dataclasses.dataclass
class Delivery:
    """What one delivery run (or sweep) did."""

    #: Rows claimed (batches together).
    claimed: int = 0
    sent: int = 0
    #: Put back to ``pending`` for a later attempt.
    retried: int = 0
    #: Given up (``failed``): the last delay had passed, or the server refused the e-mail for good.
    failed: int = 0
    skipped: int = 0
    #: Stale claims taken back by :func:`sweep`.
    released: int = 0
    #: Whether the mail server could not be reached (the batch stopped there).
    connection_failed: bool = False
    #: The earliest next attempt of a row put back, if any.
    next_attempt_at: datetime | None = None

    def __iadd__(self, other):
        for field in ("claimed", "sent", "retried", "failed", "skipped", "released"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.connection_failed = self.connection_failed or other.connection_failed
        self.next_attempt_at = min(filter(None, (self.next_attempt_at, other.next_attempt_at)), default=None)
        return self

    def as_dict(self):
        """As a task returns it (JSON)."""
        values = dataclasses.asdict(self)
        values["next_attempt_at"] = self.next_attempt_at.isoformat() if self.next_attempt_at else None
        return values


# --------------------------------------------------------------------------
# claiming


def _claim(ids, now, token):
    """Claim the pending, due rows ``ids`` and as many other due rows as the batch has room for; their pks."""
    size = max(1, app_settings.OUTBOX_BATCH_SIZE)
    due = OutboundEmail.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    take = {"status": OutboxStatus.SENDING, "claim": token, "claimed_at": now}
    candidates, taken = [], 0
    if ids:
        candidates = list(dict.fromkeys(ids))[:size]
        # Conditional: a row another worker claimed (or sent) meanwhile is not taken.
        taken = due.filter(pk__in=candidates).update(**take)
    room = size - taken
    if room > 0:
        others = due.exclude(pk__in=candidates) if candidates else due
        others = list(others.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:room])
        if others:
            due.filter(pk__in=others).update(**take)
            candidates += others
    return candidates


def _claimed_rows(pks, token):
    """The rows this run holds, with everything their e-mails show, in one query."""
    return (
        OutboundEmail.objects.filter(pk__in=pks, claim=token, status=OutboxStatus.SENDING)
        .select_related(
            "ticket__department",
            "ticket__ticket_type",
            "ticket__product",
            "ticket__requester",
            "ticket__assignee",
            "message__author",
            "recipient",
            "escalation",
        )
        .annotate(
            recipient_allowed=notifications.recipient_allowed(),
            bounced=Exists(BouncedAddress.objects.filter(address=Lower(OuterRef("to_address")))),
            # The mail a reported message came in, which our e-mail answers (In-Reply-To).
            inbound_message_id=F("message__inbound_email__message_id"),
        )
        .order_by("pk")
    )


# --------------------------------------------------------------------------
# the outcome of each row


def _error_text(exc):
    return f"{type(exc).__name__}: {exc}"[:2000]


def _mark_sent(row, token, when):
    OutboundEmail.objects.filter(pk=row.pk, claim=token).update(
        status=OutboxStatus.SENT,
        sent_at=when,
        attempts=F("attempts") + 1,
        claim="",
        claimed_at=None,
        last_error="",
    )


def _skip(rows, token, reason):
    if rows:
        OutboundEmail.objects.filter(pk__in=[row.pk for row in rows], claim=token).update(
            status=OutboxStatus.SKIPPED, claim="", claimed_at=None, last_error=reason
        )


def _put_back(rows, token, error, when, result, *, give_up=False):
    """Back to ``pending`` after the next delay, or ``failed`` after the last one (``_claims.put_back``)."""
    _claims.put_back(
        OutboundEmail,
        OutboxStatus,
        rows,
        token,
        when,
        result,
        delays=app_settings.OUTBOX_RETRY_DELAYS,
        give_up=give_up,
        last_error=error,
    )


def _return_unsent(rows, token, when):
    _claims.return_unsent(OutboundEmail, OutboxStatus, rows, token, when)


def _refusal(exc):
    """For an error about one e-mail (not the connection): whether it is final; None for a connection error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return bool(codes) and min(codes) >= 500
    if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code != 421:
        # 421: the server is closing the connection, for every e-mail alike.
        return exc.smtp_code >= 500
    return None


def _connection():
    options = {"fail_silently": False}
    if getattr(django_settings, "EMAIL_TIMEOUT", None) is None:
        options["timeout"] = DEFAULT_MAIL_TIMEOUT
    return get_connection(**options)


# --------------------------------------------------------------------------
# the public services


def deliver(ids=None, *, now=None, follow_up=True):
    """Send the pending outbox rows ``ids`` and any others that are due (one batch); returns a :class:`Delivery`.

    ``now`` fixes the clock (tests). With ``follow_up`` and a backend that
    runs deferred tasks, a delivery task is enqueued for the rows put back
    (at their next attempt) and, after a full batch, for the rest.
    """
    clock = (lambda: now) if now is not None else timezone.now
    started = clock()
    result = Delivery()
    token = uuid.uuid4().hex
    candidates = _claim(ids, started, token)
    if not candidates:
        return result
    rows = list(_claimed_rows(candidates, token))
    result.claimed = len(rows)

    not_allowed = [row for row in rows if row.ticket is None or not row.recipient_allowed]
    bounced = [row for row in rows if row.ticket is not None and row.recipient_allowed and row.bounced]
    _skip(not_allowed, token, SKIPPED_NOT_ALLOWED)
    _skip(bounced, token, SKIPPED_BOUNCED)
    result.skipped = len(not_allowed) + len(bounced)
    left_out = {row.pk for row in not_allowed + bounced}
    sendable = [row for row in rows if row.pk not in left_out]

    unfinished = False
    if sendable:
        unfinished = _send(sendable, token, clock, result)

    if follow_up and tasks.can_defer():
        if result.next_attempt_at is not None:
            tasks.enqueue_delivery(None, run_after=result.next_attempt_at)
        if (unfinished or result.claimed >= app_settings.OUTBOX_BATCH_SIZE) and not result.connection_failed:
            tasks.enqueue_delivery(None)
    return result


def _send(rows, token, clock, result):
    """Send ``rows`` over one connection; returns True when time ran out before the last one."""
    templates = notifications.Templates()
    connection = _connection()
    try:
        connection.open()
    except Exception as exc:
        logger.warning("helpdesk_tickets: the mail server is unreachable (%s); %d e-mail(s) wait", exc, len(rows))
        result.connection_failed = True
        _put_back(rows, token, _error_text(exc), clock(), result)
        return False
    # Keep well inside the claim's lifetime, so that sweep() never takes back a row being sent.
    deadline = time.monotonic() + STALE_CLAIM_AFTER.total_seconds() / 2
    try:
        with commits_without_waiting_for_the_disk(OutboundEmail):
            return _send_each(rows, token, clock, result, templates, connection, deadline)
    finally:
        try:
            connection.close()
        except Exception:  # already broken; nothing is lost
            logger.debug("helpdesk_tickets: closing the mail connection failed", exc_info=True)


def _send_each(rows, token, clock, result, templates, connection, deadline):
    """The loop of :func:`_send`: render, send, mark, one row after the other."""
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:
            _return_unsent(rows[index:], token, clock())
            return True
        try:
            mail = notifications.build_email(
                row, templates, inbound_message_id=row.inbound_message_id, connection=connection
            )
        except Exception as exc:  # a broken template: this e-mail only
            logger.exception("helpdesk_tickets: could not render outbox row %s (%s)", row.pk, row.kind)
            _put_back([row], token, _error_text(exc), clock(), result)
            continue
        try:
            sent = connection.send_messages([mail])
        except Exception as exc:
            final = _refusal(exc)
            if final is None:
                # The connection failed: this e-mail and the rest go back, none is sent twice.
                logger.warning(
                    "helpdesk_tickets: the mail server failed (%s); %d e-mail(s) wait", exc, len(rows) - index
                )
                result.connection_failed = True
                _put_back(rows[index:], token, _error_text(exc), clock(), result)
                return False
            _put_back([row], token, _error_text(exc), clock(), result, give_up=final)
            continue
        if not sent:
            _put_back([row], token, "The e-mail backend sent nothing.", clock(), result)
            continue
        _mark_sent(row, token, clock())
        result.sent += 1
    return False


def sweep(now=None):
    """Take back stale claims (a worker that died), then deliver what is due, batch after batch.

    Returns a :class:`Delivery` summing the batches. Safe to run at any time
    and from several places at once; ``helpdesk_tickets_housekeeping`` runs it.
    """
    fixed, now = now, now or timezone.now()
    result = Delivery()
    stale = OutboundEmail.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER)
    limit = len(app_settings.OUTBOX_RETRY_DELAYS)
    result.failed += stale.filter(attempts__gte=limit).update(
        status=OutboxStatus.FAILED, attempts=F("attempts") + 1, claim="", claimed_at=None, last_error=STALE_CLAIM
    )
    result.released = stale.update(
        status=OutboxStatus.PENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now,
        claim="",
        claimed_at=None,
        last_error=STALE_CLAIM,
    )
    for _batch in range(MAX_SWEEP_BATCHES):
        batch = deliver(now=fixed, follow_up=False)
        result += batch
        if batch.connection_failed or batch.claimed < app_settings.OUTBOX_BATCH_SIZE:
            break
    if result.next_attempt_at is not None and tasks.can_defer():
        tasks.enqueue_delivery(None, run_after=result.next_attempt_at)
    return result


def send_again(rows, *, now=None):
    """Queue failed or skipped outbox rows again, due now, with a fresh retry schedule; returns how many.

    ``rows`` is a queryset or an iterable of rows (the admin's "send again").
    A row to an address still marked as failing is skipped again.
    """
    pks = [row.pk for row in rows] if not hasattr(rows, "values_list") else list(rows.values_list("pk", flat=True))
    with transaction.atomic():
        again = OutboundEmail.objects.filter(pk__in=pks, status__in=(OutboxStatus.FAILED, OutboxStatus.SKIPPED))
        chosen = list(again.values_list("pk", flat=True))
        count = again.filter(pk__in=chosen).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now(), claim="", claimed_at=None
        )
        if count:
            transaction.on_commit(lambda: tasks.enqueue_delivery(chosen), robust=True)
    return count
