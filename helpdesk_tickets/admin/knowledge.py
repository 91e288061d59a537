"""The knowledge base: articles, with a preview of their rendered bodies, and the tickets they saved."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..markup import render_markdown
from ..models import Article, ArticleDeflection


def _preview(body):
    if not body.strip():
        return gettext("(empty)")
    # Sanitised (helpdesk_tickets.markup): exactly what customers see.
    return format_html('<div class="hdt-kb-preview">{}</div>', render_markdown(body))


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "slug", "published", "helpful_count", "deflection_total", "updated_at")
    list_filter = ("published", "departments", "products")
    list_editable = ("published",)
    search_fields = ("slug", "title_fa", "title_en", "body_fa", "body_en")
    prepopulated_fields = {"slug": ("title_en",)}
    filter_horizontal = ("departments", "products")
    readonly_fields = ("preview_fa", "preview_en", "helpful_count", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("slug", "published", "departments", "products")}),
        (_("Persian"), {"fields": ("title_fa", "body_fa", "preview_fa")}),
        (_("English"), {"fields": ("title_en", "body_en", "preview_en")}),
        (_("Use"), {"fields": ("helpful_count", "created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(deflection_count=Count("deflections"))

    @admin.display(description=_("tickets saved"), ordering="deflection_count")
    def deflection_total(self, obj):
        return obj.deflection_count

    @admin.display(description=_("preview (Persian)"))
    def preview_fa(self, obj):
        return _preview(obj.body_fa)

    @admin.display(description=_("preview (English)"))
    def preview_en(self, obj):
        return _preview(obj.body_en)


@admin.register(ArticleDeflection)
class ArticleDeflectionAdmin(admin.ModelAdmin):
    """Read-only: each row is a customer's click on "this answered my question" on the Send-ticket form."""

    list_display = ("created_at", "article", "department")
    list_filter = ("department",)
    list_select_related = ("article", "department")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
