"""Satisfaction and the dashboard's charts in Chromium, in Persian and in English.

A resolved ticket's rating link records one rating, a second GET changes
nothing; the dashboard shows its SVG charts and the CSAT figures, applies the
period on change, and has no serious accessibility violation.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk_tickets import ratinglink, services
from helpdesk_tickets.models import SatisfactionRating, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw"  # factories.UserFactory's
SCREENSHOTS = "test-artifacts/satisfaction"


@pytest.fixture(params=["fa", "en"])
def language(request):
    return request.param


@pytest.fixture
def context_args(language):
    return {"locale": {"fa": "fa-IR", "en": "en-US"}[language], "viewport": {"width": 1200, "height": 900}}


@pytest.fixture
def browser_context_args(context_args):
    return context_args


@pytest.fixture
def desk():
    sales = DepartmentFactory(name="Sales", slug="sales", translations={"fa": {"name": "فروش"}})
    question = TicketTypeFactory(name="Question", slug="question", translations={"fa": {"name": "سؤال"}})
    agent = make_agent(sales, username="reza", first_name="Reza", last_name="Karimi")
    customer = UserFactory(username="sara", first_name="سارا", last_name="احمدی", email="sara@example.com")
    now = timezone.now()
    # A few weeks of history, so that the charts have something to draw.
    for days_ago in (1, 2, 4, 6, 9, 13, 16, 20):
        ticket = services.create_ticket(
            requester=customer,
            department=sales,
            ticket_type=question,
            subject=f"Question {days_ago}",
            description=f"Asked {days_ago} days ago.",
        )
        created = now - timedelta(days=days_ago, hours=2)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=created + timedelta(minutes=10 + 5 * days_ago),
            first_response_due=created + timedelta(minutes=30),
            first_response_seconds=(10 + 5 * days_ago) * 60,
            resolved_at=created + timedelta(hours=5),
            resolution_seconds=5 * 3600,
            status="closed",
        )
    ticket = services.create_ticket(
        requester=customer,
        department=sales,
        ticket_type=question,
        subject="پرداخت انجام نمی‌شود",
        description="خطای ۵۰۲",
    )
    services.assign(ticket, agent, actor=agent)
    services.post_reply(ticket=ticket, actor=agent, body="Fixed: the gateway was down.")
    services.resolve(ticket, actor=agent)
    ticket.refresh_from_db()
    return {"sales": sales, "agent": agent, "customer": customer, "ticket": ticket}


def save(page, name, language):
    from pathlib import Path

    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{language}.png"), full_page=True)
    page.snap(name)


def test_the_rating_link_records_one_rating_and_a_second_get_changes_nothing(page, live_server, language, desk):
    ticket = desk["ticket"]
    url = live_server.url + ratinglink.rating_path(ticket) + "?score=4"
    # Not logged in: the signed link is enough.
    page.goto(url)
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    assert page.locator("input[name=score][value='4']").is_checked()
    page.reload()  # a second GET, as a mail scanner would
    assert SatisfactionRating.objects.count() == 0
    save(page, "rating-form", language)
    page.locator("label.hdt-rating-choice", has=page.locator("input[value='5']")).click()
    page.fill("#id_comment", "سریع و دقیق" if language == "fa" else "Quick and precise.")
    page.locator(".hdt-rating-form button[type=submit]").click()
    page.locator(".hdt-messages").wait_for()
    assert SatisfactionRating.objects.count() == 1
    page.goto(url)
    page.goto(url)
    rating = SatisfactionRating.objects.get()
    assert rating.score == 5 and rating.ticket_id == ticket.pk
    assert page.locator(".hdt-rating-given").is_visible()
    save(page, "rating-given", language)
    # The customer's thread shows the rating and offers to change it.
    log_in(page, live_server, desk["customer"], ticket.get_absolute_url())
    box = page.locator("#rating")
    assert box.is_visible() and ("۵" if language == "fa" else "5") in box.inner_text()
    assert box.locator("input[name=score][value='5']").is_checked()
    save(page, "thread", language)
    assert SatisfactionRating.objects.count() == 1


def log_in(page, live_server, user, next_url):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_the_dashboard_shows_charts_and_satisfaction(chromium, live_server, language, desk, context_args):
    from django.core.cache import cache

    from tests.browser.axe import axe_source, serious_violations

    cache.clear()
    ticket = desk["ticket"]
    services.rate_ticket(
        ticket,
        resolution=ratinglink.resolution_marker(ticket.resolved_at),
        score=4,
        comment="Good",
        actor=desk["customer"],
    )
    source = axe_source()
    context = chromium.new_context(bypass_csp=True, **context_args)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.snap = lambda name: None
    try:
        log_in(page, live_server, desk["agent"], "/support/staff/dashboard/")
        charts = page.locator("figure.hdt-chart svg")
        assert charts.count() >= 5
        assert charts.first.is_visible()
        labels = page.locator("figure#hdt-chart-volume .hdt-chart-labels text").evaluate_all(
            "nodes => nodes.map(node => node.textContent)"
        )
        if language == "fa":
            assert labels and all(re.search("[۰-۹]", label) and not re.search("[0-9]", label) for label in labels)
        else:
            assert labels and all(re.search("[0-9]", label) for label in labels)
        csat = page.locator("table[data-csat=departments]")
        assert csat.is_visible()
        assert ("۴" if language == "fa" else "4") in csat.inner_text()
        save(page, "dashboard", language)
        assert serious_violations(page, source) == []
        # On a phone the figure tables scroll sideways: each one takes the focus, so the keyboard can scroll it.
        page.set_viewport_size({"width": 390, "height": 844})
        assert serious_violations(page, source) == []
        # The charts' day labels stay readable there (they were 6px) and do not run into each other.
        boxes = page.locator("figure#hdt-chart-volume .hdt-chart-labels text").evaluate_all(
            "nodes => nodes.map(n => n.getBoundingClientRect()).filter(r => r.width)"
            ".map(r => [r.left, r.right, r.height])"
        )
        assert len(boxes) >= 2 and min(height for _l, _r, height in boxes) >= 10, boxes
        spans = sorted((left, right) for left, right, _h in boxes)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
        page.set_viewport_size(context_args["viewport"])
        # The period applies on change, without the Show button.
        assert page.locator("[data-hdt-autosubmit-button]").is_hidden()
        page.select_option("#id_days", "7")
        page.wait_for_url(re.compile(r"days=7"))
        assert page.locator("figure.hdt-chart svg").count() >= 5
        page.goto(live_server.url + ticket.get_staff_url())
        assert page.locator(".hdt-staff-rating").is_visible()
        save(page, "staff-ticket", language)
        assert serious_violations(page, source) == []
        # The rating page too (the agent follows the customer's link: it shows, records nothing).
        page.goto(live_server.url + ratinglink.rating_path(ticket))
        assert page.locator(".hdt-rating-given").is_visible()
        assert serious_violations(page, source) == []
        assert SatisfactionRating.objects.count() == 1
    finally:
        context.close()
