"""Every write of the helpdesk: the one place where business rules live.

Web views, the API, the admin and management commands call these
functions and nothing else to change tickets. Each function is one
transaction, records a :class:`~helpdesk_tickets.models.TicketEvent` where
something about the ticket changed, and sends its signals and
notifications only after the transaction commits. The person acting is
``actor`` throughout.

One module per flow; everything is re-exported here, so callers write
``from helpdesk_tickets import services; services.create_ticket(...)``:

- :mod:`.tickets`: opening a ticket (reference, offering, duplicates, cap);
- :mod:`.thread`: replies and internal notes;
- :mod:`.handling`: status, priority, assignee, department;
- :mod:`.outbox`: delivering the notification e-mails (``deliver_outbox``,
  ``sweep_outbox``, ``send_again``);
- :mod:`.assignment`: the departments' assignment rules, agents away;
- :mod:`.fields`: the values of the ticket types' fields (checked for every channel);
- :mod:`.tags`: staff-only tags; :mod:`.merge`: merging tickets;
- :mod:`.bulk`: one change to many tickets, with a result for each;
- :mod:`.housekeeping`: the periodic chores;
- :mod:`.satisfaction`: the customers' ratings of resolved tickets;
- :mod:`.escalation`: warnings ahead of SLA deadlines, and what a breach does (``escalate``);
- :mod:`.email_in`: inbound e-mail (:func:`receive_email`);
- :mod:`.webhook_events` and :mod:`.webhooks`: the events webhooks send and their
  delivery (``deliver_webhooks``, ``sweep_webhooks``, ``retry_webhooks``,
  ``send_test_webhook``, ``rotate_webhook_secret``).
- :mod:`.presence`: who else has a ticket open, what was written since a page was opened.
- :mod:`.knowledge`: article suggestions, "this answered my question".

The errors are :mod:`helpdesk_tickets.exceptions`' (re-exported here too).
"""

from ..exceptions import (
    AttachmentsUnavailable,
    DuplicateTicket,
    HelpdeskError,
    IdempotencyKeyReused,
    InboundNotRecorded,
    InvalidTransition,
    MergeAcrossRequesters,
    MergeIntoClosed,
    MergeIntoItself,
    MergeOfClosed,
    MergeRefused,
    OpenTicketLimitReached,
    RatingLocked,
    RatingUnavailable,
    TicketClosed,
    TicketNotFound,
    UnknownChange,
)
from . import outbox
from ._input import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from .assignment import assign_new_ticket, available_agents, is_away, set_away, unstaffed_departments
from .bulk import BULK_CHANGES, MAX_BULK_TICKETS, BulkResult, bulk_update, tickets_for_bulk
from .email_in import InboundOutcome, process_inbound_again, receive_email, retry_stale_inbound
from .escalation import EscalationRun, escalate
from .fields import asked_fields, clean_field_values, set_field_values
from .handling import (
    UPDATABLE,
    assign,
    change_department,
    change_priority,
    change_status,
    check_update,
    close,
    reopen,
    resolve,
    set_assignee,
    update_ticket,
)
from .housekeeping import auto_close_resolved, flag_breaches, recompute_open_due_times
from .knowledge import (
    SUGGESTION_LIMIT,
    SUGGESTION_MIN_LETTERS,
    deflections_by_article,
    record_article_helped,
    suggest_articles,
)
from .merge import check_merge, final_ticket, merge_tickets
from .outbox import deliver as deliver_outbox
from .outbox import send_again
from .outbox import sweep as sweep_outbox
from .presence import heartbeat, written_since
from .satisfaction import current_rating, drop_ratings, rate_ticket
from .tags import add_tags, remove_tags, set_tags, tags_by_slug
from .thread import add_system_note, mark_read, post_reply
from .tickets import (
    REFERENCE_ALPHABET,
    REFERENCE_ATTEMPTS,
    REFERENCE_LENGTH,
    create_ticket,
    find_duplicate,
    find_offering,
    new_reference,
    validate_offering,
)
from .webhook_events import send_test_event as send_test_webhook
from .webhooks import deliver as deliver_webhooks
from .webhooks import retry_now as retry_webhooks
from .webhooks import rotate_secret as rotate_webhook_secret
from .webhooks import sweep as sweep_webhooks

__all__ = [
    "BULK_CHANGES",
    "MAX_BODY_LENGTH",
    "MAX_BULK_TICKETS",
    "MAX_SUBJECT_LENGTH",
    "REFERENCE_ALPHABET",
    "REFERENCE_ATTEMPTS",
    "REFERENCE_LENGTH",
    "SUGGESTION_LIMIT",
    "SUGGESTION_MIN_LETTERS",
    "UPDATABLE",
    "unstaffed_departments",
    "heartbeat",
    "written_since",
    "AttachmentsUnavailable",
    "BulkResult",
    "DuplicateTicket",
    "EscalationRun",
    "HelpdeskError",
    "InboundNotRecorded",
    "InboundOutcome",
    "IdempotencyKeyReused",
    "InvalidTransition",
    "MergeAcrossRequesters",
    "MergeIntoClosed",
    "MergeIntoItself",
    "MergeOfClosed",
    "MergeRefused",
    "OpenTicketLimitReached",
    "RatingLocked",
    "RatingUnavailable",
    "TicketClosed",
    "TicketNotFound",
    "UnknownChange",
    "add_system_note",
    "asked_fields",
    "clean_field_values",
    "add_tags",
    "assign",
    "assign_new_ticket",
    "auto_close_resolved",
    "available_agents",
    "bulk_update",
    "change_department",
    "change_priority",
    "change_status",
    "check_merge",
    "check_update",
    "close",
    "create_ticket",
    "current_rating",
    "deflections_by_article",
    "deliver_outbox",
    "deliver_webhooks",
    "drop_ratings",
    "final_ticket",
    "escalate",
    "find_duplicate",
    "find_offering",
    "flag_breaches",
    "is_away",
    "mark_read",
    "merge_tickets",
    "new_reference",
    "outbox",
    "post_reply",
    "process_inbound_again",
    "rate_ticket",
    "receive_email",
    "record_article_helped",
    "recompute_open_due_times",
    "remove_tags",
    "reopen",
    "resolve",
    "retry_stale_inbound",
    "retry_webhooks",
    "rotate_webhook_secret",
    "send_again",
    "send_test_webhook",
    "set_assignee",
    "set_away",
    "set_field_values",
    "set_tags",
    "sweep_outbox",
    "sweep_webhooks",
    "suggest_articles",
    "tags_by_slug",
    "tickets_for_bulk",
    "update_ticket",
    "validate_offering",
]
