"""The periodic chores (``manage.py helpdesk_tickets_housekeeping``): auto-closing, breach flags, due times.

The command also sweeps the outbox (:func:`helpdesk_tickets.services.outbox.sweep`).

Each chore works through the tickets in batches of :data:`BATCH_SIZE`, one
transaction per ticket, until none is left (or :data:`MAX_BATCHES` were
done, so that one run never takes over the next one's slot for ever). Every
change is conditional, so overlapping runs are safe.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import signals, sla, workflow
from ..choices import OPEN_STATUSES, Status
from ..conf import settings as app_settings
from ..models import Ticket, TicketEvent
from . import _transactions as tx

#: Tickets read per batch.
BATCH_SIZE = 1000
#: Batches per call at most; what is left waits for the next run.
MAX_BATCHES = 50


def _in_batches(candidates, handle):
    """Call ``handle(pk)`` for each primary key of ``candidates``, batch by batch; returns how many said True.

    ``candidates`` is re-read for each batch: a handled ticket leaves it.
    """
    done = 0
    for _batch in range(MAX_BATCHES):
        batch = list(candidates[:BATCH_SIZE])
        done += sum(1 for pk in batch if handle(pk))
        if len(batch) < BATCH_SIZE:
            break
    return done


def flag_breaches(now=None):
    """Record an ``sla_breached`` event, once, for each ticket past its SLA; returns how many were flagged."""
    now = now or timezone.now()

    def flag(pk):
        with transaction.atomic():
            updated = Ticket.objects.filter(pk=pk, sla_breached_at__isnull=True).update(sla_breached_at=now)
            if updated:
                TicketEvent.objects.create(ticket_id=pk, kind=TicketEvent.Kind.SLA_BREACHED, new_value=now.isoformat())
            return bool(updated)

    candidates = Ticket.objects.breached(now).filter(sla_breached_at__isnull=True).order_by("pk")
    return _in_batches(candidates.values_list("pk", flat=True), flag)


def auto_close_resolved(now=None):
    """Close tickets resolved more than ``AUTO_CLOSE_AFTER`` days ago; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=app_settings.AUTO_CLOSE_AFTER)

    def close(pk):
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().filter(pk=pk, status=Status.RESOLVED).first()
            if locked is None:
                return False
            changed = workflow.apply_status(locked, Status.CLOSED, now)
            locked.save(update_fields=sorted(set(changed + ["updated_at"])))
            tx.record(locked, TicketEvent.Kind.STATUS_CHANGED, None, Status.RESOLVED, Status.CLOSED)
            tx.on_commit_send(
                signals.ticket_status_changed, Ticket, ticket=locked, old=Status.RESOLVED, new=Status.CLOSED, actor=None
            )
            return True

    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).order_by("pk")
    return _in_batches(due.values_list("pk", flat=True), close)


def recompute_open_due_times(departments=None):
    """Recompute the SLA due times of open tickets from today's calendar and targets; returns how many moved.

    Due times are stored on the ticket, so after holidays, business hours or a
    department's targets change, run this (``helpdesk_tickets_housekeeping
    --recompute-due-times``). Each row is written only if its deadlines moved,
    and only if nothing that feeds them (department, status, first response,
    pause) changed meanwhile: a concurrent service call always wins.
    """
    cal = sla.calendar()
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).select_related("department").order_by("pk")
    if departments is not None:
        tickets = tickets.filter(department__in=departments)
    moved = 0
    for ticket in tickets.iterator(chunk_size=500):
        before = (ticket.first_response_due, ticket.resolution_due)
        sla.recompute_due_times(ticket, cal)
        if (ticket.first_response_due, ticket.resolution_due) == before:
            continue
        moved += Ticket.objects.filter(
            pk=ticket.pk,
            status__in=OPEN_STATUSES,
            department_id=ticket.department_id,
            status=ticket.status,
            first_response_at=ticket.first_response_at,
            sla_paused_at=ticket.sla_paused_at,
            sla_paused_total=ticket.sla_paused_total,
        ).update(
            first_response_due=ticket.first_response_due,
            resolution_due=ticket.resolution_due,
            sla_due=ticket.next_due(),
        )
    return moved
