"""Tickets: editable only through the services (``update_ticket``), with the thread and trail read-only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import permissions, services, workflow
from ..models import Message, Ticket, TicketEvent, TicketField
from ..templatetags.helpdesk_fields import field_rows
from ..views.errors import REFUSALS, add_service_error
from ._shared import MANAGED_FIELDS, EventValuesMixin, PersonSearchMixin, _attachment_links, _error_text


class MessageInline(admin.StackedInline):
    """The thread, read-only: replies are posted from the staff ticket page."""

    model = Message
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("author", "created_at", "internal", "from_staff", "body", "attachment_links")
    readonly_fields = fields
    verbose_name_plural = _("thread")

    def get_queryset(self, request):
        # Internal notes only for staff of the ticket's department, not for its requester.
        return (
            super()
            .get_queryset(request)
            .visible_to(request.user)
            .select_related("author", "ticket")
            .prefetch_related("attachments")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("attachments"))
    def attachment_links(self, obj):
        return _attachment_links(obj.attachments.all(), obj.ticket.reference)


class TicketEventInline(EventValuesMixin, admin.TabularInline):
    """The audit trail: append-only, written by the services."""

    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "old_display", "new_display", "actor")
    readonly_fields = fields
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TicketAdminForm(forms.ModelForm):
    """Checks the staff changes up front, so that the service call in ``save_model`` succeeds.

    The rules are the services' own (allowed transitions, who may be
    assigned, who may manage); ``save_model`` still goes through the services,
    which check them again under a row lock.
    """

    request_user = None  # set by TicketAdmin.get_form

    class Meta:
        model = Ticket
        fields = MANAGED_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "status" in self.fields:
            self.fields["status"].choices = workflow.status_choices(self.instance.status)

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or not self.changed_data:
            return cleaned
        current = Ticket.objects.select_related("department").get(pk=self.instance.pk)
        changes = {name: cleaned.get(name) for name in MANAGED_FIELDS if name in self.changed_data}
        if "department" in changes and "assignee" not in changes and cleaned.get("assignee") is not None:
            # The kept assignee must answer for the new department too.
            changes["assignee"] = cleaned["assignee"]
        try:
            services.check_update(current, self.request_user, **changes)
        except REFUSALS as exc:
            add_service_error(self, exc, denied=gettext("You do not handle this department's tickets."))
        return cleaned


@admin.register(Ticket)
class TicketAdmin(PersonSearchMixin, admin.ModelAdmin):
    form = TicketAdminForm
    # The SLA right after the subject: at 1366 pixels in Persian (the admin's sidebars open)
    # the last columns scroll out of sight, and the deadline is what the list is read for.
    list_display = (
        "reference",
        "subject",
        "sla_due",
        "status",
        "priority",
        "requester",
        "department",
        "assignee",
        "channel",
        "last_activity_at",
    )
    list_display_links = ("reference", "subject")
    list_filter = ("status", "priority", "department", "channel", "ticket_type", "product", "tags")
    list_select_related = ("requester", "department", "assignee")
    search_fields = ("reference", "subject")
    person_search = ("requester",)
    date_hierarchy = "created_at"

    # A second COUNT(*) over the whole table on every page is costly at scale.
    show_full_result_count = False
    raw_id_fields = ("assignee",)
    actions = ("mark_resolved", "close_tickets", "assign_to_me")
    inlines = (MessageInline, TicketEventInline)
    readonly_fields = (
        "reference",
        "requester",
        "subject",
        "ticket_type",
        "product",
        "channel",
        "language",
        "created_at",
        "updated_at",
        "last_activity_at",
        "first_response_at",
        "first_response_due",
        "resolution_due",
        "sla_paused_at",
        "sla_breached_at",
        "resolved_at",
        "closed_at",
        "staff_page",
        "tag_list",
        "field_list",
        "merged_into",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "subject",
                    "requester",
                    "ticket_type",
                    "product",
                    "field_list",
                    "channel",
                    "language",
                )
            },
        ),
        (
            _("Handling"),
            {
                "fields": MANAGED_FIELDS,
                "description": _(
                    "Changes here go through the same rules as the staff pages and are recorded in the history."
                ),
            },
        ),
        (
            _("Dates and SLA"),
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "last_activity_at",
                    "first_response_at",
                    "first_response_due",
                    "resolution_due",
                    "sla_paused_at",
                    "sla_breached_at",
                    "resolved_at",
                    "closed_at",
                )
            },
        ),
        (_("Staff page"), {"fields": ("staff_page", "tag_list", "merged_into")}),
    )

    class Media:
        css = {"all": ["helpdesk_tickets/admin.css"]}

    def get_queryset(self, request):
        # Admin access does not widen what a user may see: an agent sees their
        # departments' tickets here too, a supervisor (or superuser) all of them.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        # Opening a ticket needs what the staff page "staff/new/" does (the
        # customer's words as the first message, attachments, duplicate
        # detection, the phone channel); a second, admin-only path would drift
        # from it. The change list links there instead (see
        # admin/helpdesk_tickets/ticket/change_list.html).
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request_user": request.user})

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not permissions.can_manage(request.user, obj):
            readonly += list(MANAGED_FIELDS)
        return readonly

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        try:
            extra_context["staff_ticket_create_url"] = reverse("helpdesk_tickets:staff_ticket_create")
        except NoReverseMatch:
            pass
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        """Route the staff changes through the services instead of saving the row."""
        changes = {name: form.cleaned_data[name] for name in MANAGED_FIELDS if name in form.changed_data}
        if not changes:
            return
        current = Ticket.objects.select_related("department", "assignee").get(pk=obj.pk)
        services.update_ticket(current, actor=request.user, **changes)
        # Show the saved state on the next page, not the form's unsaved copy.
        for field in Ticket._meta.concrete_fields:
            setattr(obj, field.attname, getattr(current, field.attname))

    @admin.display(description=_("SLA due"))
    def sla_due(self, obj):
        due = obj.next_due()
        if due is None:
            return "—"
        text = display_for_value(due, "—")
        if obj.is_breached():
            # A class, not a style attribute: the admin pages' CSP allows no inline style.
            return format_html('<strong class="hdt-admin-breached">{}</strong>', text)
        return text

    @admin.display(description=_("tags"))
    def tag_list(self, obj):
        # Changed on the staff page (services.add_tags), which records each change.
        return ", ".join(tag.name for tag in obj.tags.all()) or "—"

    @admin.display(description=_("fields"))
    def field_list(self, obj):
        # Changed on the staff page (services.set_field_values), which records each change.
        fields = TicketField.objects.filter(ticket_type_id=obj.ticket_type_id).order_by("ordering", "id")
        return "; ".join(f"{row.label}: {row.text or '—'}" for row in field_rows(obj.field_values, fields)) or "—"

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        try:
            url = obj.get_staff_url()
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">{}</a>', url, gettext("Reply and handle this ticket"))

    def _run_action(self, request, queryset, operation, done_message):
        done, failures = 0, []
        for ticket in queryset.select_related("department", "assignee"):
            try:
                operation(ticket)
            except REFUSALS as exc:
                failures.append(f"{ticket.reference}: {_error_text(exc)}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=_("Mark resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._run_action(
            request,
            queryset,
            lambda ticket: services.resolve(ticket, actor=request.user),
            gettext("%(count)d ticket(s) marked resolved."),
        )

    @admin.action(description=_("Close"), permissions=["change"])
    def close_tickets(self, request, queryset):
        self._run_action(
            request,
            queryset,
            lambda ticket: services.close(ticket, actor=request.user),
            gettext("%(count)d ticket(s) closed."),
        )

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._run_action(
            request,
            queryset,
            lambda ticket: services.assign(ticket, request.user, actor=request.user),
            gettext("%(count)d ticket(s) assigned to you."),
        )
