"""The helpdesk domain: tickets and their thread, the audit trail, holidays, canned replies.

Models hold fields, constraints and small read-only helpers. Every write
that carries a business rule goes through :mod:`helpdesk_tickets.services`.
The catalogue (departments, ticket types, products) is :mod:`.catalogue`.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import sla

# Re-exported: ``from helpdesk_tickets.models import Status`` (and the others) is public API.
from ..choices import OPEN_STATUSES, PRIORITY_RANK, STATUS_TRANSITIONS, Assignment, Channel, Priority, Status  # noqa: F401
from ..conf import settings as app_settings
from ..querysets import MessageQuerySet, TicketQuerySet
from .catalogue import Department, Product, TicketType


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.CASCADE,
        related_name="helpdesk_tickets",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="tickets"
    )
    ticket_type = models.ForeignKey(
        TicketType, verbose_name=_("ticket type"), on_delete=models.PROTECT, related_name="tickets"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="tickets",
        null=True,
        blank=True,
    )
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        related_name="helpdesk_assigned_tickets",
        null=True,
        blank=True,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Language the customer used; their e-mails are written in it."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Denormalised so that lists sort and mark unread replies without joins.
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    last_staff_reply_at = models.DateTimeField(_("last staff reply"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    requester_last_read_at = models.DateTimeField(_("read by requester"), null=True, blank=True)
    message_count = models.PositiveIntegerField(_("public messages"), default=0)

    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # The SLA clock (see sla.py); due times are recomputed by the services.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_total = models.DurationField(_("SLA paused in total"), default=timedelta)
    sla_breached_at = models.DateTimeField(_("SLA breach flagged"), null=True, blank=True)
    # ``next_due()`` stored, kept by ``save()``: the queue sorts on an index
    # instead of computing every open ticket's deadline for each page.
    sla_due = models.DateTimeField(_("SLA due"), null=True, blank=True, editable=False)
    # Business time taken, measured once when it happens, so that averages
    # are plain database aggregates (see stats.py).
    first_response_seconds = models.PositiveIntegerField(_("first response time (s)"), null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(_("resolution time (s)"), null=True, blank=True)

    # Staff-only labels: never shown to the customer, in the portal, e-mail or the customer's API.
    tags = models.ManyToManyField("Tag", verbose_name=_("tags"), related_name="tickets", blank=True)
    # Set when the ticket was merged into another (it is closed then): its links lead there.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        related_name="merged_from",
        null=True,
        blank=True,
        editable=False,
    )

    # Set while the ticket is open (or, merged, forwards to the ticket it was
    # merged into); a unique column (NULLs allowed) makes the
    # database itself refuse a concurrent duplicate on every backend,
    # MariaDB included, which has no partial unique indexes.
    duplicate_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # Normalised subject and description, for portable search.
    search_text = models.TextField(blank=True, editable=False)
    # The answers to the ticket type's fields, {key: value} (services/fields.py): on the ticket, so that
    # changing the type's fields later leaves them as they were.
    field_values = models.JSONField(_("fields"), default=dict, blank=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ("-last_activity_at", "-id")
        permissions = [
            ("view_all_tickets", _("Can see and handle the tickets of every department")),
        ]
        indexes = [
            models.Index(fields=["requester", "-last_activity_at"], name="hdt_ticket_requester_idx"),
            models.Index(fields=["department", "status", "-last_activity_at"], name="hdt_ticket_queue_idx"),
            models.Index(fields=["status", "first_response_due"], name="hdt_ticket_frdue_idx"),
            models.Index(fields=["status", "resolution_due"], name="hdt_ticket_resdue_idx"),
            models.Index(fields=["assignee", "status"], name="hdt_ticket_assignee_idx"),
            models.Index(fields=["-last_activity_at", "-id"], name="hdt_ticket_activity_idx"),
            models.Index(fields=["department", "created_at"], name="hdt_ticket_dept_created_idx"),
            models.Index(fields=["sla_due", "id"], name="hdt_ticket_sla_due_idx"),
        ]

    #: The fields ``next_due()`` reads: saving any of them saves ``sla_due`` too.
    SLA_DUE_INPUTS = frozenset({"status", "sla_paused_at", "first_response_at", "first_response_due", "resolution_due"})

    def __str__(self):
        return f"{self.reference} {self.subject}"

    def save(self, *args, **kwargs):
        self.sla_due = self.next_due()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and self.SLA_DUE_INPUTS.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, "sla_due"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("helpdesk_tickets:ticket_detail", kwargs={"reference": self.reference})

    def get_staff_url(self):
        return reverse("helpdesk_tickets:staff_ticket_detail", kwargs={"reference": self.reference})

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_merged(self):
        """Merged into another ticket (see ``services.merge_tickets``): closed, and its links lead there."""
        return self.merged_into_id is not None

    @property
    def has_unread_staff_reply(self):
        """A public staff reply the requester has not opened yet."""
        if not self.last_staff_reply_at:
            return False
        return not self.requester_last_read_at or self.last_staff_reply_at > self.requester_last_read_at

    @property
    def sla_paused(self):
        return self.sla_paused_at is not None

    # The breach rules live in sla.py, next to their queryset twins.
    def first_response_breached(self, now=None):
        return sla.first_response_breached(self, now or timezone.now())

    def resolution_breached(self, now=None):
        return sla.resolution_breached(self, now or timezone.now())

    def is_breached(self, now=None):
        """Whether the ticket missed an SLA deadline (see :func:`helpdesk_tickets.sla.is_breached`)."""
        return sla.is_breached(self, now or timezone.now())

    def next_due(self):
        """The SLA deadline that matters now, or None when nothing is running."""
        if not self.is_open or self.sla_paused:
            return None
        if self.first_response_at is None:
            return self.first_response_due
        return self.resolution_due

    def allowed_statuses(self):
        return STATUS_TRANSITIONS[Status(self.status)]


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        related_name="helpdesk_messages",
        null=True,
    )
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False, help_text=_("Visible to staff only."))
    # Whether the author answered as staff when posting; kept so the thread
    # still reads right if the author later leaves the department.
    from_staff = models.BooleanField(_("from staff"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # The e-mail this message came in (its untrimmed text and headers stay there for staff).
    inbound_email = models.OneToOneField(
        "InboundEmail",
        verbose_name=_("received e-mail"),
        on_delete=models.SET_NULL,
        related_name="thread_message",
        null=True,
        blank=True,
        editable=False,
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="hdt_message_thread_idx"),
            models.Index(fields=["from_staff", "internal", "created_at"], name="hdt_message_staff_idx"),
        ]

    def __str__(self):
        return f"{self.ticket.reference} #{self.pk}"


def attachment_storage():
    """The storage named by ``HELPDESK_TICKETS["ATTACHMENT_STORAGE"]``."""
    return storages[app_settings.ATTACHMENT_STORAGE]


def attachment_upload_to(instance, filename):
    # Generated keys: two uploads with the same name never collide and a
    # customer-chosen name never becomes a path.
    now = timezone.now()
    return f"helpdesk_tickets/{now:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), storage=attachment_storage, upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=120)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("id",)

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse(
            "helpdesk_tickets:attachment_download",
            kwargs={"reference": self.message.ticket.reference, "pk": self.pk},
        )


class TicketEvent(models.Model):
    """Append-only audit trail of a ticket."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS_CHANGED = "status_changed", _("Status changed")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed")
        ASSIGNED = "assigned", _("Assignee changed")
        DEPARTMENT_CHANGED = "department_changed", _("Department changed")
        SLA_WARNING = "sla_warning", _("SLA deadline coming up")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        MERGED = "merged", _("Merged")
        TAG_ADDED = "tag_added", _("Tag added")
        TAG_REMOVED = "tag_removed", _("Tag removed")
        FIELD_CHANGED = "field_changed", _("Field changed")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    old_value = models.CharField(_("from"), max_length=200, blank=True)
    new_value = models.CharField(_("to"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["ticket", "created_at"], name="hdt_event_ticket_idx")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class Holiday(models.Model):
    """A date without business hours for the SLA clock."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ("date",)

    def __str__(self):
        return f"{self.date} {self.name}".strip()


class CannedReply(models.Model):
    """A prepared answer agents insert into a reply.

    The body may use ``{customer_name}``, ``{reference}``, ``{subject}`` and
    ``{agent_name}``.
    """

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="canned_replies",
        null=True,
        blank=True,
        help_text=_("Empty: offered in every department."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("Offered on tickets in this language only (a code such as “fa” or “en”). Empty: every language."),
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {customer_name} (the customer's name), {reference} (the ticket's reference), "
            "{subject} (its subject), {agent_name} (your name as customers see it). No greeting and no "
            "signature: the e-mail to the customer already starts with “Hello …,” and ends with your name."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ("title",)

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        lines = [line.strip() for line in (self.body or "").strip().splitlines() if line.strip()]
        if not lines:
            return
        first, last = lines[0], lines[-1]
        if "{customer_name}" in first and len(first) <= 40 and len(lines) > 1:
            raise ValidationError(
                {"body": _("Leave out the greeting (“%(line)s”): the e-mail starts with one.") % {"line": first}}
            )
        if len(lines) > 1 and "{agent_name}" in last and len(last) <= 40:
            raise ValidationError(
                {"body": _("Leave out the signature (“%(line)s”): the e-mail ends with your name.") % {"line": last}}
            )


class IdempotencyKey(models.Model):
    """Remembers the first response to a ``POST`` carrying an ``Idempotency-Key``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="hdt_idempotency_user_key_uniq"),
        ]

    def __str__(self):
        return self.key
