"""The customer journey in Chromium, in Persian and in English, against a live server."""

import re

import pytest

from helpdesk_tickets import services
from helpdesk_tickets.models import Attachment, Ticket
from tests.factories import PNG, DepartmentFactory, ProductFactory, TicketTypeFactory, UserFactory, make_agent
from tests.portal.helpers import open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse"

# What the customer reads, per language: the test checks the catalogue too.
TEXT = {
    "fa": {
        "locale": "fa-IR",
        "dir": "rtl",
        "send_ticket": "ارسال تیکت",
        "ticket_list": "لیست تیکت‌ها",
        "department": "پشتیبانی فنی",
        "ticket_type": "گزارش خطا",
        "product": "میزبانی وب",
        "send": "ارسال",
        "sent": "ارسال شد",
        "already": "قبلاً",
        "usually": "معمولاً",
        "look_alike": "مشابه",
        "subject": "صفحه ورود باز نمی‌شود",
        "similar_subject": "صفحه ورود خطا می‌دهد",
        "description": "از دیروز صفحه ورود خطای ۵۰۰ می‌دهد.",
        "status_new": "جدید",
    },
    "en": {
        "locale": "en-US",
        "dir": "ltr",
        "send_ticket": "Send ticket",
        "ticket_list": "Ticket list",
        "department": "Technical support",
        "ticket_type": "Bug report",
        "product": "Web hosting",
        "send": "Send",
        "sent": "was sent",
        "already": "You already sent this request",
        "usually": "usually answer within",
        "look_alike": "look alike",
        "subject": "Login page does not open",
        "similar_subject": "Login page shows an error",
        "description": "Since yesterday the login page shows error 500.",
        "status_new": "New",
    },
}


def make_catalogue():
    """Two departments (so step 1 is shown), two types each, products, with Persian names."""
    tech = DepartmentFactory(
        name="Technical support",
        slug="technical",
        description="Servers, e-mail and websites.",
        translations={"fa": {"name": "پشتیبانی فنی", "description": "سرور، ایمیل و وب‌سایت"}},
    )
    DepartmentFactory(
        name="Billing",
        slug="billing",
        description="Invoices and payments.",
        translations={"fa": {"name": "مالی", "description": "صورتحساب و پرداخت"}},
    )
    bug = TicketTypeFactory(name="Bug report", slug="bug", translations={"fa": {"name": "گزارش خطا"}})
    question = TicketTypeFactory(name="Question", slug="question", translations={"fa": {"name": "سؤال"}})
    for ticket_type in (bug, question):
        ticket_type.departments.add(tech)
    hosting = ProductFactory(name="Web hosting", slug="hosting", translations={"fa": {"name": "میزبانی وب"}})
    ProductFactory(name="Domains", slug="domains", translations={"fa": {"name": "دامنه"}})
    return tech, bug, hosting


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/?next=/support/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/support/$"))


@pytest.fixture(params=["fa", "en"])
def language(request):
    return request.param


@pytest.fixture
def browser_context_args(language):
    return {"locale": TEXT[language]["locale"], "viewport": {"width": 1100, "height": 900}}


@pytest.fixture
def journey(language, tmp_path, settings):
    # One answered ticket makes a measured figure here (the default asks for 10).
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "RESPONSE_TIME_MIN_SAMPLE": 1}
    tech, bug, hosting = make_catalogue()
    customer = UserFactory(username="sara", first_name="Sara", password=PASSWORD)
    agent = make_agent(tech, username="reza", first_name="Reza")
    # A measured average first response for the department: 20 minutes.
    answered = open_ticket(UserFactory(), tech, bug, subject="Old", description="Old")
    services.post_reply(ticket=answered, actor=agent, body="Done")
    Ticket.objects.filter(pk=answered.pk).update(first_response_seconds=20 * 60)
    # An open ticket of the customer's that looks like the one they are about to send.
    earlier = open_ticket(customer, tech, bug, subject=TEXT[language]["similar_subject"], description="...")
    screenshot = tmp_path / "screen.png"
    screenshot.write_bytes(PNG)
    notes = tmp_path / "notes.txt"
    notes.write_text("tail -f error.log\n", encoding="utf-8")
    return {"customer": customer, "agent": agent, "earlier": earlier, "files": [screenshot, notes]}


def test_whole_journey(page, live_server, language, journey, tmp_path):
    from django.core.cache import cache

    cache.clear()
    text = TEXT[language]
    log_in(page, live_server, journey["customer"])
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == text["dir"]
    page.snap("ticket-list")

    # Step 1: the department, as cards with their description.
    page.get_by_role("link", name=text["send_ticket"], exact=True).first.click()
    page.wait_for_url(re.compile(r"/support/new/$"))
    page.snap("step1-department")
    page.get_by_role("link", name=re.compile(text["department"])).click()

    # Step 2: the ticket type offered there.
    page.wait_for_url(re.compile(r"/support/new/technical/$"))
    page.snap("step2-type")
    page.get_by_role("link", name=re.compile(text["ticket_type"])).click()

    # Step 3: the form, with the measured response time.
    page.wait_for_url(re.compile(r"/support/new/technical/bug/$"))
    assert text["usually"] in page.locator(".hdt-response-time").inner_text()
    page.select_option("#id_product", label=text["product"])
    page.fill("#id_subject", text["subject"])
    # Look-alike open tickets appear while typing, with a link to reply there.
    similar = page.locator("[data-hdt-similar]")
    similar.wait_for(state="visible")
    assert journey["earlier"].reference in similar.inner_text()
    assert text["look_alike"] in similar.inner_text()
    page.fill("#id_description", text["description"])
    # Too many files are flagged at once, before anything is uploaded.
    many = [tmp_path / f"shot-{n}.png" for n in range(6)]
    for path in many:
        path.write_bytes(PNG)
    page.set_input_files("#id_attachments", [str(f) for f in many])
    assert page.locator(".hdt-file-list .hdt-file-too-big").count() == 1
    page.set_input_files("#id_attachments", [str(f) for f in journey["files"]])
    assert page.locator(".hdt-file-list li").count() == 2
    assert page.locator(".hdt-file-list .hdt-file-too-big").count() == 0
    page.snap("step3-form")
    page.get_by_role("button", name=text["send"], exact=True).click()

    # After sending: the ticket page.
    page.wait_for_url(re.compile(r"/support/tickets/HD-\w+/$"))
    ticket = Ticket.objects.exclude(pk=journey["earlier"].pk).get(subject=text["subject"])
    assert ticket.product.slug == "hosting" and ticket.ticket_type.slug == "bug"
    assert text["sent"] in page.locator(".hdt-messages").inner_text()
    assert ticket.reference in page.locator(".hdt-ticket-facts").inner_text()
    assert text["status_new"] in page.locator(".hdt-badge").inner_text()
    assert page.locator(".hdt-attachments li").count() == 2
    page.snap("ticket-sent")

    # An agent answers; the list marks the unread reply, the thread shows it apart.
    services.post_reply(ticket=ticket, actor=journey["agent"], body="We are on it.")
    page.get_by_role("link", name=text["ticket_list"], exact=True).first.click()
    page.wait_for_url(re.compile(r"/support/$"))
    first_row = page.locator(".hdt-ticket-row").first
    assert ticket.reference in first_row.inner_text()
    assert "hdt-unread" in first_row.get_attribute("class")
    page.snap("list-unread")
    first_row.locator("a.hdt-ticket-subject").click()
    page.wait_for_url(re.compile(re.escape(ticket.get_absolute_url()) + "$"))
    assert page.locator(".hdt-msg-staff").count() == 1
    page.fill("#id_body", "Thanks!")
    page.locator(".hdt-reply button[type=submit]").click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    assert page.locator(".hdt-msg").count() == 3
    page.snap("thread-replied")


def test_identical_resubmission_lands_on_the_existing_ticket(page, live_server, language, journey):
    text = TEXT[language]
    log_in(page, live_server, journey["customer"])
    form_url = f"{live_server.url}/support/new/technical/bug/"
    for _attempt in range(2):
        page.goto(form_url)
        page.fill("#id_subject", text["subject"])
        page.fill("#id_description", text["description"])
        page.get_by_role("button", name=text["send"], exact=True).click()
        page.wait_for_url(re.compile(r"/support/tickets/HD-\w+/$"))
    ticket = Ticket.objects.get(subject=text["subject"])
    assert page.url.endswith(ticket.get_absolute_url())
    message = page.locator(".hdt-messages").inner_text()
    assert text["already"] in message and ticket.reference in message
    page.snap("duplicate-refused")
    # Reloading the refused POST's result does not send anything either.
    page.reload()
    assert Ticket.objects.filter(subject=text["subject"]).count() == 1


def test_attachment_download_and_other_customers_get_404(page, live_server, language, journey):
    customer = journey["customer"]
    tech, bug = journey["earlier"].department, journey["earlier"].ticket_type
    ticket = open_ticket(
        customer, tech, bug, subject="With a file", description="see file", attachments=[_upload("رسید.png")]
    )
    attachment = Attachment.objects.get(message__ticket=ticket)
    log_in(page, live_server, customer)
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    with page.expect_download() as info:
        page.locator(".hdt-attachments a[download]").first.click()
    download = info.value
    assert download.suggested_filename == "رسید.png"
    with open(download.path(), "rb") as handle:
        assert handle.read() == PNG

    stranger = UserFactory(username="stranger", password=PASSWORD)
    page.context.clear_cookies()
    log_in(page, live_server, stranger)
    response = page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    assert response.status == 404
    response = page.request.get(f"{live_server.url}{attachment.get_absolute_url()}")
    assert response.status == 404
    page.snap("stranger-404")


def _upload(name):
    from tests.factories import upload

    return upload(name)


def test_similar_box_stays_hidden_for_unrelated_subjects(page, live_server, language, journey):
    log_in(page, live_server, journey["customer"])
    page.goto(f"{live_server.url}/support/new/technical/bug/")
    page.fill("#id_subject", "zzz qqq www")
    page.wait_for_timeout(800)
    assert page.locator("[data-hdt-similar]").is_hidden()


def test_journey_works_without_javascript(chromium, live_server, language, journey):
    """Every step is a plain link or form: the ticket is sent with scripting off."""
    text = TEXT[language]
    context = chromium.new_context(java_script_enabled=False, locale=text["locale"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, live_server, journey["customer"])
        page.get_by_role("link", name=text["send_ticket"], exact=True).first.click()
        page.get_by_role("link", name=re.compile(text["department"])).click()
        page.get_by_role("link", name=re.compile(text["ticket_type"])).click()
        page.wait_for_url(re.compile(r"/support/new/technical/bug/$"))
        page.fill("#id_subject", "No script here")
        page.fill("#id_description", "Sent from a browser without JavaScript.")
        page.set_input_files("#id_attachments", [str(f) for f in journey["files"]])
        page.get_by_role("button", name=text["send"], exact=True).click()
        page.wait_for_url(re.compile(r"/support/tickets/HD-\w+/$"))
        ticket = Ticket.objects.get(subject="No script here")
        assert ticket.reference in page.locator(".hdt-ticket-facts").inner_text()
        assert Attachment.objects.filter(message__ticket=ticket).count() == 2
        page.get_by_role("button", name=re.compile("بستن تیکت|Close ticket")).click()
        page.wait_for_url(re.compile(re.escape(ticket.get_absolute_url()) + "$"))
        ticket.refresh_from_db()
        assert ticket.status == "closed"
    finally:
        context.close()


def test_wizard_can_be_driven_by_keyboard_with_visible_focus(page, live_server, language, journey):
    log_in(page, live_server, journey["customer"])
    page.goto(f"{live_server.url}/support/new/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('hdt-card')"):
            break
    else:
        pytest.fail("no department card reachable with Tab")
    focused, resting = page.evaluate(
        """() => {
            const other = [...document.querySelectorAll('.hdt-card')].find(c => c !== document.activeElement);
            return [getComputedStyle(document.activeElement).boxShadow, getComputedStyle(other).boxShadow];
        }"""
    )
    assert focused != resting  # the focus ring shows
    page.snap("keyboard-focus")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/support/new/[\w-]+/$"))
