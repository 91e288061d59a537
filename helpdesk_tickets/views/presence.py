"""``POST staff/tickets/<reference>/presence/``: the staff ticket page's heartbeat (issue 15, item 10).

The page sends one every few seconds while it is open (``replying=1`` while
the agent is writing, ``seen`` the moment the page was shown) and shows the
answer: who else has the ticket open or is replying, and whether the
customer or a colleague wrote since. Without JavaScript the page works as
before; the server still holds a reply that would cross a new message.
"""

from django.http import Http404, JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views import View

from .. import services
from ..models import Ticket
from ..services.presence import COLLEAGUE, CUSTOMER
from .mixins import AgentRequiredMixin


def _line(other):
    # The name isolated (FSI … PDI): a Latin name and its "(username)" keep their order in a Persian sentence.
    name = "\u2068" + other["name"] + "\u2069"
    if other["replying"]:
        return _("%(name)s is writing a reply.") % {"name": name}
    return _("%(name)s has this ticket open.") % {"name": name}


WARNINGS = {
    CUSTOMER: lambda: _("The customer wrote since you opened this page. Read it before you send."),
    COLLEAGUE: lambda: _("A colleague added to this ticket since you opened this page. Read it before you send."),
}


class TicketPresenceView(AgentRequiredMixin, View):
    """Record the agent's heartbeat; answer with the others present and what was written since ``seen``."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        ticket = Ticket.objects.in_queue_of(request.user).filter(reference=kwargs["reference"]).first()
        if ticket is None:
            raise Http404
        others = services.heartbeat(ticket, request.user, replying=request.POST.get("replying") == "1")
        try:
            seen = parse_datetime(request.POST.get("seen", ""))
        except ValueError:
            seen = None
        written = services.written_since(ticket, request.user, seen) if seen else ""
        return JsonResponse(
            {
                "others": [{**other, "text": _line(other)} for other in others],
                "written": written,
                "warning": WARNINGS[written]() if written else "",
            },
            headers={"Cache-Control": "private, no-store"},
        )
