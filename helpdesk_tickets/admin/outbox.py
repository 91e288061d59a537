"""The outbox and the failing addresses: what was e-mailed to whom, what waits, what bounced.

Read-only lists; the one thing staff do here is "send again" (failed or
skipped e-mails) and "clear" (an address that bounced may be written to
again). An agent sees the e-mails of their departments' tickets only
(SPEC §4), and the failing addresses those e-mails went to; supervisors
see everything.
"""

from django.contrib import admin, messages
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import permissions, services
from ..models import BouncedAddress, OutboundEmail
from ._shared import rows_of_visible_tickets
from .records import ReadOnlyAdmin


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "status",
        "kind",
        "to_address",
        "ticket_reference",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_display_links = ("created_at", "kind")
    list_filter = ("status", "kind")
    list_select_related = ("ticket",)
    search_fields = ("to_address", "ticket__reference")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ("send_again",)
    fields = (
        "kind",
        "ticket",
        "message",
        "recipient",
        "to_address",
        "language",
        "message_id_header",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return rows_of_visible_tickets(super().get_queryset(request), request.user)

    @admin.display(description=_("ticket"), ordering="ticket__reference")
    def ticket_reference(self, obj):
        return obj.ticket.reference if obj.ticket_id else "—"

    def has_send_again_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_outboundemail")

    @admin.action(description=_("Send again"), permissions=["send_again"])
    def send_again(self, request, queryset):
        count = services.send_again(queryset)
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail queued to be sent again.", "%(count)d e-mails queued to be sent again.", count
                )
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("Only e-mails that failed or were not sent can be sent again."), messages.WARNING
            )


@admin.register(BouncedAddress)
class BouncedAddressAdmin(ReadOnlyAdmin):
    list_display = ("address", "reason", "bounces", "first_bounced_at", "last_bounced_at")
    search_fields = ("address",)
    fields = ("address", "reason", "bounces", "first_bounced_at", "last_bounced_at")
    readonly_fields = fields
    actions = ("clear",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if permissions.is_supervisor(request.user):
            return queryset
        # An agent sees the failing addresses their departments' e-mails went to.
        sent_to = rows_of_visible_tickets(OutboundEmail.objects.all(), request.user).values(address=Lower("to_address"))
        return queryset.filter(address__in=sent_to)

    def get_actions(self, request, action_location=None):
        # Django 6.1 passes action_location (and deprecates overrides without it); 5.2 has none.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)  # "clear" says what deleting does here
        return actions

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(f"{self.opts.app_label}.delete_bouncedaddress")

    @admin.action(description=_("Clear: send to these addresses again"), permissions=["delete"])
    def clear(self, request, queryset):
        count, _deleted = queryset.delete()
        self.message_user(
            request,
            ngettext(
                "%(count)d address cleared: e-mails are sent to it again.",
                "%(count)d addresses cleared: e-mails are sent to them again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
