"""The staff queue's forms: its filters and its bulk actions."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import users
from ..filters import (
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    SLA_AT_RISK,
    SLA_BREACHED,
    SLA_ON_TRACK,
    SLA_PAUSED,
    STATUS_ALL,
    STATUS_OPEN,
)
from ..models import Department, Priority, Product, Status, Ticket, TicketType
from ..querysets import SORT_ACTIVITY, SORT_CREATED, SORT_DUE, SORT_PRIORITY
from ._shared import REFERENCE_RE, NamedChoiceField

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
    # A ticket type's field, "key:value" (see field_filters); the ticket page links each value here.
    field = forms.CharField(
        label=_("Field"),
        required=False,
        max_length=250,
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "invoice_number:INV-1001", "size": 18}),
    )
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
