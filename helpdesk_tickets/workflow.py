"""The status pipeline: which moves are allowed, what a reply moves, and what a move sets.

The allowed moves are data (:data:`~helpdesk_tickets.choices.STATUS_TRANSITIONS`);
this module is the one place that reads them. The services call
:func:`apply_status`; forms, the admin and the API offer :func:`status_choices`.
"""

from . import sla
from .choices import OPEN_STATUSES, STATUS_TRANSITIONS, Status
from .exceptions import InvalidTransition
from .models import Message, Ticket
from .text import duplicate_key


def allowed_moves(status):
    """The statuses a ticket in ``status`` may move to (none from ``closed``)."""
    return STATUS_TRANSITIONS[Status(status)]


def may_move(old, new):
    return new in allowed_moves(old)


def status_choices(current):
    """``(value, label)`` choices for a ticket now in ``current``: itself and the moves allowed from it."""
    offered = {current, *allowed_moves(current)}
    return [(value, label) for value, label in Status.choices if value in offered]


def status_after_reply(status, *, staff):
    """The status a public reply leaves a ticket in.

    A staff reply asks the customer (``awaiting_customer``); a follow-up on a
    resolved ticket leaves it resolved. A customer reply moves an
    ``awaiting_customer`` or ``resolved`` ticket back to ``in_progress``.
    """
    if staff:
        return Status.AWAITING_CUSTOMER if status in OPEN_STATUSES else status
    return Status.IN_PROGRESS if status in (Status.AWAITING_CUSTOMER, Status.RESOLVED) else status


def description_of(ticket):
    """The ticket's description: the body of its first message."""
    first = Message.objects.filter(ticket=ticket).order_by("created_at", "id").values_list("body", flat=True).first()
    return first or ""


def apply_status(ticket, new, now):
    """Set ``status`` and the fields that follow from it; returns the changed field names.

    Raises :class:`~helpdesk_tickets.exceptions.InvalidTransition` for a move
    the pipeline forbids. Nothing is saved: the caller saves the fields returned.
    """
    old = ticket.status
    if not may_move(old, new):
        raise InvalidTransition(ticket, old, new)
    changed = ["status"]
    ticket.status = new
    cal = None
    # Pausing and resuming the resolution clock around awaiting_customer.
    if new == Status.AWAITING_CUSTOMER and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        changed.append("sla_paused_at")
    elif old == Status.AWAITING_CUSTOMER and ticket.sla_paused_at is not None:
        cal = sla.calendar()
        ticket.sla_paused_total += cal.between(ticket.sla_paused_at, now)
        ticket.sla_paused_at = None
        sla.recompute_due_times(ticket, cal)
        changed += ["sla_paused_at", "sla_paused_total", "resolution_due", "first_response_due"]
    if new == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    if new in (Status.RESOLVED, Status.CLOSED) and ticket.resolved_at is None:
        ticket.resolved_at = now
        cal = cal or sla.calendar()
        worked = cal.between(ticket.created_at, now) - ticket.sla_paused_total
        ticket.resolution_seconds = max(0, int(worked.total_seconds()))
        changed += ["resolved_at", "resolution_seconds"]
    elif new in OPEN_STATUSES and old == Status.RESOLVED:
        if ticket.resolved_at is not None:
            # The clock stood still while the ticket was resolved (the customer had the
            # ball, as in awaiting_customer): a reopened ticket is not overdue at once.
            cal = cal or sla.calendar()
            ticket.sla_paused_total += cal.between(ticket.resolved_at, now)
            sla.recompute_due_times(ticket, cal)
            changed += ["sla_paused_total", "resolution_due", "first_response_due"]
        ticket.resolved_at = None
        ticket.resolution_seconds = None
        changed += ["resolved_at", "resolution_seconds"]
    if new in OPEN_STATUSES and old not in OPEN_STATUSES:
        # Reopened: guard against duplicates again, unless a newer ticket took the key.
        key = duplicate_key(ticket.requester_id, ticket.department_id, ticket.subject, description_of(ticket))
        if not Ticket.objects.filter(duplicate_key=key).exclude(pk=ticket.pk).exists():
            ticket.duplicate_key = key
            changed.append("duplicate_key")
    elif new not in OPEN_STATUSES and ticket.duplicate_key:
        ticket.duplicate_key = None
        changed.append("duplicate_key")
    return changed
