"""In Chromium, in Persian and English: a billing ticket asks for its invoice number and refuses the form
without it; the Persian form takes the payment date in Jalali, the English one from the date picker."""

import re

import pytest

from helpdesk_tickets.models import Ticket
from tests.fields.helpers import Billing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse"
TEXT = {
    "fa": {
        "locale": "fa-IR",
        "invoice": "شماره فاکتور",
        "paid_on": "تاریخ پرداخت",
        "send": "ارسال",
        "date": "۱۴۰۵/۰۱/۰۱",
    },
    "en": {"locale": "en-US", "invoice": "Invoice number", "paid_on": "Paid on", "send": "Send", "date": "2026-03-21"},
}


@pytest.fixture(params=["fa", "en"])
def language(request):
    return request.param


@pytest.fixture
def browser_context_args(language):
    return {"locale": TEXT[language]["locale"], "viewport": {"width": 1000, "height": 1100}}


@pytest.fixture
def billing():
    desk = Billing()
    desk.customer.set_password(PASSWORD)
    desk.customer.save()
    return desk


def test_a_billing_ticket_asks_for_its_invoice_number(page, live_server, language, billing):
    text = TEXT[language]
    page.goto(f"{live_server.url}/accounts/login/?next=/support/new/billing/invoice/")
    page.fill("#id_username", billing.customer.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/support/new/billing/invoice/$"))
    invoice = page.get_by_label(text["invoice"])
    assert invoice.is_visible() and invoice.get_attribute("required") is not None
    page.get_by_label(re.compile("^" + ("موضوع" if language == "fa" else "Subject"))).fill("Invoice 1001 is wrong")
    page.locator("textarea[name=description]").fill("The amount is 120, not 100.")
    paid_on = page.get_by_label(text["paid_on"])
    if language == "fa":
        assert paid_on.get_attribute("type") == "text" and paid_on.get_attribute("placeholder") == "۱۴۰۳/۰۵/۱۲"
    else:
        assert paid_on.get_attribute("type") == "date"
    paid_on.fill(text["date"])
    page.snap("filled-without-invoice")

    # The browser refuses to send without it.
    page.get_by_role("button", name=text["send"], exact=True).click()
    assert invoice.evaluate("input => !input.validity.valid")
    assert page.url.endswith("/support/new/billing/invoice/") and not Ticket.objects.exists()

    # And so does the server, when the browser does not check: the form comes back with the field marked.
    invoice.evaluate("input => input.removeAttribute('required')")
    page.get_by_role("button", name=text["send"], exact=True).click()
    page.wait_for_load_state()
    field = page.locator(".hdt-field-invalid", has=page.locator("[name='fields.invoice_number']"))
    assert field.locator(".hdt-errors").is_visible()
    assert not Ticket.objects.exists()
    assert page.locator("textarea[name=description]").input_value() == "The amount is 120, not 100."
    page.snap("refused-without-invoice")

    page.get_by_label(text["invoice"]).fill("INV-1001")
    page.get_by_role("button", name=text["send"], exact=True).click()
    page.wait_for_url(re.compile(r"/support/tickets/[A-Z0-9-]+/$"))
    page.snap("sent")
    ticket = Ticket.objects.get()
    assert ticket.field_values == {"invoice_number": "INV-1001", "paid_on": "2026-03-21", "urgent": False}


def test_staff_read_and_change_the_fields(page, live_server, language, billing):
    from tests.factories import make_ticket

    billing.agent.set_password(PASSWORD)
    billing.agent.save()
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type, channel="email")
    page.goto(f"{live_server.url}/accounts/login/?next={ticket.get_staff_url()}")
    page.fill("#id_username", billing.agent.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/support/staff/tickets/"))
    card = page.locator("#fields")
    assert card.locator(".hdt-staff-warning").is_visible()  # the e-mail did not say the invoice number
    card.get_by_label(TEXT[language]["invoice"]).fill("INV-1001")
    card.get_by_label(TEXT[language]["paid_on"]).fill(TEXT[language]["date"])
    page.snap("staff-filling")
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"#fields$"))
    page.snap("staff-saved")
    assert page.locator("#fields [data-field=invoice_number] a").inner_text() == "INV-1001"
    # A Latin value lines up with the others (in Persian on the right), not pushed to the far side.
    label_side = "right" if language == "fa" else "left"
    values = page.locator("#fields dd")
    edges = [
        box[label_side]
        for box in values.evaluate_all(
            "ns => ns.map(n => n.firstElementChild || n).map(n => n.getBoundingClientRect().toJSON())"
        )
    ]
    assert max(edges) - min(edges) < 2, edges
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "INV-1001", "paid_on": "2026-03-21"}
