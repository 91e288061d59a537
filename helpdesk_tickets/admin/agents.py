"""Tags and the agents' availability for automatic assignment."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from ..models import AgentStatus, Tag
from ._shared import DepartmentScopedMixin, PersonSearchMixin


@admin.register(Tag)
class TagAdmin(DepartmentScopedMixin, admin.ModelAdmin):
    """Staff-only tags; an agent manages their departments' tags, a supervisor the global ones too."""

    list_display = ("name", "slug", "colour", "department", "ticket_count")
    list_filter = ("colour", "department")
    list_select_related = ("department",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_total=Count("tickets", distinct=True))

    @admin.display(description=_("tickets"), ordering="ticket_total")
    def ticket_count(self, obj):
        return obj.ticket_total


@admin.register(AgentStatus)
class AgentStatusAdmin(PersonSearchMixin, admin.ModelAdmin):
    """Each agent's capacity for load balancing and whether they are away (agents toggle that themselves too)."""

    list_display = ("user", "away", "capacity", "last_assigned_at")
    list_editable = ("away", "capacity")
    list_filter = ("away",)
    list_select_related = ("user",)
    person_search = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("last_assigned_at",)
