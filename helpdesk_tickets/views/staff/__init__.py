"""Staff workspace: the queue, the agent's ticket view, phone tickets and the dashboard.

Views parse input, call one service and render; visibility comes from
``Ticket.objects.in_queue_of(user)`` so a ticket outside the agent's
departments is a 404.

- :mod:`.queue`: the queue, its export, the bulk form, the away switch;
- :mod:`.ticket`: the agent's ticket page and what its forms post;
- :mod:`.fields`: the staff edit of a ticket's fields;
- :mod:`.create`: a ticket opened on a customer's behalf;
- :mod:`.dashboard`: the response-time figures.
"""

from ._base import StaffTicketMixin, safe_next, staff_departments
from .create import PhoneTicketCreateView
from .dashboard import DashboardView
from .fields import StaffTicketFieldsView
from .queue import AwayView, BulkActionView, QueueExportView, QueueView, queue_tickets
from .ticket import (
    StaffInboundEmailView,
    StaffTicketDetailView,
    StaffTicketMergeView,
    StaffTicketTagsView,
    StaffTicketUpdateView,
)

__all__ = [
    "AwayView",
    "BulkActionView",
    "DashboardView",
    "PhoneTicketCreateView",
    "QueueExportView",
    "QueueView",
    "StaffInboundEmailView",
    "StaffTicketDetailView",
    "StaffTicketFieldsView",
    "StaffTicketMergeView",
    "StaffTicketTagsView",
    "StaffTicketUpdateView",
    "StaffTicketMixin",
    "queue_tickets",
    "safe_next",
    "staff_departments",
]
