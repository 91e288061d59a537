"""An agent's working session in Chromium, in Persian and in English, against a live server."""

import re

import pytest

from helpdesk_tickets import services, users
from helpdesk_tickets.models import Channel, Message, Status, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_ticket
from tests.staff.helpers import make_canned

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw"  # factories.UserFactory's


@pytest.fixture(params=["fa", "en"])
def language(request):
    return request.param


@pytest.fixture
def browser_context_args(language):
    return {"locale": {"fa": "fa-IR", "en": "en-US"}[language], "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def day(tmp_path):
    sales = DepartmentFactory(name="Sales", slug="sales", translations={"fa": {"name": "فروش"}})
    question = TicketTypeFactory(name="Question", slug="question", translations={"fa": {"name": "سؤال"}})
    agent = make_agent(sales, username="reza", first_name="Reza", last_name="Karimi")
    customer = UserFactory(username="sara", first_name="سارا", last_name="احمدی", email="sara@example.com")
    caller = UserFactory(username="john", first_name="John", last_name="Smith", email="john@example.com")
    ticket = make_ticket(customer, sales, question, subject="پرداخت انجام نمی‌شود", description="خطای ۵۰۲")
    make_canned(sales, title="Greeting", body="Hello {customer_name}, we are looking at {reference}.")
    log = tmp_path / "gateway.txt"
    log.write_text("timeout at 07:40\n", encoding="utf-8")
    return {
        "sales": sales,
        "type": question,
        "agent": agent,
        "customer": customer,
        "caller": caller,
        "ticket": ticket,
        "log": log,
    }


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/?next=/support/staff/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/support/staff/$"))


def test_working_session(page, live_server, language, day):
    from django.core.cache import cache

    cache.clear()  # figures are cached; another test may have left some for the same departments
    ticket = day["ticket"]
    log_in(page, live_server, day["agent"])
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    page.snap("queue")

    # The unassigned tab lists the new ticket; open it.
    page.locator(".hdt-staff-tabs a").nth(2).click()
    page.wait_for_url(re.compile(r"assignee=unassigned"))
    row = page.locator(".hdt-staff-row").first
    assert ticket.reference in row.inner_text()
    row.locator("a.hdt-staff-ref").click()
    page.wait_for_url(re.compile(re.escape(ticket.get_staff_url()) + "$"))

    # A canned reply goes in at the cursor, with the customer's name filled in; send it.
    assert page.locator(".hdt-staff-canned-insert").is_hidden()
    page.select_option("#hdt-staff-canned", label="Greeting")
    customer = users.display_name(ticket.requester)  # "سارا احمدی", or the address on a model without names
    assert page.input_value("#id_body") == f"Hello {customer}, we are looking at {ticket.reference}."
    page.snap("canned")
    page.locator("form.hdt-staff-reply button.hdt-staff-button-primary").click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    assert page.locator(".hdt-staff-message-staff").count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CUSTOMER and ticket.first_response_at

    # An internal note with a file: the form turns yellow, the button says so.
    page.fill("#id_body", "Gateway log attached.")
    page.check("#id_internal")
    assert "hdt-staff-reply-internal" in page.locator("form.hdt-staff-reply").get_attribute("class")
    page.set_input_files("#id_attachments", str(day["log"]))
    page.snap("internal-note")
    page.focus("#id_body")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")  # sends from the message box, like the button
    note = page.locator(".hdt-staff-message-internal")
    assert note.count() == 1 and "gateway.txt" in note.inner_text()
    assert Message.objects.filter(ticket=ticket, internal=True).count() == 1

    # Take it and raise the priority in one save.
    page.select_option("#id_priority", "urgent")
    page.select_option("#id_assignee", str(day["agent"].pk))
    with page.expect_navigation():
        page.locator("form.hdt-staff-update button[type=submit]").click()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == ("urgent", day["agent"])
    assert page.locator(".hdt-staff-history li").count() >= 4
    page.snap("updated")

    # A customer calls: find them, open a phone ticket.
    page.goto(f"{live_server.url}/support/staff/new/")
    # Agents type while the caller talks: looking the caller up afterwards keeps the text.
    page.fill("#id_subject", "Renewal for two years")
    page.fill("#id_description", "Wants to renew the hosting plan for two years.")
    page.fill("#hdt-staff-find", "john@example.com")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in the search field finds, it does not open the ticket
    assert page.locator("input[name=requester]").first.is_checked()
    assert page.input_value("#id_subject") == "Renewal for two years"
    assert page.input_value("#id_description") == "Wants to renew the hosting plan for two years."
    assert not Ticket.objects.filter(subject="Renewal for two years").exists()
    page.snap("phone")
    page.locator("form.hdt-staff-form button.hdt-staff-button-primary").click()
    page.wait_for_url(re.compile(r"/support/staff/tickets/HD-\w+/$"))
    phone = Ticket.objects.get(subject="Renewal for two years")
    assert phone.channel == Channel.PHONE and phone.requester == day["caller"]
    assert list(Ticket.objects.requested_by(day["caller"])) == [phone]

    # The dashboard counts the first response.
    page.goto(f"{live_server.url}/support/staff/dashboard/")
    overall = page.locator(".hdt-staff-figures tfoot").first.inner_text()
    assert "100" in overall or "۱۰۰" in overall  # the one first response was within its target
    page.snap("dashboard")
    services.close(phone, actor=day["agent"])
