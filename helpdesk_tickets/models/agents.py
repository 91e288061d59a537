"""Working a queue at scale: staff-only tags, each agent's availability, and the round-robin cursor.

Written only by :mod:`helpdesk_tickets.services` (``tags``, ``assignment``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import TagColour
from ..querysets import TagQuerySet
from .catalogue import Department


class Tag(models.Model):
    """A staff-only label on tickets, for one department or (without one) for all.

    Customers never see tags: not in the portal, the e-mails or their API answers.
    """

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    colour = models.CharField(_("colour"), max_length=10, choices=TagColour.choices, default=TagColour.GREY)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="tags",
        null=True,
        blank=True,
        help_text=_("Empty: usable in every department."),
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ("name", "id")

    def __str__(self):
        return self.name

    def usable_in(self, department_id):
        """Whether tickets of the department with this pk may carry the tag (the twin of ``Tag.objects.usable_in``)."""
        return self.department_id is None or self.department_id == department_id


class AgentStatus(models.Model):
    """An agent's availability for automatic assignment; agents without a row are available, without a cap."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="helpdesk_agent_status",
        primary_key=True,
    )
    away = models.BooleanField(
        _("away"), default=False, help_text=_("Away agents get no new tickets by round robin or load balancing.")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Most open tickets load balancing gives this agent, in all departments; empty: no limit."),
    )
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("agent status")
        verbose_name_plural = _("agent statuses")

    def __str__(self):
        return str(self.user)


class AssignmentCursor(models.Model):
    """Whom a round-robin department gave its last ticket; locked while the next one is given."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, related_name="assignment_cursor", primary_key=True
    )
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("assignment cursor")
        verbose_name_plural = _("assignment cursors")

    def __str__(self):
        return str(self.department)
