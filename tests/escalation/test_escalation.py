"""Escalation: a warning ahead of each SLA deadline, the breach's priority rise, once per due time.

The departments' default targets: first response 30 minutes, resolution 24
hours, round the clock; ``SLA_WARNING_BEFORE`` is 15 minutes by default.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from helpdesk_tickets import services, signals, tasks, users
from helpdesk_tickets.models import (
    BreachPriority,
    OutboundEmail,
    Priority,
    SlaEscalation,
    SlaTarget,
    Status,
    Ticket,
    TicketEvent,
)
from tests.agents.helpers import Team
from tests.factories import DepartmentFactory, client_for, make_agent, make_supervisor, token_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FIRST_DUE = T0 + timedelta(minutes=30)
RESOLUTION_DUE = T0 + timedelta(hours=24)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def escalate(moment):
    with at(moment):
        return services.escalate()


def emails(kind, ticket):
    return OutboundEmail.objects.filter(kind=kind, ticket=ticket)


def recipients(kind, ticket):
    return sorted(row.recipient_id for row in emails(kind, ticket))


@pytest.fixture
def team():
    return Team(size=3)


@pytest.fixture
def heard():
    """The escalation signals received, as (signal name, arguments) pairs."""
    received = []

    def receiver(signal, sender, **kwargs):
        received.append((signal, kwargs))

    for signal in (signals.sla_warning, signals.sla_breached):
        signal.connect(receiver, weak=False, dispatch_uid=f"test-{id(signal)}")
    yield received
    for signal in (signals.sla_warning, signals.sla_breached):
        signal.disconnect(dispatch_uid=f"test-{id(signal)}")


def new_ticket(team, **kwargs):
    with at(T0):
        return team.ticket(**kwargs)


# --------------------------------------------------------------------------
# warnings


def test_the_assignee_is_warned_ahead_of_the_first_response_deadline(team, heard, django_capture_on_commit_callbacks):
    ticket = new_ticket(team)
    services.assign(ticket, team.agents[1], actor=team.agents[1])

    assert escalate(FIRST_DUE - timedelta(minutes=16)).warned == 0  # not yet within 15 minutes
    with django_capture_on_commit_callbacks(execute=True):
        run = escalate(FIRST_DUE - timedelta(minutes=15))

    assert (run.warned, run.breached) == (1, 0)
    assert recipients("sla_warning", ticket) == [team.agents[1].pk]
    event = ticket.events.get(kind=TicketEvent.Kind.SLA_WARNING)
    assert (event.actor, event.old_value, datetime.fromisoformat(event.new_value)) == (
        None,
        SlaTarget.FIRST_RESPONSE,
        FIRST_DUE,
    )
    signal, arguments = heard[-1]
    assert signal is signals.sla_warning
    assert arguments["ticket"].pk == ticket.pk
    assert (arguments["target"], arguments["due"], arguments["actor"]) == ("first_response", FIRST_DUE, None)


def test_an_unassigned_ticket_warns_its_departments_agents(team):
    ticket = new_ticket(team)
    elsewhere = make_agent(DepartmentFactory(), username="elsewhere")
    team.department.agents.add(make_agent(username="quitter", is_active=False))

    escalate(FIRST_DUE - timedelta(minutes=5))

    assert recipients("sla_warning", ticket) == sorted(agent.pk for agent in team.agents)
    assert elsewhere.pk not in recipients("sla_warning", ticket)


def test_an_assignee_no_longer_in_the_department_gives_way_to_it(team):
    ticket = new_ticket(team)
    services.assign(ticket, team.agents[0], actor=team.agents[0])
    team.department.agents.remove(team.agents[0])
    escalate(FIRST_DUE - timedelta(minutes=5))
    assert recipients("sla_warning", ticket) == sorted(agent.pk for agent in team.agents[1:])


def test_a_supervisor_assignee_is_warned_alone(team):
    ticket = new_ticket(team)
    boss = make_supervisor(username="boss")
    services.assign(ticket, boss, actor=boss)
    escalate(FIRST_DUE - timedelta(minutes=5))
    assert recipients("sla_warning", ticket) == [boss.pk]


def test_never_twice_for_the_same_due_time(team):
    ticket = new_ticket(team)
    assert escalate(FIRST_DUE - timedelta(minutes=10)).warned == 1
    assert escalate(FIRST_DUE - timedelta(minutes=5)).warned == 0
    assert escalate(FIRST_DUE).warned == 0
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_WARNING).count() == 1
    assert emails("sla_warning", ticket).count() == len(team.agents)


def test_a_new_due_time_warns_again(team):
    ticket = new_ticket(team)
    slower = DepartmentFactory(first_response_target=timedelta(hours=1))
    make_agent(slower, username="slow-agent")
    escalate(FIRST_DUE - timedelta(minutes=10))
    with at(FIRST_DUE - timedelta(minutes=8)):
        services.change_department(ticket, slower, actor=make_supervisor(username="mover"))
    ticket.refresh_from_db()
    assert ticket.first_response_due == T0 + timedelta(hours=1)

    assert escalate(FIRST_DUE - timedelta(minutes=5)).warned == 0  # the new deadline is 35 minutes away
    assert escalate(T0 + timedelta(minutes=50)).warned == 1
    dues = ticket.events.filter(kind=TicketEvent.Kind.SLA_WARNING).values_list("new_value", flat=True)
    assert [datetime.fromisoformat(due) for due in dues] == [FIRST_DUE, T0 + timedelta(hours=1)]


def test_the_resolution_deadline_warns_again_after_a_pause(team):
    ticket = new_ticket(team)
    agent, customer = team.agents[0], team.customer
    services.assign(ticket, agent, actor=agent)
    with at(T0 + timedelta(minutes=10)):
        services.post_reply(ticket=ticket, actor=agent, body="Which order?")  # answered; waits for the customer
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CUSTOMER
    # Paused: no warning, though the old deadline is within 15 minutes.
    assert escalate(RESOLUTION_DUE - timedelta(minutes=10)).warned == 0
    with at(RESOLUTION_DUE - timedelta(minutes=5)):
        services.post_reply(ticket=ticket, actor=customer, body="Order 42.")
    ticket.refresh_from_db()
    assert ticket.resolution_due > RESOLUTION_DUE

    assert escalate(ticket.resolution_due - timedelta(minutes=1)).warned == 1
    assert recipients("sla_warning", ticket) == [agent.pk]
    event = ticket.events.get(kind=TicketEvent.Kind.SLA_WARNING)
    assert (event.old_value, datetime.fromisoformat(event.new_value)) == ("resolution", ticket.resolution_due)


def test_no_warning_for_paused_resolved_or_closed_tickets(team):
    running, paused, resolved, closed = (new_ticket(team, subject=f"Ticket {n}") for n in range(4))
    agent = team.agents[0]
    services.change_status(paused, Status.AWAITING_CUSTOMER, actor=agent)
    services.resolve(resolved, actor=agent)
    services.close(closed, actor=agent)

    for moment in (FIRST_DUE - timedelta(minutes=10), RESOLUTION_DUE - timedelta(minutes=10)):
        escalate(moment)

    warned = set(SlaEscalation.objects.filter(step="warning").values_list("ticket_id", flat=True))
    assert warned == {running.pk}
    assert not OutboundEmail.objects.filter(kind="sla_warning").exclude(ticket=running).exists()


@override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, "SLA_WARNING_BEFORE": None})
def test_warnings_can_be_turned_off(team):
    ticket = new_ticket(team)
    assert escalate(FIRST_DUE - timedelta(minutes=5)).warned == 0
    assert escalate(FIRST_DUE + timedelta(minutes=1)).breached == 1
    assert not ticket.events.filter(kind=TicketEvent.Kind.SLA_WARNING).exists()


@override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, "SLA_WARNING_BEFORE": timedelta(hours=2)})
def test_the_warning_window_is_a_setting(team):
    new_ticket(team)
    run = escalate(RESOLUTION_DUE - timedelta(hours=2))
    # The first-response deadline is long past (a breach), the resolution one is two hours away.
    assert (run.warned, run.breached) == (1, 1)
    assert SlaEscalation.objects.get(step="warning").target == SlaTarget.RESOLUTION


# --------------------------------------------------------------------------
# breaches


@pytest.mark.parametrize(
    ("rule", "before", "after"),
    [
        (BreachPriority.NONE, Priority.NORMAL, Priority.NORMAL),
        (BreachPriority.RAISE, Priority.NORMAL, Priority.HIGH),
        (BreachPriority.RAISE, Priority.URGENT, Priority.URGENT),
        (BreachPriority.URGENT, Priority.LOW, Priority.URGENT),
    ],
)
def test_a_breach_raises_the_priority_as_the_department_says(
    team, heard, django_capture_on_commit_callbacks, rule, before, after
):
    team.department.breach_priority = rule
    team.department.save()
    ticket = new_ticket(team, priority=before)

    with django_capture_on_commit_callbacks(execute=True):
        run = escalate(FIRST_DUE + timedelta(minutes=1))

    assert (run.breached, run.raised, run.flagged) == (1, int(before != after), 1)
    ticket.refresh_from_db()
    assert ticket.priority == after
    assert ticket.sla_breached_at == FIRST_DUE + timedelta(minutes=1)
    breach = ticket.events.get(kind=TicketEvent.Kind.SLA_BREACHED)
    assert (breach.actor, breach.old_value, datetime.fromisoformat(breach.new_value)) == (
        None,
        "first_response",
        FIRST_DUE,
    )
    rises = ticket.events.filter(kind=TicketEvent.Kind.PRIORITY_CHANGED)
    assert [(e.old_value, e.new_value, e.actor) for e in rises] == ([(before, after, None)] if before != after else [])
    signal, arguments = heard[-1]
    assert signal is signals.sla_breached
    assert (arguments["target"], arguments["due"], arguments["actor"]) == ("first_response", FIRST_DUE, None)
    assert (arguments["old_priority"], arguments["new_priority"]) == (before, after)
    assert arguments["ticket"].priority == after
    assert recipients("sla_breached", ticket) == sorted(agent.pk for agent in team.agents)


def test_each_deadline_breaches_once_and_raises_again(team):
    team.department.breach_priority = BreachPriority.RAISE
    team.department.save()
    ticket = new_ticket(team, priority=Priority.LOW)

    assert escalate(FIRST_DUE + timedelta(minutes=1)).breached == 1
    assert escalate(FIRST_DUE + timedelta(minutes=2)).breached == 0
    run = escalate(RESOLUTION_DUE + timedelta(minutes=1))
    assert (run.breached, run.flagged) == (1, 0)  # flagged the first time only
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH  # low → normal → high
    assert ticket.sla_breached_at == FIRST_DUE + timedelta(minutes=1)
    targets = ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACHED).values_list("old_value", flat=True)
    assert list(targets) == ["first_response", "resolution"]


def test_a_ticket_answered_after_the_candidates_were_read_is_not_warned(team):
    ticket = new_ticket(team)
    original = services.escalation._handle

    def answered_first(tickets, *args):
        with at(FIRST_DUE - timedelta(minutes=6)):
            services.post_reply(ticket=ticket, actor=team.agents[0], body="Here you are.")
        return original(tickets, *args)

    with mock.patch.object(services.escalation, "_handle", answered_first):
        assert escalate(FIRST_DUE - timedelta(minutes=5)).warned == 0
    assert not SlaEscalation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_chosen_as_a_deadlocks_victim_is_tried_again():
    from django.db import OperationalError

    team = Team(size=2, name="victim")
    ticket = new_ticket(team)
    original, calls = services.escalation._handle, []

    def victim_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
        return original(*args)

    with mock.patch.object(services.escalation, "_handle", victim_once):
        assert escalate(FIRST_DUE - timedelta(minutes=5)).warned == 1
    assert len(calls) == 2
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_WARNING).count() == 1


def test_a_finished_ticket_is_not_escalated(team):
    ticket = new_ticket(team)
    services.close(ticket, actor=team.agents[0])
    assert escalate(RESOLUTION_DUE + timedelta(hours=1)).breached == 0
    assert not SlaEscalation.objects.filter(ticket=ticket).exists()


def test_a_priority_changed_meanwhile_is_raised_from_where_it_is(team):
    """The rise reads the priority under the row lock, not from the candidates' read."""
    team.department.breach_priority = BreachPriority.RAISE
    team.department.save()
    ticket = new_ticket(team)
    original = services.escalation._handle

    def agent_first(tickets, *args):
        Ticket.objects.filter(pk=ticket.pk).update(priority=Priority.HIGH)
        return original(tickets, *args)

    with mock.patch.object(services.escalation, "_handle", agent_first):
        escalate(FIRST_DUE + timedelta(minutes=1))
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT
    rise = ticket.events.get(kind=TicketEvent.Kind.PRIORITY_CHANGED)
    assert (rise.old_value, rise.new_value) == (Priority.HIGH, Priority.URGENT)


# --------------------------------------------------------------------------
# what customers see, what staff see


def test_customers_see_nothing_of_it(team):
    team.department.breach_priority = BreachPriority.URGENT
    team.department.save()
    ticket = new_ticket(team)
    escalate(FIRST_DUE - timedelta(minutes=5))
    escalate(FIRST_DUE + timedelta(minutes=5))

    assert not OutboundEmail.objects.filter(kind__in=["sla_warning", "sla_breached"], recipient=team.customer).exists()
    body = token_client(team.customer).get(f"/api/tickets/{ticket.reference}/events/").json()
    assert [event["kind"] for event in body["results"]] == ["created"]
    staff_body = token_client(team.agents[0]).get(f"/api/tickets/{ticket.reference}/events/").json()
    assert {"sla_warning", "sla_breached", "priority_changed"} <= {event["kind"] for event in staff_body["results"]}
    page = client_for(team.customer).get(ticket.get_absolute_url()).content.decode()
    assert "SLA" not in page and "deadline" not in page.lower()


def test_the_staff_ticket_page_shows_the_warning_and_the_breach(team):
    ticket = new_ticket(team)
    escalate(FIRST_DUE - timedelta(minutes=5))
    escalate(FIRST_DUE + timedelta(minutes=5))
    page = client_for(team.agents[0]).get(ticket.get_staff_url()).content.decode()
    assert "SLA deadline coming up" in page and "SLA breached" in page
    assert page.count("First response, due 2026-11-02 09:30") == 2


def test_the_staff_ticket_page_in_persian(team):
    ticket = new_ticket(team)
    escalate(FIRST_DUE - timedelta(minutes=5))
    with translation.override("fa"):
        from helpdesk_tickets.templatetags.helpdesk_staff import hdt_staff_event_change

        text = hdt_staff_event_change(ticket.events.get(kind=TicketEvent.Kind.SLA_WARNING))
    assert "نخستین پاسخ" in text and "۱۴۰۵/۰۸/۱۱" in text


def test_the_emails_name_the_deadline_and_its_due_time(team):
    ticket = new_ticket(team)
    services.assign(ticket, team.agents[0], actor=team.agents[0])
    escalate(FIRST_DUE - timedelta(minutes=5))
    escalate(FIRST_DUE + timedelta(minutes=5))
    mail.outbox.clear()
    with at(FIRST_DUE + timedelta(minutes=6)):
        services.sweep_outbox()

    [warning] = [m for m in mail.outbox if "Due soon" in m.subject]
    [breach] = [m for m in mail.outbox if "Deadline missed" in m.subject]
    assert warning.subject == f"[{ticket.reference}] Due soon (First response): {ticket.subject}"
    assert breach.subject == f"[{ticket.reference}] Deadline missed (First response): {ticket.subject}"
    assert warning.to == [users.email_address(team.agents[0])]
    assert "falls due at Nov. 2, 2026, 09:30." in warning.body
    assert "passed at" in breach.body
    html = warning.alternatives[0][0]
    assert "First response" in html and ticket.get_staff_url() in html
    assert "assigned to you" in warning.body


@override_settings(LANGUAGE_CODE="fa")
def test_the_emails_in_persian(team):
    ticket = new_ticket(team)
    escalate(FIRST_DUE - timedelta(minutes=5))
    mail.outbox.clear()
    with at(FIRST_DUE - timedelta(minutes=4)):
        services.sweep_outbox()
    subjects = [m.subject for m in mail.outbox if ticket.reference in m.subject and "نخستین پاسخ" in m.subject]
    assert len(subjects) == len(team.agents)


# --------------------------------------------------------------------------
# how it runs


def test_the_housekeeping_command_escalates_and_says_so(team):
    team.department.breach_priority = BreachPriority.RAISE
    team.department.save()
    new_ticket(team)
    out = StringIO()
    with at(FIRST_DUE - timedelta(minutes=5)):
        call_command("helpdesk_tickets_housekeeping", stdout=out)
    assert (
        "Escalation: warned about 1 deadline(s) coming up, escalated 0 breach(es), raised 0 priority(ies)."
        in out.getvalue()
    )
    out = StringIO()
    with at(FIRST_DUE + timedelta(minutes=5)):
        call_command("helpdesk_tickets_housekeeping", stdout=out)
    assert "flagged 1 SLA breach(es)." in out.getvalue()
    assert (
        "Escalation: warned about 0 deadline(s) coming up, escalated 1 breach(es), raised 1 priority(ies)."
        in out.getvalue()
    )


def test_the_task_escalates(team):
    ticket = new_ticket(team)
    with at(FIRST_DUE - timedelta(minutes=5)):
        result = tasks.escalate_tickets.enqueue()
    assert result.return_value == {"warned": 1, "breached": 0, "raised": 0, "flagged": 0}
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_WARNING).count() == 1


def test_a_run_works_through_every_batch(team, monkeypatch):
    monkeypatch.setattr(services.escalation, "BATCH_SIZE", 2)
    tickets = [new_ticket(team, subject=f"Question {n}") for n in range(5)]
    assert escalate(FIRST_DUE - timedelta(minutes=5)).warned == 5
    assert set(SlaEscalation.objects.values_list("ticket_id", flat=True)) == {t.pk for t in tickets}


def test_muted_writes_no_email_but_still_records(team):
    from helpdesk_tickets import notifications

    ticket = new_ticket(team)
    with notifications.muted():
        escalate(FIRST_DUE - timedelta(minutes=5))
    assert ticket.events.filter(kind=TicketEvent.Kind.SLA_WARNING).exists()
    assert not emails("sla_warning", ticket).exists()


# A run asks for the candidates of each deadline and step (2 x 2 queries); a batch is a savepoint
# and its release, the lock, the escalation rows, the rows won, the events, and the e-mails
# (the departments' agents, the people, the outbox rows, their Message-IDs); a breach also
# raises the priorities (one update) and sets sla_breached_at (another).
QUERIES = {"warning": 4 + 10, "breach": 4 + 12}


@pytest.mark.parametrize("step", ["warning", "breach"])
@pytest.mark.parametrize("number", [1, 7])
def test_a_run_costs_the_same_queries_for_one_ticket_or_many(team, django_assert_num_queries, step, number):
    team.department.breach_priority = BreachPriority.RAISE
    team.department.save()
    other = Team(size=2, name="other")
    other.department.breach_priority = BreachPriority.URGENT
    other.department.save()
    services.assign(new_ticket(other, subject="Assigned"), other.agents[1], actor=other.agents[1])
    for n in range(number - 1):
        new_ticket(team if n % 2 == 0 else other, subject=f"Ticket {n}")
    moment = FIRST_DUE - timedelta(minutes=5) if step == "warning" else FIRST_DUE + timedelta(minutes=1)

    with at(moment), django_assert_num_queries(QUERIES[step]):
        run = services.escalate()

    assert (run.warned if step == "warning" else run.breached) == number


@pytest.mark.django_db(transaction=True)
def test_runs_at_once_warn_and_escalate_once():
    from tests.core.test_concurrency import run_at_once

    team = Team(size=2, name="concurrent")
    team.department.breach_priority = BreachPriority.RAISE
    team.department.save()
    tickets = [new_ticket(team, subject=f"At once {n}") for n in range(6)]

    for moment, step in ((FIRST_DUE - timedelta(minutes=5), "warning"), (FIRST_DUE + timedelta(minutes=1), "breach")):
        with at(moment):
            results = run_at_once(4, lambda i: services.escalate())
        assert all(isinstance(result, services.EscalationRun) for result in results), results
        done = sum(result.warned if step == "warning" else result.breached for result in results)
        assert done == len(tickets)
        assert SlaEscalation.objects.filter(step=step).count() == len(tickets)

    kinds = TicketEvent.objects.filter(ticket__in=tickets).values_list("kind", flat=True)
    assert sorted(kinds).count(TicketEvent.Kind.SLA_WARNING) == len(tickets)
    assert sorted(kinds).count(TicketEvent.Kind.SLA_BREACHED) == len(tickets)
    assert sorted(kinds).count(TicketEvent.Kind.PRIORITY_CHANGED) == len(tickets)
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("priority", flat=True)) == {
        Priority.HIGH
    }
    assert OutboundEmail.objects.filter(kind="sla_warning").count() == len(tickets) * len(team.agents)
    assert OutboundEmail.objects.filter(kind="sla_breached").count() == len(tickets) * len(team.agents)


def test_the_admin_sets_the_departments_priority_on_breach(admin_client, team):
    page = admin_client.get(f"/admin/helpdesk_tickets/department/{team.department.pk}/change/").content.decode()
    assert 'name="breach_priority"' in page and "Raise it one step" in page
