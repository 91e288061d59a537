"""Articles for the knowledge-base tests."""

from helpdesk_tickets.models import Article

_counter = iter(range(10**9))


def make_article(*, departments=(), products=(), published=True, **fields):
    n = next(_counter)
    fields.setdefault("slug", f"article-{n}")
    if not fields.get("title_fa") and not fields.get("title_en"):
        fields["title_en"] = f"Article {n}"
    article = Article.objects.create(published=published, **fields)
    article.departments.set(departments)
    article.products.set(products)
    return article
