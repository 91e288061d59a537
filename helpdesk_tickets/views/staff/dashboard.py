"""The staff dashboard: response-time figures and the queue right now."""

from datetime import timedelta

from django.utils import timezone
from django.views.generic import TemplateView

from ... import permissions, services, stats
from ...models import Status, Ticket
from ...staff_forms import DashboardForm
from ..mixins import AgentRequiredMixin
from ._base import staff_departments


class DashboardView(AgentRequiredMixin, TemplateView):
    """Response-time figures per department and overall over a chosen window, and the queue right now."""

    template_name = "helpdesk_tickets/staff/dashboard.html"
    section = "dashboard"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = DashboardForm(self.request.GET or None)
        days = form.cleaned_data["days"] if form.is_valid() else 30
        departments = list(staff_departments(user))
        now = timezone.now()
        context.update(
            form=form,
            days=days,
            figures=stats.figures(departments=departments, window=timedelta(days=days)),
            statuses=Status.choices,
            right_now=Ticket.objects.in_queue_of(user).open_counts(now=now),
            # Only a supervisor sees departments beyond their own, so only they can see one nobody staffs.
            unstaffed=list(services.unstaffed_departments()) if permissions.is_supervisor(user) else [],
            # Tickets the knowledge base saved ("this answered my question" on Send ticket), per article.
            deflections=services.deflections_by_article(departments=departments, since=now - timedelta(days=days)),
        )
        return context
