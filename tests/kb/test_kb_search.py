"""Ranking of articles: Persian spelling variants meet, titles count more, drafts never show.

The same tests run on every database: full-text search on PostgreSQL,
token overlap elsewhere (run them with DATABASE_URL pointing at each).
"""

import pytest
from django.db import connection

from helpdesk_tickets import services
from helpdesk_tickets.models import Article
from tests.factories import DepartmentFactory

from .helpers import make_article

pytestmark = pytest.mark.django_db


def slugs(articles):
    return [article.slug for article in articles]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        (
            "\u0645\u0634\u06a9\u0644 \u067e\u0631\u062f\u0627\u062e\u062a \u0641\u0627\u06a9\u062a\u0648\u0631",
            "فاكتور",
        ),  # keheh / Arabic kaf
        ("تمدید دامنه", "تمديد"),  # Persian yeh / Arabic yeh
        ("خطای ۵۰۰ در ورود", "500"),  # Persian digits / Latin
        ("خطای 500 در ورود", "٥٠٠"),  # Latin digits / Arabic-Indic
        ("خطای ٥٠٠ در ورود", "۵۰۰"),  # Arabic-Indic / Persian
        ("نمی‌توانم وارد شوم", "نمیتوانم"),  # ZWNJ
        ("Reset your PASSWORD", "password"),  # case
    ],
)
def test_persian_variants_match(stored, typed):
    make_article(slug="wanted", title_fa=stored)
    make_article(slug="other", title_fa="ساعات کاری پشتیبانی")
    assert slugs(Article.objects.published().search(typed)) == ["wanted"]


def test_title_words_rank_above_body_words_and_more_words_above_fewer():
    body_only = make_article(slug="body-only", title_en="Opening hours", body_en="Invoices are sent monthly.")
    title = make_article(slug="title", title_en="Paying an invoice", body_en="Open Billing.")
    both = make_article(slug="both", title_en="Invoice paid twice", body_en="Refund of a payment made twice.")
    ranked = slugs(Article.objects.published().search("invoice paid twice"))
    assert ranked[0] == both.slug
    assert ranked.index(title.slug) < ranked.index(body_only.slug)


def test_a_word_being_typed_matches_by_its_start_and_stopwords_match_nothing():
    make_article(slug="renew", title_en="Renewing a domain")
    assert slugs(Article.objects.search("how do I renew")) == ["renew"]
    assert slugs(Article.objects.search("the and of")) == []
    assert slugs(Article.objects.search("")) == []
    # A two-letter word must match a whole word, not any word's start.
    assert slugs(Article.objects.search("re")) == []


def test_markup_and_punctuation_do_not_hide_words():
    make_article(slug="mail", title_en="Mailbox full", body_en="**Delete** old e-mail in [webmail](https://x.example).")
    assert slugs(Article.objects.search("webmail")) == ["mail"]
    assert slugs(Article.objects.search("delete")) == ["mail"]
    assert slugs(Article.objects.search("https")) == []  # an address is not a word of the text


def test_suggestions_are_published_articles_of_the_department_or_of_all():
    billing, tech = DepartmentFactory(), DepartmentFactory()
    make_article(slug="billing", title_en="Invoice copy", departments=[billing])
    make_article(slug="everyone", title_en="Invoice address")
    make_article(slug="tech", title_en="Invoice for servers", departments=[tech])
    make_article(slug="draft", title_en="Invoice draft", published=False)
    assert sorted(slugs(services.suggest_articles("invoice", department=billing))) == ["billing", "everyone"]
    assert sorted(slugs(services.suggest_articles("invoice"))) == ["billing", "everyone", "tech"]


def test_a_suggestion_shares_a_title_word_or_two_words_with_the_subject():
    make_article(slug="title", title_en="Renewing a domain", body_en="Open the panel.")
    make_article(slug="two", title_en="Transfers", body_en="A domain transfer needs the auth code.")
    make_article(slug="one", title_en="Codes", body_en="Every domain has a code.")
    assert slugs(services.suggest_articles("domain")) == ["title"]
    assert sorted(slugs(services.suggest_articles("domain transfer"))) == ["title", "two"]
    # The search page and the API find a single word of the text too.
    assert sorted(slugs(Article.objects.search("domain"))) == ["one", "title", "two"]


def test_suggestions_are_limited():
    for n in range(services.SUGGESTION_LIMIT + 3):
        make_article(title_en=f"Backup number {n}")
    assert len(services.suggest_articles("backup")) == services.SUGGESTION_LIMIT


def test_search_text_follows_edits():
    article = make_article(slug="edit", title_en="Old words")
    article.title_en = "Fresh words"
    article.save(update_fields=["title_en"])
    assert slugs(Article.objects.search("fresh")) == ["edit"]
    assert slugs(Article.objects.search("old")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's full-text search")
def test_postgresql_search_is_full_text_through_the_gin_index():
    make_article(slug="a", title_fa="پرداخت فاکتور")
    queryset = Article.objects.search("فاكتور")
    sql = str(queryset.query)
    assert '"search_vector" @@' in sql and "ts_rank" in sql and "to_tsvector" not in sql
    suggest = Article.objects.search("فاكتور پرداخت", suggest=True)
    assert '"search_title_vector" @@' in str(suggest.query) and slugs(suggest) == ["a"]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a table of one row is read whole otherwise
        plan = queryset.explain()
        cursor.execute("RESET enable_seqscan")
    assert "hdt_article_search_idx" in plan
    assert slugs(queryset) == ["a"]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the portable fallback")
def test_elsewhere_the_fallback_scores_token_overlap():
    make_article(slug="a", title_en="Invoice")
    queryset = Article.objects.search("invoice")
    assert "to_tsvector" not in str(queryset.query)
    assert [(a.slug, a.rank) for a in queryset] == [("a", 2)]
