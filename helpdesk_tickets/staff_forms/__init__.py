"""Forms of the staff workspace: queue filters, reply, ticket changes, phone tickets, dashboard window.

Forms only parse input; every write goes through :mod:`helpdesk_tickets.services`.

- :mod:`.queue`: the queue's filters and bulk actions;
- :mod:`.ticket`: merge, reply or note, ticket settings;
- :mod:`.phone`: the caller search and the phone ticket form;
- :mod:`.dashboard`: the dashboard's window.
"""

from ._shared import REFERENCE_RE, NamedChoiceField, UserChoiceField, assignable_users
from .dashboard import DASHBOARD_WINDOWS, DashboardForm
from .phone import MAX_CUSTOMER_RESULTS, MIN_CUSTOMER_QUERY, OfferedInSelect, PhoneTicketForm, customers, find_customers
from .queue import (
    ASSIGNEE_MINE,
    ASSIGNEE_UNASSIGNED,
    BULK_ADD_TAG,
    BULK_ASSIGN,
    BULK_MERGE,
    BULK_PRIORITY,
    BULK_REMOVE_TAG,
    BULK_STATUS,
    UNASSIGN,
    BulkActionForm,
    QueueFilterForm,
    ReferenceListField,
)
from .ticket import MergeForm, ReplyForm, TicketUpdateForm

__all__ = [
    "ASSIGNEE_MINE",
    "ASSIGNEE_UNASSIGNED",
    "BULK_ADD_TAG",
    "BULK_ASSIGN",
    "BULK_MERGE",
    "BULK_PRIORITY",
    "BULK_REMOVE_TAG",
    "BULK_STATUS",
    "DASHBOARD_WINDOWS",
    "MAX_CUSTOMER_RESULTS",
    "MIN_CUSTOMER_QUERY",
    "REFERENCE_RE",
    "UNASSIGN",
    "BulkActionForm",
    "DashboardForm",
    "MergeForm",
    "NamedChoiceField",
    "OfferedInSelect",
    "PhoneTicketForm",
    "QueueFilterForm",
    "ReferenceListField",
    "ReplyForm",
    "TicketUpdateForm",
    "UserChoiceField",
    "assignable_users",
    "customers",
    "find_customers",
]
