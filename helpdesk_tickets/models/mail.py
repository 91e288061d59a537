"""The e-mail channel's records: every inbound message, the outbox, the Message-IDs of each thread.

Written only by :mod:`helpdesk_tickets.services` (``email_in``, ``outbox``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import InboundStatus, MailKind, OutboxStatus
from ..querysets import MailQuerySet
from .tickets import Message, Ticket, attachment_storage


def inbound_upload_to(instance, filename):
    # Named after the bytes: the same message received twice is one file.
    received = instance.received_at or timezone.now()
    return f"helpdesk_tickets/inbound/{received:%Y/%m}/{instance.sha256}.eml"


class InboundEmail(models.Model):
    """One raw e-mail as it arrived, recorded before anything is done with it.

    The unique ``sha256`` and ``message_id`` make a second delivery of the
    same message a no-op ("duplicate"); a row still ``received`` long after
    it arrived is a run that crashed, and is processed again.
    """

    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True, unique=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    raw = models.FileField(
        _("raw message"), storage=attachment_storage, upload_to=inbound_upload_to, max_length=255, blank=True
    )
    size = models.PositiveIntegerField(_("size"), default=0)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=MailKind.choices, blank=True)
    status = models.CharField(
        _("outcome"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
        null=True,
        blank=True,
    )
    # The text before trimming quoted history and signatures, for staff.
    full_text = models.TextField(_("full text"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processing_started_at = models.DateTimeField(_("processing started"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    objects = MailQuerySet.as_manager()

    class Meta:
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        ordering = ("-received_at", "-id")
        indexes = [models.Index(fields=["status", "received_at"], name="hdt_inbound_status_idx")]

    def __str__(self):
        return self.subject or self.message_id or self.sha256[:12]

    @property
    def outcome(self):
        """The one-line outcome, as the inbound command prints it."""
        if self.status == InboundStatus.CREATED:
            return f"created {self.ticket.reference}" if self.ticket_id else "created"
        if self.status == InboundStatus.APPENDED:
            return f"appended {self.ticket.reference}" if self.ticket_id else "appended"
        if self.status in (InboundStatus.HELD, InboundStatus.FAILED):
            return f"held: {self.reason}"
        if self.status == InboundStatus.IGNORED:
            return f"ignored: {self.reason}"
        return "held: not processed yet"


class ThreadMessageId(models.Model):
    """A Message-ID that belongs to a ticket's thread: one we sent, or one we received.

    In-Reply-To and References of an incoming mail are looked up here.
    """

    message_id = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("thread Message-ID")
        verbose_name_plural = _("thread Message-IDs")

    def __str__(self):
        return self.message_id


class OutboundEmail(models.Model):
    """One notification e-mail to one person, written in the transaction of the change it reports.

    Delivered after commit by a task (see ``services.outbox``); retried with
    backoff while the mail server is unreachable.
    """

    kind = models.CharField(_("notification"), max_length=40)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="outbound_emails", null=True
    )
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    # For the escalation e-mails: the warning or breach they tell of (its deadline and due time).
    escalation = models.ForeignKey(
        "SlaEscalation",
        verbose_name=_("SLA escalation"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    to_address = models.CharField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # The e-mail's Message-ID header, without angle brackets (``message_id`` would be the FK above).
    message_id_header = models.CharField(_("Message-ID"), max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Set while a worker holds the row; a stale claim is a crashed worker's.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = MailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="hdt_outbox_due_idx")]

    def __str__(self):
        return f"{self.kind} → {self.to_address}"


class BouncedAddress(models.Model):
    """An address our mail bounced from; nothing more is sent there until staff clear it or it writes to us."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=1)
    first_bounced_at = models.DateTimeField(_("first bounce"), default=timezone.now)
    last_bounced_at = models.DateTimeField(_("last bounce"), default=timezone.now)

    class Meta:
        verbose_name = _("failing address")
        verbose_name_plural = _("failing addresses")
        ordering = ("-last_bounced_at",)

    def __str__(self):
        return self.address
