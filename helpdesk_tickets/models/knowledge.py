"""The knowledge base: articles in Persian and English, and the tickets they saved.

An article's body is Markdown, rendered for display by
:func:`helpdesk_tickets.services.knowledge.render_body` (an allowlist
sanitiser); nothing rendered is stored, so a stricter allowlist applies to
every article at once. ``search_title`` and ``search_body`` hold the
normalised text (:func:`helpdesk_tickets.text.normalize_text`) that search and
the suggestions on the Send-ticket form compare against.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, ExpressionWrapper, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..markup import markdown_text
from ..text import search_terms, word_text
from .catalogue import Department, Product

#: The languages an article is written in, the first the fallback of the second and vice versa.
ARTICLE_LANGUAGES = ("fa", "en")
#: How many words of a subject are paired up for the suggestions' "two words in common" on PostgreSQL.
SUGGEST_PAIR_TERMS = 6
#: PostgreSQL's ``ts_rank`` is kept as whole millionths in ``rank``.
RANK_SCALE = 1_000_000
#: Letters of an article's body shown in lists.
EXCERPT_LENGTH = 180


class _StoredVector(models.Expression):
    """A ``tsvector`` column of the article that migration 0010 adds on PostgreSQL only (not a model field).

    ``search_vector`` (``search_title`` weighted A, ``search_body`` B) and
    ``search_title_vector`` are generated and stored by PostgreSQL, each with
    a GIN index: matching and ranking read them instead of parsing the text
    of every matching article again.
    """

    def __init__(self, column):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.column = column

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{table}.{connection.ops.quote_name(self.column)}", []


def _linked_to(through, column, value):
    """Articles linked to ``value`` through ``through``, or to nothing at all (they concern every one).

    Two ``EXISTS`` rather than a join, so no ``DISTINCT`` is needed and the ranking's ORDER BY stays cheap.
    """
    mine = through.objects.filter(article=models.OuterRef("pk"))
    return models.Q(models.Exists(mine.filter(**{column: value}))) | ~models.Q(models.Exists(mine))


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def visible_to(self, user):
        """What ``user`` may read in the portal and the API: published articles (drafts only in the admin)."""
        return self.published()

    def offered_in(self, department):
        """Articles about ``department`` (those linked to no department concern every one)."""
        return self.filter(_linked_to(Article.departments.through, "department", department))

    def about_product(self, product):
        """Articles about ``product`` (those linked to no product concern every one)."""
        return self.filter(_linked_to(Article.products.through, "product", product))

    def search(self, query, *, suggest=False):
        """Articles sharing a word with ``query``, best first (``rank``); none when it has no word to search.

        Both sides get the same Persian normalisation (:func:`~helpdesk_tickets.text.word_text`:
        Arabic and Persian yeh/kaf, Persian, Arabic-Indic and Latin digits,
        zero-width joiners), and a word of three letters or more also matches
        the start of a longer one (the customer may still be typing it).

        ``suggest``: only the articles worth suggesting for a subject being
        typed, those sharing a word with their title or two words with their
        text (the rule of the look-alike tickets: one subject word, or two
        of the description).

        On PostgreSQL this is full-text search (``simple`` configuration: no
        stemming, which would mangle Persian) on the stored vectors of
        migration 0010 through their GIN indexes, ranked by ``ts_rank`` (title
        words weigh more); elsewhere a token-overlap score on the same words
        (2 for a word of the title, 1 for one of the text).
        """
        from django.db import connections

        terms = search_terms(query)
        if not terms:
            return self.none()
        if connections[self.db].vendor == "postgresql":
            return self._search_postgresql(terms, suggest)
        text = models.TextField()
        title = Concat(Value(" "), "search_title", Value(" "), output_field=text)
        body = Concat(Value(" "), "search_body", Value(" "), output_field=text)
        score = Value(0)
        for term in terms:
            # " term" starts a word; " term " is the whole word (short terms must match whole).
            needle = f" {term}" if len(term) >= 3 else f" {term} "
            score += Case(
                When(_hdt_title__contains=needle, then=Value(2)),
                When(_hdt_body__contains=needle, then=Value(1)),
                default=Value(0),
            )
        return (
            self.alias(_hdt_title=title, _hdt_body=body)
            .annotate(rank=ExpressionWrapper(score, output_field=models.IntegerField()))
            .filter(rank__gte=2 if suggest else 1)
            .order_by("-rank", "-updated_at", "-id")
        )

    def _search_postgresql(self, terms, suggest):
        from itertools import combinations

        from django.contrib.postgres.search import SearchQuery, SearchRank

        def tsquery(text):
            return SearchQuery(text, config="simple", search_type="raw")

        # Each word as a quoted (prefix) lexeme: word_text holds only \w characters, nothing to escape.
        lexemes = [f"'{term}'" + (":*" if len(term) >= 3 else "") for term in terms]
        any_word = tsquery(" | ".join(lexemes))
        vector = _StoredVector("search_vector")
        if suggest:
            # A word of the title (its own small vector), or two of the article: each an index lookup, so
            # only the few articles that qualify have their (large) vector read to rank them.
            matches = Q(_hdt_title_vector=any_word)
            pairs = [f"({a} & {b})" for a, b in combinations(lexemes[:SUGGEST_PAIR_TERMS], 2)]
            if pairs:
                matches |= Q(_hdt_vector=tsquery(" | ".join(pairs)))
        else:
            matches = Q(_hdt_vector=any_word)
        return (
            self.alias(_hdt_vector=vector, _hdt_title_vector=_StoredVector("search_title_vector"))
            .filter(matches)
            # A whole number (millionths), so that a page's cursor compares exactly (ts_rank is a float4).
            .annotate(rank=Cast(SearchRank(vector, any_word) * RANK_SCALE, models.IntegerField()))
            .order_by("-rank", "-updated_at", "-id")
        )


class Article(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=False)
    title_fa = models.CharField(_("title (Persian)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_fa = models.TextField(_("body (Persian)"), blank=True, help_text=_("Markdown."))
    body_en = models.TextField(_("body (English)"), blank=True, help_text=_("Markdown."))
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        related_name="articles",
        blank=True,
        help_text=_("Departments this article answers for; none means all."),
    )
    products = models.ManyToManyField(
        Product,
        verbose_name=_("products"),
        related_name="articles",
        blank=True,
        help_text=_("Products this article is about; none means all."),
    )
    published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published articles are shown to customers.")
    )
    helpful_count = models.PositiveIntegerField(
        _("answered a question"),
        default=0,
        editable=False,
        help_text=_('How often a customer said "this answered my question".'),
    )
    # Normalised titles and bodies of both languages, kept by save(): what search compares against.
    search_title = models.TextField(editable=False, default="")
    search_body = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ("-updated_at", "-id")
        indexes = [models.Index(fields=["published", "-updated_at"], name="hdt_article_published_idx")]

    def __str__(self):
        return self.display_title

    def save(self, *args, **kwargs):
        self.set_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"title_fa", "title_en", "body_fa", "body_en"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_title", "search_body"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("helpdesk_tickets:kb_article", kwargs={"slug": self.slug})

    def set_search_text(self):
        """Fill ``search_title`` and ``search_body`` from the titles and bodies (``save`` does; ``bulk_create`` not)."""
        self.search_title = word_text(f"{self.title_fa} {self.title_en}")
        self.search_body = word_text(f"{markdown_text(self.body_fa)} {markdown_text(self.body_en)}")

    def clean(self):
        if not (self.title_fa.strip() or self.title_en.strip()):
            raise ValidationError({"title_en": _("Give the article a title in Persian or in English.")})

    def language_shown(self, language=None):
        """The language the article is shown in: ``language`` (the active one) if it has a title in it,
        else the other one."""
        language = (language or get_language() or "").split("-")[0]
        order = (language, *ARTICLE_LANGUAGES) if language in ARTICLE_LANGUAGES else ARTICLE_LANGUAGES[::-1]
        return next((code for code in order if getattr(self, f"title_{code}").strip()), order[0])

    def title_in(self, language):
        return getattr(self, f"title_{language}")

    def body_in(self, language):
        return getattr(self, f"body_{language}")

    @property
    def display_title(self):
        return self.title_in(self.language_shown())

    @property
    def display_body(self):
        return self.body_in(self.language_shown())

    @property
    def excerpt(self):
        """The start of the body shown, as plain text (for lists)."""
        text = markdown_text(self.display_body)
        return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"


class ArticleDeflection(models.Model):
    """A customer ended the Send-ticket form because ``article`` answered their question: a ticket not sent."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="deflections"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ticket saved by an article")
        verbose_name_plural = _("tickets saved by articles")
        ordering = ("-created_at", "-id")

    def __str__(self):
        return f"{self.article} · {self.created_at:%Y-%m-%d %H:%M}"
