"""``GET articles/`` and ``GET articles/{slug}/``: published only, searched, filtered, paginated, typed."""

import pytest
from django.core.cache import cache

from tests.factories import DepartmentFactory, ProductFactory, UserFactory, token_client

from .helpers import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return token_client(UserFactory(username="reader"))


def test_only_published_articles_newest_first(client):
    old = make_article(slug="old", title_en="Old")
    new = make_article(slug="new", title_en="New")
    make_article(slug="draft", title_en="Draft", published=False)
    body = client.get("/api/articles/").json()
    assert [row["slug"] for row in body["results"]] == [new.slug, old.slug]
    assert set(body) == {"next", "previous", "results"}
    assert client.get("/api/articles/draft/").status_code == 404
    assert client.get("/api/articles/draft/").json()["code"] == "not_found"


def test_a_row_in_the_callers_language_else_the_other(client):
    billing = DepartmentFactory(slug="billing")
    hosting = ProductFactory(slug="hosting")
    make_article(
        slug="pay",
        title_fa="پرداخت فاکتور",
        title_en="Paying an invoice",
        body_fa="از **صفحه مالی** پرداخت کنید.",
        body_en="Pay from the **Billing** page.",
        departments=[billing],
        products=[hosting],
    )
    make_article(slug="fa-only", title_fa="فقط فارسی", body_fa="متن")
    en = client.get("/api/articles/pay/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["language"] == "en" and en["title"] == "Paying an invoice"
    assert en["body"] == "Pay from the **Billing** page."
    assert en["body_html"] == "<p>Pay from the <strong>Billing</strong> page.</p>"
    assert en["body_text"] == "Pay from the Billing page."
    assert en["departments"] == ["billing"] and en["products"] == ["hosting"]
    fa = client.get("/api/articles/pay/", HTTP_ACCEPT_LANGUAGE="fa").json()
    assert fa["language"] == "fa" and fa["title"] == "پرداخت فاکتور"
    fallback = client.get("/api/articles/fa-only/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert fallback["language"] == "fa" and fallback["title"] == "فقط فارسی"


def test_search_ranks_and_filters(client):
    billing = DepartmentFactory(slug="billing")
    DepartmentFactory(slug="sales")
    hosting, domains = ProductFactory(slug="hosting"), ProductFactory(slug="domains")
    make_article(slug="domain", title_en="Domain transfer", products=[domains])
    make_article(slug="title", title_en="Invoice copies", departments=[billing])
    make_article(slug="body", title_en="Payments", body_en="Each invoice is mailed.", products=[hosting])
    make_article(slug="none", title_en="Opening hours")
    rows = client.get("/api/articles/", {"search": "invoice"}).json()["results"]
    assert [row["slug"] for row in rows] == ["title", "body"]
    rows = client.get("/api/articles/", {"search": "فاكتور invoice", "department": "sales"}).json()["results"]
    assert [row["slug"] for row in rows] == ["body"]  # "title" is billing's only
    rows = client.get("/api/articles/", {"product": "hosting"}).json()["results"]
    assert sorted(row["slug"] for row in rows) == ["body", "none", "title"]  # hosting's, and those of every product
    assert client.get("/api/articles/", {"department": "nowhere"}).json()["results"] == []


def test_bad_filters_are_400s_naming_them(client):
    response = client.get("/api/articles/", {"department": "not a slug"})
    assert response.status_code == 400 and "department" in response.json()
    response = client.get("/api/articles/", {"search": "x" * 201})
    assert response.status_code == 400 and "search" in response.json()
    response = client.get("/api/articles/", {"page_size": 0})
    assert response.status_code == 400 and "page_size" in response.json()


def test_pages_of_a_search_follow_the_ranking(client):
    for n in range(5):
        make_article(slug=f"t{n}", title_en=f"Backup guide {n}", body_en="backup " * n)
    seen = []
    url = "/api/articles/?search=backup&page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["slug"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == [f"t{n}" for n in range(5)] and len(seen) == 5


def test_anonymous_callers_are_refused():
    make_article(slug="a")
    assert token_client().get("/api/articles/").status_code == 401


@pytest.mark.parametrize("rows", [1, 6])
def test_list_and_detail_queries_are_constant(client, django_assert_num_queries, rows):
    department, product = DepartmentFactory(slug="billing"), ProductFactory(slug="hosting")
    for n in range(rows):
        make_article(title_en=f"Invoice {n}", departments=[department], products=[product])
    cache.clear()
    # token + user, the page, its departments, its products
    with django_assert_num_queries(4):
        assert len(client.get("/api/articles/").json()["results"]) == rows
    # the same, and the department's lookup
    with django_assert_num_queries(5):
        assert len(client.get("/api/articles/", {"search": "invoice", "department": "billing"}).json()["results"])
    slug = make_article(title_en="Detail", departments=[department], products=[product]).slug
    with django_assert_num_queries(4):
        assert client.get(f"/api/articles/{slug}/").status_code == 200
