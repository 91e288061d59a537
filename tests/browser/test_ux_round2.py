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
