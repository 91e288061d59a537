"""The breach and at-risk rules of sla.py: each predicate agrees with its queryset twin, everywhere.

The generated tickets are any combination of the fields the rules read,
consistent or not (an open ticket with a ``resolved_at``, a closed one still
paused), because the two twins must agree on whatever a database holds, not
only on what the services write.
"""

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from helpdesk_tickets import sla
from helpdesk_tickets.models import Status, Ticket

from .factories_staff import make_desk

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


class TestRulesAgree(TestCase):
    """Each example runs in its own transaction, rolled back after it."""

    @classmethod
    def setUpTestData(cls):
        cls.desk = make_desk()

    def save(self, fields):
        ticket = Ticket(
            reference=uuid.uuid4().hex[:12],
            requester=self.desk.customer,
            department=self.desk.sales,
            ticket_type=self.desk.ticket_type,
            subject="Generated",
            **fields,
        )
        ticket.save()  # keeps sla_due, the running deadline, as the services do
        return ticket

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
