"""What staff do behind the scenes must not show, and must not reach someone who left.

SPEC §4: an internal note changes nothing a customer can see — not the
ticket's ``updated_at`` or last activity, not the list order. SPEC §9: a
customer reply is mailed to the assignee while they are still staff for
that ticket, else to the department.
"""

import re

import pytest
from django.core import mail
from django.test import Client

from helpdesk_tickets import services
from helpdesk_tickets.models import Ticket
from tests.factories import (
    DepartmentFactory,
    TicketTypeFactory,
    UserFactory,
    make_agent,
    make_supervisor,
    make_ticket,
    token_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    department = DepartmentFactory(slug="billing")
    ticket_type = TicketTypeFactory(slug="question")
    customer = UserFactory(username="cust")
    agent = make_agent(department, username="agent")
    older = make_ticket(customer, department, ticket_type, subject="Older question", description="Asked first.")
    newer = make_ticket(customer, department, ticket_type, subject="Newer question", description="Asked second.")
    return {"customer": customer, "agent": agent, "older": older, "newer": newer}


def customer_view(desk):
    """Everything the customer can read about their tickets: API list, detail, polling, and the web list.

    Polling asks for what changed after the newest activity the customer had seen at the start.
    """
    api = token_client(desk["customer"])
    older = desk["older"]
    listed = api.get("/api/tickets/").json()
    web = Client()
    web.force_login(desk["customer"])
    page = web.get("/support/").content.decode()
    return {
        "list": listed,
        "detail": api.get(f"/api/tickets/{older.reference}/").json(),
        "by_update": api.get("/api/tickets/", {"ordering": "-updated_at"}).json(),
        "poll": api.get("/api/tickets/", {"activity_after": desk["newer"].last_activity_at.isoformat()}).json(),
        "thread": api.get(f"/api/tickets/{older.reference}/messages/").json(),
        "web_list": re.findall(r'<span class="hdt-ref" dir="ltr">([^<]+)</span>|<time[^>]*datetime="([^"]+)"', page),
    }


def test_an_internal_note_changes_nothing_the_customer_can_see(desk):
    before = customer_view(desk)
    assert [t["reference"] for t in before["list"]["results"]] == [desk["newer"].reference, desk["older"].reference]

    services.post_reply(ticket=desk["older"], actor=desk["agent"], body="Refund needs approval.", internal=True)

    assert customer_view(desk) == before
    # Staff see the note in the thread all the same.
    staff_thread = token_client(desk["agent"]).get(f"/api/tickets/{desk['older'].reference}/messages/").json()
    assert [m["body"] for m in staff_thread["results"]][-1] == "Refund needs approval."


def test_an_internal_note_leaves_the_ticket_row_as_it_was(desk):
    before = Ticket.objects.get(pk=desk["older"].pk)
    services.post_reply(ticket=desk["older"], actor=desk["agent"], body="Checked the logs.", internal=True)
    after = Ticket.objects.get(pk=desk["older"].pk)
    assert (after.updated_at, after.last_activity_at) == (before.updated_at, before.last_activity_at)
    assert desk["older"].last_activity_at == before.last_activity_at  # the caller's copy too


def test_a_public_reply_still_counts_as_activity(desk):
    before = customer_view(desk)
    services.post_reply(ticket=desk["older"], actor=desk["agent"], body="Refunded.")
    after = customer_view(desk)
    assert [t["reference"] for t in after["list"]["results"]] == [desk["older"].reference, desk["newer"].reference]
    assert after["detail"]["updated_at"] > before["detail"]["updated_at"]
    assert after["detail"]["last_activity_at"] > before["detail"]["last_activity_at"]
    assert [t["reference"] for t in after["poll"]["results"]] == [desk["older"].reference]
    assert after["web_list"] != before["web_list"]


# --------------------------------------------------------------------------
# customer replies: the assignee only while they are staff for the ticket


@pytest.fixture
def team(django_capture_on_commit_callbacks):
    department = DepartmentFactory(slug="sales")
    customer = UserFactory(username="buyer")
    assignee = make_agent(department, username="assignee")
    colleague = make_agent(department, username="colleague")
    with django_capture_on_commit_callbacks(execute=True):  # the new ticket's own e-mails leave here
        ticket = make_ticket(customer, department, TicketTypeFactory())
    services.assign(ticket, assignee, actor=colleague)

    def customer_replies():
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.post_reply(ticket=ticket, actor=customer, body="Any news on my order?")
        return sorted(address for message in mail.outbox for address in message.to)

    return {
        "department": department,
        "assignee": assignee,
        "colleague": colleague,
        "ticket": ticket,
        "customer_replies": customer_replies,
    }


def test_a_customer_reply_goes_to_the_assignee_while_they_are_in_the_department(team):
    assert team["customer_replies"]() == ["assignee@example.com"]


def test_an_assignee_removed_from_the_department_no_longer_gets_customer_replies(team):
    team["department"].agents.remove(team["assignee"])
    assert team["customer_replies"]() == ["colleague@example.com"]


def test_a_deactivated_assignee_no_longer_gets_customer_replies(team):
    team["assignee"].is_active = False
    team["assignee"].save(update_fields=["is_active"])
    assert team["customer_replies"]() == ["colleague@example.com"]


def test_a_supervisor_assignee_outside_the_department_still_gets_them(team):
    supervisor = make_supervisor(username="boss")
    services.assign(team["ticket"], supervisor, actor=team["colleague"])
    assert team["customer_replies"]() == ["boss@example.com"]
