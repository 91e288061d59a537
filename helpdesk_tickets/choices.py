"""The helpdesk's fixed vocabularies: statuses, priorities, channels (a leaf: imports nothing of the app).

``helpdesk_tickets.models`` re-exports every name, so ``from helpdesk_tickets.models import Status`` keeps working.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    AWAITING_CUSTOMER = "awaiting_customer", pgettext_lazy("ticket status", "Awaiting customer")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


#: Statuses in which a ticket still needs work (and counts for duplicates).
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER)

#: The status pipeline as data: the moves allowed from each status.
#: ``closed`` is final.
STATUS_TRANSITIONS = {
    Status.NEW: (Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED),
    Status.IN_PROGRESS: (Status.AWAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED),
    Status.AWAITING_CUSTOMER: (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED),
    Status.RESOLVED: (Status.IN_PROGRESS, Status.CLOSED),
    Status.CLOSED: (),
}


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


#: Sort rank of each priority, most pressing last.
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class Assignment(models.TextChoices):
    """How a department's new tickets find an agent (``Department.assignment``)."""

    MANUAL = "manual", _("Manual: agents take tickets themselves")
    ROUND_ROBIN = "round_robin", _("Round robin: each agent in turn")
    LOAD_BALANCED = "load_balanced", _("Load balanced: the agent with the fewest open tickets")


class SlaTarget(models.TextChoices):
    """The deadlines of a ticket's SLA, each a due-time field of the ticket (``sla.DUE_FIELDS``)."""

    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class BreachPriority(models.TextChoices):
    """What a breach does to a ticket's priority (``Department.breach_priority``)."""

    NONE = "none", _("Leave it")
    RAISE = "raise", _("Raise it one step")
    URGENT = "urgent", _("Make it urgent")


class TagColour(models.TextChoices):
    """The colours a tag can have: a palette of the stylesheet's classes, since the pages allow no inline style."""

    GREY = "grey", _("Grey")
    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")
    TEAL = "teal", _("Teal")
    BLUE = "blue", _("Blue")
    PURPLE = "purple", _("Purple")
    PINK = "pink", _("Pink")


class MailKind(models.TextChoices):
    """What sort of sender wrote an inbound e-mail (RFC 3834 and the usual headers)."""

    HUMAN = "human", _("Person")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce")
    LIST = "list", _("Mailing list")
    LOOP = "loop", _("Our own mail")


class InboundStatus(models.TextChoices):
    """Where an inbound e-mail got to; the first five are the outcomes SPEC §9 prints."""

    RECEIVED = "received", _("Received, not processed yet")
    CREATED = "created", _("Opened a ticket")
    APPENDED = "appended", _("Added to a ticket")
    HELD = "held", _("Held for review")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Processing failed")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Gave up")
    SKIPPED = "skipped", _("Not sent")


class FieldKind(models.TextChoices):
    """What a :class:`~helpdesk_tickets.models.TicketField` asks for."""

    TEXT = "text", pgettext_lazy("field kind", "Text")
    NUMBER = "number", pgettext_lazy("field kind", "Number")
    DATE = "date", pgettext_lazy("field kind", "Date")
    CHOICE = "choice", pgettext_lazy("field kind", "Choice")
    CHECKBOX = "checkbox", pgettext_lazy("field kind", "Checkbox")
