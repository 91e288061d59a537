"""Who may use the staff workspace: every staff URL × anonymous, customer, agent, other agent, supervisor."""

import pytest
from django.test import Client

from helpdesk_tickets.models import Message, Ticket
from tests.factories import client_for
from tests.staff.helpers import make_desk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]


@pytest.fixture
def desk():
    return make_desk()


@pytest.fixture
def ticket(desk):
    return desk.ticket(subject="Sales question")


def get_urls(ticket):
    return [
        "/support/staff/",
        "/support/staff/dashboard/",
        "/support/staff/new/",
        f"/support/staff/tickets/{ticket.reference}/",
    ]


def test_anonymous_is_sent_to_log_in(ticket):
    client = Client()
    for url in get_urls(ticket) + [f"/support/staff/tickets/{ticket.reference}/update/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("who", ["customer", "customer2"])
def test_customers_get_404_everywhere(desk, ticket, who):
    # Even the requester of the ticket: the staff pages do not exist for customers.
    client = client_for(getattr(desk, who))
    for url in get_urls(ticket):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/support/staff/tickets/{ticket.reference}/", {"body": "x"}).status_code == 404
    assert client.post(f"/support/staff/tickets/{ticket.reference}/update/", {"status": "closed"}).status_code == 404
    assert client.post("/support/staff/new/", {"subject": "x"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 1


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_staff_reach_every_page(desk, ticket, who):
    client = client_for(getattr(desk, who))
    for url in get_urls(ticket):
        assert client.get(url).status_code == 200, url


def test_agent_of_another_department_gets_404_for_the_ticket(desk, ticket):
    client = client_for(desk.billing_agent)
    detail = f"/support/staff/tickets/{ticket.reference}/"
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"body": "sneaky"}).status_code == 404
    assert client.post(detail + "update/", {"status": "closed", "priority": "urgent"}).status_code == 404
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.messages.count()) == ("new", "normal", 1)
    # Their own queue does not list it either.
    assert ticket.reference not in client.get("/support/staff/?status=all").content.decode()


def test_supervisor_acts_on_every_department(desk, ticket):
    client = client_for(desk.supervisor)
    response = client.post(f"/support/staff/tickets/{ticket.reference}/update/", {"priority": "high"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_update_is_post_only(desk, ticket):
    client = client_for(desk.agent)
    assert client.get(f"/support/staff/tickets/{ticket.reference}/update/").status_code == 405


def test_state_changes_need_the_csrf_token(desk, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.agent)
    detail = f"/support/staff/tickets/{ticket.reference}/"
    assert client.post(detail, {"body": "no token"}).status_code == 403
    assert client.post(detail + "update/", {"status": "closed"}).status_code == 403
    assert client.post("/support/staff/new/", {"subject": "no token"}).status_code == 403
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    # With the token from the page, the same reply goes through.
    page = client.get(detail)
    token = page.cookies["csrftoken"].value
    assert client.post(detail, {"body": "with token", "csrfmiddlewaretoken": token}).status_code == 302


def test_agent_cannot_open_a_phone_ticket_in_another_department(desk):
    client = client_for(desk.agent)
    response = client.post(
        "/support/staff/new/",
        {
            "requester": desk.customer.pk,
            "department": desk.billing.pk,
            "ticket_type": desk.ticket_type.pk,
            "priority": "normal",
            "subject": "Refund",
            "description": "Wants a refund",
        },
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_cannot_assign_to_someone_outside_the_department(desk, ticket):
    client = client_for(desk.agent)
    response = client.post(
        f"/support/staff/tickets/{ticket.reference}/update/", {"assignee": desk.billing_agent.pk}, follow=True
    )
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert "Select a valid choice" in response.content.decode()
