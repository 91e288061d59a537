"""Merging a ticket into another: the thread moves, the source closes and points to the target."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions, signals, users, workflow
from ..choices import Status
from ..exceptions import MergeAcrossRequesters, MergeIntoClosed, MergeIntoItself, MergeOfClosed
from ..models import InboundEmail, Message, Tag, ThreadMessageId, Ticket, TicketEvent
from . import _transactions as tx

#: Merges followed at most from a ticket to the one it ended up in (a chain, not a loop, but never trust data).
MAX_MERGE_HOPS = 20


def final_ticket(ticket):
    """The ticket ``ticket`` was merged into, following a chain of merges; ``ticket`` itself when not merged."""
    hops = 0
    while ticket.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        ticket = Ticket.objects.select_related("department").get(pk=ticket.merged_into_id)
        hops += 1
    return ticket


def check_merge(source, into, *, actor, across_requesters=False):
    """Refuse, before anything is written, a merge :func:`merge_tickets` would refuse."""
    if source.pk == into.pk:
        raise MergeIntoItself(source, into)
    if not (permissions.can_manage(actor, source) and permissions.can_manage(actor, into)):
        raise PermissionDenied
    if source.status == Status.CLOSED or source.merged_into_id is not None:
        raise MergeOfClosed(source, into)
    if into.status == Status.CLOSED:
        raise MergeIntoClosed(source, into)
    if source.requester_id != into.requester_id and not across_requesters:
        raise MergeAcrossRequesters(source, into)


@tx.renamed_actor("by")
def merge_tickets(source, into, *, actor, across_requesters=False):
    """Merge ``source`` into ``into``, in one transaction; returns ``into``.

    Every message of ``source`` (with its attachments and the e-mails it came
    in) moves to ``into``, in date order; so do its tags usable in ``into``'s
    department and the Message-IDs of its e-mail thread, so that a reply to an
    old e-mail joins ``into``. ``source`` is closed (its SLA clocks stop),
    points to ``into`` (``merged_into``; its pages redirect there) and keeps
    its duplicate key, so that the same request sent again is refused as a
    duplicate of ``into``. Both get an internal note and a ``merged`` event;
    ``ticket_status_changed`` (the source) and ``ticket_merged`` are sent
    after commit.

    ``actor`` must be staff for both tickets. Refused (nothing written) with
    :class:`~helpdesk_tickets.exceptions.MergeIntoItself`,
    :class:`~helpdesk_tickets.exceptions.MergeOfClosed` (``source`` closed or
    merged already), :class:`~helpdesk_tickets.exceptions.MergeIntoClosed`,
    or :class:`~helpdesk_tickets.exceptions.MergeAcrossRequesters` when the
    requesters differ and ``across_requesters`` was not passed: the target's
    requester would read the other customer's messages.
    """
    check_merge(source, into, actor=actor, across_requesters=across_requesters)
    with transaction.atomic():
        # Both rows locked in one statement, in primary-key order, so two opposite merges cannot deadlock.
        locked = {
            t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, into.pk]).order_by("pk")
        }
        src, dst = locked[source.pk], locked[into.pk]
        # Checked again under the lock: a concurrent merge or close may have come first.
        check_merge(src, dst, actor=actor, across_requesters=across_requesters)
        now = timezone.now()
        moved = Message.objects.filter(ticket=src).update(ticket=dst)
        InboundEmail.objects.filter(ticket=src).update(ticket=dst)
        ThreadMessageId.objects.filter(ticket=src).update(ticket=dst)
        _move_tags(src, dst)

        # The target's thread grew by the source's public messages: what its customer sees changed.
        dst.message_count += src.message_count
        dst.last_activity_at = max(dst.last_activity_at, src.last_activity_at)
        dst.last_customer_message_at = _latest(dst.last_customer_message_at, src.last_customer_message_at)
        dst.last_staff_reply_at = _latest(dst.last_staff_reply_at, src.last_staff_reply_at)
        dst.save(
            update_fields=[
                "message_count",
                "last_activity_at",
                "last_customer_message_at",
                "last_staff_reply_at",
                "updated_at",
            ]
        )

        old_status = src.status
        key = src.duplicate_key
        changed = workflow.apply_status(src, Status.CLOSED, now)
        # Closing lets go of the duplicate key; a merged ticket keeps it as a forward to the target
        # (create_ticket names the target): a ticket holds one key and the target has its own.
        src.duplicate_key = key
        src.merged_into = dst
        src.message_count = 0
        src.save(update_fields=sorted({*changed, "duplicate_key", "merged_into", "message_count", "updated_at"}))

        who = users.display_name(actor)
        Message.objects.create(
            ticket=src,
            author=actor,
            internal=True,
            from_staff=True,
            created_at=now,
            body=_("Merged into %(into)s by %(actor)s; the conversation continues there.")
            % {"into": dst.reference, "actor": who},
        )
        Message.objects.create(
            ticket=dst,
            author=actor,
            internal=True,
            from_staff=True,
            created_at=now,
            body=_(
                "Ticket %(source)s was merged into this one by %(actor)s: its %(count)d messages are in this thread."
            )
            % {"source": src.reference, "actor": who, "count": moved},
        )
        tx.record(src, TicketEvent.Kind.STATUS_CHANGED, actor, old_status, Status.CLOSED)
        tx.record(src, TicketEvent.Kind.MERGED, actor, src.reference, dst.reference)
        tx.record(dst, TicketEvent.Kind.MERGED, actor, src.reference, dst.reference)
        tx.on_commit_send(
            signals.ticket_status_changed, Ticket, ticket=src, old=old_status, new=Status.CLOSED, actor=actor
        )
        tx.on_commit_send(signals.ticket_merged, Ticket, ticket=src, into=dst, actor=actor)
    tx.copy_state(src, source)
    tx.copy_state(dst, into)
    return into


def _move_tags(src, dst):
    links = Ticket.tags.through
    usable = Tag.objects.usable_in(dst.department_id).filter(tickets=src).values_list("pk", flat=True)
    links.objects.bulk_create([links(ticket=dst, tag_id=pk) for pk in usable], ignore_conflicts=True)
    links.objects.filter(ticket=src).delete()


def _latest(*moments):
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None
