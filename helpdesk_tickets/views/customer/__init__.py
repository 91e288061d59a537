"""Customer portal: Support → Send ticket (three steps) and Support → Ticket list.

Each step of Send ticket is a real URL, so the back button and bookmarks
work; a step with a single choice redirects to the next one. Every write
goes through :mod:`helpdesk_tickets.services`.

- :mod:`.send`: Send ticket (department, type, form, similar tickets);
- :mod:`.tickets`: the Ticket list and a ticket's page (reply, close, reopen).
"""

from .send import (
    SIMILAR_CANDIDATES,
    SIMILAR_LIMIT,
    SIMILAR_STOPWORDS,
    ChooseDepartmentView,
    ChooseTypeView,
    DepartmentStepMixin,
    SimilarTicketsView,
    TicketCreateView,
)
from .tickets import CustomerTicketMixin, TicketCloseView, TicketDetailView, TicketListView, TicketReopenView

__all__ = [
    "SIMILAR_CANDIDATES",
    "SIMILAR_LIMIT",
    "SIMILAR_STOPWORDS",
    "ChooseDepartmentView",
    "ChooseTypeView",
    "CustomerTicketMixin",
    "DepartmentStepMixin",
    "SimilarTicketsView",
    "TicketCloseView",
    "TicketCreateView",
    "TicketDetailView",
    "TicketListView",
    "TicketReopenView",
]
