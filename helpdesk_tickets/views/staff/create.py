"""A ticket opened by an agent on a customer's behalf (a phone call)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from ... import services, users
from ...field_forms import add_chosen_type_fields, ticket_field_values
from ...models import OPEN_STATUSES, Ticket
from ...staff_forms import PhoneTicketForm, find_customers
from ..errors import REFUSALS, add_service_error
from ..mixins import AgentRequiredMixin
from ._base import staff_departments


class PhoneTicketCreateView(AgentRequiredMixin, TemplateView):
    """Open a ticket on a customer's behalf (channel ``phone``); they see it in their Ticket list."""

    template_name = "helpdesk_tickets/staff/ticket_create.html"
    section = "staff"

    def departments(self):
        return staff_departments(self.request.user).filter(active=True)

    #: What a caller lookup carries over: the agent types the request while the customer talks.
    KEPT_ON_LOOKUP = ("department", "ticket_type", "product", "priority", "subject", "description")

    def get(self, request, *args, **kwargs):
        initial = {}
        if request.GET.get("department"):
            initial["department"] = request.GET["department"]
        return self.lookup(request.GET.get("find", "").strip(), initial)

    def lookup(self, find, initial):
        """The page after a caller search, the form filled with ``initial`` (what was typed, unvalidated)."""
        candidates = list(find_customers(find))
        if len(candidates) == 1:
            initial["requester"] = candidates[0].pk
        form = add_chosen_type_fields(
            PhoneTicketForm(initial=initial, departments=self.departments(), candidates=candidates)
        )
        context = self.get_context_data(form=form, find=find, candidates=candidates)
        if len(candidates) == 1:
            # Before typing the request in, the agent checks whether it is already open.
            context["open_tickets"] = (
                Ticket.objects.in_queue_of(self.request.user)
                .filter(requester=candidates[0], status__in=OPEN_STATUSES)
                .select_related("department")
                .order_by("-last_activity_at")[:10]
            )
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        find = request.POST.get("find", "").strip()
        if "lookup" in request.POST:
            # "Find" inside the form: search again, keep whatever the agent typed (chosen files cannot be kept).
            kept = [*self.KEPT_ON_LOOKUP, *(name for name in request.POST if name.startswith("fields."))]
            return self.lookup(find, {name: request.POST[name] for name in kept if name in request.POST})
        candidates = list(find_customers(find))
        form = add_chosen_type_fields(
            PhoneTicketForm(request.POST, request.FILES, departments=self.departments(), candidates=candidates)
        )
        duplicate = None
        if form.is_valid():
            data = form.cleaned_data
            if data["requester"] not in candidates:
                candidates.append(data["requester"])
                form.set_candidates(candidates)
            try:
                ticket = services.create_ticket(
                    requester=data["requester"],
                    department=data["department"],
                    ticket_type=data["ticket_type"],
                    product=data["product"],
                    subject=data["subject"],
                    description=data["description"],
                    attachments=data["attachments"],
                    priority=data["priority"],
                    channel="phone",
                    actor=request.user,
                    fields=ticket_field_values(form),
                )
            except services.DuplicateTicket as exc:
                duplicate = exc.existing
            except REFUSALS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Ticket %(reference)s opened for %(customer)s.")
                    % {"reference": ticket.reference, "customer": users.staff_label(ticket.requester)},
                )
                return HttpResponseRedirect(ticket.get_staff_url())
        context = self.get_context_data(form=form, find=find, candidates=candidates, duplicate=duplicate)
        return self.render_to_response(context, status=409 if duplicate else 400)
