"""Data migrations on existing rows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from helpdesk_tickets import users

BEFORE = [("helpdesk_tickets", "0002_search_indexes")]
AFTER = [("helpdesk_tickets", "0003_sla_due")]
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0003_stores_the_running_deadline_of_existing_tickets():
    apps = migrate(BEFORE)
    try:
        User = apps.get_model(settings.AUTH_USER_MODEL)
        Department = apps.get_model("helpdesk_tickets", "Department")
        TicketType = apps.get_model("helpdesk_tickets", "TicketType")
        Ticket = apps.get_model("helpdesk_tickets", "Ticket")
        requester = User.objects.create(**{users.username_field(): "old-customer@example.com"})
        department = Department.objects.create(name="Sales", slug="sales")
        ticket_type = TicketType.objects.create(name="Question", slug="question")
        due = {"first_response_due": T0 + timedelta(minutes=30), "resolution_due": T0 + timedelta(days=3)}

        def ticket(reference, status, **fields):
            return Ticket.objects.create(
                reference=reference,
                requester=requester,
                department=department,
                ticket_type=ticket_type,
                subject=reference,
                status=status,
                **{**due, **fields},
            ).pk

        waiting_first = ticket("HD-A", "new")
        answered = ticket("HD-B", "in_progress", first_response_at=T0 + timedelta(minutes=5))
        paused = ticket("HD-C", "awaiting_customer", first_response_at=T0, sla_paused_at=T0)
        resolved = ticket("HD-D", "resolved", first_response_at=T0, resolved_at=T0 + timedelta(hours=1))

        apps = migrate(AFTER)
        stored = dict(apps.get_model("helpdesk_tickets", "Ticket").objects.values_list("pk", "sla_due"))
        assert stored == {
            waiting_first: due["first_response_due"],
            answered: due["resolution_due"],
            paused: None,
            resolved: None,
        }
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
