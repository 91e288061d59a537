"""Inbound e-mail from a person: the reply it adds to a ticket, or the ticket it opens (SPEC §9)."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import attachments as attachment_rules
from .. import permissions, users
from ..choices import Channel, InboundStatus, Status
from ..conf import settings as app_settings
from ..exceptions import DuplicateTicket, HelpdeskError, OpenTicketLimitReached, TicketClosed
from ..models import Department, Message, ThreadMessageId, TicketType
from . import thread
from ._inbound_thread import _recipients
from ._input import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from .tickets import create_ticket

#: "Re:", "Fwd:", "AW:", "پاسخ:" … in front of a subject.
_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|رد|پاسخ|ارسال مجدد|هدایت)\s*(\[\d+\])?\s*[:：]\s*)+", re.I
)


class _Held(Exception):
    """Processing stops with the message kept for staff (``held``) or set aside (``ignored``)."""

    def __init__(self, status, reason, ticket=None):
        super().__init__(reason)
        self.status, self.reason, self.ticket = status, reason, ticket


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


def _reason(exc):
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)[:255]
    return (str(exc) or exc.__class__.__name__)[:255]
