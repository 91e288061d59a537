"""List endpoints run a fixed number of SQL queries, whatever the number of rows.

Requests authenticate with a token like a real client, so the counts
include authentication: 1 query for the token and its user, 2 for the
user's permissions (supervisor check), 1 for their departments (not
asked of a supervisor). A staff caller's ticket list has 1 more: the page's
tags (staff-only, never fetched for a customer).
"""

import pytest
from django.core.cache import cache

from helpdesk_tickets import services
from tests.factories import (
    DepartmentFactory,
    ProductFactory,
    TicketTypeFactory,
    UserFactory,
    make_agent,
    make_supervisor,
    make_ticket,
    token_client,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def get_with(django_assert_num_queries):
    """GET ``url`` asserting exactly ``expected`` queries; returns the JSON body."""

    def get(client, url, expected):
        cache.clear()  # the measured average first response is cached; count it every time
        with django_assert_num_queries(expected):
            response = client.get(url)
        assert response.status_code == 200, response.content
        return response.json()

    return get


@pytest.fixture
def setup(db):
    department = DepartmentFactory(slug="billing")
    agent = make_agent(department, username="agent")
    customer = UserFactory(username="customer")
    return department, agent, customer


def _tickets(department, customer, agent, n):
    for i in range(n):
        ticket = make_ticket(customer, department, subject=f"Question {i}", attachments=[upload()])
        services.assign(ticket, agent, actor=agent)
        services.post_reply(ticket=ticket, actor=agent, body="Answer")


@pytest.mark.parametrize(("role", "expected"), [("customer", 5), ("agent", 6)])
def test_ticket_list(setup, get_with, role, expected):
    department, agent, customer = setup
    client = token_client(agent if role == "agent" else customer)
    _tickets(department, customer, agent, 3)
    body = get_with(client, "/api/tickets/?page_size=100", expected)
    assert len(body["results"]) == 3
    _tickets(department, customer, agent, 27)
    body = get_with(client, "/api/tickets/?page_size=100", expected)
    assert len(body["results"]) == 30


def _varied_tickets(department, customer, agent, n, *, others=True):
    """Tickets with their own related rows: products and types, assigned or not, other requesters (``others``)."""
    for i in range(n):
        requester = UserFactory(first_name=f"Name{i}") if others and i % 3 else customer
        product = None if i % 2 else ProductFactory()
        ticket = make_ticket(requester, department, TicketTypeFactory(), product=product)
        if i % 4 == 1:
            services.assign(ticket, agent, actor=agent)
        if i % 5 == 2:
            services.post_reply(ticket=ticket, actor=agent, body="Answer")


@pytest.mark.parametrize(("role", "expected"), [("customer", 5), ("agent", 6), ("supervisor", 5)])
def test_ticket_list_of_varied_tickets(setup, get_with, role, expected):
    department, agent, customer = setup
    viewer = {"customer": customer, "agent": agent, "supervisor": make_supervisor(username="supervisor")}[role]
    client = token_client(viewer)
    others = role != "customer"
    _varied_tickets(department, customer, agent, 1, others=others)
    assert len(get_with(client, "/api/tickets/?page_size=100", expected)["results"]) == 1
    _varied_tickets(department, customer, agent, 29, others=others)
    rows = get_with(client, "/api/tickets/?page_size=100", expected)["results"]
    assert len(rows) == 30
    assert {row["product"] is None for row in rows} == {True, False}
    assert {row["assignee"] is None for row in rows} == {True, False}


def test_a_user_model_naming_people_its_own_way_is_listed_with_all_its_columns(setup, get_with, monkeypatch):
    # The list fetches only what users.columns() names (username, first and
    # last name of Django's own model); a site's get_full_name() may read
    # anything, so it gets every column, and no query per row.
    department, agent, customer = setup
    _varied_tickets(department, customer, agent, 30)
    monkeypatch.setattr(type(customer), "get_full_name", lambda user: f"<{user.pk}:{user.is_staff}>", raising=False)
    client = token_client(make_supervisor(username="supervisor"))
    rows = get_with(client, "/api/tickets/?page_size=100", 5)["results"]
    assert {row["requester"]["name"] for row in rows} >= {f"<{customer.pk}:False>"}
    for row in rows:
        assert row == client.get(f"/api/tickets/{row['reference']}/").json()


@pytest.mark.parametrize(("role", "expected"), [("customer", 6), ("agent", 7)])
def test_department_list(setup, get_with, role, expected):
    department, agent, customer = setup
    client = token_client(agent if role == "agent" else customer)
    for _ in range(2):
        DepartmentFactory().agents.add(agent)
    body = get_with(client, "/api/departments/", expected)
    assert len(body) == 3
    for _ in range(27):
        DepartmentFactory().agents.add(agent, UserFactory())
    body = get_with(client, "/api/departments/", expected)
    assert len(body) == 30


@pytest.mark.parametrize(("role", "expected"), [("customer", 7), ("agent", 7)])
def test_thread(setup, get_with, role, expected):
    department, agent, customer = setup
    client = token_client(agent if role == "agent" else customer)
    ticket = make_ticket(customer, department, attachments=[upload()])
    url = f"/api/tickets/{ticket.reference}/messages/?page_size=100"

    def add(n):
        for i in range(n):
            author = agent if i % 2 else customer
            services.post_reply(ticket=ticket, actor=author, body=f"Message {i}", attachments=[upload(), upload()])
        services.mark_read(ticket, customer)

    add(2)
    body = get_with(client, url, expected)
    assert len(body["results"]) == 3
    add(27)
    body = get_with(client, url, expected)
    assert len(body["results"]) == 30


@pytest.mark.parametrize(("path", "expected"), [("ticket-types", 4), ("products", 3)])
def test_offered_lists(setup, get_with, path, expected):
    department, agent, customer = setup
    client = token_client(customer)
    factory = TicketTypeFactory if path == "ticket-types" else ProductFactory

    def add(n):
        for i in range(n):
            offered = factory()
            if i % 2:
                offered.departments.add(department)

    add(3)
    # Token and user, the department, the list (and the types' fields).
    assert len(get_with(client, f"/api/{path}/?department=billing", expected)) == 3
    add(27)
    assert len(get_with(client, f"/api/{path}/?department=billing", expected)) == 30
