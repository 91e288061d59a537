"""In Chromium, in Persian and English: a subject that matches a help article shows it while typing,
and "this answered my question" ends Send ticket there, without a ticket (counted). Without JavaScript
the same happens after the first Send."""

import re

import pytest

from helpdesk_tickets.models import Article, ArticleDeflection, Ticket
from tests.browser.test_browser_portal import PASSWORD, log_in, make_catalogue
from tests.factories import UserFactory
from tests.kb.helpers import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "fa": {
        "locale": "fa-IR",
        "dir": "rtl",
        # Typed on an Arabic keyboard (Arabic kaf and yeh): the article is spelt the Persian way.
        "subject": "مشكل در پرداخت فاكتور",
        "title": "پرداخت فاکتور ناموفق بود",
        "helped": "پاسخ پرسشم را گرفتم",
        "send": "ارسال",
        "thanks": "خوشحالیم که کمکی کردیم",
        "no_ticket": "تیکتی فرستاده نشد",
        "hint": "مقاله‌های راهنما",
    },
    "en": {
        "locale": "en-US",
        "dir": "ltr",
        "subject": "Problem paying the invoice",
        "title": "The invoice payment failed",
        "helped": "This answered my question",
        "send": "Send",
        "thanks": "Glad we could help",
        "no_ticket": "No ticket was sent",
        "hint": "help articles",
    },
}


@pytest.fixture(params=["fa", "en"])
def language(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def javascript(request):
    return request.param


@pytest.fixture
def browser_context_args(language, javascript):
    return {
        "locale": TEXT[language]["locale"],
        "viewport": {"width": 1100, "height": 900},
        "java_script_enabled": javascript,
    }


@pytest.fixture
def desk():
    tech, bug, _hosting = make_catalogue()
    article = make_article(
        slug="failed-payment",
        title_fa=TEXT["fa"]["title"],
        title_en=TEXT["en"]["title"],
        body_fa="بانک مبلغ را تا **۷۲ ساعت** برمی‌گرداند.",
        body_en="The bank returns the amount within **72 hours**.",
        departments=[tech],
    )
    make_article(slug="hours", title_en="Opening hours", title_fa="ساعات کاری")
    customer = UserFactory(username="sara", first_name="Sara", password=PASSWORD)
    return {"customer": customer, "article": article}


def test_a_matching_article_ends_send_ticket_without_a_ticket(page, live_server, language, javascript, desk):
    text = TEXT[language]
    log_in(page, live_server, desk["customer"])
    assert page.locator("html").get_attribute("dir") == text["dir"]
    page.goto(f"{live_server.url}/support/new/technical/bug/")
    box = page.locator("[data-hdt-articles]")
    if javascript:
        # Typed key by key, as a customer does: the box fills while typing.
        page.locator("#id_subject").press_sequentially(text["subject"], delay=20)
        box.wait_for(state="visible")
    else:
        page.fill("#id_subject", text["subject"])
        page.fill("#id_description", "...")
        page.get_by_role("button", name=text["send"], exact=True).click()
        page.wait_for_load_state()
        assert box.is_visible()
        assert not Ticket.objects.exists()
        assert page.locator("#id_subject").input_value() == text["subject"]  # nothing typed is lost
    assert text["title"] in box.inner_text() and text["hint"] in box.inner_text()
    assert "Opening hours" not in box.inner_text() and "ساعات کاری" not in box.inner_text()
    page.snap("suggested")
    box.get_by_role("button", name=text["helped"]).first.click()
    page.wait_for_url(re.compile(r"/support/kb/failed-payment/answered/\?department=technical$"))
    assert text["thanks"] in page.locator("h1").inner_text()
    assert text["no_ticket"] in page.locator(".hdt-kb-answered").inner_text()
    page.snap("thanks")
    assert not Ticket.objects.exists()
    assert Article.objects.get(slug="failed-payment").helpful_count == 1
    assert ArticleDeflection.objects.filter(article__slug="failed-payment", department__slug="technical").count() == 1
    # A reload of the thank-you page counts nothing more.
    page.reload()
    assert ArticleDeflection.objects.count() == 1


def test_the_article_page_in_the_readers_language(page, live_server, language, javascript, desk):
    if not javascript:
        pytest.skip("the same page either way")
    text = TEXT[language]
    log_in(page, live_server, desk["customer"])
    page.goto(f"{live_server.url}/support/kb/")
    page.get_by_role("link", name=text["title"]).click()
    page.wait_for_url(re.compile(r"/support/kb/failed-payment/$"))
    assert page.locator("article.hdt-kb-article").get_attribute("lang") == language
    assert page.locator(".hdt-kb-body strong").count() == 1
    page.snap("article")


def test_the_knowledge_base_pages_have_no_serious_accessibility_violation(
    page, live_server, language, javascript, desk
):
    from tests.browser.axe import axe_source, serious_violations

    if not javascript:
        pytest.skip("axe runs as a script")
    source = axe_source()
    text = TEXT[language]
    log_in(page, live_server, desk["customer"])
    found = {}
    page.goto(f"{live_server.url}/support/kb/?q=invoice")
    found["list"] = serious_violations(page, source)
    page.goto(f"{live_server.url}/support/kb/failed-payment/")
    found["article"] = serious_violations(page, source)
    page.goto(f"{live_server.url}/support/new/technical/bug/")
    page.locator("#id_subject").press_sequentially(text["subject"], delay=20)
    page.locator("[data-hdt-articles]").wait_for(state="visible")
    found["suggestions"] = serious_violations(page, source)
    page.locator("[data-hdt-articles]").get_by_role("button", name=text["helped"]).first.click()
    page.wait_for_url(re.compile(r"/answered/"))
    found["thanks"] = serious_violations(page, source)
    assert found == {"list": [], "article": [], "suggestions": [], "thanks": []}
