"""The public models: ``from helpdesk_tickets.models import Ticket`` (and every other name here).

:mod:`.catalogue` holds departments, ticket types and products, :mod:`.tickets`
the helpdesk domain (tickets, their thread and history), :mod:`.mail` the e-mail channel's
records (inbound mail, the outbox, the Message-IDs of every thread), :mod:`.agents`
the tags, agents' availability and the round-robin cursor, :mod:`.escalation`
the SLA warnings and breach escalations done, :mod:`.webhooks` the webhook
endpoints, deliveries and attempts, :mod:`.knowledge` the knowledge base's
articles and the tickets they saved, :mod:`.satisfaction` the customers'
ratings of resolved tickets, :mod:`.fields` the fields each ticket type asks for.
"""

from ..choices import (  # noqa: F401
    OPEN_STATUSES,
    PRIORITY_RANK,
    STATUS_TRANSITIONS,
    Assignment,
    BreachPriority,
    Channel,
    FieldKind,
    InboundStatus,
    MailKind,
    OutboxStatus,
    Priority,
    SlaTarget,
    Status,
    TagColour,
)
from .agents import AgentStatus, AssignmentCursor, Tag  # noqa: F401
from .catalogue import Department, Product, TicketType, TranslatedNameMixin  # noqa: F401
from .escalation import SlaEscalation  # noqa: F401
from .fields import TicketField  # noqa: F401
from .knowledge import ARTICLE_LANGUAGES, Article, ArticleDeflection  # noqa: F401
from .mail import BouncedAddress, InboundEmail, OutboundEmail, ThreadMessageId, inbound_upload_to  # noqa: F401
from .satisfaction import SatisfactionRating  # noqa: F401
from .tickets import (  # noqa: F401
    Attachment,
    CannedReply,
    Holiday,
    IdempotencyKey,
    Message,
    Ticket,
    TicketEvent,
    attachment_storage,
    attachment_upload_to,
)
from .webhooks import (  # noqa: F401
    TEST_EVENT,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookStatus,
    new_secret,
)
