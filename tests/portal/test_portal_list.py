"""Support → Ticket list: own tickets, newest activity first, unread replies, status filter, pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk_tickets import services
from helpdesk_tickets.models import Ticket
from tests.factories import UserFactory, make_agent
from tests.portal.helpers import make_catalogue, open_ticket

pytestmark = [pytest.mark.django_db]

LIST_URL = "/support/"


@pytest.fixture
def catalogue():
    return make_catalogue()


@pytest.fixture
def customer(client):
    user = UserFactory()
    client.force_login(user)
    return user


def make_tickets(customer, catalogue, count, agent=None):
    department, types, products = catalogue
    tickets = []
    for n in range(count):
        ticket = open_ticket(
            customer, department, types[n % 2], subject=f"Question {n}", description=f"Details {n}", product=products[0]
        )
        if agent and n % 3 == 0:
            services.post_reply(ticket=ticket, actor=agent, body="Answer")
        tickets.append(ticket)
    return tickets


def test_list_is_the_url_of_the_spec():
    assert reverse("helpdesk_tickets:ticket_list") == LIST_URL


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_only_own_tickets_newest_activity_first(client, customer, catalogue):
    department, types, _ = catalogue
    older = open_ticket(customer, department, types[0], subject="Older one")
    newer = open_ticket(customer, department, types[0], subject="Newer one", description="other")
    open_ticket(UserFactory(), department, types[0], subject="Somebody else's")
    Ticket.objects.filter(pk=older.pk).update(last_activity_at=timezone.now() + timedelta(minutes=5))
    response = client.get(LIST_URL)
    assert [t.reference for t in response.context["tickets"]] == [older.reference, newer.reference]
    html = response.content.decode()
    assert "Somebody else" not in html
    assert html.index("Older one") < html.index("Newer one")


def test_rows_show_reference_status_and_unread_staff_replies(client, customer, catalogue):
    department, types, _ = catalogue
    agent = make_agent(department)
    answered = open_ticket(customer, department, types[0], subject="Answered")
    open_ticket(customer, department, types[0], subject="Waiting", description="other")
    services.post_reply(ticket=answered, actor=agent, body="Here you go")
    html = client.get(LIST_URL).content.decode()
    assert answered.reference in html
    assert 'class="hdt-badge hdt-badge-awaiting_customer">Awaiting customer' in html
    assert 'class="hdt-badge hdt-badge-new">New' in html
    assert html.count("hdt-ticket-row hdt-unread") == 1
    # Opening the thread clears the marker.
    client.get(answered.get_absolute_url())
    assert "hdt-ticket-row hdt-unread" not in client.get(LIST_URL).content.decode()


def test_filter_by_status(client, customer, catalogue):
    department, types, _ = catalogue
    open_one = open_ticket(customer, department, types[0], subject="Still open")
    closed = open_ticket(customer, department, types[0], subject="Done with", description="other")
    services.close(closed, actor=customer)
    assert [t.pk for t in client.get(LIST_URL, {"status": "closed"}).context["tickets"]] == [closed.pk]
    assert [t.pk for t in client.get(LIST_URL, {"status": "open"}).context["tickets"]] == [open_one.pk]
    assert len(client.get(LIST_URL, {"status": ""}).context["tickets"]) == 2
    # An unknown value is ignored rather than failing.
    assert client.get(LIST_URL, {"status": "bogus"}).status_code == 200
    empty = client.get(LIST_URL, {"status": "resolved"}).content.decode()
    assert "No tickets with this status." in empty


def test_paginated_and_filter_kept_across_pages(client, customer, catalogue, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "PAGE_SIZE": 2}
    make_tickets(customer, catalogue, 5)
    first = client.get(LIST_URL, {"status": "new"})
    assert len(first.context["tickets"]) == 2
    html = first.content.decode()
    assert "Page 1 of 3" in html and "?status=new&amp;page=2" in html
    last = client.get(LIST_URL, {"status": "new", "page": 3})
    assert len(last.context["tickets"]) == 1
    assert client.get(LIST_URL, {"page": 9}).status_code == 404


def test_empty_list_invites_to_send_a_ticket(client, customer):
    html = client.get(LIST_URL).content.decode()
    assert "You have not sent any tickets yet." in html


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_tickets(client, customer, catalogue, count, django_assert_num_queries):
    agent = make_agent(catalogue[0])
    make_tickets(customer, catalogue, count, agent=agent)
    # session, user, count, page of tickets (with department, type, product),
    # and the staff-navigation check (supervisor permission x2, departments).
    with django_assert_num_queries(7):
        response = client.get(LIST_URL)
    assert len(response.context["tickets"]) == min(count, 25)
