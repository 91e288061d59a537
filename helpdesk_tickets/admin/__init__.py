"""Django admin for helpdesk_tickets.

The admin is a thin client of :mod:`helpdesk_tickets.services`, like the web
views and the API: it never writes a ticket's status, priority, assignee or
department itself. Those four fields stay editable on the ticket form, but
``save_model`` hands the changes to :func:`services.update_ticket`, so the
workflow rules, the audit trail (``TicketEvent``), the SLA clock, the
signals and the notifications behave exactly as everywhere else. Threads,
attachments and the audit trail are shown read-only.

Django autodiscovers ``helpdesk_tickets.admin``; importing the modules
registers every model:

- :mod:`.catalogue`: departments, ticket types (with their fields, :mod:`.fields`), products, holidays,
  canned replies;
- :mod:`.tickets`: tickets (through the services), their thread and trail inline;
- :mod:`.records`: messages, attachments, events and idempotency keys, read-only;
- :mod:`.inbound`: received e-mails, with "process again";
- :mod:`.outbox`: the outgoing e-mails ("send again") and failing addresses ("clear");
- :mod:`.agents`: tags and the agents' availability (away, capacity);
- :mod:`.webhooks`: webhook endpoints ("send a test event", "rotate the secret") and deliveries ("retry now");
- :mod:`.knowledge`: the knowledge base's articles (with a preview) and the tickets they saved;
- :mod:`.satisfaction`: the customers' satisfaction ratings, read-only.
"""

from . import agents, catalogue, fields, inbound, knowledge, outbox, records, satisfaction, tickets, webhooks
from ._shared import MANAGED_FIELDS
from .agents import AgentStatusAdmin, TagAdmin
from .catalogue import CannedReplyAdmin, DepartmentAdmin, HolidayAdmin, ProductAdmin, TicketTypeAdmin
from .inbound import InboundEmailAdmin
from .knowledge import ArticleAdmin, ArticleDeflectionAdmin
from .outbox import BouncedAddressAdmin, OutboundEmailAdmin
from .records import AttachmentAdmin, IdempotencyKeyAdmin, MessageAdmin, TicketEventAdmin
from .satisfaction import SatisfactionRatingAdmin
from .tickets import TicketAdmin, TicketAdminForm
from .webhooks import WebhookDeliveryAdmin, WebhookEndpointAdmin

__all__ = [
    "MANAGED_FIELDS",
    "AgentStatusAdmin",
    "ArticleAdmin",
    "ArticleDeflectionAdmin",
    "AttachmentAdmin",
    "BouncedAddressAdmin",
    "CannedReplyAdmin",
    "DepartmentAdmin",
    "HolidayAdmin",
    "IdempotencyKeyAdmin",
    "InboundEmailAdmin",
    "MessageAdmin",
    "OutboundEmailAdmin",
    "ProductAdmin",
    "SatisfactionRatingAdmin",
    "TagAdmin",
    "TicketAdmin",
    "TicketAdminForm",
    "TicketEventAdmin",
    "TicketTypeAdmin",
    "WebhookDeliveryAdmin",
    "WebhookEndpointAdmin",
    "agents",
    "catalogue",
    "fields",
    "inbound",
    "knowledge",
    "outbox",
    "records",
    "satisfaction",
    "tickets",
    "webhooks",
]
