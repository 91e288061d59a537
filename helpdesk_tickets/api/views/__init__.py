"""Views of the REST API: parse input, call one service, render.

Querysets come from ``Ticket.objects.visible_to(user)``: another user's
ticket, message or attachment is a 404. Authentication is the host's
(``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``); permissions,
pagination, filters, parsers, renderers and the throttles of writes are
this app's own.

One module per part of the API (``catalogue``, ``articles``, ``tickets``, ``messages``,
``events``, ``account``, ``stats``, the staff's
``merge``, ``bulk`` and ``exports``, and ``fallback`` for paths no route
takes, with what they share in ``_base``); the names the URLconf and callers
use are re-exported here.
"""

from ._base import IDEMPOTENCY_KEY_PATTERN, REFERENCE_PATTERN, HelpdeskAPIMixin, idempotent, visible_ticket
from .account import MeView
from .articles import ArticleViewSet
from .bulk import TicketBulkView
from .catalogue import DepartmentListView, ProductListView, RootView, TicketTypeListView
from .events import TicketEventViewSet
from .exports import TicketExportViewSet
from .messages import AttachmentDownloadView, MessageViewSet
from .stats import StatsView
from .tickets import TicketViewSet

__all__ = [
    "ArticleViewSet",
    "IDEMPOTENCY_KEY_PATTERN",
    "REFERENCE_PATTERN",
    "AttachmentDownloadView",
    "DepartmentListView",
    "HelpdeskAPIMixin",
    "MeView",
    "MessageViewSet",
    "ProductListView",
    "RootView",
    "StatsView",
    "TicketBulkView",
    "TicketEventViewSet",
    "TicketExportViewSet",
    "TicketTypeListView",
    "TicketViewSet",
    "idempotent",
    "visible_ticket",
]
