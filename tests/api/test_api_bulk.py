"""``POST tickets/bulk/``: one change to many tickets, a result for each, a fixed number of queries per ticket."""

import pytest

from helpdesk_tickets import services
from helpdesk_tickets.api.errors import CODES
from helpdesk_tickets.models import Status, Ticket
from tests.agents.helpers import tag
from tests.factories import make_ticket, token_client

pytestmark = pytest.mark.django_db

URL = "/api/tickets/bulk/"


def post(client, body):
    return client.post(URL, body, format="json")


def test_each_ticket_is_changed_on_its_own_and_reported_in_the_order_named(world):
    agent = world.client("agent")
    first, closed = world.new_ticket(), world.new_ticket()
    services.close(closed, actor=world.users["agent"])
    elsewhere = make_ticket(world.users["customer"], world.other_department, world.ticket_type)
    references = [first.reference, closed.reference, elsewhere.reference, "HD-NOSUCH1", world.ticket.reference]
    response = post(agent, {"tickets": references, "status": "in_progress", "priority": "high"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["reference"] for row in body["results"]] == references
    assert {row["reference"]: row["code"] for row in body["results"]} == {
        first.reference: None,
        closed.reference: "invalid_transition",
        elsewhere.reference: "not_found",
        "HD-NOSUCH1": "not_found",
        world.ticket.reference: None,
    }
    assert (body["done"], body["refused"]) == (2, 3)
    refused = body["results"][1]
    assert refused["ok"] is False and refused["detail"]
    assert body["results"][0] == {"reference": first.reference, "ok": True, "code": None, "detail": None}
    # Each ticket all or nothing: the closed one kept its priority too.
    assert Ticket.objects.get(pk=first.pk).priority == "high"
    assert Ticket.objects.get(pk=closed.pk).priority == "normal"
    assert Ticket.objects.get(pk=elsewhere.pk).status == Status.NEW


def test_assign_and_unassign(world):
    agent = world.users["agent"]
    tickets = [world.new_ticket(), world.new_ticket()]
    references = [ticket.reference for ticket in tickets]
    client = world.client("agent")
    body = post(client, {"tickets": references, "assignee": agent.get_username()}).json()
    assert body["done"] == 2
    assert {ticket.assignee_id for ticket in Ticket.objects.filter(reference__in=references)} == {agent.pk}
    body = post(client, {"tickets": references, "assignee": None}).json()
    assert body["done"] == 2
    assert {ticket.assignee_id for ticket in Ticket.objects.filter(reference__in=references)} == {None}
    # Someone who is not an agent of the department: refused per ticket, as a single change would be.
    body = post(client, {"tickets": references, "assignee": world.users["other_agent"].get_username()}).json()
    assert body["refused"] == 2


def test_tags_are_added_and_removed_and_a_departments_tag_stays_in_its_department(world):
    client = world.client("supervisor")
    vip, invoice = tag("VIP"), tag("Invoice", world.department)
    here = world.new_ticket()
    there = make_ticket(world.users["customer"], world.other_department, world.ticket_type)
    body = post(client, {"tickets": [here.reference, there.reference], "add_tags": ["vip", "invoice"]}).json()
    assert [row["code"] for row in body["results"]] == [None, "invalid"]
    assert "Invoice" in body["results"][1]["detail"]
    assert sorted(here.tags.values_list("slug", flat=True)) == ["invoice", "vip"]
    assert not there.tags.exists()
    body = post(client, {"tickets": [here.reference], "remove_tags": ["vip"]}).json()
    assert body["done"] == 1
    assert list(here.tags.all()) == [invoice]
    assert vip.pk


def test_an_unknown_tag_or_target_is_a_400_naming_the_field(world):
    client = world.client("agent")
    theirs = tag("Leads", world.other_department)
    references = [world.ticket.reference]
    response = post(client, {"tickets": references, "add_tags": ["nope"], "remove_tags": [theirs.slug]})
    assert response.status_code == 400
    assert set(response.json()) == {"add_tags", "remove_tags"}
    response = post(client, {"tickets": references, "merge_into": "HD-NOSUCH1"})
    assert response.status_code == 400 and "merge_into" in response.json()
    response = post(client, {"tickets": references, "merge_into": world.ticket.reference.lower()})
    assert response.status_code == 400 and "merge_into" in response.json()
    assert not world.ticket.tags.exists()


def test_merge_many_into_one(world):
    client = world.client("agent")
    into, a, b = world.new_ticket(), world.new_ticket(), world.new_ticket()
    theirs = make_ticket(world.users["other_customer"], world.department, world.ticket_type)
    references = [a.reference, b.reference, theirs.reference]
    body = post(client, {"tickets": references, "merge_into": into.reference}).json()
    assert [row["code"] for row in body["results"]] == [None, None, "merge_across_requesters"]
    assert {t.merged_into_id for t in Ticket.objects.filter(reference__in=references)} == {into.pk, None}
    across = {"tickets": [theirs.reference], "merge_into": into.reference, "merge_across_requesters": True}
    assert post(client, across).json()["done"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tickets": []}, "tickets"),
        ({"tickets": ["HD-1"]}, "non_field_errors"),
        ({"tickets": ["HD-1"], "status": "nope"}, "status"),
        ({"tickets": ["HD 1"], "status": "new"}, "tickets"),
        ({"tickets": ["HD-1"], "stauts": "new"}, "stauts"),
        ({"tickets": ["HD-1"], "department": "sales"}, "department"),
        ({"tickets": "HD-1", "status": "new"}, "tickets"),
        ({"tickets": ["HD-1"], "add_tags": ["not a slug"]}, "add_tags"),
    ],
)
def test_invalid_requests_are_a_400_naming_the_field(world, body, field):
    response = post(world.client("agent"), body)
    assert response.status_code == 400
    assert field in response.json()


def test_more_tickets_than_the_limit_is_a_400_with_a_code(world):
    too_many = [f"HD-{n:08d}" for n in range(services.MAX_BULK_TICKETS + 1)]
    response = post(world.client("agent"), {"tickets": too_many, "status": "in_progress"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_tickets" and "tickets" in body and body["detail"]
    assert CODES["too_many_tickets"] == 400
    response = post(world.client("agent"), {"tickets": too_many[:-1], "status": "in_progress"})
    assert response.status_code == 200 and response.json()["refused"] == services.MAX_BULK_TICKETS


@pytest.mark.parametrize("role", ["anonymous", "customer"])
def test_staff_only(world, role):
    response = post(world.client(role), {"tickets": [world.ticket.reference], "status": "in_progress"})
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert Ticket.objects.get(pk=world.ticket.pk).status == Status.NEW


def test_json_only(world):
    response = world.client("agent").post(URL, {"tickets": world.ticket.reference, "status": "new"})
    assert response.status_code == 415


# --------------------------------------------------------------------------
# queries: what the request names is read once, then a fixed number per ticket


def _count(world, django_assert_num_queries, n, body, expected):
    references = [world.new_ticket().reference for _ in range(n)]
    client = token_client(world.users["agent"])
    with django_assert_num_queries(expected):
        response = post(client, {"tickets": references, **body})
    assert response.status_code == 200 and response.json()["done"] == n, response.content


@pytest.mark.parametrize(
    ("body", "fixed", "per_ticket"),
    [
        # Authentication (4), the tickets (1); then per ticket the service's own queries.
        ({"status": "in_progress"}, 5, 9),
        # The tags, once.
        ({"priority": "urgent", "add_tags": ["vip"]}, 6, 14),
        # The assignee, and once whether they may be assigned (their permissions and departments).
        ({"assignee": "agent"}, 10, 10),
    ],
)
@pytest.mark.parametrize("n", [1, 5])
def test_queries_per_ticket_are_fixed(world, django_assert_num_queries, body, fixed, per_ticket, n):
    tag("VIP")
    if "assignee" in body:
        body = {"assignee": world.users["agent"].get_username()}
    _count(world, django_assert_num_queries, n, body, fixed + per_ticket * n)
