"""Staff workspace: queue, dashboard, phone tickets, agent ticket view."""

from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from ..models import Ticket
from .mixins import AgentRequiredMixin


class QueueView(AgentRequiredMixin, TemplateView):
    """Tickets of the agent's departments (all for a supervisor)."""

    template_name = "helpdesk_tickets/staff/queue.html"
    section = "staff"


class DashboardView(AgentRequiredMixin, TemplateView):
    """Response-time figures per department and overall."""

    template_name = "helpdesk_tickets/staff/dashboard.html"
    section = "dashboard"


class PhoneTicketCreateView(AgentRequiredMixin, TemplateView):
    """Open a ticket on a customer's behalf."""

    template_name = "helpdesk_tickets/staff/ticket_create.html"
    section = "staff"


class StaffTicketDetailView(AgentRequiredMixin, TemplateView):
    """The agent's view of one ticket."""

    template_name = "helpdesk_tickets/staff/ticket_detail.html"
    section = "staff"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            context["ticket"] = Ticket.objects.in_queue_of(self.request.user).get(reference=kwargs["reference"])
        except Ticket.DoesNotExist:
            raise Http404 from None
        return context


class StaffTicketUpdateView(AgentRequiredMixin, View):
    """Change status / priority / assignee / department (POST only)."""

    http_method_names = ["post"]

    def post(self, request, reference):
        return HttpResponseRedirect(reverse("helpdesk_tickets:staff_ticket_detail", args=[reference]))
