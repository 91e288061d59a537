"""The portal's knowledge base: ``kb/`` and ``kb/<slug>/``, published only, in the reader's language."""

import pytest
from django.urls import reverse

from helpdesk_tickets import signals
from helpdesk_tickets.models import Article, ArticleDeflection
from tests.factories import DepartmentFactory, ProductFactory, UserFactory, web_client

from .helpers import make_article

pytestmark = pytest.mark.django_db

KB = reverse("helpdesk_tickets:kb")


@pytest.fixture
def customer(client):
    return web_client(client, UserFactory(username="reader"))


def page(client, url, language="en", **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_login_is_required_as_for_the_rest_of_the_portal(client):
    article = make_article(slug="a")
    for url in (KB, article.get_absolute_url(), reverse("helpdesk_tickets:kb_suggest")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("helpdesk_tickets:kb_helped", args=["a"]))
    assert response.status_code == 302 and Article.objects.get().helpful_count == 0


def test_only_published_articles_are_listed_and_shown(customer):
    make_article(slug="live", title_en="Live article")
    make_article(slug="draft", title_en="Secret draft", published=False)
    html = page(customer, KB)
    assert "Live article" in html and "Secret draft" not in html
    assert customer.get(reverse("helpdesk_tickets:kb_article", args=["draft"])).status_code == 404
    assert customer.get(reverse("helpdesk_tickets:kb_article", args=["nothing"])).status_code == 404


def test_the_readers_language_with_the_other_as_fallback(customer):
    make_article(slug="both", title_fa="پرداخت فاکتور", title_en="Paying an invoice", body_fa="متن", body_en="Text")
    make_article(slug="fa-only", title_fa="فقط فارسی", body_fa="متن فارسی")
    english = page(customer, KB, "en")
    assert "Paying an invoice" in english and "پرداخت فاکتور" not in english
    assert 'lang="fa"' in english and "فقط فارسی" in english  # no English title: the Persian one, marked so
    persian = page(customer, KB, "fa")
    assert "پرداخت فاکتور" in persian and "Paying an invoice" not in persian
    DepartmentFactory(slug="billing")
    detail = page(customer, reverse("helpdesk_tickets:kb_article", args=["fa-only"]), "en", department="billing")
    # Opened from Send ticket: its button counts a ticket saved for that department.
    assert '<input type="hidden" name="department" value="billing">' in detail
    assert '<article class="hdt-kb-article" lang="fa" dir="rtl">' in detail
    assert "not available in your language" in detail


def test_the_body_is_rendered_sanitised(customer):
    make_article(
        slug="x",
        title_en="Steps",
        body_en="1. Open **Billing**\n2. [Pay](https://pay.example)\n\n"
        "<script>alert(1)</script> [x](javascript:alert(1))",
    )
    html = page(customer, reverse("helpdesk_tickets:kb_article", args=["x"]))
    assert "<strong>Billing</strong>" in html
    assert '<a href="https://pay.example" rel="noopener noreferrer nofollow">Pay</a>' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html


def test_search_and_browse_by_department_and_product(customer):
    billing, tech = DepartmentFactory(slug="billing", name="Billing"), DepartmentFactory(slug="tech")
    hosting = ProductFactory(slug="hosting")
    make_article(slug="invoice", title_en="Invoice copies", departments=[billing])
    make_article(slug="backup", title_en="Restoring a backup", departments=[tech], products=[hosting])
    make_article(slug="hours", title_en="Opening hours")
    assert "Invoice copies" in page(customer, KB, q="فاكتور invoice")
    html = page(customer, KB, q="invoice")
    assert "Invoice copies" in html and "Restoring a backup" not in html
    html = page(customer, KB, department="tech")
    assert "Restoring a backup" in html and "Opening hours" in html and "Invoice copies" not in html
    html = page(customer, KB, product="hosting")
    assert "Restoring a backup" in html and "Opening hours" in html and "Invoice copies" in html
    html = page(customer, KB, q="nothing like it")
    assert "No article matches your search." in html
    # A stale or made-up filter is ignored, never an error.
    assert "Opening hours" in page(customer, KB, department="gone", product="<x>")


@pytest.mark.parametrize("rows", [1, 8])
def test_query_counts_are_constant(customer, django_assert_num_queries, rows):
    department, product = DepartmentFactory(slug="billing"), ProductFactory(slug="hosting")
    for n in range(rows):
        make_article(title_en=f"Invoice {n}", departments=[department], products=[product])
    # session, user, departments, products, count, page; and the navigation's "is this an agent?" (3)
    with django_assert_num_queries(9):
        page(customer, KB)
    with django_assert_num_queries(9):
        page(customer, KB, q="invoice", department="billing", product="hosting")
    url = reverse("helpdesk_tickets:kb_article", args=[Article.objects.first().slug])
    # session, user, the article, the department named in ?department=, the navigation's 3
    with django_assert_num_queries(7):
        page(customer, url, department="billing")


def test_this_answered_my_question_counts_once_and_thanks(customer, django_capture_on_commit_callbacks):
    department = DepartmentFactory(slug="billing")
    article = make_article(slug="pay", title_en="Paying an invoice")
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.article_helped.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = customer.post(reverse("helpdesk_tickets:kb_helped", args=["pay"]), {"department": "billing"})
    finally:
        signals.article_helped.disconnect(receiver)
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk_tickets:kb_answered", args=["pay"]) + "?department=billing"
    article.refresh_from_db()
    assert article.helpful_count == 1
    deflection = ArticleDeflection.objects.get()
    assert (deflection.article, deflection.department) == (article, department)
    assert [(k["article"], k["department"], k["actor"].pk) for k in sent] == [
        (article, department, deflection.actor_id)
    ]
    # The thank-you page (and reloading it) counts nothing more.
    html = page(customer, response["Location"])
    assert "Glad we could help" in html and "No ticket was sent" in html
    page(customer, response["Location"])
    article.refresh_from_db()
    assert article.helpful_count == 1 and ArticleDeflection.objects.count() == 1


def test_said_on_the_article_page_it_counts_but_is_no_saved_ticket(customer):
    article = make_article(slug="pay")
    customer.post(reverse("helpdesk_tickets:kb_helped", args=["pay"]))
    article.refresh_from_db()
    assert article.helpful_count == 1 and not ArticleDeflection.objects.exists()
    assert customer.get(reverse("helpdesk_tickets:kb_helped", args=["pay"])).status_code == 405
    make_article(slug="draft", published=False)
    assert customer.post(reverse("helpdesk_tickets:kb_helped", args=["draft"])).status_code == 404
