"""The ticket thread: messages, replies, close / reopen, and who may see it."""

import pytest
from django.urls import reverse

from helpdesk_tickets import services, users
from helpdesk_tickets.models import Message, Status, Ticket
from tests.factories import UserFactory, make_agent, upload
from tests.portal.helpers import make_catalogue, open_ticket

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def setup(client):
    department, types, products = make_catalogue()
    customer = UserFactory(first_name="Sara")
    agent = make_agent(department, first_name="Reza", last_name="Agent")
    ticket = open_ticket(customer, department, types[0], subject="Printer is on fire", product=products[0])
    client.force_login(customer)
    return ticket, customer, agent


def test_thread_oldest_first_staff_replies_distinct_internal_notes_hidden(client, setup):
    ticket, customer, agent = setup
    services.post_reply(ticket=ticket, actor=agent, body="Secret: customer is angry", internal=True)
    services.post_reply(ticket=ticket, actor=agent, body="Please unplug it.", attachments=[upload("steps.png")])
    services.post_reply(ticket=ticket, actor=customer, body="Done, thanks.")
    response = client.get(ticket.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Secret" not in html
    assert html.index("The page says error 500.") < html.index("Please unplug it.") < html.index("Done, thanks.")
    assert html.count("hdt-msg hdt-msg-staff") == 1 and html.count("hdt-msg hdt-msg-customer") == 2
    assert (users.public_name(agent) or "Support team") in html and "Support team" in html
    assert users.email_address(agent) not in html  # customers never see a staff member's address
    attachment = Message.objects.get(body="Please unplug it.").attachments.get()
    link = reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, attachment.pk])
    assert f'href="{link}"' in html and "steps.png" in html and "72 bytes" in html


def test_ticket_facts_are_shown(client, setup):
    ticket, _, _ = setup
    html = client.get(ticket.get_absolute_url()).content.decode()
    for text in (ticket.reference, ticket.department.name, ticket.ticket_type.name, ticket.product.name, "New"):
        assert text in html
    assert f'<span class="hdt-ref" dir="ltr">{ticket.reference}</span>' in html
    assert '<h1 dir="auto">Printer is on fire</h1>' in html


def test_user_text_is_escaped(client, setup):
    ticket, customer, _ = setup
    services.post_reply(ticket=ticket, actor=customer, body="<script>alert(1)</script>")
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_reply_with_attachments_moves_the_ticket_back_to_in_progress(client, setup):
    ticket, customer, agent = setup
    services.post_reply(ticket=ticket, actor=agent, body="Which model?")
    response = client.post(
        ticket.get_absolute_url(), {"body": "Model X200", "attachments": [upload("a.png"), upload("b.png")]}
    )
    message = Message.objects.get(body="Model X200")
    assert response.status_code == 302 and response.url == f"{ticket.get_absolute_url()}#message-{message.pk}"
    assert message.author == customer and message.attachments.count() == 2
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    assert "Your reply was added" in client.get(response.url).content.decode()


def test_invalid_reply_keeps_the_text(client, setup, settings):
    ticket, _, _ = setup
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "MAX_ATTACHMENTS_PER_MESSAGE": 1}
    response = client.post(ticket.get_absolute_url(), {"body": "Keep this", "attachments": [upload(), upload()]})
    assert response.status_code == 400
    assert "You can attach at most 1 file." in response.content.decode()
    assert "Keep this</textarea>" in response.content.decode()
    assert not Message.objects.filter(body="Keep this").exists()


def test_opening_the_thread_marks_staff_replies_read(client, setup):
    ticket, _, agent = setup
    services.post_reply(ticket=ticket, actor=agent, body="Answer")
    assert Ticket.objects.get(pk=ticket.pk).has_unread_staff_reply
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "hdt-msg-new" in html  # highlighted this time
    assert not Ticket.objects.get(pk=ticket.pk).has_unread_staff_reply
    assert "hdt-msg-new" not in client.get(ticket.get_absolute_url()).content.decode()


def test_close_is_post_only_and_final(client, setup):
    ticket, _, _ = setup
    close_url = reverse("helpdesk_tickets:ticket_close", args=[ticket.reference])
    assert client.get(close_url).status_code == 405
    response = client.post(close_url)
    assert response.url == ticket.get_absolute_url()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "The ticket is closed" in html
    assert 'name="body"' not in html and "please send a new ticket" in html
    # A reply posted from a stale page is refused with a message, not an error page.
    response = client.post(ticket.get_absolute_url(), {"body": "one more thing"}, follow=True)
    assert response.status_code == 200 and "This ticket is closed; please open a new one." in response.content.decode()
    reopen = client.post(reverse("helpdesk_tickets:ticket_reopen", args=[ticket.reference]), follow=True)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    assert "This ticket is closed" in reopen.content.decode()


def test_reopen_a_resolved_ticket(client, setup):
    ticket, _, agent = setup
    services.resolve(ticket, actor=agent)
    html = client.get(ticket.get_absolute_url()).content.decode()
    assert "Reopen ticket" in html and "Close ticket" in html
    reopen_url = reverse("helpdesk_tickets:ticket_reopen", args=[ticket.reference])
    assert client.get(reopen_url).status_code == 405
    client.post(reopen_url)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    # Reopening an open ticket is explained, not an error.
    response = client.post(reopen_url, follow=True)
    assert response.status_code == 200 and "cannot move from" in response.content.decode()


def test_buttons_need_the_csrf_token(setup):
    from django.test import Client

    ticket, customer, _ = setup
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    assert strict.post(reverse("helpdesk_tickets:ticket_close", args=[ticket.reference])).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_another_customers_ticket_is_404(client, setup):
    ticket, _, _ = setup
    client.force_login(UserFactory())
    assert client.get(ticket.get_absolute_url()).status_code == 404
    assert client.post(ticket.get_absolute_url(), {"body": "hi"}).status_code == 404
    assert client.post(reverse("helpdesk_tickets:ticket_close", args=[ticket.reference])).status_code == 404
    assert client.post(reverse("helpdesk_tickets:ticket_reopen", args=[ticket.reference])).status_code == 404
    assert client.get(reverse("helpdesk_tickets:ticket_detail", args=["HD-NOPE"])).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_agent_following_a_customer_link_gets_the_staff_view(client, setup):
    ticket, _, agent = setup
    client.force_login(agent)
    response = client.get(ticket.get_absolute_url())
    assert response.status_code == 302 and response.url == ticket.get_staff_url()


@pytest.mark.parametrize("replies", [1, 12])
def test_thread_query_count_is_constant(client, setup, replies, django_assert_num_queries):
    ticket, customer, agent = setup
    for n in range(replies):
        services.post_reply(ticket=ticket, actor=agent, body=f"Staff {n}", attachments=[upload()])
        services.post_reply(ticket=ticket, actor=customer, body=f"Customer {n}", attachments=[upload()])
    client.get(ticket.get_absolute_url())  # read: the next visit has nothing to mark
    # session, user, ticket (with related), the permission checks (supervisor
    # permission x2, agent departments), messages (with authors), attachments.
    with django_assert_num_queries(8):
        response = client.get(ticket.get_absolute_url())
    assert response.content.decode().count("hdt-msg hdt-msg-") == 1 + 2 * replies
