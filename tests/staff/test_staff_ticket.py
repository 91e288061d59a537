"""The agent's ticket view: thread with internal notes, replies, canned replies, changes, history."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk_tickets import services, users
from helpdesk_tickets.models import Attachment, Message, Status, Ticket, TicketEvent
from tests.factories import PNG, client_for
from tests.staff.helpers import make_canned, make_desk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]


@pytest.fixture
def desk():
    return make_desk()


@pytest.fixture
def ticket(desk):
    return desk.ticket(subject="Card declined", description="My card was declined twice.")


@pytest.fixture
def agent_client(desk):
    return client_for(desk.agent)


def url(ticket, suffix=""):
    return f"/support/staff/tickets/{ticket.reference}/{suffix}"


def test_thread_shows_internal_notes_apart(desk, ticket, agent_client):
    services.post_reply(ticket=ticket, actor=desk.agent, body="Checked the gateway log", internal=True)
    services.post_reply(ticket=ticket, actor=desk.agent, body="Could you try again?")
    page = agent_client.get(url(ticket)).content.decode()
    assert "My card was declined twice." in page
    assert 'class="hdt-staff-message hdt-staff-message-internal"' in page
    assert "Checked the gateway log" in page and "Internal note" in page
    assert 'class="hdt-staff-message hdt-staff-message-staff"' in page


def test_public_reply(desk, ticket, agent_client):
    response = agent_client.post(url(ticket), {"body": "Please try once more."})
    message = Message.objects.filter(ticket=ticket).last()
    assert response.status_code == 302 and response["Location"].endswith(f"#message-{message.pk}")
    assert not message.internal and message.from_staff
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CUSTOMER and ticket.first_response_at is not None
    assert "Reply sent to the customer." in agent_client.get(url(ticket)).content.decode()


def test_internal_note_changes_nothing_for_the_customer(desk, ticket, agent_client):
    agent_client.post(url(ticket), {"body": "Looks like fraud screening", "internal": "on"})
    message = Message.objects.filter(ticket=ticket).last()
    assert message.internal
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.first_response_at is None and ticket.message_count == 1


def test_reply_with_attachments_and_resolve(desk, ticket, agent_client):
    files = [
        SimpleUploadedFile("steps.png", PNG, content_type="image/png"),
        SimpleUploadedFile("notes.txt", b"try again", content_type="text/plain"),
    ]
    response = agent_client.post(
        url(ticket), {"body": "Fixed, see steps.", "attachments": files, "then_status": "resolved"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    names = sorted(Attachment.objects.filter(message__ticket=ticket).values_list("original_name", flat=True))
    assert names == ["notes.txt", "steps.png"]
    page = agent_client.get(url(ticket)).content.decode()
    attachment = Attachment.objects.get(original_name="steps.png")
    assert f"/support/tickets/{ticket.reference}/attachments/{attachment.pk}/" in page


def test_refused_attachment_keeps_the_text(desk, ticket, agent_client):
    bad = SimpleUploadedFile("run.exe", b"MZ" + b"\x00" * 10, content_type="application/octet-stream")
    response = agent_client.post(url(ticket), {"body": "Here you go", "attachments": [bad]})
    assert response.status_code == 400
    assert "Here you go" in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_empty_reply_is_refused(ticket, agent_client):
    response = agent_client.post(url(ticket), {"body": "   "})
    assert response.status_code == 400
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_closed_ticket_takes_no_reply(desk, ticket, agent_client):
    services.close(ticket, actor=desk.agent)
    page = agent_client.get(url(ticket)).content.decode()
    assert 'id="reply"' not in page and "This ticket is closed" in page
    response = agent_client.post(url(ticket), {"body": "one more"})
    assert response.status_code == 400 and "closed" in response.content.decode()


def test_canned_replies_fill_in_the_placeholders(desk, ticket, agent_client):
    canned = make_canned(
        desk.sales, title="Greeting", body="Hello {customer_name}, about {reference} ({subject}). {agent_name}"
    )
    make_canned(None, title="Everywhere", body="Thanks {unknown} {customer_name.__class__}")
    make_canned(desk.billing, title="Billing only")
    page = agent_client.get(url(ticket)).content.decode()
    customer, agent = users.display_name(desk.customer), users.public_name(desk.agent)
    expected = f"Hello {customer}, about {ticket.reference} (Card declined). {agent}"
    assert f'data-text="{expected}"' in page
    assert "Everywhere" in page and "Billing only" not in page
    # Only the documented names are replaced; anything else stays as typed.
    assert "Thanks {unknown} {customer_name.__class__}" in page
    # Without JavaScript: the Insert button reloads the page with the text in the reply box.
    prefilled = agent_client.get(url(ticket), {"canned": canned.pk}).content.decode()
    assert f">\n{expected}</textarea>" in prefilled or f">{expected}</textarea>" in prefilled


def test_change_status_priority_and_assignee(desk, ticket, agent_client):
    response = agent_client.post(
        url(ticket, "update/"), {"status": "in_progress", "priority": "urgent", "assignee": desk.agent.pk}
    )
    assert response.status_code == 302 and response["Location"] == url(ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("in_progress", "urgent", desk.agent)
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {"status_changed", "priority_changed", "assigned"} <= kinds
    page = agent_client.get(url(ticket)).content.decode()
    assert "New → In progress" in page and "Normal → Urgent" in page


def test_unchanged_fields_are_not_touched(desk, ticket, agent_client):
    agent_client.post(
        url(ticket, "update/"), {"status": "new", "priority": "normal", "assignee": "", "department": desk.sales.pk}
    )
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


def test_forbidden_move_is_explained(desk, ticket, agent_client):
    services.close(ticket, actor=desk.agent)
    response = agent_client.post(url(ticket, "update/"), {"status": "in_progress"}, follow=True)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert "Select a valid choice" in response.content.decode()


def test_assign_to_me(desk, ticket, agent_client):
    assert "Assign to me" in agent_client.get(url(ticket)).content.decode()
    agent_client.post(url(ticket, "update/"), {"assignee": desk.agent.pk})
    assert Ticket.objects.get(pk=ticket.pk).assignee == desk.agent
    assert "Assign to me" not in agent_client.get(url(ticket)).content.decode()


def test_moving_to_another_department_requeues_it(desk, ticket, agent_client):
    services.assign(ticket, desk.agent, actor=desk.agent)
    response = agent_client.post(url(ticket, "update/"), {"department": desk.billing.pk}, follow=True)
    assert response.redirect_chain[-1][0] == "/support/staff/"
    assert "now in the Billing queue" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.department == desk.billing and ticket.assignee is None
    assert ticket.events.filter(kind=TicketEvent.Kind.DEPARTMENT_CHANGED).exists()
    # Now it is Billing's ticket: gone from Sales, listed for the billing agent.
    assert agent_client.get(url(ticket)).status_code == 404
    billing_queue = client_for(desk.billing_agent).get("/support/staff/").content.decode()
    assert ticket.reference in billing_queue


def test_history_lists_the_events(desk, ticket, agent_client):
    services.change_priority(ticket, "high", actor=desk.agent)
    page = agent_client.get(url(ticket)).content.decode()
    history = page[page.index("hdt-staff-history") :]
    assert "Created" in history and "Priority changed" in history
    assert "<bdi>Ava Agent</bdi>" in history if users.name_fields() else desk.agent.get_username() in history


def test_page_in_persian(desk, ticket):
    client = client_for(desk.agent)
    client.cookies["django_language"] = "fa"
    response = client.get(url(ticket), HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()


@pytest.mark.parametrize("messages", [1, 8])
def test_constant_number_of_queries(desk, ticket, agent_client, django_assert_num_queries, messages):
    make_canned(desk.sales)
    services.change_priority(ticket, "high", actor=desk.agent)
    other = desk.ticket(subject="Another")
    for i in range(messages):
        services.post_reply(
            ticket=ticket,
            actor=desk.agent if i % 2 else desk.customer,
            body=f"message {i}",
            internal=i % 4 == 1,
            attachments=[SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain")],
        )
    assert other
    # session, user, supervisor check (2), agent's departments, ticket, messages, attachments, events,
    # canned replies, other tickets, the next ticket, the ticket's tags and those it may get, assignee
    # choices and department choices (read twice by the select), the type's fields.
    with django_assert_num_queries(18):
        assert agent_client.get(url(ticket)).status_code == 200


def test_next_ticket_link_follows_the_queue_order(desk, ticket, agent_client):
    urgent = desk.ticket(subject="Urgent one", priority="urgent")
    waiting = desk.ticket(subject="Waiting one")
    services.post_reply(ticket=waiting, actor=desk.agent, body="Need more info")
    desk.ticket(desk.billing, subject="Not mine")
    page = agent_client.get(url(ticket)).content.decode()
    # Never the ticket on screen, one awaiting the customer, or another department's.
    next_ref = page.split('class="hdt-staff-next"', 1)[1]
    assert urgent.reference in next_ref[:300] and waiting.reference not in next_ref[:300]


def test_agent_is_told_when_the_customer_wrote_meanwhile(desk, ticket, agent_client):
    page = agent_client.get(url(ticket)).content.decode()
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    services.post_reply(ticket=ticket, actor=desk.customer, body="Also, the card is a Visa.")
    response = agent_client.post(url(ticket), {"body": "Try again please", "seen": seen}, follow=True)
    assert "The customer wrote again while you were replying" in response.content.decode()
    # Nothing crossed this time.
    page = agent_client.get(url(ticket)).content.decode()
    seen = re.search(r'name="seen" value="([^"]+)"', page).group(1)
    response = agent_client.post(url(ticket), {"body": "Done", "seen": seen}, follow=True)
    assert "while you were replying" not in response.content.decode()
