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

import hashlib
import logging
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import attachments as attachment_rules
from .. import mailaddress, mailparse, permissions, users
from ..choices import Channel, InboundStatus, MailKind, Status
from ..conf import settings as app_settings
from ..exceptions import DuplicateTicket, HelpdeskError, InboundNotRecorded, OpenTicketLimitReached, TicketClosed
from ..models import (
    BouncedAddress,
    Department,
    InboundEmail,
    Message,
    OutboundEmail,
    ThreadMessageId,
    Ticket,
    TicketType,
    attachment_storage,
    inbound_upload_to,
)
from . import thread
from ._input import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from .merge import final_ticket
from .tickets import REFERENCE_ALPHABET, REFERENCE_LENGTH, create_ticket

logger = logging.getLogger("helpdesk_tickets.email")

#: "Re:", "Fwd:", "AW:", "پاسخ:" … in front of a subject.
_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|رد|پاسخ|ارسال مجدد|هدایت)\s*(\[\d+\])?\s*[:：]\s*)+", re.I
)


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one inbound message; ``line`` is what the inbound command prints."""

    line: str
    inbound: InboundEmail | None
    duplicate: bool = False

    @property
    def ticket(self):
        return self.inbound.ticket if self.inbound is not None else None


class _Held(Exception):
    """Processing stops with the message kept for staff (``held``) or set aside (``ignored``)."""

    def __init__(self, status, reason, ticket=None):
        super().__init__(reason)
        self.status, self.reason, self.ticket = status, reason, ticket


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
# recording


def _headers(raw):
    try:
        return BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception:  # a header so broken the parser gives up: recorded without them
        return {}


def _header(headers, name):
    try:
        return str(headers.get(name, "") or "")
    except Exception:
        return ""


def _record(raw, recipient):
    """The InboundEmail row for ``raw`` and whether this call created it."""
    digest = hashlib.sha256(raw).hexdigest()
    headers = _headers(raw)
    message_id = mailaddress.normalise_message_id(_header(headers, "Message-ID")) or None
    existing = _existing(digest, message_id)
    if existing is not None:
        return existing, False
    now = timezone.now()
    record = InboundEmail(
        message_id=message_id,
        sha256=digest,
        size=len(raw),
        recipient=mailaddress.normalise(recipient or "")[:254],
        sender=mailaddress.normalise(_header(headers, "From"))[:254],
        subject=" ".join(_header(headers, "Subject").split())[:255],
        received_at=now,
        processing_started_at=now,
        attempts=1,
    )
    storage = attachment_storage()
    name = inbound_upload_to(record, "")
    stored = storage.save(name, ContentFile(raw))
    record.raw.name = stored
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        # The same message arrived at the same moment through another entry point.
        existing = _existing(digest, message_id)
        if existing is None:
            raise
        if existing.raw.name != stored:
            storage.delete(stored)
        return existing, False
    return record, True


def _existing(digest, message_id):
    condition = Q(sha256=digest)
    if message_id:
        condition |= Q(message_id=message_id)
    return InboundEmail.objects.filter(condition).select_related("ticket").first()


def _claim_again(record, now=None):
    """Whether a second delivery of ``record`` should process it: its first run crashed or failed."""
    now = now or timezone.now()
    if record.status == InboundStatus.FAILED:
        pass
    elif record.status != InboundStatus.RECEIVED:
        return False
    elif record.processing_started_at and record.processing_started_at > now - app_settings.INBOUND_RETRY_AFTER:
        return False  # still being processed by the run that recorded it
    claimed = InboundEmail.objects.filter(
        pk=record.pk, status=record.status, processing_started_at=record.processing_started_at
    ).update(processing_started_at=now, attempts=record.attempts + 1, status=InboundStatus.RECEIVED)
    if claimed:
        record.processing_started_at, record.attempts, record.status = now, record.attempts + 1, InboundStatus.RECEIVED
    return bool(claimed)


# --------------------------------------------------------------------------
# processing


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


def _thread_ticket(parsed, record):
    """The ticket this mail follows up, by In-Reply-To/References, signed reply address or subject.

    A merged ticket's mail goes to the ticket it was merged into.
    """
    ticket = _threaded(parsed, record)
    return final_ticket(ticket) if ticket is not None else None


def _threaded(parsed, record):
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        known = dict(ThreadMessageId.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
        for ident in ids:
            if ident in known:
                return Ticket.objects.select_related("department", "requester").get(pk=known[ident])
    for address in _recipients(record, parsed):
        reference = mailaddress.reference_from_address(address)
        if reference:
            ticket = Ticket.objects.select_related("department", "requester").filter(reference=reference).first()
            if ticket is not None:
                return ticket
    reference = _subject_reference(parsed.subject)
    if reference:
        return Ticket.objects.select_related("department", "requester").filter(reference=reference).first()
    return None


def _subject_reference(subject):
    prefix = re.escape(app_settings.REFERENCE_PREFIX)
    pattern = rf"(?<![A-Z0-9]){prefix}-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}(?![A-Z0-9])"
    found = re.search(pattern, subject.upper())
    return found.group(0) if found else None


def _recipients(record, parsed):
    if record.recipient:
        return [record.recipient]
    return [*parsed.delivered_to, *parsed.to, *parsed.cc]


def _names_a_forged_reply_address(record, parsed):
    return any(
        mailaddress.is_reply_address(address) and not mailaddress.reference_from_address(address)
        for address in _recipients(record, parsed)
    )


def _follow_up(record, parsed, ticket, sender):
    if sender is None or not users.is_active(sender):
        raise _Held(InboundStatus.HELD, f"sender is not a participant of {ticket.reference}", ticket)
    is_requester = permissions.is_requester(sender, ticket)
    if not is_requester and not permissions.is_staff_for(sender, ticket):
        raise _Held(InboundStatus.HELD, f"sender is not a participant of {ticket.reference}", ticket)
    if ticket.status == Status.CLOSED:
        if not is_requester:
            raise _Held(InboundStatus.HELD, f"{ticket.reference} is closed", ticket)
        # Closed is final: the customer's new mail about it opens a follow-up ticket.
        follow_up = _open(record, parsed, sender, ticket.department, ticket.ticket_type)
        thread.add_system_note(
            follow_up, _("Follow-up by e-mail to the closed ticket %(reference)s.") % {"reference": ticket.reference}
        )
        return InboundStatus.CREATED, follow_up
    files, refused = _attachments(parsed)
    body = _body(parsed, has_files=bool(files))
    try:
        message = thread.post_reply(ticket=ticket, actor=sender, body=body, attachments=files)
    except TicketClosed as exc:
        raise _Held(InboundStatus.HELD, f"{ticket.reference} is closed", ticket) from exc
    except (PermissionDenied, ValidationError) as exc:
        raise _Held(InboundStatus.HELD, _reason(exc), ticket) from exc
    _link(record, message, parsed)
    _note_refused(ticket, refused)
    return InboundStatus.APPENDED, ticket


def _new_ticket(record, parsed, sender):
    department = _department(record, parsed)
    if sender is None:
        policy_name = app_settings.INBOUND_UNKNOWN_SENDER
        if policy_name == "reject":
            raise _Held(InboundStatus.IGNORED, "unknown sender")
        if policy_name == "hold":
            raise _Held(InboundStatus.HELD, "unknown sender")
        sender = _new_customer(parsed)
    elif not users.is_active(sender):
        raise _Held(InboundStatus.HELD, "the sender's account is inactive")
    ticket_type = TicketType.objects.active().offered_in(department).order_by("ordering", "name", "pk").first()
    if ticket_type is None:
        raise _Held(InboundStatus.HELD, f"no ticket type is offered in {department.slug}")
    return InboundStatus.CREATED, _open(record, parsed, sender, department, ticket_type)


def _new_customer(parsed):
    """An account for the unknown sender; the one another delivery made a moment ago, if it won the race."""
    try:
        with transaction.atomic():
            return users.create_customer(parsed.sender, name=parsed.sender_name)
    except IntegrityError:
        existing = users.by_email(parsed.sender)
        if existing is None:
            raise
        return existing


def _department(record, parsed):
    candidates = [address for address in _recipients(record, parsed) if address]
    if candidates:
        by_address = {d.email: d for d in Department.objects.active().filter(email__in=candidates)}
        for address in candidates:
            if address in by_address:
                return by_address[address]
    slug = app_settings.INBOUND_DEFAULT_DEPARTMENT
    if slug:
        department = Department.objects.active().filter(slug=slug).first()
        if department is not None:
            return department
    shown = ", ".join(candidates[:3]) or "no recipient"
    raise _Held(InboundStatus.HELD, f"no department receives mail for {shown}"[:255])


def _open(record, parsed, requester, department, ticket_type):
    files, refused = _attachments(parsed)
    subject = _SUBJECT_PREFIX.sub("", parsed.subject).strip() or _first_line(parsed.text) or _("(no subject)")
    try:
        ticket = create_ticket(
            requester=requester,
            department=department,
            ticket_type=ticket_type,
            subject=subject[:MAX_SUBJECT_LENGTH],
            description=_body(parsed, has_files=bool(files)),
            attachments=files,
            channel=Channel.EMAIL,
            language=parsed.language or None,
            actor=requester,
        )
    except DuplicateTicket as exc:
        raise _Held(InboundStatus.IGNORED, f"duplicate of {exc.existing.reference}", exc.existing) from exc
    except OpenTicketLimitReached as exc:
        raise _Held(InboundStatus.HELD, "the sender has too many open tickets") from exc
    except (HelpdeskError, ValidationError) as exc:
        raise _Held(InboundStatus.HELD, _reason(exc)) from exc
    message = ticket.messages.order_by("pk").first()
    _link(record, message, parsed)
    _note_refused(ticket, refused)
    return ticket


def _first_line(text):
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


def _body(parsed, *, has_files):
    text = (parsed.text or "").strip() or (parsed.full_text or "").strip()
    if not text:
        if not has_files:
            raise _Held(InboundStatus.HELD, "empty message")
        text = _("(attachments only)")
    if len(text) > MAX_BODY_LENGTH:
        text = text[: MAX_BODY_LENGTH - 1] + "…"
    return text


def _attachments(parsed):
    """The message's files that pass the attachment rules, and the refused ones with the reason."""
    accepted, refused = [], []
    limit = app_settings.MAX_ATTACHMENTS_PER_MESSAGE
    for item in parsed.attachments:
        upload = SimpleUploadedFile(item.filename, item.content, content_type=item.content_type)
        if len(accepted) >= limit:
            refused.append(_("“%(name)s”: more than %(count)d files.") % {"name": item.filename, "count": limit})
            continue
        try:
            attachment_rules.validate_files([upload])
        except ValidationError as exc:
            refused.extend(exc.message_dict.get("attachments", exc.messages))
            continue
        accepted.append(upload)
    return accepted, refused


def _note_refused(ticket, refused):
    if refused:
        thread.add_system_note(
            ticket,
            _("Files of the e-mail that were not attached:") + "\n" + "\n".join(f"- {reason}" for reason in refused),
        )


def _link(record, message, parsed):
    if message is None:
        return
    Message.objects.filter(pk=message.pk).update(inbound_email=record)
    if parsed.message_id:
        ThreadMessageId.objects.bulk_create(
            [ThreadMessageId(message_id=parsed.message_id, ticket_id=message.ticket_id)], ignore_conflicts=True
        )


def _mark_bounced(parsed):
    """Mark the addresses our bounced mail went to as failing; returns the ticket concerned, if any.

    A delay report (status 4.x.x: the server is still trying) marks nothing.
    """
    temporary = parsed.bounce_status.startswith("4")
    sent = list(OutboundEmail.objects.filter(message_id_header__in=parsed.bounced_message_ids).select_related("ticket"))
    addresses = {row.to_address.lower() for row in sent}
    if not sent and parsed.bounced_recipients:
        # No Message-ID came back: believe the report only for addresses we did write to.
        addresses = set(
            OutboundEmail.objects.filter(to_address__in=parsed.bounced_recipients)
            .values_list("to_address", flat=True)
            .distinct()
        )
    if temporary:
        addresses = set()
    now = timezone.now()
    reason = (f"bounce {parsed.bounce_status}" if parsed.bounce_status else "bounce")[:255]
    for address in sorted(addresses):
        bounced, created = BouncedAddress.objects.get_or_create(
            address=address, defaults={"reason": reason, "first_bounced_at": now, "last_bounced_at": now}
        )
        if not created:
            BouncedAddress.objects.filter(pk=bounced.pk).update(
                reason=reason, last_bounced_at=now, bounces=bounced.bounces + 1
            )
    return sent[0].ticket if sent else None


def _reason(exc):
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)[:255]
    return (str(exc) or exc.__class__.__name__)[:255]
