"""Merging over the API, and the 301 from a merged ticket's addresses to the ticket it is in now."""

import pytest

from helpdesk_tickets import services
from helpdesk_tickets.api.errors import CODES
from helpdesk_tickets.models import Status, Ticket
from tests.factories import make_ticket, upload

pytestmark = pytest.mark.django_db


def merge(client, ticket, into, **extra):
    return client.post(f"/api/tickets/{ticket.reference}/merge/", {"into": into, **extra}, format="json")


def test_staff_merge_a_ticket_and_get_the_target(world):
    source = world.new_ticket()
    response = merge(world.client("agent"), source, world.ticket.reference)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == world.ticket.reference and body["message_count"] == 2
    source.refresh_from_db()
    assert source.merged_into_id == world.ticket.pk and source.status == Status.CLOSED


def test_the_reference_may_come_in_lower_case(world):
    source = world.new_ticket()
    assert merge(world.client("agent"), source, world.ticket.reference.lower()).status_code == 200


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("itself", 400, "merge_into_itself"),
        ("closed_target", 409, "merge_into_closed"),
        ("closed_source", 409, "merge_of_closed"),
        ("other_customer", 409, "merge_across_requesters"),
    ],
)
def test_refusals_have_codes(world, setup, status, code):
    source, into = world.new_ticket(), world.new_ticket()
    if setup == "itself":
        into = source
    elif setup == "closed_target":
        services.close(into, actor=world.users["agent"])
    elif setup == "closed_source":
        services.close(source, actor=world.users["agent"])
    else:
        into = make_ticket(world.users["other_customer"], world.department, world.ticket_type)
    response = merge(world.client("agent"), source, into.reference)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and response.json()["detail"]
    assert CODES[code] == status
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None
    if setup == "other_customer":
        again = merge(world.client("agent"), source, into.reference, across_requesters=True)
        assert again.status_code == 200


def test_a_target_outside_the_queue_is_a_400_naming_into(world):
    elsewhere = make_ticket(world.users["customer"], world.other_department, world.ticket_type)
    for into in (elsewhere.reference, "HD-NOSUCH1"):
        response = merge(world.client("agent"), world.new_ticket(), into)
        assert response.status_code == 400 and "into" in response.json()


@pytest.mark.parametrize(("body", "field"), [({}, "into"), ({"into": "a b"}, "into"), ({"intoo": "x"}, "intoo")])
def test_invalid_bodies_are_a_400_naming_the_field(world, body, field):
    response = world.client("agent").post(f"/api/tickets/{world.ticket.reference}/merge/", body, format="json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("other_agent", 404), ("other_customer", 404)])
def test_only_staff_for_the_ticket_merge(world, role, status):
    source = world.new_ticket()
    assert merge(world.client(role), source, world.ticket.reference).status_code == status
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None


# --------------------------------------------------------------------------
# the merged ticket's addresses


@pytest.fixture
def merged(world):
    """A ticket with a file, merged into ``world.ticket``, then that one into a third: a chain."""
    source = world.new_ticket(attachments=[upload("old.png")])
    attachment = source.messages.get().attachments.get()
    middle = world.ticket
    final = world.new_ticket()
    agent = world.users["agent"]
    services.merge_tickets(source, middle, actor=agent)
    services.merge_tickets(middle, final, actor=agent)
    return source, final, attachment


@pytest.mark.parametrize("role", ["customer", "agent", "supervisor"])
def test_a_merged_tickets_addresses_answer_301_with_the_final_tickets(world, merged, role):
    source, final, attachment = merged
    client = world.client(role)
    for suffix in ("", "messages/", f"attachments/{attachment.pk}/"):
        response = client.get(f"/api/tickets/{source.reference}/{suffix}")
        assert response.status_code == 301, (suffix, response.content)
        assert response["Location"] == f"http://localhost/api/tickets/{final.reference}/{suffix}"
        body = response.json()
        assert body["code"] == "merged" and body["merged_into"] == final.reference and CODES["merged"] == 301
        assert source.reference in body["detail"]
        followed = client.get(response["Location"])
        assert followed.status_code == 200, (suffix, followed.content)


def test_someone_who_may_not_see_the_merged_ticket_still_gets_a_404(world, merged):
    source, _final, _attachment = merged
    for role in ("other_customer", "other_agent", "anonymous"):
        assert world.client(role).get(f"/api/tickets/{source.reference}/").status_code in (401, 404)


def test_the_merged_tickets_own_trail_stays_readable(world, merged):
    source, _final, _attachment = merged
    kinds = [
        row["kind"] for row in world.client("agent").get(f"/api/tickets/{source.reference}/events/").json()["results"]
    ]
    assert "merged" in kinds


def test_the_requesters_trail_shows_no_merge_tag_or_assignment(world):
    from tests.agents.helpers import tag

    agent = world.users["agent"]
    source = world.new_ticket()
    services.add_tags(world.ticket, [tag("VIP")], actor=agent)
    services.assign(world.ticket, agent, actor=agent)
    services.merge_tickets(source, world.ticket, actor=agent)
    url = f"/api/tickets/{world.ticket.reference}/events/"
    staff = {row["kind"] for row in world.client("agent").get(url).json()["results"]}
    assert {"merged", "tag_added", "assigned"} <= staff
    seen = {row["kind"] for row in world.client("customer").get(url).json()["results"]}
    assert seen == {"created"}
    seen = {
        row["kind"]
        for row in world.client("customer").get(f"/api/tickets/{source.reference}/events/").json()["results"]
    }
    assert seen == {"created", "status_changed"}
