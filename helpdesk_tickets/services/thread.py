"""The thread: replies and internal notes, and what a reply moves."""

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import attachments as attachment_rules
from .. import notifications, permissions, signals, sla, workflow
from ..choices import Status
from ..exceptions import TicketClosed
from ..models import Message, Ticket, TicketEvent
from . import _files, satisfaction
from . import _transactions as tx
from ._input import MAX_BODY_LENGTH, clean_text


@tx.renamed_actor("author")
def post_reply(*, ticket, actor, body, attachments=(), internal=False):
    """Add a message to the thread and move the status as the workflow says.

    A public staff reply sets the first response (once) and moves the
    ticket to ``awaiting_customer``; a customer reply moves an
    ``awaiting_customer`` or ``resolved`` ticket back to ``in_progress``.
    Internal notes are staff-only and change no status.
    """
    if not permissions.can_reply(actor, ticket):
        if ticket.status == Status.CLOSED and permissions.can_view(actor, ticket):
            raise TicketClosed(ticket)
        raise PermissionDenied
    staff = permissions.is_staff_for(actor, ticket) and not permissions.is_requester(actor, ticket)
    if internal and not staff:
        raise PermissionDenied
    body = clean_text(body, "body", MAX_BODY_LENGTH, _("Message"))
    files = attachment_rules.validate_files(attachments)

    def work(written):
        locked = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        if locked.status == Status.CLOSED:
            raise TicketClosed(locked)
        now = timezone.now()
        message = Message.objects.create(
            ticket=locked, author=actor, body=body, internal=internal, from_staff=staff, created_at=now
        )
        _files.store_files(message, files, written)
        old_status = locked.status
        # An internal note leaves the ticket row alone: its updated_at, last
        # activity and place in the lists are what the customer sees (SPEC §4).
        changed = []
        if not internal:
            locked.last_activity_at = now
            locked.message_count = F("message_count") + 1
            changed += ["last_activity_at", "updated_at", "message_count"]
            if staff:
                locked.last_staff_reply_at = now
                changed.append("last_staff_reply_at")
                if locked.first_response_at is None:
                    locked.first_response_at = now
                    locked.first_response_seconds = int(sla.calendar().between(locked.created_at, now).total_seconds())
                    changed += ["first_response_at", "first_response_seconds"]
            else:
                locked.last_customer_message_at = now
                locked.requester_last_read_at = now
                changed += ["last_customer_message_at", "requester_last_read_at"]
            new_status = workflow.status_after_reply(old_status, staff=staff)
            if new_status != old_status:
                changed += workflow.apply_status(locked, new_status, now)
                satisfaction.drop_ratings_if_reopened(locked, changed)
        locked.save(update_fields=sorted(set(changed)))
        locked.refresh_from_db(fields=["message_count"])
        if locked.status != old_status:
            tx.record(locked, TicketEvent.Kind.STATUS_CHANGED, actor, old_status, locked.status)
            tx.on_commit_send(
                signals.ticket_status_changed, Ticket, ticket=locked, old=old_status, new=locked.status, actor=actor
            )
        if not internal:
            if staff:
                kind = notifications.STAFF_REPLIED
            elif old_status == Status.RESOLVED and locked.status == Status.IN_PROGRESS:
                kind = notifications.TICKET_REOPENED  # one e-mail, with the reply, rather than two
            else:
                kind = notifications.CUSTOMER_REPLIED
            notifications.notify(kind, locked, message, actor=actor)
        tx.on_commit_send(signals.message_posted, Message, ticket=locked, message=message, actor=actor)
        tx.copy_state(locked, ticket)
        return message

    return tx.run_with_files(work)


def mark_read(ticket, user):
    """Remember that the requester has seen the thread (clears the unread marker)."""
    if permissions.is_requester(user, ticket) and ticket.has_unread_staff_reply:
        now = timezone.now()
        Ticket.objects.filter(pk=ticket.pk).update(requester_last_read_at=now)
        ticket.requester_last_read_at = now


def add_system_note(ticket, body):
    """An internal note written by the helpdesk itself (no author), e.g. files of an e-mail it refused.

    Like every internal note it changes nothing the customer sees and sends nothing.
    """
    return Message.objects.create(
        ticket_id=ticket.pk, author=None, body=body, internal=True, from_staff=True, created_at=timezone.now()
    )
