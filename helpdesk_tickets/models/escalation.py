"""Escalation's record of what it did: one row per ticket, deadline, due time and step.

Written only by :mod:`helpdesk_tickets.services.escalation`. The unique
constraint is what makes a warning or a breach escalation happen once per
due time, also when two runs overlap; a deadline that moves (a pause, a
change of department) has a new due time, and so is warned about again.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import SlaTarget
from .tickets import Ticket


class SlaEscalation(models.Model):
    """A warning sent ahead of a deadline, or a breach escalated after it."""

    class Step(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="sla_escalations"
    )
    target = models.CharField(_("deadline"), max_length=20, choices=SlaTarget.choices)
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    due = models.DateTimeField(_("due"))
    # The run that wrote the row: after inserting a batch with conflicts
    # ignored, a run reads back the rows it won by this token.
    run = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("SLA escalation")
        verbose_name_plural = _("SLA escalations")
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "step", "due"], name="hdt_escalation_once_uniq"),
        ]
        indexes = [models.Index(fields=["run"], name="hdt_escalation_run_idx")]

    def __str__(self):
        return f"{self.ticket_id} {self.target} {self.step} {self.due:%Y-%m-%d %H:%M}"
