"""Tags over the API: read by staff as objects, written by slug through the services, never shown to customers."""

import pytest
from django.core.cache import cache

from helpdesk_tickets import services
from helpdesk_tickets.models import Status, Ticket, TicketEvent
from tests.agents.helpers import tag
from tests.factories import make_ticket, token_client

pytestmark = pytest.mark.django_db


def detail_url(ticket):
    return f"/api/tickets/{ticket.reference}/"


def patch(client, ticket, body):
    return client.patch(detail_url(ticket), body, format="json")


@pytest.fixture
def tagged(world):
    vip, refund = tag("VIP", colour="purple"), tag("Refund", world.department, colour="red")
    services.add_tags(world.ticket, [vip, refund], actor=world.users["agent"])
    return vip, refund


def test_staff_read_tags_as_objects_sorted_by_name(world, tagged):
    expected = [
        {"slug": "refund", "name": "Refund", "colour": "red"},
        {"slug": "vip", "name": "VIP", "colour": "purple"},
    ]
    for role in ("agent", "supervisor"):
        client = world.client(role)
        assert client.get(detail_url(world.ticket)).json()["tags"] == expected
        rows = {row["reference"]: row for row in client.get("/api/tickets/").json()["results"]}
        assert rows[world.ticket.reference]["tags"] == expected


def test_customers_never_see_tags(world, tagged):
    client = world.client("customer")
    assert client.get(detail_url(world.ticket)).json()["tags"] == []
    assert [row["tags"] for row in client.get("/api/tickets/").json()["results"]] == [[]]
    assert client.get("/api/tickets/", {"tag": "vip"}).json()["results"] == []
    kinds = {row["kind"] for row in client.get(f"{detail_url(world.ticket)}events/").json()["results"]}
    assert not kinds & {"tag_added", "tag_removed"}


def test_an_agent_who_is_the_requester_elsewhere_sees_no_tags_there(world):
    agent = world.users["other_agent"]
    own = make_ticket(agent, world.department, world.ticket_type)
    services.add_tags(own, [tag("VIP")], actor=world.users["agent"])
    assert world.client("other_agent").get(detail_url(own)).json()["tags"] == []


def test_patch_makes_the_tags_exactly_those_named(world, tagged):
    vip, refund = tagged
    urgent = tag("Urgent call")
    client = world.client("agent")
    updated_at = Ticket.objects.get(pk=world.ticket.pk).updated_at
    response = patch(client, world.ticket, {"tags": ["urgent-call", "vip"]})
    assert response.status_code == 200, response.content
    assert [row["slug"] for row in response.json()["tags"]] == ["urgent-call", "vip"]
    assert set(world.ticket.tags.all()) == {vip, urgent}
    events = TicketEvent.objects.filter(ticket=world.ticket, kind__in=["tag_added", "tag_removed"])
    assert list(events.order_by("id").values_list("kind", "new_value"))[-2:] == [
        ("tag_removed", "Refund"),
        ("tag_added", "Urgent call"),
    ]
    # Staff-only: nothing the customer sees moved.
    assert Ticket.objects.get(pk=world.ticket.pk).updated_at == updated_at
    assert patch(client, world.ticket, {"tags": []}).json()["tags"] == []
    assert not world.ticket.tags.exists()
    assert refund.pk


@pytest.mark.parametrize(
    "tags", [["nope"], ["vip", "nope"], ["leads"], "vip", [{"slug": "vip"}], ["not a slug"], ["vip"] * 51]
)
def test_a_tag_that_is_not_for_this_ticket_is_a_400_on_tags_and_nothing_changes(world, tags):
    tag("VIP")
    tag("Leads", world.other_department)
    response = patch(world.client("agent"), world.ticket, {"tags": tags, "status": "in_progress"})
    assert response.status_code == 400, response.content
    assert "tags" in response.json()
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert ticket.status == Status.NEW and not ticket.tags.exists()


def test_tags_are_checked_against_the_new_department_of_the_same_patch(world):
    tag("Leads", world.other_department)
    response = patch(world.client("supervisor"), world.ticket, {"department": "sales", "tags": ["leads"]})
    assert response.status_code == 200, response.content
    assert [row["slug"] for row in response.json()["tags"]] == ["leads"]


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("other_agent", 404)])
def test_only_staff_for_the_ticket_write_tags(world, role, status):
    tag("VIP")
    assert patch(world.client(role), world.ticket, {"tags": ["vip"]}).status_code == status
    assert not world.ticket.tags.exists()


def test_the_staff_etag_follows_the_tags_and_the_customers_does_not(world):
    tag("VIP")
    agent, customer = world.client("agent"), world.client("customer")
    staff_etag = agent.get(detail_url(world.ticket))["ETag"]
    customer_etag = customer.get(detail_url(world.ticket))["ETag"]
    assert patch(agent, world.ticket, {"tags": ["vip"]}).status_code == 200
    assert agent.get(detail_url(world.ticket), HTTP_IF_NONE_MATCH=staff_etag).status_code == 200
    assert customer.get(detail_url(world.ticket), HTTP_IF_NONE_MATCH=customer_etag).status_code == 304


def test_the_list_filters_by_tag(world, tagged):
    other = world.new_ticket()
    services.add_tags(other, [tag("Later")], actor=world.users["agent"])
    world.new_ticket()
    client = world.client("agent")
    found = [row["reference"] for row in client.get("/api/tickets/", {"tag": "vip"}).json()["results"]]
    assert found == [world.ticket.reference]
    found = {row["reference"] for row in client.get("/api/tickets/?tag=vip&tag=later").json()["results"]}
    assert found == {world.ticket.reference, other.reference}
    assert client.get("/api/tickets/", {"tag": "no-such-tag"}).json()["results"] == []
    assert "tag" in client.get("/api/tickets/", {"tag": "not a slug"}).json()


# --------------------------------------------------------------------------
# queries: the tags of a page in one query, only for staff


@pytest.mark.parametrize(("role", "expected"), [("agent", 6), ("supervisor", 5), ("customer", 5)])
def test_a_page_of_tagged_tickets_reads_its_tags_in_one_query(world, django_assert_num_queries, role, expected):
    tags = [tag(f"Tag {n}") for n in range(3)]
    services.add_tags(world.ticket, tags, actor=world.users["agent"])
    client = token_client(world.users[role])
    for count in (1, 30):
        while Ticket.objects.filter(requester=world.users["customer"]).count() < count:
            services.add_tags(world.new_ticket(), tags, actor=world.users["agent"])
        cache.clear()
        with django_assert_num_queries(expected):
            rows = client.get("/api/tickets/?page_size=100").json()["results"]
        assert len(rows) == count
        assert {len(row["tags"]) for row in rows} == ({0} if role == "customer" else {3})


@pytest.mark.parametrize(("role", "expected"), [("agent", 7), ("customer", 5)])
def test_a_tagged_ticket_reads_in_fixed_queries(world, django_assert_num_queries, role, expected):
    services.add_tags(world.ticket, [tag(f"Tag {n}") for n in range(5)], actor=world.users["agent"])
    client = token_client(world.users[role])
    with django_assert_num_queries(expected):
        assert client.get(detail_url(world.ticket)).status_code == 200
