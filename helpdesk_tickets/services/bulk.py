"""Bulk actions on the queue: one change applied to many tickets, each through the services, each on its own.

A ticket the change is refused for is reported and left as it was; the
others go ahead. The web queue's bulk form and the API's bulk endpoint
both call :func:`bulk_update`.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..exceptions import HelpdeskError, TicketNotFound, UnknownChange
from ..models import Ticket
from .handling import update_ticket
from .merge import merge_tickets
from .tags import add_tags, remove_tags

#: What :func:`bulk_update` can change.
BULK_CHANGES = ("assignee", "status", "priority", "add_tags", "remove_tags", "merge_into")
#: Tickets one bulk action takes at most.
MAX_BULK_TICKETS = 500

_REFUSALS = (HelpdeskError, ValidationError, PermissionDenied)


@dataclass
class BulkResult:
    """What happened to one ticket of a bulk action: done (``ok``), or refused with ``code`` and ``message``."""

    reference: str
    ticket: Ticket | None = None
    error: Exception | None = None

    @property
    def ok(self):
        return self.error is None

    @property
    def code(self):
        if self.error is None:
            return ""
        if isinstance(self.error, HelpdeskError):
            return self.error.code
        if isinstance(self.error, PermissionDenied):
            return "permission_denied"
        return "invalid"

    @property
    def message(self):
        error = self.error
        if error is None:
            return ""
        if isinstance(error, ValidationError):
            return " ".join(error.messages)
        if isinstance(error, PermissionDenied):
            return _("You may not make this change to this ticket.")
        return str(error)


def tickets_for_bulk(references, *, actor):
    """The tickets of ``actor``'s queue named by ``references``, in that order, and a result for each missing one."""
    references = list(dict.fromkeys(references))
    if len(references) > MAX_BULK_TICKETS:
        raise ValidationError(
            {"tickets": _("At most %(count)d tickets at once.") % {"count": MAX_BULK_TICKETS}}, code="too_many"
        )
    found = {
        ticket.reference: ticket
        for ticket in Ticket.objects.in_queue_of(actor).select_related("department").filter(reference__in=references)
    }
    missing = [
        BulkResult(reference, error=TicketNotFound(reference)) for reference in references if reference not in found
    ]
    return [found[reference] for reference in references if reference in found], missing


def bulk_update(tickets, *, actor, merge_across_requesters=False, **changes):
    """Apply ``changes`` to each of ``tickets``; returns a :class:`BulkResult` per ticket, in order.

    ``changes``: ``assignee`` (a user or None), ``status``, ``priority``,
    ``add_tags`` / ``remove_tags`` (Tag objects), ``merge_into`` (a ticket;
    ``merge_across_requesters`` as for :func:`merge_tickets`). Each ticket's
    changes are all applied or none (its own transaction or savepoint), by
    the same services a single change uses; a refusal (an invalid move, a
    tag of another department, a ticket of another customer…) is that
    ticket's result and the next ticket goes ahead. A key other than those
    raises :class:`~helpdesk_tickets.exceptions.UnknownChange` before
    anything is done. Tickets come with their department loaded
    (``select_related("department")``): the number of queries per ticket is then fixed.
    """
    for name in changes:
        if name not in BULK_CHANGES:
            raise UnknownChange(name, BULK_CHANGES)
    tickets = list(tickets)
    if len(tickets) > MAX_BULK_TICKETS:
        raise ValidationError(
            {"tickets": _("At most %(count)d tickets at once.") % {"count": MAX_BULK_TICKETS}}, code="too_many"
        )
    handling = {name: changes[name] for name in ("assignee", "status", "priority") if name in changes}
    adding, removing = list(changes.get("add_tags") or ()), list(changes.get("remove_tags") or ())
    into = changes.get("merge_into")
    results = []
    for ticket in tickets:
        try:
            with transaction.atomic():
                if handling:
                    update_ticket(ticket, actor=actor, **handling)
                if adding:
                    add_tags(ticket, adding, actor=actor)
                if removing:
                    remove_tags(ticket, removing, actor=actor)
                if into is not None:
                    merge_tickets(ticket, into, actor=actor, across_requesters=merge_across_requesters)
        except _REFUSALS as exc:
            results.append(BulkResult(ticket.reference, ticket, exc))
        else:
            results.append(BulkResult(ticket.reference, ticket))
    return results
