"""Inbound e-mail: which ticket a message follows up, and which addresses a bounce marks as failing."""

import re

from django.utils import timezone

from .. import mailaddress
from ..conf import settings as app_settings
from ..models import BouncedAddress, OutboundEmail, ThreadMessageId, Ticket
from .merge import final_ticket
from .tickets import REFERENCE_ALPHABET, REFERENCE_LENGTH


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
