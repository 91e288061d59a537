"""What the staff views share: the agent's departments, a safe return path, the ticket of the queue."""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ... import permissions, services
from ...models import Department, Ticket
from ..mixins import AgentRequiredMixin


def staff_departments(user):
    """The departments whose tickets ``user`` handles: all for a supervisor."""
    if permissions.is_supervisor(user):
        return Department.objects.all()
    return Department.objects.filter(pk__in=permissions.agent_department_ids(user))


def safe_next(request, value, default):
    """``value`` if it is a path on this site (where a form returns to), else ``default``."""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return value
    return default


class StaffTicketMixin(AgentRequiredMixin):
    """Loads the ticket from the agent's queue; anything else is a 404."""

    def get_ticket(self):
        try:
            return Ticket.objects.in_queue_of(self.request.user).with_related().get(reference=self.kwargs["reference"])
        except Ticket.DoesNotExist:
            raise Http404 from None

    def redirect_if_merged(self, ticket):
        """The redirect to the ticket a merged ``ticket`` ended up in (its staff page), or None."""
        if not ticket.is_merged:
            return None
        target = services.final_ticket(ticket)
        messages.info(
            self.request,
            _("Ticket %(source)s was merged into %(into)s.") % {"source": ticket.reference, "into": target.reference},
        )
        return HttpResponseRedirect(target.get_staff_url())
