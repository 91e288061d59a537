"""Issue 15 in the customer portal, without a browser: what a phone ticket looks like to the customer."""

import pytest
from django.urls import reverse
from django.utils import translation

from helpdesk_tickets import services
from tests.factories import UserFactory, make_agent
from tests.portal.helpers import make_catalogue, open_ticket

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def phone(client):
    department, types, _products = make_catalogue()
    customer = UserFactory(first_name="Sara")
    agent = make_agent(department, first_name="Reza", last_name="Karimi")
    ticket = services.create_ticket(
        requester=customer,
        department=department,
        ticket_type=types[0],
        subject="Renewal",
        description="The customer called and asked to renew for two years.",
        channel="phone",
        actor=agent,
    )
    web = open_ticket(customer, department, types[0], subject="Printer", description="It jams.")
    client.force_login(customer)
    return ticket, web, customer, agent


def test_a_phone_ticket_says_it_was_opened_for_the_customer_by_phone(client, phone):
    ticket, web, customer, agent = phone
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Opened for you by phone" in page
    # The agent's note of the call is not the customer's bubble, nor signed "You".
    assert "hdt-msg hdt-msg-noted" in page and "hdt-msg hdt-msg-customer" not in page
    assert "Your request, as the support team noted it during your call" in page
    head = page[page.index('class="hdt-msg hdt-msg-noted"') : page.index("hdt-msg-body")]
    assert ">You<" not in head and "Karimi" in head
    # The customer's own reply afterwards is theirs again.
    services.post_reply(ticket=ticket, actor=customer, body="Also the domain, please.")
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert page.count("hdt-msg hdt-msg-customer") == 1
    # A ticket the customer sent on the web has no such badge.
    assert "Opened for you by phone" not in client.get(web.get_absolute_url()).content.decode()


def test_the_ticket_list_marks_phone_tickets_in_persian_too(client, phone):
    page = client.get(reverse("helpdesk_tickets:ticket_list")).content.decode()
    assert page.count("Opened for you by phone") == 1
    with translation.override("fa"):
        page = client.get(reverse("helpdesk_tickets:ticket_list"), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert page.count("ثبت‌شده برای شما در تماس تلفنی") == 1
