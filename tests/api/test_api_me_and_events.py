"""``me/`` (who the caller is) and ``tickets/{reference}/events/`` (the audit trail, the public part for
customers)."""

import json

import pytest

from helpdesk_tickets import services, users
from helpdesk_tickets.models import TicketEvent
from tests.factories import UserFactory, make_agent, make_ticket, token_client

pytestmark = pytest.mark.django_db


def me(client, **headers):
    response = client.get("/api/me/", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_me_for_a_customer(world):
    customer = world.users["customer"]
    assert me(world.client("customer"), HTTP_ACCEPT_LANGUAGE="en") == {
        "username": customer.get_username(),
        "display_name": users.display_name(customer),
        "is_agent": False,
        "is_supervisor": False,
        "departments": [],
        "language": "en",
    }


def test_me_for_an_agent_and_a_supervisor(world):
    agent = me(world.client("agent"))
    assert agent["is_agent"] and not agent["is_supervisor"]
    assert agent["departments"] == [{"slug": "billing", "name": world.department.display_name}]
    supervisor = me(world.client("supervisor"))
    assert supervisor["is_agent"] and supervisor["is_supervisor"] and supervisor["departments"] == []


def test_me_speaks_the_callers_language(world):
    assert me(world.client("customer"), HTTP_ACCEPT_LANGUAGE="fa")["language"] == "fa"


def test_me_shows_the_callers_own_address_username(db):
    # On a site whose usernames are e-mail addresses, the caller sees their own in full.
    user = UserFactory(username="sara@example.com", email="sara@example.com")
    assert me(token_client(user))["username"] == user.get_username()


def test_me_needs_credentials():
    response = token_client().get("/api/me/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("role", "queries"), [("customer", 4), ("agent", 5), ("supervisor", 4)])
def test_me_runs_a_fixed_number_of_queries(world, django_assert_num_queries, role, queries):
    # The token and its user; the ids of the departments the caller is an agent
    # of; the permissions behind "supervisor" (the user's and their groups');
    # the departments' slugs and names, when there are any.
    client = world.client(role)
    with django_assert_num_queries(queries):
        assert client.get("/api/me/").status_code == 200


def events(client, ticket, **params):
    response = client.get(f"/api/tickets/{ticket.reference}/events/", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def handled(world):
    """The world's ticket after staff handled it: assigned, prioritised, answered, moved, resolved."""
    agent = world.users["agent"]
    ticket = world.ticket
    services.update_ticket(ticket, actor=agent, assignee=agent, priority="high")
    services.post_reply(ticket=ticket, actor=agent, body="We are on it.")
    services.resolve(ticket, actor=agent)
    return ticket


def test_staff_see_the_whole_trail_oldest_first(world, handled):
    body = events(world.client("agent"), handled)
    kinds = [event["kind"] for event in body["results"]]
    assert kinds[0] == "created" and kinds.count("status_changed") == 2
    assert {"assigned", "priority_changed"} <= set(kinds)
    assert [e["id"] for e in body["results"]] == sorted(e["id"] for e in body["results"])
    assert body["next"] is None and body["previous"] is None
    created = body["results"][0]
    assert created["actor"]["username"] == world.users["customer"].get_username()
    assert set(created) == {"id", "kind", "actor", "old_value", "new_value", "created_at"}


def test_the_customer_sees_only_the_opening_and_the_status_moves(world, handled):
    body = events(world.client("customer"), handled)
    assert [(e["kind"], e["old_value"], e["new_value"]) for e in body["results"]] == [
        ("created", "", "new"),
        ("status_changed", "new", "awaiting_customer"),
        ("status_changed", "awaiting_customer", "resolved"),
    ]
    # Staff appear as customers see them everywhere else (never by e-mail address).
    thread = world.client("customer").get(f"/api/tickets/{handled.reference}/messages/").json()["results"]
    staff_reply = next(message for message in thread if message["from_staff"])
    assert body["results"][1]["actor"] == staff_reply["author"]
    agent = world.users["agent"]
    assert users.email_address(agent) not in json.dumps(body)


def test_an_internal_note_adds_nothing_to_the_customers_trail(world):
    before = events(world.client("customer"), world.ticket)
    services.post_reply(ticket=world.ticket, actor=world.users["agent"], body="Between us", internal=True)
    assert events(world.client("customer"), world.ticket) == before


def test_a_system_event_has_no_actor(world):
    TicketEvent.objects.create(ticket=world.ticket, kind=TicketEvent.Kind.SLA_BREACHED, actor=None)
    assert events(world.client("agent"), world.ticket)["results"][-1]["actor"] is None


@pytest.mark.parametrize(("role", "status"), [("other_customer", 404), ("other_agent", 404), ("supervisor", 200)])
def test_someone_elses_trail_is_a_404(world, role, status):
    assert world.client(role).get(f"/api/tickets/{world.ticket.reference}/events/").status_code == status


def test_the_trail_pages_by_cursor(world, handled):
    client, seen, url = world.client("agent"), [], f"/api/tickets/{handled.reference}/events/?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [event["id"] for event in page["results"]]
        url = page["next"]
    assert seen == list(TicketEvent.objects.filter(ticket=handled).order_by("id").values_list("id", flat=True))


@pytest.mark.parametrize("role", ["customer", "agent"])
def test_the_trail_runs_a_fixed_number_of_queries(world, handled, django_assert_num_queries, role):
    # The token and its user; the caller's permissions (two) and departments (one), which
    # the ticket's visibility needs; the ticket; the page of events with their actors.
    # A longer trail costs no more.
    for _n in range(5):
        services.change_priority(handled, "low", actor=world.users["agent"])
        services.change_priority(handled, "high", actor=world.users["agent"])
    client = world.client(role)
    with django_assert_num_queries(6):
        assert client.get(f"/api/tickets/{handled.reference}/events/").status_code == 200


def test_an_agent_of_another_department_who_is_also_the_requester_sees_the_public_part(world):
    requester = make_agent(world.other_department, username="agent_and_customer")
    ticket = make_ticket(requester, world.department, world.ticket_type)
    services.update_ticket(ticket, actor=world.users["agent"], priority="high")
    kinds = {e["kind"] for e in events(token_client(requester), ticket)["results"]}
    assert kinds == {"created"}
