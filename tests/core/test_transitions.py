"""The status pipeline is data (``STATUS_TRANSITIONS``); every move obeys it and leaves a trace."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from helpdesk_tickets import services
from helpdesk_tickets.models import OPEN_STATUSES, STATUS_TRANSITIONS, Status, Ticket, TicketEvent
from tests.core.helpers import Desk

pytestmark = pytest.mark.django_db

PAIRS = [(old, new) for old, new in itertools.permutations(Status.values, 2)]
ALLOWED = [(old, new) for old, new in PAIRS if new in STATUS_TRANSITIONS[Status(old)]]
FORBIDDEN = [(old, new) for old, new in PAIRS if new not in STATUS_TRANSITIONS[Status(old)]]


def test_the_pipeline_is_the_documented_one():
    assert STATUS_TRANSITIONS[Status.CLOSED] == ()
    assert set(OPEN_STATUSES) == {Status.NEW, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER}
    for old, allowed in STATUS_TRANSITIONS.items():
        assert old not in allowed
        assert Status.CLOSED in allowed or old == Status.CLOSED
    assert len(ALLOWED) + len(FORBIDDEN) == 20


def ticket_in(desk, status):
    """A fresh ticket put straight into ``status`` (its key released as the services would)."""
    ticket = desk.ticket()
    fields = {"status": status}
    if status not in OPEN_STATUSES:
        fields["duplicate_key"] = None
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def desk():
    return Desk()


@pytest.mark.parametrize(("old", "new"), ALLOWED, ids=[f"{o}->{n}" for o, n in ALLOWED])
def test_an_allowed_move_is_made_and_recorded(desk, old, new):
    ticket = ticket_in(desk, old)
    before = ticket.events.count()

    services.change_status(ticket, new, actor=desk.agent)

    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.status == new == ticket.status
    assert ticket.events.count() == before + 1
    event = ticket.events.latest("id")
    assert (event.kind, event.old_value, event.new_value, event.actor) == (
        TicketEvent.Kind.STATUS_CHANGED,
        old,
        new,
        desk.agent,
    )
    assert (saved.closed_at is not None) == (new == Status.CLOSED)
    if new in (Status.RESOLVED, Status.CLOSED):
        assert saved.resolved_at is not None and saved.resolution_seconds is not None
        assert saved.duplicate_key is None
    if new in OPEN_STATUSES:
        assert saved.resolved_at is None
    assert (saved.sla_paused_at is not None) == (new == Status.AWAITING_CUSTOMER)


@pytest.mark.parametrize(("old", "new"), FORBIDDEN, ids=[f"{o}->{n}" for o, n in FORBIDDEN])
def test_a_forbidden_move_raises_and_changes_nothing(desk, old, new):
    ticket = ticket_in(desk, old)
    before = ticket.events.count()

    with pytest.raises(services.InvalidTransition) as refused:
        services.change_status(ticket, new, actor=desk.agent)

    assert (refused.value.old, refused.value.new) == (old, new)
    assert Ticket.objects.get(pk=ticket.pk).status == old
    assert ticket.events.count() == before


@pytest.mark.parametrize("status", Status.values)
def test_staying_put_is_not_a_move(desk, status):
    ticket = ticket_in(desk, status)
    before = ticket.events.count()
    services.change_status(ticket, status, actor=desk.agent)
    assert ticket.events.count() == before


def test_an_unknown_status_is_a_validation_error(desk):
    ticket = desk.ticket()
    with pytest.raises(ValidationError) as refused:
        services.change_status(ticket, "archived", actor=desk.agent)
    assert set(refused.value.message_dict) == {"status"}


def test_the_move_is_checked_against_the_saved_status_not_the_callers_copy(desk):
    ticket = desk.ticket()
    stale = Ticket.objects.get(pk=ticket.pk)
    services.close(ticket, actor=desk.agent)
    with pytest.raises(services.InvalidTransition):
        services.change_status(stale, Status.IN_PROGRESS, actor=desk.agent)


def test_customers_may_close_and_reopen_but_not_work_the_ticket(desk):
    ticket = desk.ticket()
    for status in (Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, Status.RESOLVED):
        with pytest.raises(PermissionDenied):
            services.change_status(ticket, status, actor=desk.customer)

    services.resolve(ticket, actor=desk.agent)
    services.reopen(ticket, actor=desk.customer)
    assert ticket.status == Status.IN_PROGRESS
    services.close(ticket, actor=desk.customer)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_reopen_only_applies_to_resolved_tickets(desk):
    ticket = desk.ticket()
    with pytest.raises(services.InvalidTransition):
        services.reopen(ticket, actor=desk.customer)
    services.close(ticket, actor=desk.customer)
    with pytest.raises(services.TicketClosed):
        services.reopen(ticket, actor=desk.customer)


def test_the_sla_clock_pauses_while_awaiting_the_customer(desk):
    ticket = desk.ticket()
    services.change_status(ticket, Status.AWAITING_CUSTOMER, actor=desk.agent)
    paused = Ticket.objects.get(pk=ticket.pk)
    assert paused.sla_paused and paused.next_due() is None

    services.change_status(ticket, Status.IN_PROGRESS, actor=desk.agent)
    resumed = Ticket.objects.get(pk=ticket.pk)
    assert not resumed.sla_paused and resumed.resolution_due >= paused.resolution_due


def test_the_whole_lifecycle_leaves_an_ordered_trail(desk):
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=desk.agent, body="Try again?")
    services.post_reply(ticket=ticket, actor=desk.customer, body="Still broken")
    services.resolve(ticket, actor=desk.agent)
    services.reopen(ticket, actor=desk.customer)
    services.close(ticket, actor=desk.customer)

    trail = list(ticket.events.values_list("kind", "old_value", "new_value"))
    assert trail == [
        (TicketEvent.Kind.CREATED, "", Status.NEW),
        (TicketEvent.Kind.STATUS_CHANGED, Status.NEW, Status.AWAITING_CUSTOMER),
        (TicketEvent.Kind.STATUS_CHANGED, Status.AWAITING_CUSTOMER, Status.IN_PROGRESS),
        (TicketEvent.Kind.STATUS_CHANGED, Status.IN_PROGRESS, Status.RESOLVED),
        (TicketEvent.Kind.STATUS_CHANGED, Status.RESOLVED, Status.IN_PROGRESS),
        (TicketEvent.Kind.STATUS_CHANGED, Status.IN_PROGRESS, Status.CLOSED),
    ]
