"""What the admin pages share: the error text, attachment links, event values, people search."""

from django.contrib import admin
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import permissions, users
from ..models import Department, Priority, Status, Ticket, TicketEvent
from ..views.errors import error_text

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


class PersonSearchMixin:
    """Adds the username and e-mail fields of the people in ``person_search`` to ``search_fields``.

    Built per request from the host's user model (``users.py``), which may
    have neither ``username`` nor ``email``.
    """

    person_search = ()

    def get_search_fields(self, request):
        people = [field for prefix in self.person_search for field in users.admin_search_fields(prefix)]
        return (*super().get_search_fields(request), *people)


class DepartmentScopedMixin:
    """Rows of one department or (``department`` empty) of all: an agent sees their departments' and the
    global ones and edits their departments' only; a global row speaks for every department, so only a
    supervisor changes it. Canned replies and tags."""

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


def rows_of_visible_tickets(rows, user):
    """The outbox or webhook rows ``user`` may see in the admin: their queue's tickets' (all for a supervisor)."""
    if permissions.is_supervisor(user):
        return rows
    return rows.filter(ticket__in=Ticket.objects.in_queue_of(user))
