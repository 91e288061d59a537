"""Satisfaction ratings, read-only: the customers give them through the signed link, nobody edits them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import SatisfactionRating
from .records import ReadOnlyAdmin


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(ReadOnlyAdmin):
    list_display = ("ticket_reference", "score", "agent", "department", "created_at", "updated_at")
    list_filter = ("score", "ticket__department")
    list_select_related = ("ticket", "ticket__department", "agent")
    search_fields = ("ticket__reference", "comment")
    date_hierarchy = "created_at"
    fields = ("ticket", "resolved_at", "score", "comment", "agent", "created_at", "updated_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description=_("reference"), ordering="ticket__reference")
    def ticket_reference(self, obj):
        return obj.ticket.reference

    @admin.display(description=_("department"), ordering="ticket__department__name")
    def department(self, obj):
        return obj.ticket.department.display_name
