"""The errors the services raise for a refused request (a leaf: imports only :mod:`.choices`).

Each carries what an adapter needs to answer without knowing the error:
``code`` (a stable machine code, sent by the API as ``"code"``), ``field``
(the input it is about, or None for the request as a whole; with a 400 it
is a field error) and ``http_status``. The API, the web views and the admin each map them in one
place from these attributes.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import Status


class HelpdeskError(Exception):
    """Base of the errors the services raise for a refused request."""

    code = "error"
    field = None
    http_status = 400

    def extra(self):
        """Machine-readable details sent along with the API's ``detail`` and ``code``."""
        return {}


class InvalidTransition(HelpdeskError):
    """The workflow forbids moving the ticket from ``old`` to ``new``."""

    code = "invalid_transition"
    field = "status"
    http_status = 400

    def __init__(self, ticket, old, new):
        self.ticket, self.old, self.new = ticket, old, new
        super().__init__(
            _("A ticket cannot move from “%(old)s” to “%(new)s”.")
            % {"old": Status(old).label, "new": Status(new).label}
        )


class TicketClosed(HelpdeskError):
    code = "ticket_closed"
    http_status = 409

    def __init__(self, ticket):
        self.ticket = ticket
        super().__init__(_("This ticket is closed; please open a new one."))


class DuplicateTicket(HelpdeskError):
    """An open ticket of the same requester already asks the same thing."""

    code = "duplicate"
    http_status = 409

    def __init__(self, existing):
        self.existing = existing
        super().__init__(
            _("You already sent this request as ticket %(reference)s; please reply there instead.")
            % {"reference": existing.reference}
        )

    def extra(self):
        return {"duplicate_of": self.existing.reference}


class OpenTicketLimitReached(HelpdeskError):
    code = "open_ticket_limit"
    http_status = 409

    def __init__(self, limit):
        self.limit = limit
        super().__init__(
            ngettext(
                "You have %(limit)d open ticket; please wait for an answer before opening another.",
                "You have %(limit)d open tickets; please wait for an answer before opening another.",
                limit,
            )
            % {"limit": limit}
        )


class AttachmentsUnavailable(HelpdeskError):
    """The attachment storage failed to take a file: nothing was written, the request may simply be sent again."""

    code = "attachments_unavailable"
    field = "attachments"
    http_status = 503

    def __init__(self):
        super().__init__(
            _("Your attachments could not be stored just now, so nothing was sent. Please try again in a moment.")
        )


class IdempotencyKeyReused(HelpdeskError):
    code = "idempotency_key_reused"
    http_status = 422

    def __init__(self):
        super().__init__(_("This Idempotency-Key was already used for a different request."))


class UnknownChange(HelpdeskError, TypeError):
    """:func:`~helpdesk_tickets.services.update_ticket` was asked to change something it cannot change."""

    code = "unknown_field"
    http_status = 400

    def __init__(self, name, allowed):
        self.field = name
        super().__init__(
            _("“%(name)s” cannot be changed here; the fields that can are: %(allowed)s.")
            % {"name": name, "allowed": ", ".join(allowed)}
        )


class TicketNotFound(HelpdeskError):
    """No ticket with this reference that the caller may handle (a bulk action's row, a merge target)."""

    code = "not_found"
    field = "reference"
    http_status = 404

    def __init__(self, reference):
        self.reference = reference
        super().__init__(_("No ticket %(reference)s in your queue.") % {"reference": reference})


class MergeRefused(HelpdeskError):
    """:func:`~helpdesk_tickets.services.merge_tickets` refused; ``code`` says why (one subclass per reason)."""

    code = "merge_refused"
    field = "into"
    http_status = 409

    def __init__(self, source, into, message):
        self.source, self.into = source, into
        super().__init__(message)

    def extra(self):
        return {"into": self.into.reference}


class MergeIntoItself(MergeRefused):
    code = "merge_into_itself"
    http_status = 400

    def __init__(self, source, into):
        super().__init__(source, into, _("A ticket cannot be merged into itself."))


class MergeIntoClosed(MergeRefused):
    code = "merge_into_closed"

    def __init__(self, source, into):
        super().__init__(
            source,
            into,
            _("Ticket %(reference)s is closed: nothing can be merged into it.") % {"reference": into.reference},
        )


class MergeOfClosed(MergeRefused):
    """The ticket to merge is closed already (or merged before)."""

    code = "merge_of_closed"
    field = None

    def __init__(self, source, into):
        super().__init__(
            source, into, _("Ticket %(reference)s is closed: it cannot be merged.") % {"reference": source.reference}
        )


class MergeAcrossRequesters(MergeRefused):
    """The two tickets have different requesters and the actor did not confirm it."""

    code = "merge_across_requesters"

    def __init__(self, source, into):
        super().__init__(
            source,
            into,
            _(
                "Tickets %(source)s and %(into)s belong to different customers: merging shows one customer's "
                "messages to the other. Confirm it to merge anyway."
            )
            % {"source": source.reference, "into": into.reference},
        )


class InboundNotRecorded(Exception):
    """An inbound e-mail could not even be recorded (database or storage down): the sender must retry.

    Not a :class:`HelpdeskError`: nothing was refused, nothing was kept.
    """


class WebhookTargetRefused(HelpdeskError):
    """A webhook URL that may not be posted to: not plain http(s), unknown host, or inside the network (SSRF)."""

    code = "webhook_target_refused"
    field = "url"
    http_status = 400
