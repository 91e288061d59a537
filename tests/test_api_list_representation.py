"""The ticket rows are written by hand (for speed): they must equal DRF's ``TicketSerializer`` byte for byte.

The list, the detail and the create and update answers all use that writer.
Its output is compared with DRF's field-by-field output of the same
serializer (called directly), and every row of ``GET tickets/`` with the
detail endpoint (whose ticket is fetched another way), over tickets in every
status, assigned or not, with and without a product, breached, paused,
unread, with translated names, for each kind of viewer and language, and
under other time zones and date formats.
"""

import json
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from django.db import models
from django.test import override_settings
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from helpdesk_tickets import services, users
from helpdesk_tickets.api.serializers import TicketListSerializer, TicketSerializer
from helpdesk_tickets.models import Channel, Priority, Status, Ticket

from . import factories_api
from .factories import DepartmentFactory, ProductFactory, TicketTypeFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db

world = factories_api.world
fresh_cache = factories_api._fresh_cache


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


def _variety(rows):
    """What the compared rows cover, so the comparison cannot pass on a dull list."""
    return {
        "statuses": {row["status"] for row in rows},
        "assigned": {row["assignee"] is not None for row in rows},
        "product": {row["product"] is not None for row in rows},
        "breached": {row["sla_breached"] for row in rows},
        "unread": {row["has_unread_reply"] for row in rows},
    }


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("role", ["customer", "agent", "supervisor"])
def test_every_row_of_the_list_is_the_ticket_as_the_serializer_writes_it(world, varied, role, language):
    client = world.client(role)
    client.credentials(**client._credentials, HTTP_ACCEPT_LANGUAGE=language)
    response = client.get("/api/tickets/?page_size=100")
    assert response.status_code == 200
    rows = response.json()["results"]
    visible = Ticket.objects.visible_to(world.users[role])
    assert sorted(row["reference"] for row in rows) == sorted(visible.values_list("reference", flat=True))
    for row in rows:
        detail = client.get(f"/api/tickets/{row['reference']}/")
        assert detail.status_code == 200
        # Same keys in the same order, same values, same text.
        assert json.dumps(row, ensure_ascii=False) == json.dumps(detail.json(), ensure_ascii=False)
    if role == "supervisor":
        assert _variety(rows) == {
            "statuses": set(Status.values),
            "assigned": {True, False},
            "product": {True, False},
            "breached": {True, False},
            "unread": {True, False},
        }
        names = {row["reference"]: row for row in rows}
        first, in_progress = names[varied["first"].reference], names[varied["in_progress"].reference]
        if language == "fa":
            assert (first["department_name"], first["product_name"]) == ("مالی", "میزبانی")
            assert in_progress["product_name"] == "Mail"
        else:
            assert first["ticket_type_name"] == "Question (en)"
        nameless = users.by_username(names[varied["phone_nameless"].reference]["requester"]["username"])
        assert names[varied["phone_nameless"].reference]["requester"] == {
            "username": nameless.get_username(),
            "name": nameless.get_username(),
        }


def _both_ways(tickets):
    """The list serializer's output and DRF's field-by-field output for the same tickets, as JSON bytes."""
    request = Request(APIRequestFactory().get("/api/tickets/", HTTP_HOST="localhost"))
    context = {"request": request}
    fast = TicketSerializer(tickets, many=True, context=context).data
    slow = [TicketSerializer(ticket, context=context).data for ticket in tickets]
    return JSONRenderer().render(fast), JSONRenderer().render(slow)


@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"settings": {"TIME_ZONE": "Asia/Tehran"}},
        {"settings": {"TIME_ZONE": "America/New_York"}},
        {"activate": "Europe/London"},
        {"settings": {"REST_FRAMEWORK": {"DATETIME_FORMAT": "%d/%m/%Y %H:%M:%S %z"}}},
        {"settings": {"REST_FRAMEWORK": {"DATETIME_FORMAT": "iso-8601"}}, "activate": "Asia/Kolkata"},
        {"language": "fa"},
    ],
)
def test_the_list_serializer_follows_time_zones_formats_and_languages(varied, conditions):
    tickets = list(Ticket.objects.with_related().order_by("id"))
    assert len(tickets) == len(varied)
    with (
        override_settings(**conditions.get("settings", {})),
        timezone.override(conditions["activate"]) if "activate" in conditions else nullcontext(),
        translation.override(conditions.get("language", "en")),
    ):
        fast, slow = _both_ways(tickets)
    assert fast == slow
    assert fast.count(b'"reference"') == len(tickets)


def test_naive_datetimes_without_time_zone_support(varied):
    tickets = list(Ticket.objects.with_related().order_by("id"))
    names = [field.name for field in Ticket._meta.concrete_fields if isinstance(field, models.DateTimeField)]
    for ticket in tickets:
        for name in names:
            if getattr(ticket, name) is not None:
                setattr(ticket, name, timezone.make_naive(getattr(ticket, name), UTC))
    with override_settings(USE_TZ=False):
        fast, slow = _both_ways(tickets)
    assert fast == slow


def test_a_serializer_with_other_fields_is_listed_by_drf(varied):
    class WithLanguage(TicketSerializer):
        class Meta(TicketSerializer.Meta):
            fields = [*TicketSerializer.Meta.fields, "language"]
            read_only_fields = fields

    serializer = WithLanguage(list(Ticket.objects.with_related()), many=True)
    assert isinstance(serializer, TicketListSerializer)
    assert all(list(row)[-1] == "language" for row in serializer.data)


def test_a_user_model_naming_people_its_own_way_is_listed_with_all_its_columns(
    world, varied, monkeypatch, django_assert_num_queries
):
    # The list fetches only username, first and last name of Django's own user
    # model; a site's get_full_name() may read anything, so it gets every column
    # (and no query per row).
    user_model = type(world.users["customer"])
    monkeypatch.setattr(user_model, "get_full_name", lambda user: f"{user.email} ({user.is_staff})", raising=False)
    client = world.client("supervisor")
    with django_assert_num_queries(4):  # token and user, the supervisor's two permission queries, the page
        rows = client.get("/api/tickets/?page_size=100").json()["results"]
    assert rows[0]["requester"]["name"].endswith("@example.com (False)")
    for row in rows:
        assert row == client.get(f"/api/tickets/{row['reference']}/").json()
