"""The staff dashboard's "Tickets saved by help articles": per article, the agent's departments, the window."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk_tickets import services
from helpdesk_tickets.models import ArticleDeflection
from tests.factories import DepartmentFactory, UserFactory, make_agent, make_supervisor, web_client

from .helpers import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved():
    billing, sales = DepartmentFactory(slug="billing"), DepartmentFactory(slug="sales")
    pay = make_article(slug="pay", title_en="Paying an invoice")
    quote = make_article(slug="quote", title_en="Asking for a quote")
    customer = UserFactory()
    for article, department, times in ((pay, billing, 3), (quote, sales, 2), (quote, billing, 1)):
        for _ in range(times):
            services.record_article_helped(article, actor=customer, department=department)
    old = ArticleDeflection.objects.create(article=quote, department=billing, actor=customer)
    old.created_at = timezone.now() - timedelta(days=40)
    old.save()
    return billing, sales, pay, quote


def test_counted_per_article_in_the_departments_and_window(saved, django_assert_num_queries):
    billing, sales, pay, quote = saved
    since = timezone.now() - timedelta(days=30)
    with django_assert_num_queries(2):
        rows = services.deflections_by_article(departments=[billing], since=since)
    assert rows == [(pay, 3), (quote, 1)]
    assert services.deflections_by_article(departments=[billing, sales], since=since) == [(pay, 3), (quote, 3)]
    assert services.deflections_by_article(departments=[billing], since=since - timedelta(days=30)) == [
        (pay, 3),
        (quote, 2),
    ]


def test_the_dashboard_shows_them(client, saved):
    billing, _sales, _pay, _quote = saved
    html = web_client(client, make_agent(billing)).get(
        reverse("helpdesk_tickets:staff_dashboard"), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = html.content.decode()
    section = html[html.index("Tickets saved by help articles") :]
    assert "Paying an invoice" in section and '<td dir="ltr">3</td>' in section
    assert "Asking for a quote" in section and '<td dir="ltr">1</td>' in section
    supervisor = web_client(client, make_supervisor())
    html = supervisor.get(reverse("helpdesk_tickets:staff_dashboard"), {"days": 7}, HTTP_ACCEPT_LANGUAGE="en")
    section = html.content.decode()[html.content.decode().index("Tickets saved by help articles") :]
    assert "Asking for a quote" in section and '<td dir="ltr">3</td>' in section
