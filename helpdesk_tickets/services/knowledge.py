"""The knowledge base: suggesting articles, and recording that one answered a customer's question.

"This answered my question" is the only write: it counts on the article
(``helpful_count``), and when said on the Send-ticket form it also records a
ticket that was not sent (:class:`~helpdesk_tickets.models.ArticleDeflection`),
which the staff dashboard counts per article.
"""

from django.db import transaction
from django.db.models import Count, F

from .. import signals
from ..models import Article, ArticleDeflection
from ..text import search_terms
from . import _transactions as tx

#: How many articles the Send-ticket form suggests at most.
SUGGESTION_LIMIT = 5
#: Below this many letters (all search words together) nothing is suggested: too little to tell.
SUGGESTION_MIN_LETTERS = 3


def suggest_articles(query, *, department=None, user=None, limit=SUGGESTION_LIMIT):
    """The published articles that best match ``query`` (what the customer typed as the subject), best first.

    With ``department``, only the articles about it (or about every department). Nothing for a
    subject of fewer than :data:`SUGGESTION_MIN_LETTERS` letters (stopwords aside).
    """
    if sum(len(term) for term in search_terms(query)) < SUGGESTION_MIN_LETTERS:
        return []
    articles = Article.objects.visible_to(user)
    if department is not None:
        articles = articles.offered_in(department)
    return list(articles.search(query, suggest=True)[:limit])


def record_article_helped(article, *, actor, department=None):
    """``actor`` said ``article`` answered their question; ``department``: on the Send-ticket form of it.

    Counts once per call (one click: the pages redirect after it, so a
    reload counts nothing). Sends ``article_helped`` after commit.
    """
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(helpful_count=F("helpful_count") + 1)
        if department is not None:
            ArticleDeflection.objects.create(article=article, department=department, actor=actor)
        tx.on_commit_send(signals.article_helped, Article, article=article, department=department, actor=actor)
    article.refresh_from_db(fields=["helpful_count"])


def deflections_by_article(*, departments, since, limit=10):
    """``[(article, count)]``: the tickets articles saved in ``departments`` since ``since``, most first."""
    rows = (
        ArticleDeflection.objects.filter(department__in=departments, created_at__gte=since)
        .values("article")
        .annotate(total=Count("id"))
        .order_by("-total", "article")[:limit]
    )
    counts = {row["article"]: row["total"] for row in rows}
    articles = Article.objects.in_bulk(counts)
    return [(articles[pk], total) for pk, total in counts.items() if pk in articles]
