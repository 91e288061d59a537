"""Presence on the staff ticket page (issue 15, item 10): a heartbeat in the cache and a small JSON endpoint."""

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk_tickets import services, users
from helpdesk_tickets.services import presence
from tests.factories import DepartmentFactory, make_agent, make_supervisor, web_client

pytestmark = pytest.mark.django_db


def url(ticket):
    return reverse("helpdesk_tickets:staff_ticket_presence", args=[ticket.reference])


def beat(client, ticket, **data):
    response = client.post(url(ticket), data)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.json()


def test_an_agent_sees_who_else_has_the_ticket_open_and_who_is_replying(client, desk):
    ticket = desk.open()
    colleague = make_agent(desk.department, username="mina", first_name="Mina", last_name="Rahimi")
    assert beat(web_client(client, desk.agent), ticket)["others"] == []
    answer = beat(web_client(client, colleague), ticket, replying="1")
    assert [other["replying"] for other in answer["others"]] == [False]
    assert "has this ticket open" in answer["others"][0]["text"]
    others = beat(web_client(client, desk.agent), ticket)["others"]
    label = users.staff_label(colleague)  # "Mina Rahimi (mina)", or the address on a site without names
    assert [(other["name"], other["replying"]) for other in others] == [(label, True)]
    assert others[0]["text"] == f"\u2068{label}\u2069 is writing a reply."
    # Never oneself, and only for this ticket.
    assert beat(web_client(client, colleague), desk.open(subject="Another", description="Other"))["others"] == []


def test_presence_ends_when_the_heartbeats_stop():
    class Person:
        def __init__(self, pk):
            self.pk = pk

        def get_username(self):
            return f"user{self.pk}"

        def get_full_name(self):
            return ""

    class FakeTicket:
        pk = 987654

    now = 1_000_000.0
    presence.heartbeat(FakeTicket, Person(1), now=now)
    assert presence.heartbeat(FakeTicket, Person(2), now=now + presence.PRESENCE_SECONDS - 1)[0]["name"] == "user1"
    assert presence.heartbeat(FakeTicket, Person(2), now=now + presence.PRESENCE_SECONDS + 1) == []


def test_the_warning_before_sending_names_who_wrote_since_the_page_was_shown(client, desk):
    ticket = desk.open()
    web_client(client, desk.agent)
    seen = timezone.now()
    assert beat(client, ticket, seen=seen.isoformat())["written"] == ""
    # The agent's own note does not count.
    services.post_reply(ticket=ticket, actor=desk.agent, body="Checking", internal=True)
    assert beat(client, ticket, seen=seen.isoformat())["warning"] == ""
    colleague = make_agent(desk.department, username="mina")
    services.post_reply(ticket=ticket, actor=colleague, body="I looked too", internal=True)
    answer = beat(client, ticket, seen=seen.isoformat())
    assert answer["written"] == presence.COLLEAGUE
    assert answer["warning"].startswith("A colleague added to this ticket since you opened this page.")
    services.post_reply(ticket=ticket, actor=desk.customer, body="Any news?")
    answer = beat(client, ticket, seen=seen.isoformat())
    assert answer["written"] == presence.CUSTOMER
    assert answer["warning"].startswith("The customer wrote since you opened this page.")
    # A later page has seen them all; a bad or missing date asks nothing.
    assert beat(client, ticket, seen=timezone.now().isoformat())["written"] == ""
    assert beat(client, ticket, seen="2026-99-99T00:00")["written"] == ""
    assert beat(client, ticket)["written"] == ""


def test_only_staff_of_the_ticket_may_send_a_heartbeat(client, desk):
    ticket = desk.open()
    outsider = make_agent(DepartmentFactory(slug="sales"), username="outsider")
    for user in (desk.customer, desk.other, outsider):
        assert web_client(client, user).post(url(ticket)).status_code == 404
    assert web_client(client, make_supervisor(username="boss")).post(url(ticket)).status_code == 200
    # GET is not a heartbeat; logged out is the login page.
    assert web_client(client, desk.agent).get(url(ticket)).status_code == 405
    client.logout()
    assert client.post(url(ticket)).status_code == 302


def test_a_cache_that_is_down_shows_no_one_and_breaks_nothing(client, desk, monkeypatch):
    ticket = desk.open()

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(presence.cache, "get", down)
    monkeypatch.setattr(presence.cache, "set", down)
    assert beat(web_client(client, desk.agent), ticket) == {"others": [], "written": "", "warning": ""}


# Session, user, the user's two permission lookups, the agent's departments, the ticket, the later messages:
# who is present comes from the cache.
QUERIES = 7


@pytest.mark.parametrize("present", [1, 6])
def test_the_heartbeat_costs_the_same_queries_however_many_are_present(
    client, desk, django_assert_num_queries, present
):
    ticket = desk.open()
    for number in range(present):
        agent = make_agent(desk.department, username=f"agent{number}")
        services.heartbeat(ticket, agent)
    services.post_reply(ticket=ticket, actor=desk.customer, body="More")
    web_client(client, desk.agent)
    seen = (timezone.now() - timezone.timedelta(minutes=5)).isoformat()
    with django_assert_num_queries(QUERIES):
        answer = beat(client, ticket, seen=seen)
    assert len(answer["others"]) == present and answer["written"] == presence.CUSTOMER
