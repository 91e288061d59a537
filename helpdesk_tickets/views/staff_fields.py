"""The ticket's fields on the staff page: what the customer answered, what is missing, and the staff edit."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import View

from .. import permissions, services
from ..field_forms import add_ticket_fields, ticket_field_values
from ..models import TicketField
from ..services.fields import error_key
from ..templatetags.helpdesk_fields import field_rows
from .errors import REFUSALS, error_text
from .staff import StaffTicketMixin


def type_fields(ticket):
    """Every field of the ticket's type, inactive ones too (their values stay readable): one query."""
    return list(TicketField.objects.filter(ticket_type_id=ticket.ticket_type_id).order_by("ordering", "id"))


def fields_form(ticket, fields, data=None):
    """The staff edit of the active fields; nothing is asked as required (an old ticket may lack one)."""
    form = forms.Form(data, prefix=None)
    return add_ticket_fields(
        form, [field for field in fields if field.active], values=ticket.field_values, required=False
    )


def fields_context(ticket, user):
    """What the staff ticket page shows of the fields (``field_rows``, ``fields_form``); one query."""
    fields = type_fields(ticket)
    rows = field_rows(ticket.field_values, fields)
    editable = permissions.can_manage(user, ticket) and any(field.active for field in fields)
    return {
        "field_rows": rows,
        "fields_missing": [row for row in rows if row.missing],
        "fields_form": fields_form(ticket, fields) if editable else None,
    }


class StaffTicketFieldsView(StaffTicketMixin, View):
    """Staff change the values of the ticket's fields (POST only); each change is an event."""

    http_method_names = ["post"]

    def post(self, request, reference):
        ticket = self.get_ticket()
        detail_url = f"{ticket.get_staff_url()}#fields"
        form = fields_form(ticket, type_fields(ticket), request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(detail_url)
        values = {key: value for key, value in ticket_field_values(form).items() if error_key(key) in form.changed_data}
        try:
            changed = services.set_field_values(ticket, values, actor=request.user)
        except REFUSALS as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(detail_url)
        if changed:
            messages.success(request, _("Ticket %(reference)s updated.") % {"reference": ticket.reference})
        else:
            messages.info(request, _("Nothing changed."))
        return HttpResponseRedirect(detail_url)
