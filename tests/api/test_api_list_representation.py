"""A ticket's JSON: every row of ``GET tickets/`` is the ticket's detail answer, whoever asks, in any language.

Over tickets in every status, assigned or not, with and without a product,
breached, paused, unread, with translated names and a phone ticket of a
nameless requester; dates follow the time zone and ``DATETIME_FORMAT``; a
subclass of ``TicketSerializer`` with an extra field writes the same JSON
plus its field.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from helpdesk_tickets import services, users
from helpdesk_tickets.api.serializers import TicketSerializer
from helpdesk_tickets.models import Channel, Priority, Status, Ticket
from tests.factories import DepartmentFactory, ProductFactory, TicketTypeFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(world):
    """Tickets that differ in every way a row can: status, SLA, assignee, product, names, dates."""
    agent = world.users["agent"]
    customer = world.users["customer"]
    customer.first_name, customer.last_name = "Sara", "Karimi"
    customer.save()
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    world.department.translations = {"fa": {"name": "مالی"}}
    world.department.save()
    world.ticket_type.translations = {"fa": {"name": "پرسش"}, "en": {"name": "Question (en)"}}
    world.ticket_type.save()
    world.product.translations = {"fa": {"name": "میزبانی"}}
    world.product.save()
    kind = TicketTypeFactory(slug="bug", name="Bug")
    untranslated = ProductFactory(slug="mail", name="Mail", translations={"fa": "not a mapping"})
    untranslated.departments.add(world.department)
    other = DepartmentFactory(slug="other", name="Other")

    tickets = {"first": world.ticket}
    new = world.new_ticket

    tickets["unassigned_no_product"] = new(product=None, priority=Priority.LOW)
    tickets["assigned"] = new(priority=Priority.URGENT)
    services.assign(tickets["assigned"], agent, actor=agent)

    tickets["in_progress"] = make_ticket(customer, world.department, kind, product=untranslated, priority=Priority.HIGH)
    services.change_status(tickets["in_progress"], Status.IN_PROGRESS, actor=agent)

    # A public staff reply pauses the SLA (awaiting the customer) and is unread.
    tickets["awaiting_unread"] = new()
    services.post_reply(ticket=tickets["awaiting_unread"], actor=agent, body="Which invoice?")

    tickets["answered_read"] = new()
    services.post_reply(ticket=tickets["answered_read"], actor=agent, body="Done?")
    services.post_reply(ticket=tickets["answered_read"], actor=customer, body="Not yet")
    services.mark_read(tickets["answered_read"], customer)

    tickets["resolved"] = new()
    services.post_reply(ticket=tickets["resolved"], actor=agent, body="Fixed")
    services.change_status(tickets["resolved"], Status.RESOLVED, actor=agent)

    tickets["closed"] = new()
    services.assign(tickets["closed"], agent, actor=agent)
    services.close(tickets["closed"], actor=customer)

    tickets["phone_nameless"] = services.create_ticket(
        requester=nameless,
        department=world.department,
        ticket_type=world.ticket_type,
        subject="Called about «billing»",
        description="By phone",
        channel=Channel.PHONE,
        actor=agent,
    )
    tickets["other_department"] = services.create_ticket(
        requester=customer, department=other, ticket_type=kind, subject="Elsewhere", description="Elsewhere"
    )

    # SLA states a clock cannot reach within a test run: breached long ago, paused and overdue.
    past = timezone.now() - timedelta(days=30)
    Ticket.objects.filter(pk=tickets["unassigned_no_product"].pk).update(first_response_due=past)
    Ticket.objects.filter(pk=tickets["assigned"].pk).update(resolution_due=past, first_response_due=None)
    Ticket.objects.filter(pk=tickets["awaiting_unread"].pk).update(resolution_due=past)
    # Whole seconds (no fraction in ISO 8601) and a date in summer time where the zone has it.
    Ticket.objects.filter(pk=tickets["first"].pk).update(created_at=datetime(2024, 7, 1, 12, 0, tzinfo=UTC))
    return tickets


def _client(world, role, language):
    client = world.client(role)
    client.credentials(**client._credentials, HTTP_ACCEPT_LANGUAGE=language)
    return client


def _variety(rows):
    """What the compared rows cover, so the comparison cannot pass on a dull list."""
    return {
        "statuses": {row["status"] for row in rows},
        "assigned": {row["assignee"] is not None for row in rows},
        "product": {row["product"] is not None for row in rows},
        "breached": {row["sla_breached"] for row in rows},
        "unread": {row["has_unread_reply"] for row in rows},
        "channels": {row["channel"] for row in rows},
    }


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("role", ["customer", "agent", "supervisor"])
def test_every_row_of_the_list_is_the_detail_answer_of_its_ticket(world, varied, role, language):
    client = _client(world, role, language)
    response = client.get("/api/tickets/?page_size=100")
    assert response.status_code == 200
    rows = response.json()["results"]
    visible = Ticket.objects.visible_to(world.users[role])
    assert sorted(row["reference"] for row in rows) == sorted(visible.values_list("reference", flat=True))
    for row in rows:
        assert list(row) == list(TicketSerializer().fields)  # the schema's fields, in its order
        detail = client.get(f"/api/tickets/{row['reference']}/")
        assert detail.status_code == 200
        # Same keys in the same order, same values, same text.
        assert json.dumps(row, ensure_ascii=False) == json.dumps(detail.json(), ensure_ascii=False)
    if role != "customer":
        assert _variety(rows) == {
            "statuses": set(Status.values),
            "assigned": {True, False},
            "product": {True, False},
            "breached": {True, False},
            "unread": {True, False},
            "channels": {Channel.WEB, Channel.PHONE},
        }


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_row_says_what_the_ticket_is(world, varied, language):
    rows = _client(world, "supervisor", language).get("/api/tickets/?page_size=100").json()["results"]
    row = {ticket: next(r for r in rows if r["reference"] == varied[ticket].reference) for ticket in varied}
    first = row["first"]
    if language == "fa":
        names = ("مالی", "پرسش", "میزبانی")
        assert (first["department_name"], first["ticket_type_name"], first["product_name"]) == names
    else:
        assert (first["department_name"], first["ticket_type_name"]) == (world.department.name, "Question (en)")
    assert row["in_progress"]["product_name"] == "Mail"  # a broken translation falls back to the name
    assert (row["unassigned_no_product"]["product"], row["unassigned_no_product"]["product_name"]) == (None, None)
    assert first["created_at"] == "2024-07-01T12:00:00Z"
    assert first["url"] == f"http://localhost/api/tickets/{first['reference']}/"
    assert first["messages_url"] == f"http://localhost/api/tickets/{first['reference']}/messages/"
    assert row["assigned"]["assignee"]["username"] == world.users["agent"].get_username()
    assert row["assigned"]["sla_breached"] and row["unassigned_no_product"]["sla_breached"]
    assert not row["answered_read"]["sla_breached"]
    assert row["awaiting_unread"]["has_unread_reply"] and not row["answered_read"]["has_unread_reply"]
    nameless = users.by_username(row["phone_nameless"]["requester"]["username"])
    assert row["phone_nameless"]["requester"] == {"username": nameless.get_username(), "name": nameless.get_username()}
    assert row["phone_nameless"]["channel"] == Channel.PHONE


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "2024-07-01T12:00:00Z"),
        ({"TIME_ZONE": "Asia/Tehran"}, "2024-07-01T15:30:00+03:30"),
        ({"TIME_ZONE": "America/New_York"}, "2024-07-01T08:00:00-04:00"),
        ({"REST_FRAMEWORK": {"DATETIME_FORMAT": "%d/%m/%Y %H:%M:%S %z"}}, "01/07/2024 12:00:00 +0000"),
        ({"USE_TZ": False}, "2024-07-01T12:00:00"),
    ],
)
def test_dates_follow_the_time_zone_and_the_format(world, varied, settings, overrides, expected):
    reference = varied["first"].reference
    if "REST_FRAMEWORK" in overrides:
        overrides = {"REST_FRAMEWORK": {**settings.REST_FRAMEWORK, **overrides["REST_FRAMEWORK"]}}
    with override_settings(**overrides):
        client = world.client("supervisor")
        rows = client.get("/api/tickets/?page_size=100").json()["results"]
        detail = client.get(f"/api/tickets/{reference}/").json()
    assert detail["created_at"] == expected
    assert next(row for row in rows if row["reference"] == reference) == detail


class WithLanguage(TicketSerializer):
    """A host's own ticket JSON: the app's, and the language the customer wrote in."""

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "language"]
        read_only_fields = fields


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("role", ["customer", "supervisor"])
def test_a_subclass_with_an_extra_field_writes_the_ticket_and_its_field(world, varied, role, language):
    request = Request(APIRequestFactory().get("/api/tickets/", HTTP_HOST="localhost"))
    request.user = world.users[role]
    Ticket.objects.filter(pk=varied["first"].pk).update(language="fa")
    tickets = list(Ticket.objects.with_related().order_by("id"))
    with translation.override(language):
        theirs = WithLanguage(tickets, many=True, context={"request": request}).data
        ours = TicketSerializer(tickets, many=True, context={"request": request}).data
        one = WithLanguage(tickets[0], context={"request": request}).data
    assert [{**row, "language": ticket.language} for row, ticket in zip(ours, tickets, strict=True)] == theirs
    assert all(list(row)[-1] == "language" for row in theirs)
    assert one == theirs[0] and one["language"] == "fa"
