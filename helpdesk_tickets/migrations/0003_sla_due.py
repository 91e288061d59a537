"""The running SLA deadline stored on the ticket, and indexes for the staff queue.

``Ticket.sla_due`` is ``next_due()`` kept by ``Ticket.save()``: the queue's
default order (most urgent first) reads it from an index instead of
computing the deadline of every open ticket for each page. Existing rows
are filled here.

On PostgreSQL a partial covering index of the open tickets also answers the
queue's summary (open, mine, unassigned, breached) and its page count from
the index alone. Like 0002 it is created by SQL, so other databases get
nothing and the model state is unchanged.
"""

from django.db import migrations, models
from django.db.models import F

OPEN_STATUSES = ("new", "in_progress", "awaiting_customer")
OPEN_INDEX = "hdt_ticket_open_idx"


def fill_sla_due(apps, schema_editor):
    # Only tickets whose clock is running have a deadline; the others keep NULL (and are not rewritten).
    Ticket = apps.get_model("helpdesk_tickets", "Ticket")
    running = Ticket.objects.using(schema_editor.connection.alias).filter(
        status__in=OPEN_STATUSES, sla_paused_at__isnull=True
    )
    running.filter(first_response_at__isnull=True).update(sla_due=F("first_response_due"))
    running.filter(first_response_at__isnull=False).update(sla_due=F("resolution_due"))


def create_open_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("helpdesk_tickets", "Ticket")._meta.db_table
    statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{OPEN_INDEX}" ON "{table}" ("department_id", "status", "priority") '
        'INCLUDE ("assignee_id", "first_response_at", "first_response_due", "resolution_due", "resolved_at", '
        f'"sla_paused_at", "sla_due") WHERE "status" IN ({statuses})'
    )


def drop_open_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{OPEN_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk_tickets", "0002_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="sla_due",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="SLA due"),
        ),
        migrations.RunPython(fill_sla_due, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["sla_due", "id"], name="hdt_ticket_sla_due_idx"),
        ),
        migrations.RunPython(create_open_index, drop_open_index, elidable=False),
    ]
