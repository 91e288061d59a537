"""The agent's ticket page forms: merge, reply or note, ticket settings."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .. import users, workflow
from ..forms import BaseReplyForm
from ..models import Department, Priority, Status
from ._shared import REFERENCE_RE, NamedChoiceField, UserChoiceField, assignable_users


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
