"""Handling a ticket: its status, priority, assignee and department, one at a time or together."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notifications, permissions, signals, sla, users, workflow
from ..choices import Priority, Status
from ..exceptions import InvalidTransition, TicketClosed, UnknownChange
from ..models import AgentStatus, Ticket, TicketEvent
from ..text import duplicate_key
from . import _transactions as tx
from . import satisfaction


@tx.renamed_actor("by")
def change_status(ticket, new_status, *, actor):
    """Move ``ticket`` to ``new_status``; raises :class:`InvalidTransition` for a move the workflow forbids."""
    if new_status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if new_status == Status.CLOSED:
        allowed = permissions.can_close(actor, ticket) or permissions.can_manage(actor, ticket)
    elif new_status == Status.IN_PROGRESS and ticket.status == Status.RESOLVED:
        allowed = permissions.can_reopen(actor, ticket) or permissions.can_manage(actor, ticket)
    else:
        allowed = permissions.can_manage(actor, ticket)
    if not allowed:
        raise PermissionDenied

    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = locked.status
        if old == new_status:
            tx.copy_state(locked, ticket)
            return ticket
        now = timezone.now()
        changed = workflow.apply_status(locked, new_status, now)
        satisfaction.drop_ratings_if_reopened(locked, changed)
        locked.last_activity_at = now
        locked.save(update_fields=sorted(set(changed + ["last_activity_at", "updated_at"])))
        tx.record(locked, TicketEvent.Kind.STATUS_CHANGED, actor, old, new_status)
        if new_status == Status.RESOLVED:
            notifications.notify(notifications.TICKET_RESOLVED, locked, actor=actor)
        elif old == Status.RESOLVED and new_status == Status.IN_PROGRESS and permissions.is_requester(actor, locked):
            notifications.notify(notifications.TICKET_REOPENED, locked, actor=actor)
        tx.on_commit_send(signals.ticket_status_changed, Ticket, ticket=locked, old=old, new=new_status, actor=actor)
    tx.copy_state(locked, ticket)
    return ticket


@tx.renamed_actor("by")
def close(ticket, *, actor):
    """Close ``ticket`` for good (requester or staff)."""
    return change_status(ticket, Status.CLOSED, actor=actor)


@tx.renamed_actor("by")
def resolve(ticket, *, actor):
    return change_status(ticket, Status.RESOLVED, actor=actor)


@tx.renamed_actor("by")
def reopen(ticket, *, actor):
    """Reopen a resolved ticket (back to ``in_progress``); closed tickets stay closed."""
    if ticket.status != Status.RESOLVED:
        if ticket.status == Status.CLOSED:
            raise TicketClosed(ticket)
        raise InvalidTransition(ticket, ticket.status, Status.IN_PROGRESS)
    return change_status(ticket, Status.IN_PROGRESS, actor=actor)


@tx.renamed_actor("by")
def change_priority(ticket, priority, *, actor):
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = locked.priority
        if old != priority:
            locked.priority = priority
            locked.save(update_fields=["priority", "updated_at"])
            tx.record(locked, TicketEvent.Kind.PRIORITY_CHANGED, actor, old, priority)
    tx.copy_state(locked, ticket)
    return ticket


@tx.renamed_actor("by")
def assign(ticket, assignee, *, actor):
    """Give ``ticket`` to ``assignee`` (an agent of its department or a supervisor), or to nobody."""
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    if assignee is not None and not (
        users.is_active(assignee) and permissions.can_be_assigned(assignee, ticket.department)
    ):
        raise ValidationError({"assignee": _("This person is not an agent of the ticket's department.")})
    with transaction.atomic():
        # No join on the nullable assignee: PostgreSQL refuses FOR UPDATE on an outer join.
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        set_assignee(locked, assignee, actor=actor)
    tx.copy_state(locked, ticket)
    ticket.assignee = assignee
    return ticket


def set_assignee(locked, assignee, *, actor):
    """Give the locked ticket row to ``assignee`` and record it: the one place an assignment is written.

    Used by :func:`assign` and by the assignment rules of new tickets
    (:mod:`.assignment`, ``actor`` None: the rule chose). Writes the field,
    the ``assigned`` event, the agent's last assignment time, and sends
    ``ticket_assigned`` after commit; nothing when the assignee is unchanged.
    The caller checked who may be assigned.
    """
    old = locked.assignee if locked.assignee_id is not None else None
    if (old.pk if old else None) == (assignee.pk if assignee else None):
        return False
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    tx.record(locked, TicketEvent.Kind.ASSIGNED, actor, _user_label(old), _user_label(assignee))
    if assignee is not None:
        _note_assignment(assignee)
    tx.on_commit_send(signals.ticket_assigned, Ticket, ticket=locked, old=old, new=assignee, actor=actor)
    return True


def _note_assignment(agent):
    """Remember when ``agent`` last got a ticket (load balancing breaks its ties on it)."""
    now = timezone.now()
    if not AgentStatus.objects.filter(user=agent).update(last_assigned_at=now):
        AgentStatus.objects.bulk_create([AgentStatus(user=agent, last_assigned_at=now)], ignore_conflicts=True)


@tx.renamed_actor("by")
def change_department(ticket, department, *, actor):
    """Move ``ticket`` to another department's queue.

    The assignee is dropped when they do not answer for the new department,
    and the SLA deadlines follow the new department's targets.
    """
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    if not department.active:
        raise ValidationError({"department": _("This department does not take new tickets.")})
    with transaction.atomic():
        # The nullable assignee is not joined: PostgreSQL refuses FOR UPDATE on an outer join.
        locked = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = locked.department
        if old.pk == department.pk:
            tx.copy_state(locked, ticket)
            return ticket
        locked.department = department
        changed = ["department", "updated_at", "first_response_due", "resolution_due", "last_activity_at"]
        old_assignee = locked.assignee
        if old_assignee and not permissions.can_be_assigned(old_assignee, department):
            locked.assignee = None
            changed.append("assignee")
        if locked.duplicate_key:
            key = duplicate_key(locked.requester_id, department.pk, locked.subject, workflow.description_of(locked))
            locked.duplicate_key = None if Ticket.objects.filter(duplicate_key=key).exists() else key
            changed.append("duplicate_key")
        sla.recompute_due_times(locked)
        locked.last_activity_at = timezone.now()
        locked.save(update_fields=changed)
        tx.record(locked, TicketEvent.Kind.DEPARTMENT_CHANGED, actor, old.name, department.name)
        if "assignee" in changed:
            tx.record(locked, TicketEvent.Kind.ASSIGNED, actor, _user_label(old_assignee), "")
            tx.on_commit_send(signals.ticket_assigned, Ticket, ticket=locked, old=old_assignee, new=None, actor=actor)
    tx.copy_state(locked, ticket)
    ticket.department = department
    return ticket


#: What :func:`update_ticket` can change, in the order it applies the changes.
UPDATABLE = ("department", "assignee", "priority", "status")


def check_update(ticket, actor, **changes):
    """Refuse, before anything is written, the staff changes :func:`update_ticket` would refuse.

    Raises :class:`~helpdesk_tickets.exceptions.UnknownChange` for a key it
    cannot change, ``PermissionDenied`` when ``actor`` does not handle the
    ticket, :class:`~helpdesk_tickets.exceptions.InvalidTransition` for a
    status the workflow does not allow from the current one, and
    ``ValidationError`` (keyed by field) for the rest. The services check
    again under a row lock when they write.
    """
    _refuse_unknown(changes)
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    errors = {}
    department = changes.get("department") or ticket.department
    if changes.get("department") is not None and not department.active:
        errors["department"] = _("This department does not take new tickets.")
    assignee = changes.get("assignee")
    if assignee is not None and not (users.is_active(assignee) and permissions.can_be_assigned(assignee, department)):
        errors["assignee"] = _("This person is not an agent of the ticket's department.")
    if changes.get("priority") and changes["priority"] not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    status = changes.get("status")
    if status and status not in Status.values:
        errors["status"] = _("Unknown status.")
    if errors:
        raise ValidationError(errors)
    if status and status != ticket.status and not workflow.may_move(ticket.status, status):
        raise InvalidTransition(ticket, ticket.status, status)


@tx.renamed_actor("by")
def update_ticket(ticket, *, actor, **changes):
    """Apply several staff changes (``status``, ``priority``, ``assignee``, ``department``) at once, all or nothing.

    Everything is checked first (:func:`check_update`): a key other than
    those raises :class:`~helpdesk_tickets.exceptions.UnknownChange` (a
    ``TypeError``) and changes nothing.
    """
    check_update(ticket, actor, **changes)
    with transaction.atomic():
        if changes.get("department") is not None:
            change_department(ticket, changes["department"], actor=actor)
        if "assignee" in changes:
            assign(ticket, changes["assignee"], actor=actor)
        if changes.get("priority"):
            change_priority(ticket, changes["priority"], actor=actor)
        if changes.get("status"):
            change_status(ticket, changes["status"], actor=actor)
    return ticket


def _refuse_unknown(changes):
    for name in changes:
        if name not in UPDATABLE:
            raise UnknownChange(name, UPDATABLE)


def _user_label(user):
    return users.display_name(user)
