"""Conditional reads of a ticket (``ETag`` / ``If-None-Match``) and staff opening tickets on a customer's behalf."""

import pytest
from django.core import mail

from helpdesk_tickets import services
from helpdesk_tickets.models import Channel, Ticket
from tests.factories import make_agent, token_client, upload

pytestmark = pytest.mark.django_db


def detail(client, ticket, **headers):
    return client.get(f"/api/tickets/{ticket.reference}/", **headers)


def etag_of(client, ticket):
    response = detail(client, ticket)
    assert response.status_code == 200
    return response["ETag"]


@pytest.mark.parametrize("role", ["customer", "agent", "supervisor"])
def test_the_same_etag_is_a_304_without_a_body(world, role):
    client = world.client(role)
    first = detail(client, world.ticket)
    assert first["ETag"].startswith('W/"') and first["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first["Vary"]
    again = detail(client, world.ticket, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize(
    "header",
    ['"other", {etag}', "{etag}", "*", "{strong}"],
    ids=["in a list", "as sent", "any", "without the weak prefix"],
)
def test_if_none_match_forms(world, header):
    client = world.client("customer")
    etag = etag_of(client, world.ticket)
    value = header.format(etag=etag, strong=etag.removeprefix("W/"))
    assert detail(client, world.ticket, HTTP_IF_NONE_MATCH=value).status_code == 304


def test_a_stale_or_malformed_etag_gets_the_ticket(world):
    client = world.client("customer")
    for value in ['W/"0000"', "garbage", '"', ""]:
        assert detail(client, world.ticket, HTTP_IF_NONE_MATCH=value).status_code == 200


def test_a_public_change_changes_everyones_etag(world):
    customer, agent = world.client("customer"), world.client("agent")
    before = etag_of(customer, world.ticket), etag_of(agent, world.ticket)
    services.post_reply(ticket=world.ticket, actor=world.users["agent"], body="We are on it.")
    after = etag_of(customer, world.ticket), etag_of(agent, world.ticket)
    assert before[0] != after[0] and before[1] != after[1]
    assert detail(customer, world.ticket, HTTP_IF_NONE_MATCH=before[0]).status_code == 200


def test_an_internal_note_changes_the_staff_etag_only(world):
    # SPEC §4: an internal note changes nothing a customer can see.
    customer, agent = world.client("customer"), world.client("agent")
    customer_before, agent_before = etag_of(customer, world.ticket), etag_of(agent, world.ticket)
    services.post_reply(ticket=world.ticket, actor=world.users["agent"], body="Between us", internal=True)
    assert etag_of(customer, world.ticket) == customer_before
    assert detail(customer, world.ticket, HTTP_IF_NONE_MATCH=customer_before).status_code == 304
    assert etag_of(agent, world.ticket) != agent_before


def test_two_callers_never_share_an_etag(world):
    # What each sees differs (the people shown, the language), so a version of one is none of the other's.
    assert etag_of(world.client("customer"), world.ticket) != etag_of(world.client("agent"), world.ticket)
    client = world.client("customer")
    english = detail(client, world.ticket, HTTP_ACCEPT_LANGUAGE="en")["ETag"]
    world.department.translations = {"fa": {"name": "صورتحساب"}}
    world.department.save()
    persian = detail(client, world.ticket, HTTP_ACCEPT_LANGUAGE="fa")["ETag"]
    assert english != persian


def test_the_list_and_writes_are_not_conditional(world):
    client = world.client("customer")
    etag = etag_of(client, world.ticket)
    assert client.get("/api/tickets/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert client.post(f"/api/tickets/{world.ticket.reference}/close/", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize(("role", "queries"), [("customer", 5), ("agent", 7)])
def test_a_conditional_read_runs_a_fixed_number_of_queries(world, django_assert_num_queries, role, queries):
    # The read's own: the token and its user, the caller's permissions (two) and departments, the
    # ticket with what it shows; for staff, two more: its tags, the thread's latest message, notes included.
    client = world.client(role)
    etag = etag_of(client, world.ticket)
    with django_assert_num_queries(queries):
        assert detail(client, world.ticket, HTTP_IF_NONE_MATCH=etag).status_code == 304


# --- staff open tickets on a customer's behalf --------------------------------------------


def called(world, **changes):
    """A ticket an agent opens for ``customer2``, who called (usernames differ with the user model)."""
    return {
        "department": "billing",
        "ticket_type": "question",
        "subject": "Called about the invoice",
        "description": "The customer says the March invoice is wrong.",
        "requester": world.users["other_customer"].get_username(),
        "channel": "phone",
        **changes,
    }


SUBJECT = "Called about the invoice"


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_staff_open_a_ticket_for_a_customer(world, role):
    mail.outbox.clear()
    payload = called(world)
    response = world.client(role).post("/api/tickets/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(reference=body["reference"])
    customer = world.users["other_customer"]
    assert ticket.requester == customer and ticket.channel == Channel.PHONE
    assert body["requester"]["username"] == customer.get_username() and body["channel"] == "phone"
    first = ticket.messages.get()
    assert first.author == world.users[role] and first.body == payload["description"]
    # The customer finds it in their list.
    listed = world.client("other_customer").get("/api/tickets/").json()["results"]
    assert ticket.reference in {row["reference"] for row in listed}


def test_the_channel_defaults_to_api_and_files_come_by_multipart(world):
    payload = called(world, attachments=[upload("fax.png")])
    del payload["channel"]
    response = world.client("agent").post("/api/tickets/", payload, format="multipart")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.channel == Channel.API and ticket.messages.get().attachments.count() == 1


@pytest.mark.parametrize("field", ["requester", "channel"])
def test_a_customer_may_not_name_requester_or_channel(world, field):
    full = called(world)
    payload = {**{k: v for k, v in full.items() if k not in ("requester", "channel")}, field: full[field]}
    response = world.client("customer").post("/api/tickets/", payload, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not Ticket.objects.filter(subject=SUBJECT).exists()


def test_a_customer_cannot_probe_usernames_through_requester(world):
    known = world.client("customer").post("/api/tickets/", called(world), format="json")
    unknown = world.client("customer").post("/api/tickets/", called(world, requester="nobody"), format="json")
    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()


@pytest.mark.parametrize(
    "requester",
    [
        lambda world: "nobody",
        lambda world: world.users["agent"].get_username(),
        lambda world: world.users["other_agent"].get_username(),
        lambda world: "",
        lambda world: None,
        lambda world: 42,
        lambda world: [world.users["other_customer"].get_username()],
    ],
    ids=["nobody", "the agent", "another agent", "empty", "null", "a number", "a list"],
)
def test_the_requester_must_be_a_customer(world, requester):
    response = world.client("agent").post("/api/tickets/", called(world, requester=requester(world)), format="json")
    assert response.status_code == 400 and "requester" in response.json()
    assert not Ticket.objects.filter(subject=SUBJECT).exists()


def test_an_inactive_customer_is_no_requester(world):
    customer = world.users["other_customer"]
    customer.is_active = False
    customer.save()
    response = world.client("agent").post("/api/tickets/", called(world), format="json")
    assert response.status_code == 400 and "requester" in response.json()


@pytest.mark.parametrize("channel", ["web", "email", "fax", ""])
def test_the_channel_is_phone_or_api(world, channel):
    response = world.client("agent").post("/api/tickets/", called(world, channel=channel), format="json")
    assert response.status_code == 400 and "channel" in response.json()


def test_an_agent_opens_tickets_for_customers_only_in_their_departments(world):
    response = world.client("other_agent").post("/api/tickets/", called(world), format="json")
    assert response.status_code == 400 and "department" in response.json()
    assert world.client("supervisor").post("/api/tickets/", called(world), format="json").status_code == 201


def test_the_customers_open_ticket_limit_does_not_hold_staff_back(world, settings):
    # "customer" has one open ticket already (the world's).
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "MAX_OPEN_TICKETS_PER_CUSTOMER": 1}
    mine = {k: v for k, v in called(world).items() if k not in ("requester", "channel")}
    assert world.client("customer").post("/api/tickets/", mine, format="json").json()["code"] == "open_ticket_limit"
    payload = called(world, requester=world.users["customer"].get_username())
    assert world.client("agent").post("/api/tickets/", payload, format="json").status_code == 201


def test_a_duplicate_on_behalf_is_a_409_naming_the_ticket(world):
    client = world.client("agent")
    first = client.post("/api/tickets/", called(world), format="json")
    again = client.post("/api/tickets/", called(world), format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate" and again.json()["duplicate_of"] == first.json()["reference"]


def test_an_idempotent_retry_on_behalf_replays(world):
    client = world.client("agent")
    first = client.post("/api/tickets/", called(world), format="json", HTTP_IDEMPOTENCY_KEY="call-7")
    again = client.post("/api/tickets/", called(world), format="json", HTTP_IDEMPOTENCY_KEY="call-7")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = client.post("/api/tickets/", called(world, channel="api"), format="json", HTTP_IDEMPOTENCY_KEY="call-7")
    assert other.status_code == 422


def test_an_agent_may_open_a_ticket_of_their_own(world):
    mine = {k: v for k, v in called(world).items() if k not in ("requester", "channel")}
    colleague = make_agent(world.other_department, username="colleague")
    response = token_client(colleague).post("/api/tickets/", mine, format="json")
    assert response.status_code == 201
    assert Ticket.objects.get(reference=response.json()["reference"]).requester == colleague
