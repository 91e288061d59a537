"""Received e-mails: what came in, what became of it, and "process again" (read-only otherwise)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..models import InboundEmail, InboundStatus
from .records import ReadOnlyAdmin


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "sender", "subject", "recipient", "kind", "status", "reason", "ticket_link")
    list_filter = ("status", "kind", "received_at")
    list_select_related = ("ticket",)
    search_fields = ("sender", "subject", "message_id", "recipient", "ticket__reference", "sha256")
    date_hierarchy = "received_at"
    actions = ["process_again"]
    fields = (
        "received_at",
        "sender",
        "sender_name",
        "recipient",
        "subject",
        "message_id",
        "sha256",
        "size",
        "kind",
        "status",
        "reason",
        "ticket_link",
        "attempts",
        "processing_started_at",
        "processed_at",
        "raw_link",
        "full_text",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_change_permission(self, request, obj=None):
        # The action needs it; the form itself stays read-only (every field is).
        return request.user.has_perm("helpdesk_tickets.change_inboundemail")

    @admin.display(description=_("ticket"), ordering="ticket__reference")
    def ticket_link(self, obj):
        if not obj.ticket_id:
            return "—"
        return format_html('<a href="{}" dir="ltr">{}</a>', obj.ticket.get_staff_url(), obj.ticket.reference)

    @admin.display(description=_("raw message"))
    def raw_link(self, obj):
        if not obj.ticket_id:
            return obj.raw.name or "—"
        url = reverse(
            "helpdesk_tickets:staff_inbound_email_raw", kwargs={"reference": obj.ticket.reference, "pk": obj.pk}
        )
        return format_html('<a href="{}">{}</a>', url, _("Download (.eml)"))

    @admin.action(description=_("Process again"), permissions=["change"])
    def process_again(self, request, queryset):
        done = skipped = 0
        for email in queryset:
            if email.status in (InboundStatus.CREATED, InboundStatus.APPENDED):
                skipped += 1
                continue
            outcome = services.process_inbound_again(email)
            done += 1
            self.message_user(request, f"{email}: {outcome.line}", messages.INFO)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail already in a ticket was left alone.",
                    "%(count)d e-mails already in a ticket were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
