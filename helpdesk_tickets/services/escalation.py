"""Escalation: a warning ahead of each SLA deadline, and what a breach does.

:func:`escalate` is run periodically (``helpdesk_tickets_housekeeping``, or
the task ``helpdesk_tickets.tasks.escalate_tickets``). For each deadline
(:class:`~helpdesk_tickets.choices.SlaTarget`) of every ticket it

- **warns** once the running deadline falls within ``SLA_WARNING_BEFORE``
  (:func:`helpdesk_tickets.sla.in_warning_window`): an ``sla_warning`` event,
  an e-mail to the assignee (else the department's agents) and the
  ``sla_warning`` signal;
- **escalates a breach** of an open ticket (:func:`helpdesk_tickets.sla.target_breached`):
  an ``sla_breached`` event, the department's priority rise
  (``Department.breach_priority``, a ``priority_changed`` event by nobody),
  ``sla_breached_at`` the first time, an e-mail and the ``sla_breached`` signal.

Each happens once per ticket, deadline and due time: a
:class:`~helpdesk_tickets.models.SlaEscalation` row, whose unique constraint
lets only one of two overlapping runs write it. A deadline that moves (the
resolution deadline after a pause, both after a change of department) has a
new due time and is warned about, and escalated, again.

The tickets are handled in batches of :data:`BATCH_SIZE`, one transaction and
a constant number of queries per batch, whatever its size.
"""

import dataclasses
import uuid

from django.db import OperationalError, transaction
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from .. import notifications, signals, sla
from ..choices import OPEN_STATUSES, PRIORITY_RANK, BreachPriority, Priority, SlaTarget
from ..conf import settings as app_settings
from ..models import SlaEscalation, Ticket, TicketEvent
from . import _transactions as tx

#: Tickets per batch (and transaction).
BATCH_SIZE = 500
#: Batches per deadline and step in one run at most; what is left waits for the next run.
MAX_BATCHES = 20

WARNING, BREACH = SlaEscalation.Step.WARNING, SlaEscalation.Step.BREACH


@dataclasses.dataclass
class EscalationRun:
    """What one run of :func:`escalate` did."""

    #: Warnings given (one per ticket and deadline).
    warned: int = 0
    #: Breaches escalated (one per ticket and deadline).
    breached: int = 0
    #: Priorities raised by a breach.
    raised: int = 0
    #: Tickets whose first breach this was (``sla_breached_at`` set).
    flagged: int = 0

    def as_dict(self):
        """As a task returns it (JSON)."""
        return dataclasses.asdict(self)


def raised_priority(priority, rule):
    """The priority a ticket of ``priority`` gets on a breach under the department's ``rule``."""
    if rule == BreachPriority.URGENT:
        return Priority.URGENT
    if rule == BreachPriority.RAISE:
        ranked = sorted(Priority.values, key=lambda value: PRIORITY_RANK[value])
        return ranked[min(ranked.index(priority) + 1, len(ranked) - 1)]
    return priority


def candidates(step, target, now, before=None):
    """The tickets a run would warn about (``step`` WARNING) or escalate (BREACH) for ``target`` now.

    Those already handled for their current due time are left out.
    """
    field = sla.DUE_FIELDS[target]
    if step == WARNING:
        condition = sla.warning_window_q(target, now, before)
    else:
        condition = sla.target_breached_q(target, now) & Q(status__in=OPEN_STATUSES)
    done = SlaEscalation.objects.filter(ticket=OuterRef("pk"), target=target, step=step, due=OuterRef(field))
    return Ticket.objects.filter(condition, **{f"{field}__isnull": False}).exclude(Exists(done)).order_by("pk")


def escalate(now=None):
    """Warn about the deadlines coming up and escalate the breaches; returns an :class:`EscalationRun`.

    Safe to run at any time, as often as wanted and from several places at
    once. ``SLA_WARNING_BEFORE`` None turns the warnings off (breaches are
    still escalated).
    """
    now = now or timezone.now()
    before = app_settings.SLA_WARNING_BEFORE
    result = EscalationRun()
    for target in SlaTarget:
        steps = (WARNING, BREACH) if before else (BREACH,)
        for step in steps:
            for _batch in range(MAX_BATCHES):
                batch = list(candidates(step, target, now, before).select_related("department")[:BATCH_SIZE])
                if batch:
                    _handle_retrying(batch, step, target, now, before, result)
                if len(batch) < BATCH_SIZE:
                    break
    return result


def _handle_retrying(tickets, step, target, now, before, result):
    """:func:`_handle`, tried again when the database chose its transaction as a deadlock's victim.

    A service that locks two tickets (a merge) may meet the batch's locks the
    other way round; the batch, rolled back whole, is simply asked again.
    """
    for attempt in range(3):
        try:
            return _handle(tickets, step, target, now, before, result)
        except OperationalError as exc:
            if attempt == 2 or not tx.is_deadlock(exc) or transaction.get_connection().in_atomic_block:
                raise


def _handle(tickets, step, target, now, before, result):
    """Record, raise, e-mail and signal the escalations this run wins among ``tickets``: one transaction.

    The batch's tickets are locked first, in primary-key order, and each is
    asked again, as it is now, whether it still qualifies: overlapping runs
    then wait for one another instead of deadlocking (InnoDB's foreign-key
    checks lock the tickets too), and the priority rises from the priority
    the ticket has, not the one read a moment before.
    """
    departments = {ticket.department_id: ticket.department for ticket in tickets}
    token = uuid.uuid4().hex
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().filter(pk__in=[ticket.pk for ticket in tickets]).order_by("pk")
        still = [
            ticket
            for ticket in locked
            # Moved to a department outside this batch meanwhile: the next run sees it.
            if ticket.department_id in departments and _qualifies(ticket, step, target, now, before)
        ]
        for ticket in still:
            ticket.department = departments[ticket.department_id]
        SlaEscalation.objects.bulk_create(
            [
                SlaEscalation(ticket=ticket, target=target, step=step, due=sla.due_of(ticket, target), run=token)
                for ticket in still
            ],
            # Another run wrote some of them: those are its own to tell.
            ignore_conflicts=True,
        )
        by_pk = {ticket.pk: ticket for ticket in still}
        won = list(SlaEscalation.objects.filter(run=token).order_by("ticket_id")) if still else []
        if not won:
            return
        for escalation in won:
            escalation.ticket = by_pk[escalation.ticket_id]
        events = [
            TicketEvent(
                ticket=escalation.ticket,
                kind=TicketEvent.Kind.SLA_WARNING if step == WARNING else TicketEvent.Kind.SLA_BREACHED,
                old_value=target,
                new_value=escalation.due.isoformat(),
                created_at=now,
            )
            for escalation in won
        ]
        priorities, flagged = {}, 0
        if step == BREACH:
            priorities = _raise_priorities([escalation.ticket for escalation in won], now)
            events += [
                TicketEvent(
                    ticket=by_pk[pk],
                    kind=TicketEvent.Kind.PRIORITY_CHANGED,
                    old_value=old,
                    new_value=new,
                    created_at=now,
                )
                for pk, (old, new) in priorities.items()
                if old != new
            ]
            flagged = Ticket.objects.filter(
                pk__in=[escalation.ticket_id for escalation in won], sla_breached_at__isnull=True
            ).update(sla_breached_at=now)
        TicketEvent.objects.bulk_create(events)
        notifications.notify_escalations(
            notifications.SLA_WARNING if step == WARNING else notifications.SLA_BREACHED, won
        )
        for escalation in won:
            _send(escalation, step, priorities)
    if step == WARNING:
        result.warned += len(won)
    else:
        result.breached += len(won)
        result.raised += sum(1 for old, new in priorities.values() if old != new)
        result.flagged += flagged


def _qualifies(ticket, step, target, now, before):
    """The predicate twin of :func:`candidates`' condition, asked of a locked ticket."""
    if step == WARNING:
        return sla.in_warning_window(ticket, target, now, before)
    return ticket.status in OPEN_STATUSES and sla.target_breached(ticket, target, now)


def _raise_priorities(tickets, now):
    """Apply each department's ``breach_priority`` to the locked ``tickets``; ``{pk: (old, new)}``.

    One update for every ticket that rises, whatever their priorities.
    """
    priorities = {
        ticket.pk: (ticket.priority, raised_priority(ticket.priority, ticket.department.breach_priority))
        for ticket in tickets
    }
    rising = {}
    for pk, (old, new) in priorities.items():
        if old != new:
            rising.setdefault(new, []).append(pk)
    if rising:
        Ticket.objects.filter(pk__in=[pk for pks in rising.values() for pk in pks]).update(
            priority=Case(*(When(pk__in=pks, then=Value(new)) for new, pks in rising.items())),
            updated_at=now,
        )
    for ticket in tickets:
        ticket.priority = priorities[ticket.pk][1]
    return priorities


def _send(escalation, step, priorities):
    ticket, target, due = escalation.ticket, escalation.target, escalation.due
    if step == WARNING:
        tx.on_commit_send(signals.sla_warning, Ticket, ticket=ticket, target=target, due=due, actor=None)
        return
    old, new = priorities.get(ticket.pk, (ticket.priority, ticket.priority))
    tx.on_commit_send(
        signals.sla_breached,
        Ticket,
        ticket=ticket,
        target=target,
        due=due,
        old_priority=old,
        new_priority=new,
        actor=None,
    )
