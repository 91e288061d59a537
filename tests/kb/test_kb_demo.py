"""The demo's help articles: published, in Persian and English, linked, and loaded once."""

import io

import pytest
from django.core.management import call_command

from helpdesk_tickets import services
from helpdesk_tickets.models import Article, Department

pytestmark = pytest.mark.django_db


def test_demo_articles_are_bilingual_published_and_suggested():
    call_command("helpdesk_demo", stdout=io.StringIO())
    articles = list(Article.objects.all())
    assert len(articles) >= 5
    assert all(a.published and a.title_fa and a.title_en and a.body_fa and a.body_en for a in articles)
    billing = Department.objects.get(slug="billing")
    assert Article.objects.get(slug="double-payment-refund").departments.get() == billing
    assert "double-payment-refund" in [a.slug for a in services.suggest_articles("پرداخت ناموفق", department=billing)]
    assert "double-payment-refund" in [a.slug for a in services.suggest_articles("charged twice", department=billing)]
    before = list(Article.objects.values_list("slug", "updated_at"))
    call_command("helpdesk_demo", stdout=io.StringIO())
    assert list(Article.objects.values_list("slug", "updated_at")) == before
