"""The ticket's fields on the staff page: what the customer answered, what is missing, and the staff edit."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import View

from ... import services
from ...field_forms import fields_form, ticket_field_values, type_fields
from ...services.fields import error_key
from ..errors import REFUSALS, error_text
from ._base import StaffTicketMixin


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
