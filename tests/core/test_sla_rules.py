"""The breach and at-risk rules of sla.py: each predicate agrees with its queryset twin, everywhere.

The generated tickets are any combination of the fields the rules read,
consistent or not (an open ticket with a ``resolved_at``, a closed one still
paused), because the two twins must agree on whatever a database holds, not
only on what the services write.
"""

import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from helpdesk_tickets import services, sla, stats
from helpdesk_tickets.models import Status, Ticket
from helpdesk_tickets.templatetags.helpdesk_staff import hdt_staff_sla
from tests.factories import client_for, token_client
from tests.staff.helpers import make_desk

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# Quarter hours within four hours of T0, so that due times, replies and
# "now" often coincide and the boundaries (a reply at the due time itself,
# a deadline exactly AT_RISK_WITHIN away) get tried.
moments = st.integers(-16, 16).map(lambda quarters: T0 + timedelta(minutes=15 * quarters))
maybe = st.none() | moments

tickets = st.fixed_dictionaries(
    {
        "status": st.sampled_from(Status.values),
        "created_at": moments,
        "first_response_due": maybe,
        "resolution_due": maybe,
        "first_response_at": maybe,
        "resolved_at": maybe,
        "closed_at": maybe,
        "sla_paused_at": maybe,
        "sla_paused_total": st.integers(0, 300).map(lambda minutes: timedelta(minutes=minutes)),
    }
)


def save_generated(desk, fields):
    """A ticket of ``desk``'s with the generated ``fields``, saved as they are."""
    ticket = Ticket(
        reference=uuid.uuid4().hex[:12],
        requester=desk.customer,
        department=desk.sales,
        ticket_type=desk.ticket_type,
        subject="Generated",
        **fields,
    )
    ticket.save()  # keeps sla_due, the running deadline, as the services do
    return ticket


class TestRulesAgree(TestCase):
    """Each example runs in its own transaction, rolled back after it."""

    @classmethod
    def setUpTestData(cls):
        cls.desk = make_desk()

    def save(self, fields):
        return save_generated(self.desk, fields)

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(tickets, min_size=1, max_size=8), moments)
    def test_the_predicates_and_their_querysets_select_the_same_tickets(self, rows, now):
        saved = [self.save(fields) for fields in rows]
        # Compare what the database holds (its datetime precision, its time zone).
        saved = list(Ticket.objects.filter(pk__in=[t.pk for t in saved]))
        pks = {t.pk for t in saved}

        def selected(condition):
            return set(Ticket.objects.filter(condition).values_list("pk", flat=True)) & pks

        for name, predicate, condition in (
            ("first response", sla.first_response_breached, sla.first_response_breached_q),
            ("resolution", sla.resolution_breached, sla.resolution_breached_q),
            ("breached", sla.is_breached, sla.breached_q),
            ("at risk", sla.is_at_risk, sla.at_risk_q),
        ):
            expected = {t.pk for t in saved if predicate(t, now)}
            assert selected(condition(now)) == expected, name

        breached = {t.pk for t in saved if sla.is_breached(t, now)}
        at_risk = {t.pk for t in saved if sla.is_at_risk(t, now)}
        assert {t.pk for t in saved if t.is_breached(now)} == breached
        assert set(Ticket.objects.filter(pk__in=pks).breached(now).values_list("pk", flat=True)) == breached
        assert set(Ticket.objects.filter(pk__in=pks).at_risk(now).values_list("pk", flat=True)) == at_risk
        # The queue's summary counts the open ones.
        counts = Ticket.objects.filter(pk__in=pks).open_counts(now=now)
        assert counts["breached"] == len({t.pk for t in saved if t.is_open} & breached)
        # The SLA column of the queue and the ticket page.
        states = {t.pk: hdt_staff_sla({"hdt_now": now}, t).state for t in saved}
        assert {pk for pk, state in states.items() if state == "breached"} == breached
        assert {pk for pk, state in states.items() if state == "soon"} == at_risk
        # Housekeeping records exactly these breaches.
        services.flag_breaches(now)
        assert set(Ticket.objects.filter(pk__in=pks, sla_breached_at=now).values_list("pk", flat=True)) == breached


def test_at_risk_uses_one_threshold():
    from helpdesk_tickets import staff_forms

    assert not hasattr(staff_forms, "AT_RISK_WITHIN")
    assert sla.AT_RISK_WITHIN == timedelta(hours=1)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def desk():
    cache.clear()
    yield make_desk()
    cache.clear()


@pytest.mark.django_db
def test_a_ticket_closed_unanswered_after_its_first_response_deadline_is_breached_everywhere(desk):
    """Issue 11: it was breached for the API and the admin, not for the queue, its counts and the dashboard."""
    with at(T0):
        late = desk.ticket(subject="Closed late, unanswered")
        early = desk.ticket(subject="Closed early, unanswered")
    with at(T0 + timedelta(minutes=10)):
        services.close(early, actor=desk.agent)  # before its 30-minute deadline: never breached
    with at(T0 + timedelta(minutes=45)):
        services.close(late, actor=desk.agent)
    now = T0 + timedelta(hours=2)
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.first_response_at is None and late.resolved_at == T0 + timedelta(minutes=45)

    assert late.is_breached(now) and not early.is_breached(now)
    assert list(Ticket.objects.breached(now)) == [late]

    agent = client_for(desk.agent)
    with at(now):
        queue = agent.get("/support/staff/", {"status": "all", "sla": "breached"})
        everything = agent.get("/support/staff/", {"status": "all"})
        dashboard = agent.get("/support/staff/dashboard/")
    assert [t.reference for t in queue.context["tickets"]] == [late.reference]
    assert queue.context["paginator"].count == 1
    column = {t.reference: hdt_staff_sla({"hdt_now": now}, t).short for t in everything.context["tickets"]}
    assert column == {late.reference: "Breached", early.reference: "—"}
    # The summary counts open tickets (and links to the open ones): neither is among them.
    assert queue.context["counts"]["breached"] == 0
    assert dashboard.context["figures"]["overall"]["breached"] == 1
    assert stats.figures(departments=[desk.sales], now=now)["overall"]["breached"] == 1

    api = token_client(desk.agent)
    with at(now):
        assert api.get(f"/api/tickets/{late.reference}/").json()["sla_breached"] is True
        assert api.get(f"/api/tickets/{early.reference}/").json()["sla_breached"] is False

    # Housekeeping flags it once (the admin shows sla_breached_at), and only it.
    assert services.flag_breaches(now) == 1
    assert Ticket.objects.get(pk=late.pk).sla_breached_at == now
    assert Ticket.objects.get(pk=early.pk).sla_breached_at is None
