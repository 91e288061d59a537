"""The fields in the REST API: GET ticket-types/ describes them, POST tickets/ takes them, every ticket carries them."""

import json

import pytest
from django.core.cache import cache

from helpdesk_tickets.models import Ticket, TicketField
from tests.factories import TicketFieldFactory, TicketTypeFactory, make_ticket, token_client, upload
from tests.fields.helpers import Billing

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing():
    return Billing()


def payload(billing, **fields):
    return {
        "department": "billing",
        "ticket_type": "invoice",
        "subject": "Wrong amount",
        "description": "The invoice says 120.",
        "fields": fields,
    }


def test_ticket_types_describe_their_active_fields_in_the_callers_language(billing):
    TicketFieldFactory(ticket_type=billing.ticket_type, key="old", label="Old", active=False)
    client = token_client(billing.customer)
    (described,) = client.get("/api/ticket-types/", {"department": "billing"}).json()
    assert [field["key"] for field in described["fields"]] == ["invoice_number", "plan", "paid_on", "amount", "urgent"]
    assert described["fields"][0] == {
        "key": "invoice_number",
        "label": "Invoice number",
        "help_text": "At the top of the invoice.",
        "kind": "text",
        "required": True,
        "choices": [],
    }
    persian = client.get("/api/ticket-types/", {"department": "billing"}, HTTP_ACCEPT_LANGUAGE="fa").json()[0]
    assert persian["fields"][0]["label"] == "شماره فاکتور"
    assert persian["fields"][1]["choices"] == [{"value": "basic", "label": "پایه"}, {"value": "pro", "label": "حرفه‌ای"}]


@pytest.mark.parametrize("count", [1, 20])
def test_ticket_types_cost_the_same_queries_whatever_their_number(billing, count, django_assert_num_queries):
    for _i in range(count):
        ticket_type = TicketTypeFactory()
        for n in range(3):
            TicketFieldFactory(ticket_type=ticket_type, key=f"f{n}", kind="choice", choices=[{"value": "a"}])
    client = token_client(billing.customer)
    cache.clear()
    # Token with its user, the types, their fields.
    with django_assert_num_queries(3):
        body = client.get("/api/ticket-types/").json()
    assert len(body) == count + 1 and all(len(row["fields"]) in (3, 5) for row in body)


def test_create_stores_the_values_and_every_representation_carries_them(billing):
    client = token_client(billing.customer)
    response = client.post(
        "/api/tickets/",
        payload(billing, invoice_number="INV-1001", plan="pro", paid_on="1405/01/01", amount="۱۲۰", urgent=True),
        format="json",
    )
    assert response.status_code == 201, response.content
    expected = {"invoice_number": "INV-1001", "plan": "pro", "paid_on": "2026-03-21", "amount": 120, "urgent": True}
    assert response.json()["fields"] == expected
    reference = response.json()["reference"]
    assert Ticket.objects.get(reference=reference).field_values == expected
    assert client.get(f"/api/tickets/{reference}/").json()["fields"] == expected
    assert token_client(billing.agent).get("/api/tickets/").json()["results"][0]["fields"] == expected


def test_a_400_names_each_refused_field(billing):
    response = token_client(billing.customer).post(
        "/api/tickets/", payload(billing, plan="gold", amount="lots", colour="red"), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"fields.invoice_number", "fields.plan", "fields.amount", "fields.colour"}
    assert body["fields.invoice_number"] == ["Invoice number is required."]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("fields", [["INV-1"], "INV-1", {"invoice_number": {"nested": 1}}, {"invoice_number": [1]}])
def test_fields_must_be_an_object_of_plain_values(billing, fields):
    body = {**payload(billing), "fields": fields}
    response = token_client(billing.customer).post("/api/tickets/", body, format="json")
    assert response.status_code == 400 and "fields" in response.json()


def test_multipart_sends_the_fields_as_json_text(billing):
    client = token_client(billing.customer)
    body = {**payload(billing), "fields": json.dumps({"invoice_number": "INV-7"}), "attachments": [upload()]}
    response = client.post("/api/tickets/", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["fields"] == {"invoice_number": "INV-7"}
    body["attachments"] = [upload()]
    refused = client.post("/api/tickets/", {**body, "fields": "{not json", "subject": "Other"}, format="multipart")
    assert refused.status_code == 400 and "fields" in refused.json()
    body["attachments"] = [upload()]
    missing = client.post("/api/tickets/", {**body, "fields": "", "subject": "Third"}, format="multipart")
    assert missing.status_code == 400 and "fields.invoice_number" in missing.json()


def test_a_type_without_fields_needs_none_and_refuses_any(billing):
    TicketField.objects.all().delete()
    client = token_client(billing.customer)
    body = payload(billing)
    del body["fields"]
    assert client.post("/api/tickets/", body, format="json").status_code == 201
    refused = client.post("/api/tickets/", {**body, "subject": "Other", "fields": {"x": "1"}}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["fields.x"]


def test_staff_opening_a_ticket_for_a_customer_is_checked_the_same(billing):
    client = token_client(billing.agent)
    body = {**payload(billing), "requester": billing.customer.get_username(), "channel": "phone"}
    assert client.post("/api/tickets/", body, format="json").status_code == 400
    body["fields"] = {"invoice_number": "INV-5"}
    response = client.post("/api/tickets/", body, format="json")
    assert response.status_code == 201 and response.json()["fields"] == {"invoice_number": "INV-5"}


def test_an_idempotency_key_reused_with_other_fields_is_refused(billing):
    client = token_client(billing.customer)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    first = client.post("/api/tickets/", payload(billing, invoice_number="INV-1"), format="json", **headers)
    assert first.status_code == 201
    again = client.post("/api/tickets/", payload(billing, invoice_number="INV-1"), format="json", **headers)
    assert again.status_code == 201 and again.json()["reference"] == first.json()["reference"]
    other = client.post("/api/tickets/", payload(billing, invoice_number="INV-2"), format="json", **headers)
    assert other.status_code == 422


def test_a_removed_fields_value_stays_in_the_representation(billing):
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type, fields={"invoice_number": "INV-1"})
    TicketField.objects.filter(key="invoice_number").delete()
    body = token_client(billing.agent).get(f"/api/tickets/{ticket.reference}/").json()
    assert body["fields"] == {"invoice_number": "INV-1"}
