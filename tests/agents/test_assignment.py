"""Assignment rules of new tickets: manual, round robin, load balanced; agents away; concurrency."""

from collections import Counter

import pytest

from helpdesk_tickets import services, signals, users
from helpdesk_tickets.models import AgentStatus, Status, Ticket, TicketEvent
from tests.agents.helpers import Team, capacity
from tests.core.test_concurrency import run_at_once
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def assignees(tickets):
    return [ticket.assignee for ticket in tickets]


def test_manual_departments_leave_new_tickets_unassigned():
    team = Team(assignment="manual")
    assert team.ticket().assignee is None


def test_round_robin_gives_each_agent_in_turn_and_wraps_round():
    team = Team(size=3, assignment="round_robin")
    tickets = [team.ticket() for _ in range(7)]
    a, b, c = team.agents
    assert assignees(tickets) == [a, b, c, a, b, c, a]
    assert [t.assignee_id for t in Ticket.objects.order_by("id")] == [x.pk for x in (a, b, c, a, b, c, a)]


def test_round_robin_skips_agents_away_or_inactive_and_takes_them_back():
    team = Team(size=3, assignment="round_robin")
    a, b, c = team.agents
    services.set_away(b, True, actor=b)
    if users.has_field("is_active"):
        c.is_active = False
        c.save()
        expected = [a, a]
    else:
        expected = [a, c]
    assert assignees([team.ticket(), team.ticket()]) == expected
    services.set_away(b, False, actor=b)
    assert team.ticket().assignee == b


def test_no_available_agent_leaves_the_ticket_unassigned():
    team = Team(size=1, assignment="round_robin")
    services.set_away(team.agents[0], True, actor=team.agents[0])
    ticket = team.ticket()
    assert ticket.assignee is None
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED).exists()


def test_an_automatic_assignment_is_recorded_and_signalled_like_a_manual_one(django_capture_on_commit_callbacks):
    team = Team(size=2, assignment="round_robin")
    heard = []

    def receiver(sender, ticket, old, new, actor, **kwargs):
        heard.append((ticket.reference, old, new, actor))

    signals.ticket_assigned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = team.ticket()
    finally:
        signals.ticket_assigned.disconnect(receiver)
    assert heard == [(ticket.reference, None, team.agents[0], None)]
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED)
    assert event.actor is None and event.new_value == users.display_name(team.agents[0])
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == ["created", "assigned"]
    assert AgentStatus.objects.get(user=team.agents[0]).last_assigned_at is not None


@pytest.mark.parametrize("channel", ["web", "api", "phone", "email"])
def test_every_channel_is_assigned(channel):
    team = Team(size=2, assignment="round_robin")
    actor = team.agents[1] if channel == "phone" else None
    ticket = services.create_ticket(
        requester=team.customer,
        department=team.department,
        ticket_type=team.ticket_type,
        subject=f"By {channel}",
        description="Please help.",
        channel=channel,
        actor=actor,
    )
    assert ticket.assignee == team.agents[0]


def test_load_balanced_gives_the_least_loaded_then_the_least_recently_assigned():
    team = Team(size=3, assignment="load_balanced")
    a, b, c = team.agents
    # a holds two open tickets, b one, c none (the load counts every department's open tickets).
    elsewhere = Team(size=0, name="elsewhere")
    elsewhere.department.agents.add(a, b)
    for agent in (a, a, b):
        services.assign(elsewhere.ticket(), agent, actor=agent)
    assert team.ticket().assignee == c  # no load
    # b and c now hold one each, a two: b was assigned less recently than c.
    assert team.ticket().assignee == b
    assert team.ticket().assignee == c
    # Closed tickets are no load.
    for ticket in Ticket.objects.filter(assignee=a):
        services.close(ticket, actor=a)
    assert team.ticket().assignee == a


def test_load_balanced_honours_each_agents_capacity():
    team = Team(size=2, assignment="load_balanced")
    a, b = team.agents
    capacity(a, 1)
    capacity(b, 2)
    given = assignees([team.ticket() for _ in range(4)])
    assert Counter(given) == {a: 1, b: 2, None: 1}
    # Room again once a ticket is resolved.
    services.resolve(Ticket.objects.filter(assignee=b).first(), actor=b)
    assert team.ticket().assignee == b


def test_only_the_agent_or_a_supervisor_sets_them_away():
    from django.core.exceptions import PermissionDenied

    from tests.factories import make_supervisor

    team = Team(size=2)
    a, b = team.agents
    with pytest.raises(PermissionDenied):
        services.set_away(a, True, actor=b)
    with pytest.raises(PermissionDenied):
        services.set_away(team.customer, True, actor=team.customer)
    services.set_away(a, True, actor=make_supervisor())
    assert services.is_away(a)
    assert services.set_away(a, False, actor=a) is False and not services.is_away(a)


# --------------------------------------------------------------------------
# under concurrency: each thread its own connection (SQLite file, PostgreSQL, MariaDB)


def _create_at_once(team, count):
    requesters = [UserFactory(username=f"concurrent{i}") for i in range(count)]

    def submit(i):
        return services.create_ticket(
            requester=requesters[i],
            department=team.department,
            ticket_type=team.ticket_type,
            subject=f"Question {i}",
            description=f"Details of question {i}.",
        )

    results = run_at_once(count, submit)
    assert all(isinstance(result, Ticket) for result in results), [r for r in results if not isinstance(r, Ticket)]
    return Counter(Ticket.objects.filter(department=team.department).values_list("assignee_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_fair_under_concurrency():
    team = Team(size=4, assignment="round_robin")
    counts = _create_at_once(team, 32)
    assert counts == {agent.pk: 8 for agent in team.agents}
    events = TicketEvent.objects.filter(ticket__department=team.department, kind=TicketEvent.Kind.ASSIGNED)
    assert events.count() == 32


@pytest.mark.django_db(transaction=True)
def test_load_balancing_honours_capacity_under_concurrency():
    team = Team(size=4, assignment="load_balanced")
    for agent in team.agents:
        capacity(agent, 3)
    counts = _create_at_once(team, 16)
    assert counts == {**{agent.pk: 3 for agent in team.agents}, None: 4}
    assert Ticket.objects.filter(status=Status.NEW).count() == 16
