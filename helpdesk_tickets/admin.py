"""Django admin for helpdesk_tickets.

The admin is a thin client of :mod:`helpdesk_tickets.services`, like the web
views and the API: it never writes a ticket's status, priority, assignee or
department itself. Those four fields stay editable on the ticket form, but
``save_model`` hands the changes to :func:`services.update_ticket`, so the
workflow rules, the audit trail (``TicketEvent``), the SLA clock, the
signals and the notifications behave exactly as everywhere else. Threads,
attachments and the audit trail are shown read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import permissions, services, users, workflow
from .models import (
    Attachment,
    CannedReply,
    Department,
    Holiday,
    IdempotencyKey,
    Message,
    Priority,
    Product,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)
from .views.errors import REFUSALS, add_service_error, error_text

# Fields of a ticket that only the service layer may change.
MANAGED_FIELDS = ("department", "assignee", "priority", "status")


def _error_text(exc):
    """One line of text for a refused service call."""
    return error_text(exc, denied=gettext("You do not handle this department's tickets."))


def _attachment_url(attachment, reference):
    try:
        return reverse("helpdesk_tickets:attachment_download", kwargs={"reference": reference, "pk": attachment.pk})
    except NoReverseMatch:  # the host did not include the web URLs
        return ""


def _attachment_links(attachments, reference):
    """Links to the permission-checked download view (never to the storage URL)."""
    return (
        format_html_join(
            ", ",
            '<a href="{}" dir="auto">{}</a>',
            ((_attachment_url(a, reference), a.original_name) for a in attachments),
        )
        or "—"
    )


# Events store raw values ("awaiting_customer"); these kinds are shown with their labels.
_EVENT_VALUE_CHOICES = {
    TicketEvent.Kind.CREATED: Status,
    TicketEvent.Kind.STATUS_CHANGED: Status,
    TicketEvent.Kind.PRIORITY_CHANGED: Priority,
}


def _event_value(event, value):
    choices = _EVENT_VALUE_CHOICES.get(event.kind)
    if choices is not None and value in choices.values:
        return choices(value).label
    return value or "—"


class EventValuesMixin:
    @admin.display(description=_("from"))
    def old_display(self, obj):
        return _event_value(obj, obj.old_value)

    @admin.display(description=_("to"))
    def new_display(self, obj):
        return _event_value(obj, obj.new_value)


# --------------------------------------------------------------------------
# catalogue: departments, ticket types, products


class PersonSearchMixin:
    """Adds the username and e-mail fields of the people in ``person_search`` to ``search_fields``.

    Built per request from the host's user model (``users.py``), which may
    have neither ``username`` nor ``email``.
    """

    person_search = ()

    def get_search_fields(self, request):
        people = [field for prefix in self.person_search for field in users.admin_search_fields(prefix)]
        return (*super().get_search_fields(request), *people)


class CatalogueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "ordering")
    list_editable = ("active", "ordering")
    list_filter = ("active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Department)
class DepartmentAdmin(CatalogueAdmin):
    list_display = ("name", "slug", "active", "ordering", "first_response_target", "resolution_target", "agent_count")
    filter_horizontal = ("agents",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "translations", "active", "ordering")}),
        (_("Staff"), {"fields": ("agents",)}),
        (_("Targets"), {"fields": ("first_response_target", "resolution_target")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_total=Count("agents", distinct=True))

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
    pass


@admin.register(Product)
class ProductAdmin(OfferedInAdmin):
    pass


# --------------------------------------------------------------------------
# tickets


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
    list_display = (
        "reference",
        "subject",
        "requester",
        "department",
        "status",
        "priority",
        "assignee",
        "channel",
        "last_activity_at",
        "sla_due",
    )
    list_display_links = ("reference", "subject")
    list_filter = ("status", "priority", "department", "channel", "ticket_type", "product")
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
    )
    fieldsets = (
        (None, {"fields": ("reference", "subject", "requester", "ticket_type", "product", "channel", "language")}),
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
        (_("Staff page"), {"fields": ("staff_page",)}),
    )

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
            return format_html('<strong style="color:#b3261e">{}</strong>', text)
        return text

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


# --------------------------------------------------------------------------
# the thread and the audit trail: read-only


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services; the admin may look, not touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(PersonSearchMixin, ReadOnlyAdmin):
    list_display = ("__str__", "ticket_subject", "author", "internal", "from_staff", "created_at")
    list_filter = ("internal", "from_staff", "ticket__department")
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__reference", "body")
    person_search = ("author",)
    date_hierarchy = "created_at"
    fields = ("ticket", "author", "created_at", "internal", "from_staff", "body", "attachment_links")
    readonly_fields = fields

    def get_queryset(self, request):
        # Searches run on this queryset too, so a hidden note's body never matches.
        return super().get_queryset(request).visible_to(request.user).prefetch_related("attachments")

    @admin.display(description=_("subject"), ordering="ticket__subject")
    def ticket_subject(self, obj):
        return obj.ticket.subject

    @admin.display(description=_("attachments"))
    def attachment_links(self, obj):
        return _attachment_links(obj.attachments.all(), obj.ticket.reference)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "ticket_reference", "size", "content_type", "created_at", "download")
    list_select_related = ("message__ticket",)
    search_fields = ("original_name", "message__ticket__reference", "sha256")
    list_filter = ("content_type",)
    fields = ("message", "original_name", "size", "content_type", "sha256", "created_at", "download")
    readonly_fields = fields

    def get_queryset(self, request):
        # A file is as visible as its message: an internal note's files (names, hashes) only to its staff.
        return super().get_queryset(request).filter(message__in=Message.objects.visible_to(request.user))

    @admin.display(description=_("ticket"), ordering="message__ticket__reference")
    def ticket_reference(self, obj):
        return obj.message.ticket.reference

    @admin.display(description=_("download"))
    def download(self, obj):
        return _attachment_links([obj], obj.message.ticket.reference)


@admin.register(TicketEvent)
class TicketEventAdmin(EventValuesMixin, ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "kind", "old_display", "new_display", "actor")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__reference",)
    date_hierarchy = "created_at"
    fields = ("ticket", "kind", "old_display", "new_display", "actor", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ticket__in=Ticket.objects.visible_to(request.user))


# --------------------------------------------------------------------------
# calendar, canned replies, idempotency keys


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """An agent sees the canned replies of their departments and the global ones, and edits their
    departments' only; a global reply speaks for every department, so only a supervisor changes it."""

    list_display = ("title", "department", "active")
    list_filter = ("active", "department")
    list_select_related = ("department",)
    search_fields = ("title", "body")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if permissions.is_supervisor(user):
            return queryset
        if not permissions.is_agent(user):
            return queryset.none()
        return queryset.filter(Q(department_id__in=permissions.agent_department_ids(user)) | Q(department__isnull=True))

    def _may_edit(self, request, obj):
        if obj is None or permissions.is_supervisor(request.user):
            return True
        return obj.department_id in permissions.agent_department_ids(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "department" and not permissions.is_supervisor(user):
            kwargs["queryset"] = Department.objects.filter(pk__in=permissions.agent_department_ids(user))
            kwargs["required"] = True  # "every department" is a supervisor's choice
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _is_superuser(request):
    return bool(users.is_active(request.user) and request.user.is_superuser)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(PersonSearchMixin, ReadOnlyAdmin):
    """Superusers only, whatever permissions a user holds (SPEC §4).

    A record keeps the API's first answer to a ``POST``, which may be an
    internal note of any department; the stored answer is never shown here,
    not even to a superuser (the ticket's own pages show what it holds).
    """

    list_display = ("key", "user", "response_status", "created_at")
    list_select_related = ("user",)
    search_fields = ("key",)
    person_search = ("user",)
    fields = ("user", "key", "request_hash", "response_status", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if _is_superuser(request) else queryset.none()

    def has_module_permission(self, request):
        return _is_superuser(request)

    def has_view_permission(self, request, obj=None):
        return _is_superuser(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting a key only lets that request run again; housekeeping
        # removes expired ones anyway.
        return _is_superuser(request)
