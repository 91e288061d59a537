"""Customer portal: Support → Help articles (the knowledge base), and its suggestions on Send ticket.

``kb/`` searches and browses the published articles by department and
product, ``kb/<slug>/`` shows one (in the reader's language, else the
other one) with a "this answered my question" button; said on the
Send-ticket form, that button ends the form without a ticket
(``kb/<slug>/answered/``). ``kb/suggest.json`` is what the form's script
asks while the customer types the subject. Logged-in users only, like the
rest of the portal.
"""

from django import forms
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView, View

from .. import services
from ..conf import settings as app_settings
from ..markup import render_markdown
from ..models import Article, Department, Product
from .mixins import HelpdeskPageMixin


def _departments():
    return Department.objects.active().order_by("ordering", "name")


def _department_named(slug):
    """The active department ``slug`` names, or None (a stale or made-up value is ignored)."""
    return _departments().filter(slug=slug).first() if slug else None


class ArticleSearchForm(forms.Form):
    """The knowledge base's search box and its department and product filters (a GET form).

    ``department`` and ``product`` clean to the row (or None); the choices are the rows the page lists,
    read once by the view, so checking them costs no query.
    """

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    department = forms.ChoiceField(label=_("Department"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)

    def __init__(self, *args, departments, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = {}
        for name, rows in (("department", departments), ("product", products)):
            self.fields[name].choices = [("", _("All"))] + [(row.slug, row.display_name) for row in rows]
            self.rows[name] = {row.slug: row for row in rows}

    def clean_department(self):
        return self.rows["department"].get(self.cleaned_data["department"])

    def clean_product(self):
        return self.rows["product"].get(self.cleaned_data["product"])


class ArticleListView(HelpdeskPageMixin, ListView):
    """``kb/``: the published articles, searched (best match first) or browsed (newest first)."""

    template_name = "helpdesk_tickets/kb/article_list.html"
    context_object_name = "articles"
    section = "kb"

    def get_paginate_by(self, queryset):
        return app_settings.PAGE_SIZE

    def get_queryset(self):
        self.departments = list(_departments())
        self.products = list(Product.objects.active().order_by("ordering", "name"))
        self.form = ArticleSearchForm(self.request.GET or None, departments=self.departments, products=self.products)
        articles = Article.objects.visible_to(self.request.user)
        data = self.form.cleaned_data if self.form.is_valid() else {}
        if data.get("department"):
            articles = articles.offered_in(data["department"])
        if data.get("product"):
            articles = articles.about_product(data["product"])
        self.searched = bool(data.get("q", "").strip())
        if self.searched:
            return articles.search(data["q"])
        return articles.order_by("-updated_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=self.form, departments=self.departments, searched=self.searched, page_query=query.urlencode()
        )
        return context


class ArticleMixin:
    def get_article(self):
        return get_object_or_404(Article.objects.visible_to(self.request.user), slug=self.kwargs["slug"])


class ArticleDetailView(ArticleMixin, HelpdeskPageMixin, TemplateView):
    """``kb/<slug>/``: the article, rendered; ``?department=<slug>`` when opened from that Send-ticket form."""

    template_name = "helpdesk_tickets/kb/article_detail.html"
    section = "kb"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.get_article()
        language = article.language_shown()
        context.update(
            article=article,
            article_language=language,
            title=article.title_in(language),
            body=render_markdown(article.body_in(language)),
            from_department=_department_named(self.request.GET.get("department")),
        )
        return context


class ArticleHelpedView(ArticleMixin, HelpdeskPageMixin, View):
    """POST: "this answered my question" (from the article or the Send-ticket form), then the thank-you page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        article = self.get_article()
        department = _department_named(request.POST.get("department"))
        services.record_article_helped(article, actor=request.user, department=department)
        url = reverse("helpdesk_tickets:kb_answered", kwargs={"slug": article.slug})
        if department is not None:
            url += f"?department={department.slug}"
        return HttpResponseRedirect(url)


class ArticleAnsweredView(ArticleMixin, HelpdeskPageMixin, TemplateView):
    """The thank-you page after "this answered my question": nothing was sent, and where to go next."""

    template_name = "helpdesk_tickets/kb/answered.html"
    section = "kb"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["article"] = self.get_article()
        context["from_department"] = _department_named(self.request.GET.get("department"))
        return context


class ArticleSuggestView(HelpdeskPageMixin, View):
    """JSON for the Send-ticket form's script: the articles matching ``?q=`` in ``?department=``."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        slug = request.GET.get("department", "")
        department = _department_named(slug)
        if slug and department is None:
            raise Http404
        articles = services.suggest_articles(request.GET.get("q", ""), department=department, user=request.user)
        results = []
        for article in articles:
            url = article.get_absolute_url()
            results.append(
                {
                    "slug": article.slug,
                    "title": article.display_title,
                    "url": f"{url}?department={department.slug}" if department else url,
                    "helped_url": reverse("helpdesk_tickets:kb_helped", kwargs={"slug": article.slug}),
                }
            )
        return JsonResponse({"results": results})
