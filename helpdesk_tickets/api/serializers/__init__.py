"""Serializers of the REST API.

Departments, ticket types and products are written by slug. What the service
layer decides (reference, status, timestamps) is read-only: a client sending
those fields on create has them ignored. Staff may name the ``requester`` and
``channel`` of a ticket they open on a customer's behalf.

A request body that may come as JSON or as ``multipart/form-data`` has one
serializer per media type (``…Serializer`` and ``…MultipartSerializer``), so
that the schema gives each its own component: files travel only in
multipart, and ``null`` only in JSON.

- :mod:`.account`: people, the caller's account, the API root;
- :mod:`.catalogue`: departments, ticket types, products;
- :mod:`.articles`: the knowledge base's articles;
- :mod:`.ticket_fields`: the ticket types' fields and a ticket's ``fields``;
- :mod:`.tickets`: tickets and their history;
- :mod:`.agents`: the staff's tools: tags, merging, bulk actions, exports;
- :mod:`.messages`: the thread and its attachments;
- :mod:`.errors`: the documented error answers;
- :mod:`.stats`: response-time figures;
- :mod:`.satisfaction`: the satisfaction (CSAT) figures of ``stats/``.
"""

from .account import DepartmentRefSerializer, MeSerializer, RootSerializer, UserSerializer, person
from .articles import ArticleDetailSerializer, ArticleSerializer
from .catalogue import DepartmentSerializer, OfferedSerializer, ProductSerializer, TicketTypeSerializer
from .errors import (
    TICKET_CREATE_CONFLICT,
    DuplicateSerializer,
    ErrorSerializer,
    InvalidTransitionSerializer,
    OpenTicketLimitSerializer,
    TicketClosedSerializer,
)
from .messages import AttachmentSerializer, MessageCreateMultipartSerializer, MessageCreateSerializer, MessageSerializer
from .satisfaction import (
    SatisfactionAgentSerializer,
    SatisfactionDepartmentSerializer,
    SatisfactionRowSerializer,
    SatisfactionSerializer,
    satisfaction_data,
)
from .stats import StatsDepartmentSerializer, StatsRowSerializer, StatsSerializer, stats_row
from .ticket_fields import FieldValuesField, FieldValuesTextField, TicketFieldSerializer
from .tickets import (
    ON_BEHALF_CHANNELS,
    TicketCreateMultipartSerializer,
    TicketCreateSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)

__all__ = [
    "ON_BEHALF_CHANNELS",
    "TICKET_CREATE_CONFLICT",
    "ArticleDetailSerializer",
    "ArticleSerializer",
    "AttachmentSerializer",
    "DepartmentRefSerializer",
    "DepartmentSerializer",
    "DuplicateSerializer",
    "ErrorSerializer",
    "FieldValuesField",
    "FieldValuesTextField",
    "InvalidTransitionSerializer",
    "MeSerializer",
    "MessageCreateMultipartSerializer",
    "MessageCreateSerializer",
    "MessageSerializer",
    "OfferedSerializer",
    "OpenTicketLimitSerializer",
    "ProductSerializer",
    "RootSerializer",
    "SatisfactionAgentSerializer",
    "SatisfactionDepartmentSerializer",
    "SatisfactionRowSerializer",
    "SatisfactionSerializer",
    "StatsDepartmentSerializer",
    "StatsRowSerializer",
    "StatsSerializer",
    "TicketClosedSerializer",
    "TicketCreateMultipartSerializer",
    "TicketCreateSerializer",
    "TicketEventSerializer",
    "TicketFieldSerializer",
    "TicketSerializer",
    "TicketTypeSerializer",
    "TicketUpdateSerializer",
    "UserSerializer",
    "person",
    "satisfaction_data",
    "stats_row",
]
