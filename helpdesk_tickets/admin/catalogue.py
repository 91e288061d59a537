"""Departments, ticket types and products; holidays and canned replies."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import CannedReply, Department, Holiday, Product, TicketType
from ._shared import DepartmentScopedMixin
from .fields import TicketFieldInline


class CatalogueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "ordering")
    list_editable = ("active", "ordering")
    list_filter = ("active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Department)
class DepartmentAdmin(CatalogueAdmin):
    list_display = (
        "name",
        "slug",
        "active",
        "ordering",
        "assignment",
        "first_response_target",
        "resolution_target",
        "agent_count",
    )
    list_filter = ("active", "assignment")
    filter_horizontal = ("agents",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "translations", "active", "ordering")}),
        (_("Staff"), {"fields": ("agents", "assignment")}),
        (_("Targets"), {"fields": ("first_response_target", "resolution_target", "breach_priority")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_total=Count("agents", distinct=True))

    def changelist_view(self, request, extra_context=None):
        from django.contrib import messages

        from ..services import unstaffed_departments

        names = [department.name for department in unstaffed_departments()]
        if names and request.method == "GET":
            messages.warning(
                request,
                gettext("Active departments without an active agent (their tickets reach no one): %(names)s.")
                % {"names": ", ".join(names)},
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("agents"), ordering="agent_total")
    def agent_count(self, obj):
        return obj.agent_total


class OfferedInAdmin(CatalogueAdmin):
    list_display = ("name", "slug", "active", "ordering", "offered_in")
    list_filter = ("active", "departments")
    filter_horizontal = ("departments",)
    fields = ("name", "slug", "description", "translations", "active", "ordering", "departments")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments")

    @admin.display(description=_("offered in"))
    def offered_in(self, obj):
        names = [d.display_name for d in obj.departments.all()]
        return ", ".join(names) if names else gettext("All departments")


@admin.register(TicketType)
class TicketTypeAdmin(OfferedInAdmin):
    inlines = [TicketFieldInline]


@admin.register(Product)
class ProductAdmin(OfferedInAdmin):
    pass


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(CannedReply)
class CannedReplyAdmin(DepartmentScopedMixin, admin.ModelAdmin):
    """An agent sees the canned replies of their departments and the global ones, and edits their
    departments' only; a global reply speaks for every department, so only a supervisor changes it."""

    list_display = ("title", "department", "language", "active")
    list_filter = ("active", "department", "language")
    list_select_related = ("department",)
    search_fields = ("title", "body")
