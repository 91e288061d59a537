"""The queue's bulk form in Chromium: tick all, choose an action (only its value shows), apply."""

import re

import pytest

from helpdesk_tickets.models import Ticket
from tests.browser.test_staff_browser import log_in
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bulk_priority_for_every_ticked_ticket(page, live_server):
    sales = DepartmentFactory(name="Sales", slug="sales")
    agent = make_agent(sales, username="reza", first_name="Reza")
    customer, kind = UserFactory(username="sara"), TicketTypeFactory()
    tickets = [make_ticket(customer, sales, kind, subject=f"Order {i} is late") for i in range(3)]

    log_in(page, live_server, agent)
    assert page.locator("[data-bulk-for=priority]").is_hidden()
    page.select_option("#hdt-bulk-action", "priority")
    assert page.locator("[data-bulk-for=priority]").is_visible()
    assert page.locator("[data-bulk-for=merge]").first.is_hidden()
    page.locator("th.hdt-staff-pick input[type=checkbox]").check()
    page.select_option("#hdt-bulk-priority", "urgent")
    page.snap("bulk-form")
    page.locator(".hdt-staff-bulk button[type=submit]").click()
    page.wait_for_url(re.compile(r"/support/staff/bulk/$"))
    assert "Done: 3. Refused: 0." in page.content()
    page.snap("bulk-result")
    # Ids of its own: the filters' controls keep theirs.
    page.goto(f"{live_server.url}/support/staff/")
    assert page.locator("#id_priority").count() == 1 and page.locator("#hdt-bulk-priority").count() == 1
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("priority", flat=True)) == {"urgent"}
