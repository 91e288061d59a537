"""What customers and agents tripped on (issue 15), held in Chromium in Persian and in English."""

import re

import pytest

from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw"  # factories.UserFactory's
OTHER = {"fa": "en", "en": "fa"}


@pytest.fixture(params=["fa", "en"])
def language(request):
    return request.param


@pytest.fixture
def browser_context_args(language):
    return {"locale": {"fa": "fa-IR", "en": "en-US"}[language], "viewport": {"width": 1100, "height": 900}}


@pytest.fixture
def shop():
    sales = DepartmentFactory(name="Sales", slug="sales", translations={"fa": {"name": "فروش"}})
    question = TicketTypeFactory(name="Question", slug="question", translations={"fa": {"name": "سؤال"}})
    question.departments.add(sales)
    agent = make_agent(sales, username="reza", first_name="Reza", last_name="Karimi")
    customer = UserFactory(username="sara", first_name="سارا", last_name="احمدی", email="sara@example.com")
    return {"sales": sales, "type": question, "agent": agent, "customer": customer}


def log_in(page, live_server, user, next_url="/support/"):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_language_switch_needs_a_click_and_keeps_what_was_typed(page, live_server, language, shop):
    log_in(page, live_server, shop["customer"], "/support/new/sales/question/")
    assert page.locator("html").get_attribute("lang") == language
    page.fill("#id_subject", "Invoice 1405 is wrong")
    page.fill("#id_description", "The amount is twice what I ordered.")
    switch = page.locator(f".site-language button[value={OTHER[language]}]")
    # The keyboard: focus on the switch and arrow keys change nothing.
    switch.focus()
    for key in ("ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert page.locator("html").get_attribute("lang") == language
    assert page.input_value("#id_subject") == "Invoice 1405 is wrong"
    page.snap("before-switch")
    # A deliberate click switches, and the text typed so far is still there.
    switch.click()
    page.locator(f"html[lang={OTHER[language]}]").wait_for(state="attached")
    assert page.input_value("#id_subject") == "Invoice 1405 is wrong"
    assert page.input_value("#id_description") == "The amount is twice what I ordered."
    page.snap("after-switch")
    # Only once: a later visit of the page starts empty.
    page.reload()
    assert page.input_value("#id_subject") == ""


# --------------------------------------------------------------------------
# Accessibility: axe-core on every page, in Persian and in English


@pytest.fixture
def axe_page(chromium, language, request):
    from tests.browser.axe import axe_source

    source = axe_source()
    # The pages' CSP refuses injected scripts, rightly; axe is the test's, not the page's.
    context = chromium.new_context(
        bypass_csp=True, locale={"fa": "fa-IR", "en": "en-US"}[language], viewport={"width": 1100, "height": 900}
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab, source
    context.close()


def test_every_page_has_no_serious_accessibility_violation(axe_page, live_server, language, shop, tmp_path):
    from helpdesk_tickets import services
    from tests.browser.axe import serious_violations

    page, source = axe_page
    customer, agent = shop["customer"], shop["agent"]
    billing = DepartmentFactory(name="Billing", slug="billing", translations={"fa": {"name": "مالی"}})
    TicketTypeFactory(name="Refund", slug="refund").departments.add(billing)
    ticket = services.create_ticket(
        requester=customer,
        department=shop["sales"],
        ticket_type=shop["type"],
        subject="Invoice HD-1 is wrong",
        description="Twice the amount.",
    )
    services.post_reply(ticket=ticket, actor=agent, body="We are checking.")
    # One ticket whose SLA is at risk (the amber badge) and one breached (the red one).
    from datetime import timedelta

    from django.utils import timezone

    from helpdesk_tickets.models import Ticket

    soon = services.create_ticket(
        requester=customer, department=shop["sales"], ticket_type=shop["type"], subject="Soon", description="Soon."
    )
    late = services.create_ticket(
        requester=customer, department=shop["sales"], ticket_type=shop["type"], subject="Late", description="Late."
    )
    Ticket.objects.filter(pk=soon.pk).update(sla_due=timezone.now() + timedelta(minutes=20))
    Ticket.objects.filter(pk=late.pk).update(sla_due=timezone.now() - timedelta(hours=2))
    found = {}

    def check(name):
        page.wait_for_load_state("load")
        violations = serious_violations(page, source)
        if violations:
            found[name] = violations

    page.goto(f"{live_server.url}/accounts/login/")
    check("login")
    log_in(page, live_server, customer)
    check("ticket list")
    for path in ("/support/new/", "/support/new/sales/", "/support/new/sales/question/", ticket.get_absolute_url()):
        page.goto(live_server.url + path)
        check(path)
    # A confirmation banner after an action.
    page.fill("#id_body", "Thank you")
    page.locator(".hdt-reply button[type=submit]").click()
    page.wait_for_url(re.compile(r"#message-\d+$"))
    check("after reply")
    page.context.clear_cookies()
    log_in(page, live_server, agent, "/support/staff/")
    check("queue")
    for path in (
        ticket.get_staff_url(),
        soon.get_staff_url(),
        late.get_staff_url(),
        "/support/staff/new/?find=sara",
        "/support/staff/dashboard/",
        "/support/staff/?q=zz",
    ):
        page.goto(live_server.url + path)
        check(path)
    assert found == {}


def test_a_skip_link_is_the_first_tab_stop_and_focus_goes_to_the_confirmation(page, live_server, language, shop):
    from helpdesk_tickets import services

    ticket = services.create_ticket(
        requester=shop["customer"],
        department=shop["sales"],
        ticket_type=shop["type"],
        subject="Invoice",
        description="Twice the amount.",
    )
    log_in(page, live_server, shop["customer"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#content"
    assert page.locator(".skip-link").is_visible()  # shown while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # The next Tab stop is in the page, not the site's header.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('.hdt')")
    # After an action that shows a confirmation (closing: no anchor), the focus is on it.
    page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("بستن تیکت|Close ticket")).click()
    page.locator("[data-hdt-messages]").wait_for()
    assert page.evaluate("document.activeElement.hasAttribute('data-hdt-messages')")
    assert page.locator("[data-hdt-messages]").get_attribute("role") == "status"
    page.snap("focused-confirmation")


def test_files_the_server_would_refuse_are_named_before_upload_and_the_form_is_not_sent(
    page, live_server, language, shop, tmp_path, settings
):
    from helpdesk_tickets.models import Ticket
    from tests.factories import PNG

    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "MAX_ATTACHMENT_SIZE": 1024}
    log_in(page, live_server, shop["customer"], "/support/new/sales/question/")
    page.fill("#id_subject", "Files")
    page.fill("#id_description", "See the files.")
    tool = tmp_path / "setup.exe"
    tool.write_bytes(b"MZ" + b"\0" * 10)
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\0" * 2048)
    small = tmp_path / "small.png"
    small.write_bytes(PNG)
    page.set_input_files("#id_attachments", [str(tool), str(big), str(small)])
    problems = page.locator(".hdt-file-list .hdt-file-problem")
    assert problems.count() == 2
    text = problems.all_inner_texts()
    assert "setup.exe" in text[0] and ("not accepted" in text[0] or "پذیرفته نمی‌شود" in text[0])
    assert "big.png" in text[1] and ("1 KB" in text[1] or "۱ کیلوبایت" in text[1])
    assert page.get_attribute("#id_attachments", "aria-invalid") == "true"
    page.snap("files-refused")
    page.locator("form.hdt-form button[type=submit]").click()
    page.wait_for_timeout(500)
    assert not Ticket.objects.filter(subject="Files").exists()
    assert page.evaluate("!document.querySelector('#id_attachments').validity.valid")
    # With acceptable files only, it is sent.
    page.set_input_files("#id_attachments", [str(small)])
    assert page.locator(".hdt-file-list .hdt-file-problem").count() == 0
    page.locator("form.hdt-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/support/tickets/HD-\w+/$"))
    assert Ticket.objects.filter(subject="Files").exists()
