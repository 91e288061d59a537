"""``helpdesk_tickets_housekeeping``: auto-close and breach flags, idempotent."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from helpdesk_tickets import services
from helpdesk_tickets.models import Status, Ticket, TicketEvent
from tests.staff.helpers import make_desk

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def run(moment):
    out = StringIO()
    with at(moment):
        call_command("helpdesk_tickets_housekeeping", stdout=out)
    return out.getvalue()


@override_settings(HELPDESK_TICKETS={"AUTO_CLOSE_AFTER": 7})
def test_resolved_tickets_close_after_the_configured_days():
    desk = make_desk()
    with at(T0):
        old, recent, open_ticket = desk.ticket(), desk.ticket(), desk.ticket()
        services.post_reply(ticket=old, actor=desk.agent, body="done")
        services.resolve(old, actor=desk.agent)
        services.post_reply(ticket=open_ticket, actor=desk.agent, body="hm")
    with at(T0 + timedelta(days=5)):
        services.post_reply(ticket=recent, actor=desk.agent, body="done")
        services.resolve(recent, actor=desk.agent)

    output = run(T0 + timedelta(days=7, hours=1))

    assert "Closed 1 resolved ticket(s)" in output
    old.refresh_from_db()
    assert old.status == Status.CLOSED and old.closed_at == T0 + timedelta(days=7, hours=1)
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED
    assert Ticket.objects.get(pk=open_ticket.pk).status == Status.AWAITING_CUSTOMER
    event = old.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).last()
    assert (event.old_value, event.new_value, event.actor) == (Status.RESOLVED, Status.CLOSED, None)


def test_breaches_are_flagged_once():
    desk = make_desk()
    with at(T0):
        late, answered = desk.ticket(), desk.ticket()
    with at(T0 + timedelta(minutes=10)):
        services.post_reply(ticket=answered, actor=desk.agent, body="on it")

    assert "flagged 0" in run(T0 + timedelta(minutes=20))  # nothing due yet
    assert "flagged 1" in run(T0 + timedelta(minutes=31))
    assert "flagged 0" in run(T0 + timedelta(minutes=32))  # idempotent: every minute is fine

    late.refresh_from_db()
    assert late.sla_breached_at == T0 + timedelta(minutes=31)
    assert late.events.filter(kind=TicketEvent.Kind.SLA_BREACHED).count() == 1
    assert not Ticket.objects.get(pk=answered.pk).sla_breached_at


@override_settings(HELPDESK_TICKETS={"AUTO_CLOSE_AFTER": 1})
def test_second_run_changes_nothing():
    desk = make_desk()
    with at(T0):
        ticket = desk.ticket()
        services.resolve(ticket, actor=desk.agent)
    later = T0 + timedelta(days=2)
    run(later)
    snapshot = (Ticket.objects.get(pk=ticket.pk).updated_at, TicketEvent.objects.count())
    assert "Closed 0 resolved ticket(s); flagged 0 SLA breach(es)." in run(later + timedelta(minutes=1))
    assert (Ticket.objects.get(pk=ticket.pk).updated_at, TicketEvent.objects.count()) == snapshot


def test_quiet_with_verbosity_zero():
    out = StringIO()
    call_command("helpdesk_tickets_housekeeping", verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_recompute_due_times_after_a_holiday_is_added():
    from datetime import date

    from helpdesk_tickets.models import Holiday

    desk = make_desk()
    settings = {"WEEKEND_DAYS": [4], "BUSINESS_HOURS": ("08:00", "20:00"), "BUSINESS_TIME_ZONE": "UTC"}
    with override_settings(HELPDESK_TICKETS=settings):
        # Thursday 2026-11-26 19:50 UTC: due Saturday 08:20 (Friday is the weekend).
        with at(datetime(2026, 11, 26, 19, 50, tzinfo=UTC)):
            waiting, answered = desk.ticket(), desk.ticket()
            services.post_reply(ticket=answered, actor=desk.agent, body="hi")
        closed = desk.ticket()
        services.close(closed, actor=desk.agent)
        assert waiting.first_response_due == datetime(2026, 11, 28, 8, 20, tzinfo=UTC)
        Holiday.objects.create(date=date(2026, 11, 28))
        out = StringIO()
        with at(datetime(2026, 11, 26, 19, 55, tzinfo=UTC)):
            call_command("helpdesk_tickets_housekeeping", "--recompute-due-times", stdout=out)
    assert "Moved the SLA deadlines of 2 open ticket(s)." in out.getvalue()
    waiting.refresh_from_db()
    assert waiting.first_response_due == datetime(2026, 11, 29, 8, 20, tzinfo=UTC)
    # The queue's stored running deadline moved with it.
    assert waiting.sla_due == waiting.first_response_due
    # Answered: the first-response deadline is history and stays; closed tickets are left alone.
    answered_due = Ticket.objects.get(pk=answered.pk).first_response_due
    assert answered_due == datetime(2026, 11, 28, 8, 20, tzinfo=UTC)
    assert Ticket.objects.get(pk=closed.pk).resolution_due == closed.resolution_due
    # Nothing left to move on a second run.
    with override_settings(HELPDESK_TICKETS=settings):
        assert services.recompute_open_due_times() == 0


@override_settings(HELPDESK_TICKETS={"AUTO_CLOSE_AFTER": 7})
def test_a_run_over_more_than_one_batch_finishes_everything(monkeypatch):
    # The service owns the batch size; the command only calls it once per chore.
    monkeypatch.setattr(services.housekeeping, "BATCH_SIZE", 2)
    desk = make_desk()
    with at(T0):
        tickets = [desk.ticket(subject=f"Question {n}") for n in range(5)]
        for ticket in tickets[:3]:
            services.post_reply(ticket=ticket, actor=desk.agent, body="done")
            services.resolve(ticket, actor=desk.agent)

    output = run(T0 + timedelta(days=8))

    # Three resolved tickets closed; the two never answered flagged as breached, in batches of two.
    assert "Closed 3 resolved ticket(s); flagged 2 SLA breach(es)." in output
    assert Ticket.objects.filter(status=Status.CLOSED).count() == 3
    assert not Ticket.objects.breached(T0 + timedelta(days=8)).filter(sla_breached_at__isnull=True).exists()
    assert "Closed 0 resolved ticket(s); flagged 0 SLA breach(es)." in run(T0 + timedelta(days=8, minutes=1))


@override_settings(HELPDESK_TICKETS={"AUTO_CLOSE_AFTER": 7})
def test_every_repeats_the_chores_until_it_is_stopped():
    """Without cron, ``--every`` is the periodic runner: each round does what became due since the last."""
    import os
    import signal
    import threading

    desk = make_desk()
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=desk.agent, body="done")
    services.resolve(ticket, actor=desk.agent)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=T0)
    previous = signal.getsignal(signal.SIGTERM)
    stopper = threading.Timer(2.5, os.kill, (os.getpid(), signal.SIGTERM))
    out = StringIO()
    stopper.start()
    try:
        call_command("helpdesk_tickets_housekeeping", every=1, stdout=out)
    finally:
        stopper.cancel()
    rounds = [line for line in out.getvalue().splitlines() if line.startswith("Closed")]
    assert len(rounds) >= 2
    assert rounds[0] == "Closed 1 resolved ticket(s); flagged 0 SLA breach(es)."
    assert set(rounds[1:]) == {"Closed 0 resolved ticket(s); flagged 0 SLA breach(es)."}
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    # The command gives SIGTERM back to whoever had it.
    assert signal.getsignal(signal.SIGTERM) is previous


def test_every_refuses_a_busy_loop():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1 second"):
        call_command("helpdesk_tickets_housekeeping", every=0.1, stdout=StringIO())
