"""Phone tickets: an agent finds the customer and opens a ticket on their behalf."""

import html
import re

import pytest

from helpdesk_tickets import users
from helpdesk_tickets.models import Channel, Message, Ticket
from tests.factories import ProductFactory, client_for
from tests.staff.helpers import make_desk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]

NEW = "/support/staff/new/"


@pytest.fixture
def desk():
    return make_desk()


def form_data(desk, **overrides):
    return {
        "requester": desk.customer.pk,
        "department": desk.sales.pk,
        "ticket_type": desk.ticket_type.pk,
        "priority": "high",
        "subject": "Called about the renewal",
        "description": "Wants to renew for two years.",
        **overrides,
    }


@pytest.mark.parametrize("query", ["Cyrus", "rahimi", "cust", "CYRUS@example.com", "Cyrus Rahimi"])
def test_find_the_customer_by_name_username_or_email(desk, query):
    if "@" not in query and not users.name_fields():
        pytest.skip("this user model has no names, and its usernames are the e-mail addresses")
    response = client_for(desk.agent).get(NEW, {"find": query})
    page = response.content.decode()
    assert html.escape(users.customer_label(desk.customer)) in page
    assert f'value="{desk.customer.pk}"' in page


def test_a_single_match_is_preselected(desk):
    page = client_for(desk.agent).get(NEW, {"find": "cyrus@example.com"}).content.decode()
    radio = re.search(r'<input type="radio" name="requester"[^>]*>', page).group(0)
    assert f'value="{desk.customer.pk}"' in radio and "checked" in radio


def test_no_match_says_so(desk):
    page = client_for(desk.agent).get(NEW, {"find": "nobody-like-this"}).content.decode()
    assert "No customer matches" in page


def test_open_a_phone_ticket(desk):
    product = ProductFactory(name="Hosting")
    client = client_for(desk.agent)
    response = client.post(NEW, form_data(desk, product=product.pk))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_staff_url()
    assert ticket.requester == desk.customer and ticket.channel == Channel.PHONE
    assert (ticket.department, ticket.product, ticket.priority) == (desk.sales, product, "high")
    first = Message.objects.get(ticket=ticket)
    assert first.author == desk.agent and first.body == "Wants to renew for two years." and not first.internal
    assert ticket.events.get().actor == desk.agent
    # The customer finds it in their own list.
    assert list(Ticket.objects.requested_by(desk.customer)) == [ticket]
    page = client.get(ticket.get_staff_url()).content.decode()
    assert f"opened for {users.staff_label(desk.customer)}" in page and "Request (taken by phone)" in page


def test_duplicate_shows_the_existing_ticket(desk):
    client = client_for(desk.agent)
    client.post(NEW, form_data(desk))
    existing = Ticket.objects.get()
    response = client.post(NEW, form_data(desk, subject="  called about the RENEWAL "))
    assert response.status_code == 409
    page = response.content.decode()
    assert existing.reference in page and existing.get_staff_url() in page
    assert Ticket.objects.count() == 1


def test_missing_customer_is_explained(desk):
    response = client_for(desk.agent).post(NEW, form_data(desk, requester=""))
    assert response.status_code == 400
    assert "Find the customer and choose them first." in response.content.decode()
    assert not Ticket.objects.exists()


def test_type_not_offered_in_the_department_is_refused(desk):
    other_type = desk.ticket_type.__class__.objects.create(name="Billing only", slug="billing-only")
    other_type.departments.add(desk.billing)
    response = client_for(desk.agent).post(NEW, form_data(desk, ticket_type=other_type.pk))
    assert response.status_code == 400
    assert "not offered in the chosen department" in response.content.decode()


def test_agents_open_tickets_in_their_own_departments_only(desk):
    page = client_for(desk.agent).get(NEW).content.decode()
    assert ">Sales<" in page and ">Billing<" not in page
    page = client_for(desk.supervisor).get(NEW).content.decode()
    assert ">Sales<" in page and ">Billing<" in page


def test_open_tickets_of_the_found_customer_are_shown(desk):
    existing = desk.ticket(subject="Renewal question")
    page = client_for(desk.agent).get(NEW, {"find": "cyrus@example.com"}).content.decode()
    assert "Open tickets of this customer" in page and existing.reference in page


def test_type_options_say_where_they_are_offered(desk):
    billing_only = desk.ticket_type.__class__.objects.create(name="Refund", slug="refund")
    billing_only.departments.add(desk.billing)
    page = client_for(desk.supervisor).get(NEW).content.decode()
    # The page hides what the chosen department does not offer; an empty list means everywhere.
    assert f'value="{billing_only.pk}" data-departments="{desk.billing.pk}"' in page
    assert f'value="{desk.ticket_type.pk}" data-departments=""' in page
