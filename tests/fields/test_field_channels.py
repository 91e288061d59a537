"""The fields in the channels that need no page of their own: the API filter, the export, e-mail, the admin."""

import csv
import io
from email.message import EmailMessage

import pytest

from helpdesk_tickets import services
from helpdesk_tickets.models import Channel, Ticket, TicketField
from tests.factories import (
    TicketFieldFactory,
    TicketTypeFactory,
    client_for,
    make_supervisor,
    make_ticket,
    token_client,
)
from tests.fields.helpers import Billing

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing():
    return Billing()


def open_ticket(billing, **fields):
    return make_ticket(billing.customer, billing.department, billing.ticket_type, fields=fields)


def references(response):
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_api_list_filters_by_each_kind(billing):
    first = open_ticket(
        billing, invoice_number="INV-1001", plan="pro", paid_on="2026-03-21", amount="12.5", urgent=True
    )
    second = open_ticket(billing, invoice_number="INV-2002", plan="basic", amount=7, urgent=False)
    client = token_client(billing.agent)
    assert references(client.get("/api/tickets/", {"field": "invoice_number:inv-10"})) == {first.reference}
    assert references(client.get("/api/tickets/", {"field": "plan:basic"})) == {second.reference}
    assert references(client.get("/api/tickets/", {"field": "paid_on:1405/01/01"})) == {first.reference}
    assert references(client.get("/api/tickets/", {"field": "amount:۱۲٫۵"})) == {first.reference}
    assert references(client.get("/api/tickets/", {"field": "urgent:no"})) == {second.reference}
    both = client.get("/api/tickets/", {"field": ["invoice_number:INV", "amount:7"]})
    assert references(both) == {second.reference}
    # The customer filters their own tickets the same way.
    mine = token_client(billing.customer).get("/api/tickets/", {"field": "invoice_number:2002"})
    assert references(mine) == {second.reference}


@pytest.mark.parametrize("value", ["invoice_number", "Bad Key:1", "amount:many", "paid_on:someday", ":x"])
def test_api_filter_answers_400_naming_field(billing, value):
    open_ticket(billing, invoice_number="INV-1")
    response = token_client(billing.agent).get("/api/tickets/", {"field": value})
    assert response.status_code == 400, response.content
    assert "field" in response.json()


def test_a_removed_fields_values_still_filter(billing):
    ticket = open_ticket(billing, invoice_number="INV-1", plan="pro")
    TicketField.objects.filter(key="plan").delete()
    response = token_client(billing.agent).get("/api/tickets/", {"field": "plan:pro"})
    assert references(response) == {ticket.reference}


def test_the_queue_filters_by_a_field_and_ignores_a_bad_one(billing):
    wanted = open_ticket(billing, invoice_number="INV-1001")
    other = open_ticket(billing, invoice_number="INV-2002")
    client = client_for(billing.agent)
    page = client.get("/support/staff/", {"field": "invoice_number:1001"}).content.decode()
    assert wanted.reference in page and other.reference not in page
    page = client.get("/support/staff/", {"field": "amount:many"}).content.decode()
    assert wanted.reference in page and other.reference in page


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body[1:])))


def test_export_has_a_column_per_field_and_keeps_removed_values(billing):
    ticket = open_ticket(billing, invoice_number="=cmd|' /C calc'!A0", plan="pro", amount=12, urgent=True)
    TicketField.objects.filter(key="urgent").delete()
    heading, row = read_csv(client_for(billing.agent).get("/support/staff/export.csv"))
    cells = dict(zip(heading, row, strict=True))
    assert cells["Reference"] == ticket.reference
    assert cells["Invoice number"].startswith("'=")  # neutralised like every text cell
    assert (cells["Plan"], cells["Amount"], cells["Paid on"]) == ("Pro", "12", "")
    assert cells["Other fields"] == "urgent: yes"


def test_xlsx_export_writes_numbers_as_numbers(billing):
    openpyxl = pytest.importorskip("openpyxl")
    open_ticket(billing, invoice_number="INV-1", amount="1200.75", paid_on="2026-03-21")
    response = client_for(billing.agent).get("/support/staff/export.xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["Amount"] == 1200.75 and cells["Invoice number"] == "INV-1"


def test_an_e_mailed_ticket_of_a_type_with_required_fields_is_opened_without_them(billing, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "REPLY_ADDRESS": "reply@example.com"}
    billing.department.email = "billing@example.com"
    billing.department.save()
    message = EmailMessage()
    message["From"] = "Sara <sara@example.net>"
    message["To"] = "billing@example.com"
    message["Subject"] = "Wrong invoice"
    message["Message-ID"] = "<fields-1@mail.example.net>"
    message.set_content("The invoice is wrong.\n")
    outcome = services.receive_email(message.as_bytes())
    ticket = Ticket.objects.get()
    assert outcome.line == f"created {ticket.reference}"
    assert (ticket.channel, ticket.ticket_type, ticket.field_values) == (Channel.EMAIL, billing.ticket_type, {})


def test_admin_inline_edits_the_fields_of_a_type(client):
    admin = make_supervisor(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    ticket_type = TicketTypeFactory(name="Hosting", slug="hosting")
    TicketFieldFactory(ticket_type=ticket_type, key="domain", label="Domain")
    url = f"/admin/helpdesk_tickets/tickettype/{ticket_type.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b"ticket_fields-0-key" in page.content
    prefix = "ticket_fields"
    existing = TicketField.objects.get()
    data = {
        "name": "Hosting",
        "slug": "hosting",
        "description": "",
        "translations": "{}",
        "active": "on",
        "ordering": "0",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": str(existing.pk),
        f"{prefix}-0-ticket_type": str(ticket_type.pk),
        f"{prefix}-0-key": "domain",
        f"{prefix}-0-label": "Domain",
        f"{prefix}-0-translations": '{"fa": {"label": "دامنه"}}',
        f"{prefix}-0-kind": "text",
        f"{prefix}-0-required": "on",
        f"{prefix}-0-active": "on",
        f"{prefix}-0-ordering": "1",
        f"{prefix}-0-choices_text": "",
        f"{prefix}-1-ticket_type": str(ticket_type.pk),
        f"{prefix}-1-key": "plan",
        f"{prefix}-1-label": "Plan",
        f"{prefix}-1-translations": "{}",
        f"{prefix}-1-kind": "choice",
        f"{prefix}-1-active": "on",
        f"{prefix}-1-ordering": "2",
        f"{prefix}-1-choices_text": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "needs at least one choice" in refused.content.decode()
    data[f"{prefix}-1-choices_text"] = "basic | Basic | fa: پایه\npro | Pro"
    assert client.post(url, data).status_code == 302
    domain, plan = TicketField.objects.order_by("ordering")
    assert (domain.required, domain.translations) == (True, {"fa": {"label": "دامنه"}})
    assert plan.choices == [
        {"value": "basic", "label": "Basic", "translations": {"fa": {"label": "پایه"}}},
        {"value": "pro", "label": "Pro"},
    ]
    # Shown again as it was typed.
    assert "basic | Basic | fa: پایه" in client.get(url).content.decode()


def test_the_ticket_admin_shows_the_fields(client, billing):
    admin = make_supervisor(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    ticket = open_ticket(billing, invoice_number="INV-<b>1</b>", plan="pro")
    page = client.get(f"/admin/helpdesk_tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "Invoice number: INV-&lt;b&gt;1&lt;/b&gt;; Plan: Pro; Paid on: —" in page
