"""Knowledge-base articles, in the caller's language."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...markup import markdown_text, render_markdown
from ...models import ARTICLE_LANGUAGES, Article


class ArticleSerializer(serializers.ModelSerializer):
    """An article in the caller's language (``Accept-Language``), else in the other one (``language``)."""

    language = serializers.SerializerMethodField(
        help_text=gettext_lazy("The language the title and text are in: the caller's when the article has it.")
    )
    title = serializers.SerializerMethodField()
    excerpt = serializers.SerializerMethodField(help_text=gettext_lazy("The start of the text, as plain text."))
    departments = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text=gettext_lazy("The departments it answers for; empty: all."),
    )
    products = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text=gettext_lazy("The products it is about; empty: all.")
    )

    class Meta:
        model = Article
        fields = [
            "slug",
            "language",
            "title",
            "excerpt",
            "departments",
            "products",
            "helpful_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": list(ARTICLE_LANGUAGES)})
    def get_language(self, article) -> str:
        return article.language_shown()

    def get_title(self, article) -> str:
        return article.display_title

    def get_excerpt(self, article) -> str:
        return article.excerpt


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.SerializerMethodField(help_text=gettext_lazy("The text, in Markdown."))
    body_html = serializers.SerializerMethodField(
        help_text=gettext_lazy("The text as sanitised HTML (links http, https or mailto only), ready to show.")
    )
    body_text = serializers.SerializerMethodField(help_text=gettext_lazy("The text without markup."))

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body", "body_html", "body_text"]
        read_only_fields = fields

    def get_body(self, article) -> str:
        return article.display_body

    def get_body_html(self, article) -> str:
        return str(render_markdown(article.display_body))

    def get_body_text(self, article) -> str:
        return markdown_text(article.display_body)
