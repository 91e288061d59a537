"""The demo: a billing issue asks for its invoice number (required), a problem for the domain."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from helpdesk_tickets.models import Ticket, TicketField

pytestmark = pytest.mark.django_db


def test_the_demo_types_ask_their_fields_and_a_second_run_adds_none():
    call_command("helpdesk_demo", stdout=StringIO())
    invoice = TicketField.objects.get(ticket_type__slug="billing-issue", key="invoice_number")
    assert invoice.required and invoice.kind == "text"
    with translation.override("fa"):
        assert invoice.display_label == "شماره فاکتور"
    assert TicketField.objects.filter(ticket_type__slug="problem", key="domain", required=False).exists()
    # The demo's billing tickets were opened with their invoice numbers, through the same check.
    billing = Ticket.objects.filter(ticket_type__slug="billing-issue")
    assert billing.exists() and all(ticket.field_values.get("invoice_number") for ticket in billing)
    count = TicketField.objects.count()
    call_command("helpdesk_demo", stdout=StringIO())
    assert TicketField.objects.count() == count
