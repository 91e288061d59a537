"""The admin of articles: a preview of each body rendered as customers see it, and the counts."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from helpdesk_tickets import services
from tests.factories import DepartmentFactory, UserFactory, web_client

from .helpers import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="boss")
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    return web_client(client, get_user_model().objects.get(pk=user.pk))


def test_the_change_form_previews_the_sanitised_bodies(admin_client):
    article = make_article(
        slug="x",
        title_en="Steps",
        body_en="**Bold** [site](https://example.com) [bad](javascript:alert(1)) <script>alert(1)</script>",
        body_fa="متن **پررنگ**",
        published=False,
    )
    html = admin_client.get(reverse("admin:helpdesk_tickets_article_change", args=[article.pk])).content.decode()
    previews = re.findall(r'<div class="hdt-kb-preview">(.*?)</div>', html, re.S)
    assert len(previews) == 2
    persian, english = previews
    assert "<strong>پررنگ</strong>" in persian
    assert english.startswith("<p><strong>Bold</strong>")
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>' in english
    assert "javascript:" not in english and "<script" not in english
    assert "<script>alert(1)</script>" not in html  # the source itself is escaped in its textarea


def test_the_list_counts_presses_and_saved_tickets(admin_client):
    article = make_article(slug="pay", title_en="Paying")
    services.record_article_helped(article, actor=UserFactory(), department=DepartmentFactory())
    services.record_article_helped(article, actor=UserFactory())
    response = admin_client.get(reverse("admin:helpdesk_tickets_article_changelist"))
    row = response.content.decode().split('class="field-__str__"')[1].split("</tr>")[0]
    assert '<td class="field-helpful_count">2</td>' in row and '<td class="field-deflection_total">1</td>' in row
    assert admin_client.get(reverse("admin:helpdesk_tickets_articledeflection_changelist")).status_code == 200


def test_an_article_needs_a_title(admin_client):
    response = admin_client.post(
        reverse("admin:helpdesk_tickets_article_add"),
        {"slug": "untitled", "title_fa": "", "title_en": "", "body_fa": "", "body_en": "x"},
    )
    assert response.status_code == 200 and "Give the article a title" in response.content.decode()
