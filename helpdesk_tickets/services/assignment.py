"""Who gets a new ticket: the department's assignment rule, and agents pausing themselves.

``Department.assignment`` is ``manual`` (nobody until an agent takes the
ticket), ``round_robin`` (each available agent in turn) or ``load_balanced``
(the available agent with the fewest open tickets, under their capacity;
ties go to whoever was assigned least recently). Available means an active
member of the department who is not away.

:func:`services.create_ticket <helpdesk_tickets.services.create_ticket>`
applies the rule to every new ticket, whatever the channel, inside its
transaction; the assignment is recorded exactly as a manual one
(:func:`~helpdesk_tickets.services.handling.set_assignee`).

Fair under concurrency: the department's :class:`AssignmentCursor` row is
locked (``SELECT … FOR UPDATE``) while a ticket is given, so simultaneous
tickets of one department are given one after the other. The load is
counted after that lock, which READ COMMITTED (PostgreSQL's default, and
Django's for MySQL/MariaDB) lets see every ticket given before.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .. import permissions, users
from ..choices import OPEN_STATUSES, Assignment
from ..models import AgentStatus, AssignmentCursor, Department, Ticket
from .handling import set_assignee

#: Candidates load balancing tries, least loaded first, before leaving a ticket unassigned.
CANDIDATES_TRIED = 5


def available_agents(department):
    """The agents the rules may give ``department``'s tickets to: its active members who are not away."""
    return users.active_users(department.agents.all()).exclude(helpdesk_agent_status__away=True)


def prepare(department):
    """Make sure a department with a rule has its cursor row, before the creating transaction starts.

    Created inside that transaction, the row would be raced for by the first
    tickets arriving together: on InnoDB the losers of a duplicate insert keep
    shared locks, and deadlock when each then locks the row for update.
    """
    if department.assignment == Assignment.MANUAL:
        return
    if not AssignmentCursor.objects.filter(department_id=department.pk).exists():
        AssignmentCursor.objects.bulk_create([AssignmentCursor(department_id=department.pk)], ignore_conflicts=True)


def assign_new_ticket(ticket):
    """Apply the department's rule to ``ticket``, just created, inside its transaction; returns the agent or None."""
    department = ticket.department
    if department.assignment == Assignment.MANUAL:
        return None
    cursor = _locked_cursor(department)
    if department.assignment == Assignment.ROUND_ROBIN:
        agent = _next_in_turn(department, cursor)
    else:
        agent = _least_loaded(department)
    if agent is None:
        return None
    set_assignee(ticket, agent, actor=None)
    cursor.last_agent = agent
    cursor.save(update_fields=["last_agent"])
    return agent


def _locked_cursor(department):
    cursor = AssignmentCursor.objects.select_for_update().filter(department_id=department.pk).first()
    if cursor is None:  # prepare() did not run (the rule was switched on meanwhile)
        try:
            with transaction.atomic():
                AssignmentCursor.objects.create(department_id=department.pk)
        except IntegrityError:
            pass
        cursor = AssignmentCursor.objects.select_for_update().get(department_id=department.pk)
    return cursor


def _next_in_turn(department, cursor):
    """The available agent after the last one given a ticket, in a fixed order (by primary key), wrapping round."""
    agents = list(available_agents(department).order_by("pk"))
    if not agents:
        return None
    last = cursor.last_agent_id
    if last is not None:
        for agent in agents:
            if agent.pk > last:
                return agent
    return agents[0]


def open_load():
    """Each agent's open assigned tickets, in all departments, as a subquery on the user (``OuterRef("pk")``)."""
    counted = (
        Ticket.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _least_loaded(department):
    """The available agent with the fewest open tickets and room under their capacity; ties: least recently given."""
    agents = (
        available_agents(department)
        .annotate(
            hdt_load=open_load(),
            hdt_capacity=F("helpdesk_agent_status__capacity"),
            hdt_last_assigned=F("helpdesk_agent_status__last_assigned_at"),
        )
        .filter(Q(hdt_capacity__isnull=True) | Q(hdt_load__lt=F("hdt_capacity")))
        .order_by("hdt_load", F("hdt_last_assigned").asc(nulls_first=True), "pk")
    )
    for agent in agents[:CANDIDATES_TRIED]:
        if agent.hdt_capacity is None:
            return agent
        # An agent may work for several departments, whose tickets take other cursors:
        # their own row, locked, makes the count below the last word on their capacity.
        AgentStatus.objects.select_for_update().filter(user=agent).first()
        if Ticket.objects.filter(assignee=agent, status__in=OPEN_STATUSES).count() < agent.hdt_capacity:
            return agent
    return None


def set_away(agent, away, *, actor):
    """Pause (``away=True``) or resume ``agent``'s automatic assignments; the agent themselves or a supervisor.

    Tickets they already hold stay theirs; manual assignment still works.
    """
    if not permissions.is_agent(agent) or not (actor.pk == agent.pk or permissions.is_supervisor(actor)):
        raise PermissionDenied
    away = bool(away)
    if not AgentStatus.objects.filter(user=agent).update(away=away):
        AgentStatus.objects.bulk_create([AgentStatus(user=agent, away=away)], ignore_conflicts=True)
        AgentStatus.objects.filter(user=agent).update(away=away)
    return away


def is_away(agent):
    """Whether ``agent`` paused their automatic assignments."""
    return AgentStatus.objects.filter(user=agent, away=True).exists()


def unstaffed_departments():
    """Active departments without one active agent: their tickets reach no one (nobody is e-mailed,
    nobody's queue shows them except a supervisor's). ``manage.py check`` and the admin say so."""
    staffed = Department.objects.filter(agents__in=users.active_users()).values("pk")
    return Department.objects.filter(active=True).exclude(pk__in=staffed).order_by("ordering", "name")
