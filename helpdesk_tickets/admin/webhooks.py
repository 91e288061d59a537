"""Webhooks in the admin: the endpoints (URL, events, secret), and every delivery with its attempts.

Endpoints are edited here ("send a test event", "rotate the secret"); the URL
is checked as the delivery checks it (no private or metadata addresses). The
secret is shown only to those who may change the endpoint. Deliveries are
read-only, with "retry now"; an agent sees those of their departments'
tickets only, a supervisor every one.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import egress, services
from ..exceptions import WebhookTargetRefused
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from ._shared import rows_of_visible_tickets
from .records import ReadOnlyAdmin


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are posted (https:// recommended)."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The event types sent to this URL."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "active", "include_internal", "department")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            egress.resolve(url)
        except WebhookTargetRefused as exc:
            raise ValidationError(str(exc), code=exc.code) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "active", "include_internal", "department", "event_count", "created_at")
    list_filter = ("active", "include_internal", "department")
    list_select_related = ("department",)
    search_fields = ("url", "description")
    actions = ("send_test_event", "rotate_secret")
    readonly_fields = ("secret_display", "secret_hidden", "created_at")

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "active", "include_internal", "department"]
        if obj is None:
            return fields  # the secret is made on saving
        # Only someone who may change the endpoint sees its secret.
        secret = "secret_display" if self.has_change_permission(request, obj) else "secret_hidden"
        return [*fields, secret, "created_at"]

    @admin.display(description=_("events"))
    def event_count(self, obj):
        return len(obj.events or ())

    @admin.display(description=_("signing secret"))
    def secret_hidden(self, obj):
        return _("Shown to those who may change this endpoint.")

    @admin.display(description=_("signing secret"))
    def secret_display(self, obj):
        previous = ""
        if obj.previous_secret and obj.previous_secret_expires_at and obj.previous_secret_expires_at > timezone.now():
            previous = _("The previous secret also signs until %(time)s.") % {
                "time": date_format(timezone.localtime(obj.previous_secret_expires_at), "DATETIME_FORMAT")
            }
        return format_html(
            '<details><summary dir="ltr">{}…</summary><code dir="ltr">{}</code></details><p>{}</p>',
            obj.secret[:10],
            obj.secret,
            previous,
        )

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        endpoints = list(queryset)
        for endpoint in endpoints:
            services.send_test_webhook(endpoint, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "A test event was queued for %(count)d endpoint; its delivery shows how it answered.",
                "A test event was queued for %(count)d endpoints; their deliveries show how they answered.",
                len(endpoints),
            )
            % {"count": len(endpoints)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        endpoints = list(queryset)
        for endpoint in endpoints:
            services.rotate_webhook_secret(endpoint)
        self.message_user(
            request,
            ngettext(
                "A new secret was made for %(count)d endpoint (see its page); the old one also signs for a while.",
                "New secrets were made for %(count)d endpoints (see their pages); the old ones also sign for a while.",
                len(endpoints),
            )
            % {"count": len(endpoints)},
            messages.SUCCESS,
        )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "duration_ms", "error", "response_excerpt", "url")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-attempted_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "status",
        "event_type",
        "endpoint",
        "ticket_reference",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_display_links = ("created_at", "event_type")
    list_filter = ("status", "event_type", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("webhook_id", "ticket_reference")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ("retry_now",)
    inlines = (WebhookAttemptInline,)
    fields = (
        "endpoint",
        "event_type",
        "webhook_id",
        "ticket",
        "ticket_reference",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "payload",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return rows_of_visible_tickets(super().get_queryset(request), request.user)

    def has_retry_now_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.change_webhookdelivery")

    @admin.action(description=_("Retry now"), permissions=["retry_now"])
    def retry_now(self, request, queryset):
        count = services.retry_webhooks(queryset)
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery queued to be sent now.", "%(count)d deliveries queued to be sent now.", count
                )
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("Only waiting or failed deliveries can be retried."), messages.WARNING)
