"""The per-deadline rules of sla.py agree with their queryset twins, on any combination of fields.

The generated tickets are those of ``tests/core/test_sla_rules.py``; the
warning window is tried at several widths, so that its edges (a deadline
exactly ``before`` away, or due right now) fall on the generated moments.
"""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from helpdesk_tickets import services, sla
from helpdesk_tickets.models import OPEN_STATUSES, SlaEscalation, SlaTarget, Ticket
from tests.core.test_sla_rules import moments, save_generated
from tests.core.test_sla_rules import tickets as ticket_fields
from tests.staff.helpers import make_desk

widths = st.sampled_from([timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)])


class TestWarningRulesAgree(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.desk = make_desk()

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(ticket_fields, min_size=1, max_size=8), moments, widths)
    def test_the_predicates_and_their_querysets_select_the_same_tickets(self, rows, now, before):
        saved = [save_generated(self.desk, fields) for fields in rows]
        saved = list(Ticket.objects.filter(pk__in=[t.pk for t in saved]))
        pks = {t.pk for t in saved}

        def selected(condition):
            return set(Ticket.objects.filter(condition).values_list("pk", flat=True)) & pks

        for target in SlaTarget:
            assert selected(sla.running_q(target)) == {t.pk for t in saved if sla.is_running(t, target)}, target
            assert selected(sla.target_breached_q(target, now)) == {
                t.pk for t in saved if sla.target_breached(t, target, now)
            }, target
            warned = {t.pk for t in saved if sla.in_warning_window(t, target, now, before)}
            assert selected(sla.warning_window_q(target, now, before)) == warned, target
            # A deadline in the window is not breached: a warning always comes before the breach.
            assert not {t.pk for t in saved if t.pk in warned and sla.target_breached(t, target, now)}

        # The run warns about exactly those, and escalates the open breached ones.
        with self.settings(HELPDESK_TICKETS={"SLA_WARNING_BEFORE": before}):
            services.escalate(now)
        for target in SlaTarget:
            done = SlaEscalation.objects.filter(ticket__in=pks, target=target)
            assert set(done.filter(step="warning").values_list("ticket_id", flat=True)) == {
                t.pk for t in saved if sla.in_warning_window(t, target, now, before)
            }, target
            assert set(done.filter(step="breach").values_list("ticket_id", flat=True)) == {
                t.pk for t in saved if t.status in OPEN_STATUSES and sla.target_breached(t, target, now)
            }, target
