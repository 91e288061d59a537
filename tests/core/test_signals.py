"""Signals reach receivers only after the write commits, never for a rolled-back one."""

import contextlib

import pytest
from django.db import transaction

from helpdesk_tickets import services, signals
from helpdesk_tickets.models import Message, Status, Ticket
from tests.core.helpers import Desk
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent


class Received:
    """Records each signal sent, and whether a transaction was still open when it arrived."""

    def __init__(self):
        self.calls = []

    def __call__(self, sender, signal, **kwargs):
        in_transaction = transaction.get_connection().in_atomic_block
        self.calls.append((signal, sender, kwargs, in_transaction))

    def of(self, signal):
        return [kwargs for sent, _sender, kwargs, _in in self.calls if sent is signal]


@pytest.fixture
def received():
    log = Received()
    receivers = {}
    for name in ("ticket_created", "message_posted", "ticket_status_changed", "ticket_assigned"):
        signal = getattr(signals, name)
        receivers[signal] = log.__call__
        signal.connect(receivers[signal], weak=False)
    yield log
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


@pytest.mark.django_db
def test_ticket_created_waits_for_the_commit(received, django_capture_on_commit_callbacks):
    desk = Desk()
    with django_capture_on_commit_callbacks() as callbacks:
        ticket = desk.ticket()
        assert received.calls == []
    assert callbacks  # scheduled, not yet run
    assert received.calls == []

    for callback in callbacks:
        callback()

    [kwargs] = received.of(signals.ticket_created)
    assert kwargs["ticket"] == ticket
    assert kwargs["message"] == ticket.messages.get()
    assert kwargs["actor"] == desk.customer
    assert not received.of(signals.message_posted)  # the description is not a reply


@pytest.mark.django_db
def test_each_write_sends_its_signal_with_its_arguments(received, django_capture_on_commit_callbacks):
    desk = Desk()
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.post_reply(ticket=ticket, actor=desk.agent, body="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(ticket, desk.agent, actor=desk.agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.close(ticket, actor=desk.customer)

    [posted] = received.of(signals.message_posted)
    assert posted == {"ticket": ticket, "message": reply, "actor": desk.agent}
    changes = [(k["old"], k["new"], k["actor"]) for k in received.of(signals.ticket_status_changed)]
    assert changes == [
        (Status.NEW, Status.AWAITING_CUSTOMER, desk.agent),
        (Status.AWAITING_CUSTOMER, Status.CLOSED, desk.customer),
    ]
    [assigned] = received.of(signals.ticket_assigned)
    assert (assigned["old"], assigned["new"], assigned["actor"]) == (None, desk.agent, desk.agent)
    senders = {sender for _signal, sender, _kwargs, _in in received.calls}
    assert senders == {Ticket, Message}


@pytest.mark.django_db
def test_an_internal_note_is_posted_but_moves_no_status(received, django_capture_on_commit_callbacks):
    desk = Desk()
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        note = services.post_reply(ticket=ticket, actor=desk.agent, body="note", internal=True)
    assert received.of(signals.message_posted) == [{"ticket": ticket, "message": note, "actor": desk.agent}]
    assert received.of(signals.ticket_status_changed) == []


@pytest.mark.django_db
def test_a_refused_write_sends_nothing(received, django_capture_on_commit_callbacks):
    desk = Desk()
    ticket = desk.ticket()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(services.DuplicateTicket):
            desk.ticket()
        with pytest.raises(services.InvalidTransition):
            services.reopen(ticket, actor=desk.customer)
    assert callbacks == []
    assert received.calls == []


@pytest.mark.django_db(transaction=True)
def test_signals_arrive_after_a_real_commit(received):
    requester, department, ticket_type = UserFactory(), DepartmentFactory(), TicketTypeFactory()
    agent = make_agent(department)

    ticket = services.create_ticket(
        requester=requester, department=department, ticket_type=ticket_type, subject="s", description="d"
    )
    services.post_reply(ticket=ticket, actor=agent, body="answer")

    assert [signal for signal, *_rest in received.calls] == [
        signals.ticket_created,
        signals.ticket_status_changed,
        signals.message_posted,
    ]
    assert not any(in_transaction for *_rest, in_transaction in received.calls)


@pytest.mark.django_db(transaction=True)
def test_no_signal_for_a_write_that_is_rolled_back(received):
    requester, department, ticket_type = UserFactory(), DepartmentFactory(), TicketTypeFactory()

    class Abandon(Exception):
        pass

    # The host wraps the service in its own transaction and then gives up.
    with contextlib.suppress(Abandon), transaction.atomic():
        services.create_ticket(
            requester=requester, department=department, ticket_type=ticket_type, subject="s", description="d"
        )
        raise Abandon

    assert not Ticket.objects.exists()
    assert received.calls == []

    # A later write in the same connection does not flush the abandoned signals either.
    services.create_ticket(
        requester=requester, department=department, ticket_type=ticket_type, subject="t", description="d"
    )
    assert [kwargs["ticket"].subject for kwargs in received.of(signals.ticket_created)] == ["t"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_does_not_fail_the_committed_write(caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    signals.ticket_created.connect(broken)
    try:
        ticket = services.create_ticket(
            requester=UserFactory(),
            department=DepartmentFactory(),
            ticket_type=TicketTypeFactory(),
            subject="s",
            description="d",
        )
    finally:
        signals.ticket_created.disconnect(broken)

    assert Ticket.objects.get() == ticket
    assert "receiver bug" in caplog.text
