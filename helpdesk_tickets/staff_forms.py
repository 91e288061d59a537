"""Forms of the staff workspace: queue filters, reply, ticket changes, phone tickets, dashboard window.

Forms only parse input; every write goes through :mod:`helpdesk_tickets.services`.
"""

import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import users, workflow
from .conf import settings as app_settings
from .filters import (
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    SLA_AT_RISK,
    SLA_BREACHED,
    SLA_ON_TRACK,
    SLA_PAUSED,
    STATUS_ALL,
    STATUS_OPEN,
)
from .forms import AttachmentsFormMixin, BaseReplyForm
from .models import Department, Priority, Product, Status, Ticket, TicketType
from .querysets import SORT_ACTIVITY, SORT_CREATED, SORT_DUE, SORT_PRIORITY

DASHBOARD_WINDOWS = (1, 7, 30, 90)

#: A ticket reference as the URLs take it (see urls.ReferenceConverter).
REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,32}")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return users.staff_label(obj)


class NamedChoiceField(forms.ModelChoiceField):
    """Departments, types and products by their name in the active language."""

    def label_from_instance(self, obj):
        return obj.display_name


def assignable_users(department_ids):
    """Agents of ``department_ids`` and supervisors: whoever may hold tickets of those departments.

    Supervisors are whom the authentication backends say hold the permission,
    as ``permissions.is_supervisor`` asks them (see ``users.with_permission``).
    """
    members = users.model()._default_manager.filter(helpdesk_departments__in=department_ids).values("pk")
    return (
        users.active_users()
        .filter(Q(pk__in=members) | users.with_permission(app_settings.SUPERVISOR_PERMISSION))
        .order_by(*users.ordering())
    )


#: The queue's own values for the assignee tabs; :class:`~helpdesk_tickets.filters.TicketFilterSet`
#: takes them as aliases of the API's ``me`` and ``none``.
ASSIGNEE_MINE = "mine"
ASSIGNEE_UNASSIGNED = "unassigned"


class QueueFilterForm(forms.Form):
    """The queue's filter controls, as shown. The values are read by
    :class:`~helpdesk_tickets.filters.TicketFilterSet`, the API's own filters,
    which ignore (here) an invalid one rather than failing the page.
    """

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    department = NamedChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", pgettext_lazy("filter", "Any"))] + Priority.choices
    )
    ticket_type = NamedChoiceField(label=_("Type"), queryset=TicketType.objects.none(), required=False)
    product = NamedChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[
            ("", pgettext_lazy("filter", "Any")),
            (SLA_BREACHED, _("Breached")),
            (SLA_AT_RISK, _("Due within an hour")),
            (SLA_PAUSED, _("Paused (awaiting customer)")),
            (SLA_ON_TRACK, _("On track")),
        ],
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            (SORT_DUE, _("SLA due")),
            (SORT_ACTIVITY, _("Last activity")),
            (SORT_PRIORITY, _("Priority")),
            (SORT_CREATED, _("Newest")),
        ],
    )

    #: The API's names for values the controls offer under the queue's own.
    SHOWN_AS = {
        "assignee": {ASSIGNEE_ME: ASSIGNEE_MINE, ASSIGNEE_NONE: ASSIGNEE_UNASSIGNED},
        "status": {STATUS_OPEN: ""},
    }

    def __init__(self, *args, departments, assignees, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", pgettext_lazy("filter", "Any")), *[(tag.slug, tag.name) for tag in tags]]
        if not tags:
            del self.fields["tag"]
        for name, shown in self.SHOWN_AS.items():
            self.initial[name] = shown.get(self.initial.get(name), self.initial.get(name))
        self.fields["department"].queryset = departments
        self.fields["department"].empty_label = pgettext_lazy("filter", "All my departments")
        self.fields["ticket_type"].queryset = TicketType.objects.all()
        self.fields["ticket_type"].empty_label = pgettext_lazy("filter", "Any")
        self.fields["product"].queryset = Product.objects.all()
        self.fields["product"].empty_label = pgettext_lazy("filter", "Any")
        self.fields["status"].choices = [
            # No status: the queue's default, the open ones ("open" says the same).
            ("", _("Open")),
            *Status.choices,
            (STATUS_ALL, pgettext_lazy("filter", "All")),
        ]
        self.fields["assignee"].choices = [
            ("", pgettext_lazy("filter", "Anyone")),
            (ASSIGNEE_MINE, _("Mine")),
            (ASSIGNEE_UNASSIGNED, _("Unassigned")),
            *[(str(user.pk), users.staff_label(user)) for user in assignees],
        ]


#: What the queue's bulk form can do to the selected tickets.
BULK_ASSIGN = "assign"
BULK_STATUS = "status"
BULK_PRIORITY = "priority"
BULK_ADD_TAG = "add_tag"
BULK_REMOVE_TAG = "remove_tag"
BULK_MERGE = "merge"
#: The assignee choice that means "nobody".
UNASSIGN = "none"


class ReferenceListField(forms.Field):
    """The references of the ticked rows (``tickets=HD-…&tickets=HD-…``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = [value] if isinstance(value, str) else list(value or ())
        return list(dict.fromkeys(str(item).strip().upper() for item in values if str(item).strip()))

    def validate(self, value):
        super().validate(value)
        for reference in value:
            if not REFERENCE_RE.fullmatch(reference):
                raise forms.ValidationError(
                    _("“%(value)s” is not a ticket reference."), params={"value": reference[:40]}
                )


class BulkActionForm(forms.Form):
    """The queue's bulk form: the ticked tickets, one action and the value it needs.

    Only the value of the chosen action is read; the page works without
    JavaScript (every control is there, the action says which one counts).
    """

    tickets = ReferenceListField(
        label=_("Tickets"), error_messages={"required": _("Tick the tickets to change first.")}
    )
    action = forms.ChoiceField(
        label=_("With the selected tickets"),
        choices=[
            (BULK_ASSIGN, _("Assign to")),
            (BULK_STATUS, _("Set the status")),
            (BULK_PRIORITY, _("Set the priority")),
            (BULK_ADD_TAG, _("Add the tag")),
            (BULK_REMOVE_TAG, _("Remove the tag")),
            (BULK_MERGE, _("Merge into ticket")),
        ],
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Status.choices])
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=[("", "—"), *Priority.choices])
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    into = forms.CharField(
        label=_("Reference of the ticket to merge into"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"dir": "ltr", "size": 14, "autocomplete": "off"}),
    )
    across_requesters = forms.BooleanField(
        label=_("Merge even tickets of other customers (they will see each other's messages)"), required=False
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, user, assignees, tags, **kwargs):
        # On the queue page next to the filters, whose controls have the same names: ids of its own.
        kwargs.setdefault("auto_id", "hdt-bulk-%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.assignees = {str(person.pk): person for person in assignees}
        self.tags = {tag.slug: tag for tag in tags}
        self.fields["assignee"].choices = [
            ("", "—"),
            (UNASSIGN, _("Unassigned")),
            *[(pk, users.staff_label(person)) for pk, person in self.assignees.items()],
        ]
        self.fields["tag"].choices = [("", "—"), *[(slug, tag.name) for slug, tag in self.tags.items()]]

    #: The value each action needs.
    NEEDS = {
        BULK_ASSIGN: "assignee",
        BULK_STATUS: "status",
        BULK_PRIORITY: "priority",
        BULK_ADD_TAG: "tag",
        BULK_REMOVE_TAG: "tag",
        BULK_MERGE: "into",
    }

    def clean(self):
        data = super().clean()
        action = data.get("action")
        needed = self.NEEDS.get(action)
        if needed and not data.get(needed):
            self.add_error(needed, _("Choose the value for this action."))
        elif action == BULK_MERGE:
            reference = data["into"].strip().upper()
            data["into_ticket"] = (
                Ticket.objects.in_queue_of(self.user).select_related("department").filter(reference=reference).first()
            )
            if data["into_ticket"] is None:
                self.add_error("into", _("No ticket %(reference)s in your queue.") % {"reference": reference[:32]})
        return data

    def changes(self):
        """Keyword arguments for :func:`services.bulk_update`."""
        data = self.cleaned_data
        action = data["action"]
        if action == BULK_ASSIGN:
            return {"assignee": None if data["assignee"] == UNASSIGN else self.assignees[data["assignee"]]}
        if action in (BULK_STATUS, BULK_PRIORITY):
            return {action: data[action]}
        if action == BULK_ADD_TAG:
            return {"add_tags": [self.tags[data["tag"]]]}
        if action == BULK_REMOVE_TAG:
            return {"remove_tags": [self.tags[data["tag"]]]}
        return {"merge_into": data["into_ticket"], "merge_across_requesters": data["across_requesters"]}


class MergeForm(forms.Form):
    """Merge the ticket on screen into another one, named by its reference."""

    into = forms.CharField(
        label=_("Merge into ticket"),
        max_length=32,
        widget=forms.TextInput(attrs={"dir": "ltr", "size": 14, "autocomplete": "off", "placeholder": "HD-…"}),
    )
    across_requesters = forms.BooleanField(
        label=_("The other ticket is another customer's: merge anyway (they will see each other's messages)"),
        required=False,
    )

    def clean_into(self):
        reference = self.cleaned_data["into"].strip().upper()
        if not REFERENCE_RE.fullmatch(reference):
            raise forms.ValidationError(_("“%(value)s” is not a ticket reference."), params={"value": reference})
        return reference


class ReplyForm(BaseReplyForm):
    """A public reply or, with ``internal`` ticked, a staff-only note."""

    THEN_KEEP = ""

    body_label = _("Message")
    body_rows = 8
    attachments_label = _("Attach files")

    internal = forms.BooleanField(label=_("Internal note (staff only; the customer does not see it)"), required=False)
    then_status = forms.ChoiceField(
        label=_("Then"),
        required=False,
        choices=[
            (THEN_KEEP, _("Wait for the customer")),
            (Status.IN_PROGRESS, _("Keep in progress")),
            (Status.RESOLVED, _("Mark resolved")),
        ],
    )
    # When the page was shown, to tell the agent if someone wrote in the meantime.
    seen = forms.DateTimeField(required=False, widget=forms.HiddenInput)


class TicketUpdateForm(forms.Form):
    """Status, priority, assignee and department. Only the fields present in the request are applied."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    assignee = UserChoiceField(
        label=_("Assignee"), queryset=users.model()._default_manager.none(), required=False, empty_label=_("Unassigned")
    )
    department = NamedChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args, ticket, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "status": ticket.status,
                "priority": ticket.priority,
                "assignee": ticket.assignee_id,
                "department": ticket.department_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        # Only the moves the workflow allows from here, and staying put.
        self.fields["status"].choices = workflow.status_choices(ticket.status)
        self.fields["assignee"].queryset = assignable_users([ticket.department_id])
        # Any active department: moving a ticket elsewhere is how it reaches the right team.
        self.fields["department"].queryset = Department.objects.filter(Q(active=True) | Q(pk=ticket.department_id))

    def changes(self):
        """Keyword arguments for :func:`services.update_ticket`: the submitted fields whose value differs."""
        changes = {}
        data, ticket = self.cleaned_data, self.ticket
        if "status" in self.data and data.get("status") and data["status"] != ticket.status:
            changes["status"] = data["status"]
        if "priority" in self.data and data.get("priority") and data["priority"] != ticket.priority:
            changes["priority"] = data["priority"]
        if "assignee" in self.data:
            assignee = data.get("assignee")
            if (assignee.pk if assignee else None) != ticket.assignee_id:
                changes["assignee"] = assignee
        if "department" in self.data and data.get("department") and data["department"].pk != ticket.department_id:
            changes["department"] = data["department"]
        return changes


#: The customer search answers nothing for fewer characters, and a few people at most:
#: it finds the caller, it does not list the user base.
MIN_CUSTOMER_QUERY = 3
MAX_CUSTOMER_RESULTS = 10


def customers():
    """Whom an agent may open a ticket for: active users who are not staff, superusers or agents."""
    return users.customers()


def find_customers(query, limit=MAX_CUSTOMER_RESULTS):
    """Customers matching ``query``, at most ``limit``, nobody for fewer than :data:`MIN_CUSTOMER_QUERY` characters.

    By the whole username or e-mail address, or by parts of the username and
    name: the search finds the caller, it does not list the user base.
    """
    return users.find_customers(query, limit=limit, min_length=MIN_CUSTOMER_QUERY)


class OfferedInSelect(forms.Select):
    """Marks each type / product option with the departments offering it (``data-departments``, empty: all),
    so that the page can hide what the chosen department does not offer."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-departments"] = " ".join(str(d.pk) for d in instance.departments.all())
        return option


class PhoneTicketForm(AttachmentsFormMixin, forms.Form):
    """A ticket an agent opens for a customer who called."""

    requester = UserChoiceField(
        label=_("Customer"),
        queryset=users.model()._default_manager.none(),
        widget=forms.RadioSelect,
        error_messages={"required": _("Find the customer and choose them first.")},
    )
    department = NamedChoiceField(label=_("Department"), queryset=Department.objects.none(), empty_label=None)
    ticket_type = NamedChoiceField(
        label=_("Type"), queryset=TicketType.objects.none(), empty_label=None, widget=OfferedInSelect
    )
    product = NamedChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("None / not sure"),
        widget=OfferedInSelect,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"dir": "auto"}))
    description = forms.CharField(
        label=_("What the customer asked"), widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"})
    )

    attachments_label = _("Attach files")

    def __init__(self, *args, departments, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_attachments_field()
        self.fields["department"].queryset = departments
        self.fields["ticket_type"].queryset = TicketType.objects.active().prefetch_related("departments")
        self.fields["product"].queryset = Product.objects.active().prefetch_related("departments")
        # The radio list shows the search results; any customer's id posted is still accepted
        # (and anyone else's refused with the same error as an unknown id).
        self.fields["requester"].queryset = customers()
        self.set_candidates(candidates)

    #: Shorter searches find no one (the page says so).
    min_find_length = MIN_CUSTOMER_QUERY

    def set_candidates(self, candidates):
        """Offer ``candidates`` as the customer choices, with masked e-mails to tell namesakes apart."""
        self.fields["requester"].widget.choices = [(user.pk, users.customer_label(user)) for user in candidates]


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        empty_value=30,
        choices=[
            (1, _("Last 24 hours")),
            (7, _("Last 7 days")),
            (30, _("Last 30 days")),
            (90, _("Last 90 days")),
        ],
    )
