"""The knowledge base: published articles, searched and filtered, in the caller's language."""

import django_filters
from django.core.validators import MaxLengthValidator, validate_slug
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, viewsets

from ...models import Article, Department, Product
from ..filters import SLUG_SCHEMA, OnDemandFilterBackend
from ..pagination import CheckedCursorPagination
from ..schema import api_schema
from ..serializers import ArticleDetailSerializer, ArticleSerializer
from ._base import BAD_REQUEST, LIST_NOT_FOUND, NOT_FOUND, HelpdeskAPIMixin


class ArticleFilterSet(django_filters.FilterSet):
    """``?search=`` (best match first), ``?department=`` and ``?product=`` (slugs)."""

    search = django_filters.CharFilter(
        method="filter_search",
        validators=[MaxLengthValidator(200)],
        label=gettext_lazy("Words to look for, in Persian or English (best match first)"),
    )
    department = django_filters.CharFilter(
        method="filter_department",
        validators=[validate_slug, MaxLengthValidator(80)],
        label=gettext_lazy("Department slug: the articles for that department (and those for all)"),
    )
    product = django_filters.CharFilter(
        method="filter_product",
        validators=[validate_slug, MaxLengthValidator(80)],
        label=gettext_lazy("Product slug: the articles about that product (and those about all)"),
    )

    def filter_search(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset

    @extend_schema_field(SLUG_SCHEMA)
    def filter_department(self, queryset, name, value):
        department = Department.objects.active().filter(slug=value).first()
        return queryset.offered_in(department) if department is not None else queryset.none()

    @extend_schema_field(SLUG_SCHEMA)
    def filter_product(self, queryset, name, value):
        product = Product.objects.active().filter(slug=value).first()
        return queryset.about_product(product) if product is not None else queryset.none()


class ArticleCursorPagination(CheckedCursorPagination):
    """Articles newest first; a search best match first (its ``rank``), so its pages follow the ranking."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-updated_at", "-id")
    example_path = "/api/articles/"

    def get_ordering(self, request, queryset, view):
        if "rank" in queryset.query.annotations:
            return ("-rank", "-id")
        return self.ordering


class ArticleViewSet(HelpdeskAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The knowledge base's published articles."""

    serializer_class = ArticleSerializer
    pagination_class = ArticleCursorPagination
    filter_backends = [OnDemandFilterBackend]
    filterset_class = ArticleFilterSet
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,80}"
    schema_tags = ["knowledge-base"]

    def get_queryset(self):
        return Article.objects.visible_to(self.request.user).prefetch_related("departments", "products")

    def get_serializer_class(self):
        return ArticleDetailSerializer if self.action == "retrieve" else ArticleSerializer

    @api_schema(
        summary="List articles",
        operation_id="list_articles",
        description=(
            "The published articles, newest first; with `search`, those sharing a word with it, best match first "
            "(Persian spelling variants, digits and zero-width joiners are normalised)."
        ),
        responses={200: ArticleSerializer(many=True), 400: BAD_REQUEST, 404: LIST_NOT_FOUND},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @api_schema(
        summary="Get an article",
        operation_id="get_article",
        responses={200: ArticleDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
