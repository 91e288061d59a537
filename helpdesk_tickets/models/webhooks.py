"""Webhooks: the endpoints events are sent to, each delivery (the webhook outbox) and every attempt at it.

Written only by :mod:`helpdesk_tickets.services` (``webhook_events`` writes the
deliveries of an event, ``webhooks`` delivers them) and by the admin (endpoints).
"""

import base64
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import Department
from .tickets import Ticket

#: The prefix of a Standard Webhooks secret: ``whsec_`` and the base64 of the key.
SECRET_PREFIX = "whsec_"  # nosec B105 - the format's prefix, not a secret
#: Bytes of a generated key (the spec asks for 24 to 64).
SECRET_BYTES = 32


def new_secret():
    """A fresh signing secret in the Standard Webhooks form, ``whsec_<base64 of 32 random bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class WebhookEvent(models.TextChoices):
    """The event types an endpoint may subscribe to (``type`` in every payload; docs: "Webhooks")."""

    TICKET_CREATED = "ticket.created", _("Ticket created")
    MESSAGE_POSTED = "message.posted", _("Message posted")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Status changed")
    TICKET_ASSIGNED = "ticket.assigned", _("Ticket assigned")
    TICKET_MERGED = "ticket.merged", _("Ticket merged")
    SLA_WARNING = "sla.warning", _("SLA about to be breached")
    SLA_BREACHED = "sla.breached", _("SLA breached")


#: Sent by the admin's "send a test event", whatever the endpoint subscribes to.
TEST_EVENT = "webhook.test"


def all_events():
    return list(WebhookEvent.values)


class WebhookStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")


class WebhookEndpoint(models.Model):
    """A URL that is sent the events it subscribes to, signed with its secret."""

    url = models.URLField(_("URL"), max_length=500, help_text=_("Where the events are posted (https:// recommended)."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    # Still signed with, next to the new one, until previous_secret_expires_at (a rotation's grace period).
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(_("events"), default=all_events, help_text=_("The event types sent to this URL."))
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive: no new events, and waiting deliveries are held.")
    )
    include_internal = models.BooleanField(
        _("include internal notes"),
        default=False,
        help_text=_("Also send staff-only internal notes (message.posted)."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Only this department's tickets; empty: every department."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("url", "id")

    def __str__(self):
        return self.description or self.url

    def signing_secrets(self, now=None):
        """The secrets each delivery is signed with: the current one, and the previous one during its grace."""
        now = now or timezone.now()
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            keys.append(self.previous_secret)
        return keys


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body sent, its state, its retry schedule.

    Written when the event happens (one row per subscribed endpoint), delivered
    by a task; ``webhook_id`` is the same on every attempt, so a receiver can
    tell a retry from a new event.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_id = models.CharField(_("webhook-id"), max_length=40)
    event_type = models.CharField(_("event"), max_length=40)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    # Deliveries of one endpoint and one ticket go out in order (``pk``); kept when the ticket is deleted.
    ticket_reference = models.CharField(_("ticket"), max_length=32, blank=True)
    payload = models.TextField(_("payload"))
    status = models.CharField(_("status"), max_length=20, choices=WebhookStatus.choices, default=WebhookStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Set while a worker holds the row; a stale claim is a crashed worker's.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(_("last response"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=["endpoint", "webhook_id"], name="hdt_webhook_once")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="hdt_webhook_due_idx"),
            models.Index(fields=["endpoint", "ticket_reference", "status"], name="hdt_webhook_order_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id} ({self.webhook_id})"


class WebhookAttempt(models.Model):
    """One try at a delivery: what the receiver answered, or why it could not be reached."""

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(_("time"), default=timezone.now)
    url = models.CharField(_("URL"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ("-attempted_at", "-id")

    def __str__(self):
        return f"{self.status_code or self.error[:40]}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
