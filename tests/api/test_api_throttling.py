"""Rate limits of ticket creation and replies, from HELPDESK_TICKETS["API_THROTTLE_RATES"]."""

import pytest

from helpdesk_tickets.api.throttling import throttle_rate

pytestmark = pytest.mark.django_db


def _limit(settings, **rates):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "API_THROTTLE_RATES": rates}


def _new(n):
    return {"department": "billing", "ticket_type": "question", "subject": f"Q{n}", "description": f"D{n}"}


def test_documented_defaults(settings):
    _limit(settings)
    assert throttle_rate("ticket_create") == "30/hour"
    assert throttle_rate("reply") == "120/hour"


def test_ticket_creation_is_limited_per_user(world, settings):
    _limit(settings, ticket_create="2/hour")
    client = world.client("customer")
    assert [client.post("/api/tickets/", _new(n), format="json").status_code for n in range(3)] == [201, 201, 429]
    assert int(client.post("/api/tickets/", _new(9), format="json")["Retry-After"]) > 0
    # Reading is not limited, and another user has their own allowance.
    assert client.get("/api/tickets/").status_code == 200
    assert world.client("other_customer").post("/api/tickets/", _new(1), format="json").status_code == 201


def test_replies_are_limited(world, settings):
    _limit(settings, reply="1/minute")
    client = world.client("customer")
    url = f"/api/tickets/{world.ticket.reference}/messages/"
    assert client.post(url, {"body": "one"}, format="json").status_code == 201
    assert client.post(url, {"body": "two"}, format="json").status_code == 429
    # Only replies count against "reply": opening a ticket is its own scope.
    assert client.post("/api/tickets/", _new(1), format="json").status_code == 201


def test_a_scope_set_to_none_is_not_limited(world, settings):
    _limit(settings, ticket_create=None)
    client = world.client("customer")
    assert {client.post("/api/tickets/", _new(n), format="json").status_code for n in range(35)} == {201}


def test_a_scope_left_out_keeps_its_default(settings):
    _limit(settings, reply="5/minute")
    assert throttle_rate("ticket_create") == "30/hour" and throttle_rate("reply") == "5/minute"


def test_closing_is_not_counted_as_opening(world, settings):
    _limit(settings, ticket_create="1/hour")
    client = world.client("customer")
    assert client.post("/api/tickets/", _new(1), format="json").status_code == 201
    assert client.post(f"/api/tickets/{world.ticket.reference}/close/").status_code == 200
    assert client.post("/api/tickets/", _new(2), format="json").status_code == 429
