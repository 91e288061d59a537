"""Help articles on step 3 of Send ticket: suggested for the subject, and "this answered my question" ends it.

Without JavaScript the first Send shows the matching articles (the form keeps
what was typed) and a second Send sends the ticket; with it the same box fills
while the subject is typed (``kb/suggest.json``, checked here) and the form
says so (``kb_seen``), so Send goes straight out.
"""

import pytest
from django.urls import reverse

from helpdesk_tickets.models import Article, ArticleDeflection, Ticket
from tests.factories import DepartmentFactory, UserFactory, web_client
from tests.portal.helpers import make_catalogue

from .helpers import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(client):
    return web_client(client, UserFactory(username="asker"))


@pytest.fixture
def catalogue():
    department, types, _products = make_catalogue(types=1, products=0, slug="billing")
    return department, types[0]


def form_url(department, ticket_type):
    return reverse("helpdesk_tickets:ticket_create_form", args=[department.slug, ticket_type.slug])


def test_the_first_send_shows_matching_articles_and_keeps_the_text(customer, catalogue):
    department, ticket_type = catalogue
    make_article(slug="pay", title_fa="پرداخت فاکتور", title_en="Paying an invoice", departments=[department])
    make_article(slug="elsewhere", title_en="Invoice of servers", departments=[DepartmentFactory()])
    data = {"subject": "Cannot pay my invoice", "description": "The bank page fails."}
    response = customer.post(form_url(department, ticket_type), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and not Ticket.objects.exists()
    html = response.content.decode()
    assert "These help articles may answer your question." in html
    assert "Paying an invoice" in html and "Invoice of servers" not in html
    assert 'formaction="/support/kb/pay/helped/"' in html and 'form="hdt-kb-helped"' in html
    assert '<input type="hidden" name="kb_seen" value="1"' in html
    assert 'value="Cannot pay my invoice"' in html and "The bank page fails." in html
    # Send again: the ticket goes out.
    response = customer.post(form_url(department, ticket_type), {**data, "kb_seen": "1"})
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_no_matching_article_sends_at_once(customer, catalogue):
    department, ticket_type = catalogue
    make_article(slug="hours", title_en="Opening hours")
    make_article(slug="draft", title_en="Invoice draft", published=False)
    response = customer.post(form_url(department, ticket_type), {"subject": "Invoice", "description": "x"})
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_a_persian_subject_typed_on_an_arabic_keyboard_finds_its_article(customer, catalogue):
    department, ticket_type = catalogue
    make_article(slug="pay", title_fa="پرداخت فاکتور", title_en="Paying an invoice")
    response = customer.post(
        form_url(department, ticket_type),
        {"subject": "مشكل پرداخت فاكتور", "description": "x"},
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "پرداخت فاکتور" in html and "Paying an invoice" not in html


def test_this_answered_my_question_ends_the_wizard_without_a_ticket(customer, catalogue):
    department, ticket_type = catalogue
    article = make_article(slug="pay", title_en="Paying an invoice")
    customer.post(form_url(department, ticket_type), {"subject": "invoice payment", "description": "x"})
    # The suggestion's button submits the small form after the ticket form: the department, nothing typed.
    response = customer.post(reverse("helpdesk_tickets:kb_helped", args=["pay"]), {"department": department.slug})
    assert response.status_code == 302
    thanks = customer.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = thanks.content.decode()
    assert "Glad we could help" in html and "No ticket was sent" in html
    assert reverse("helpdesk_tickets:ticket_create_type", args=[department.slug]) in html  # still need help?
    assert not Ticket.objects.exists()
    article.refresh_from_db()
    assert article.helpful_count == 1
    assert list(ArticleDeflection.objects.values_list("article__slug", "department__slug")) == [("pay", "billing")]
    # One click, one count: a second click is a second count, a reload of the thank-you page none.
    customer.get(response["Location"])
    customer.post(reverse("helpdesk_tickets:kb_helped", args=["pay"]), {"department": department.slug})
    assert Article.objects.get().helpful_count == 2 and ArticleDeflection.objects.count() == 2


def test_the_form_page_carries_the_box_and_its_form_for_the_script(customer, catalogue):
    department, ticket_type = catalogue
    html = customer.get(form_url(department, ticket_type)).content.decode()
    assert 'data-hdt-articles data-url="/support/kb/suggest.json" data-department="billing"' in html
    assert '<form method="post" id="hdt-kb-helped"' in html
    # Outside the ticket form (forms do not nest), after it.
    assert html.index('id="hdt-kb-helped"') > html.index("</form>")


def test_suggest_json_while_typing(customer, catalogue):
    department, _ticket_type = catalogue
    make_article(slug="pay", title_en="Paying an invoice", departments=[department])
    make_article(slug="other", title_en="Invoice elsewhere", departments=[DepartmentFactory()])
    url = reverse("helpdesk_tickets:kb_suggest")
    body = customer.get(url, {"q": "invoi", "department": "billing"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body == {
        "results": [
            {
                "slug": "pay",
                "title": "Paying an invoice",
                "url": "/support/kb/pay/?department=billing",
                "helped_url": "/support/kb/pay/helped/",
            }
        ]
    }
    assert customer.get(url, {"q": "in", "department": "billing"}).json() == {"results": []}
    assert customer.get(url, {"q": "the and", "department": "billing"}).json() == {"results": []}
    assert customer.get(url, {"q": "invoice", "department": "nowhere"}).status_code == 404


@pytest.mark.parametrize("rows", [1, 7])
def test_suggest_json_queries_are_constant(customer, catalogue, django_assert_num_queries, rows):
    department, _ticket_type = catalogue
    for n in range(rows):
        make_article(title_en=f"Invoice {n}", departments=[department])
    # session, user, the department, the articles
    with django_assert_num_queries(4):
        body = customer.get(reverse("helpdesk_tickets:kb_suggest"), {"q": "invoice", "department": "billing"}).json()
    assert len(body["results"]) == min(rows, 5)
