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
- :mod:`.housekeeping`: the periodic chores;
- :mod:`.email_in`: inbound e-mail (:func:`receive_email`).

The errors are :mod:`helpdesk_tickets.exceptions`' (re-exported here too).
"""

from ..exceptions import (
    AttachmentsUnavailable,
    DuplicateTicket,
    HelpdeskError,
    IdempotencyKeyReused,
    InboundNotRecorded,
    InvalidTransition,
    OpenTicketLimitReached,
    TicketClosed,
    UnknownChange,
)
from ._input import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from .email_in import InboundOutcome, process_inbound_again, receive_email, retry_stale_inbound
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
    update_ticket,
)
from .housekeeping import auto_close_resolved, flag_breaches, recompute_open_due_times
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

__all__ = [
    "MAX_BODY_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "REFERENCE_ALPHABET",
    "REFERENCE_ATTEMPTS",
    "REFERENCE_LENGTH",
    "UPDATABLE",
    "AttachmentsUnavailable",
    "DuplicateTicket",
    "HelpdeskError",
    "InboundNotRecorded",
    "InboundOutcome",
    "IdempotencyKeyReused",
    "InvalidTransition",
    "OpenTicketLimitReached",
    "TicketClosed",
    "UnknownChange",
    "add_system_note",
    "assign",
    "auto_close_resolved",
    "change_department",
    "change_priority",
    "change_status",
    "check_update",
    "close",
    "create_ticket",
    "find_duplicate",
    "find_offering",
    "flag_breaches",
    "mark_read",
    "new_reference",
    "post_reply",
    "process_inbound_again",
    "receive_email",
    "recompute_open_due_times",
    "reopen",
    "resolve",
    "retry_stale_inbound",
    "update_ticket",
    "validate_offering",
]
