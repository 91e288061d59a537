"""Inbound e-mail: every entry point (pipe, IMAP, provider webhooks) ends in :func:`receive_email`.

Record first, then process: the raw message is stored and an
:class:`~helpdesk_tickets.models.InboundEmail` row written before anything is
decided, so a crash loses nothing (the row stays ``received`` and is picked
up again) and a second delivery of the same message — same Message-ID or
same bytes — changes nothing ("duplicate").

Processing follows SPEC §9: non-human mail (auto-replies, bounces, lists,
our own mail) never opens or reopens a ticket; a follow-up is threaded by
In-Reply-To/References, then the signed reply address, then the reference
in the subject, and joins the ticket only when its sender is the requester
or staff of the ticket; a new mail opens a ticket in the department whose
address it was sent to.
"""

import logging
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from .. import mailparse, users
from ..choices import InboundStatus, MailKind
from ..conf import settings as app_settings
from ..exceptions import InboundNotRecorded
from ..models import BouncedAddress, Department, InboundEmail
from ._inbound_record import _claim_again, _record
from ._inbound_thread import _mark_bounced, _names_a_forged_reply_address, _thread_ticket
from ._inbound_tickets import _follow_up, _Held, _new_ticket

logger = logging.getLogger("helpdesk_tickets.email")


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one inbound message; ``line`` is what the inbound command prints."""

    line: str
    inbound: InboundEmail | None
    duplicate: bool = False

    @property
    def ticket(self):
        return self.inbound.ticket if self.inbound is not None else None


def receive_email(raw, *, recipient=None):
    """Record and process one raw RFC 5322 message (bytes); returns an :class:`InboundOutcome`.

    ``recipient`` is the envelope recipient when the entry point knows it
    (the MTA's pipe, a provider's webhook); otherwise the To, Cc and
    Delivered-To headers decide. Raises :class:`InboundNotRecorded` when the
    message could not be recorded (the caller must make the sender retry);
    every other problem is an outcome.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    try:
        record, fresh = _record(bytes(raw), recipient)
    except InboundNotRecorded:
        raise
    except (DatabaseError, OSError) as exc:
        # One line: a mail server logs only the start of what its pipe printed.
        logger.error("helpdesk_tickets: could not record an inbound e-mail: %s", exc, exc_info=logger.isEnabledFor(10))
        raise InboundNotRecorded(str(exc) or exc.__class__.__name__) from exc
    if not fresh and not _claim_again(record):
        return InboundOutcome("duplicate", record, duplicate=True)
    return _process(record, bytes(raw))


def process_inbound_again(record):
    """Process a recorded message once more (the admin's "process again"); returns the outcome.

    A message that already opened or joined a ticket is left alone.
    """
    if record.status in (InboundStatus.CREATED, InboundStatus.APPENDED):
        return InboundOutcome(record.outcome, record)
    with record.raw.open("rb") as handle:
        raw = handle.read()
    InboundEmail.objects.filter(pk=record.pk).update(processing_started_at=timezone.now())
    return _process(record, raw)


def retry_stale_inbound(now=None):
    """Process again the messages whose processing never finished (a crashed run); returns how many."""
    now = now or timezone.now()
    cutoff = now - app_settings.INBOUND_RETRY_AFTER
    stale = InboundEmail.objects.filter(status=InboundStatus.RECEIVED).filter(
        Q(processing_started_at__lt=cutoff) | Q(processing_started_at__isnull=True, received_at__lt=cutoff)
    )
    done = 0
    for record in stale.order_by("received_at")[:500]:
        if _claim_again(record, now=now):
            try:
                with record.raw.open("rb") as handle:
                    raw = handle.read()
            except OSError:
                logger.exception("helpdesk_tickets: the raw message of inbound e-mail %s is unreadable", record.pk)
                continue
            _process(record, raw)
            done += 1
    return done


# --------------------------------------------------------------------------
# processing (recording: ._inbound_record; threading: ._inbound_thread; tickets: ._inbound_tickets)


def _process(record, raw):
    if len(raw) > app_settings.INBOUND_MAX_SIZE:
        return _finish(record, InboundStatus.HELD, "message too large")
    try:
        parsed = mailparse.parse(raw)
    except Exception:
        logger.exception("helpdesk_tickets: inbound e-mail %s could not be parsed", record.pk)
        return _finish(record, InboundStatus.FAILED, "the message could not be read")
    record.sender = parsed.sender[:254]
    record.sender_name = parsed.sender_name[:200]
    record.subject = parsed.subject[:255]
    record.kind = parsed.kind
    record.full_text = parsed.full_text
    try:
        with transaction.atomic():
            # Mail is processed in the language it was written in: the ticket's
            # language and the texts of our notes follow it.
            with translation.override(parsed.language or django_settings.LANGUAGE_CODE):
                status, reason, ticket = _decide(record, parsed)
            return _finish(record, status, reason, ticket)
    except _Held as held:
        return _finish(record, held.status, held.reason, held.ticket)
    except Exception:
        logger.exception("helpdesk_tickets: processing inbound e-mail %s failed", record.pk)
        return _finish(record, InboundStatus.FAILED, "processing failed")


def _finish(record, status, reason, ticket=None):
    record.status, record.reason = status, reason[:255]
    record.ticket = ticket if ticket is not None else record.ticket
    record.processed_at = timezone.now()
    record.save(
        update_fields=[
            "status",
            "reason",
            "ticket",
            "processed_at",
            "sender",
            "sender_name",
            "subject",
            "kind",
            "full_text",
        ]
    )
    return InboundOutcome(record.outcome, record)


def _decide(record, parsed):
    """``(status, reason, ticket)`` for the mail: a human's opens or joins a ticket.

    Raises :class:`_Held` to keep the mail for staff or set it aside with
    everything this run wrote undone (say, an account made for its sender).
    """
    if parsed.kind == MailKind.LOOP or (parsed.sender and Department.objects.filter(email=parsed.sender).exists()):
        raise _Held(InboundStatus.IGNORED, "loop")
    if parsed.kind == MailKind.BOUNCE:
        # Returned, not raised: the failing addresses it marked must stay marked.
        return InboundStatus.IGNORED, "bounce", _mark_bounced(parsed)
    if parsed.kind == MailKind.AUTO_REPLY:
        raise _Held(InboundStatus.IGNORED, "auto-reply", _thread_ticket(parsed, record))
    if parsed.kind == MailKind.LIST:
        raise _Held(InboundStatus.IGNORED, "mailing list")
    if not parsed.sender:
        raise _Held(InboundStatus.HELD, "no sender address")

    ticket = _thread_ticket(parsed, record)
    sender = users.by_email(parsed.sender)
    if sender is not None and users.is_active(sender):
        # Mail from this address arrives: it is not failing any more.
        BouncedAddress.objects.filter(address=parsed.sender).delete()
    if ticket is not None:
        status, ticket = _follow_up(record, parsed, ticket, sender)
        return status, "", ticket
    if _names_a_forged_reply_address(record, parsed):
        raise _Held(InboundStatus.HELD, "unknown or forged reply address")
    status, ticket = _new_ticket(record, parsed, sender)
    return status, "", ticket
