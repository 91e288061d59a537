"""Satisfaction (CSAT): the customer's 1–5 rating of a resolved ticket.

Written only by :mod:`helpdesk_tickets.services.satisfaction`. One row per
resolution: ``resolved_at`` is the ticket's ``resolved_at`` when it was
rated, so a ticket resolved, reopened and resolved again is rated afresh
(and the earlier rating was dropped when it was reopened).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..querysets import RatingQuerySet
from .tickets import Ticket

#: The scale, lowest first; a score of 4 or 5 counts as satisfied (the usual CSAT share).
SCORES = (1, 2, 3, 4, 5)
SATISFIED_FROM = 4


class SatisfactionRating(models.Model):
    """The requester's rating of one resolution of a ticket."""

    class Score(models.IntegerChoices):
        VERY_DISSATISFIED = 1, _("Very dissatisfied")
        DISSATISFIED = 2, _("Dissatisfied")
        NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
        SATISFIED = 4, _("Satisfied")
        VERY_SATISFIED = 5, _("Very satisfied")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="satisfaction_ratings"
    )
    resolved_at = models.DateTimeField(_("resolution rated"), help_text=_("When the rated resolution happened."))
    score = models.PositiveSmallIntegerField(_("score"), choices=Score.choices)
    comment = models.TextField(_("comment"), blank=True)
    # Who handled the ticket when it was rated (its assignee then): the figures per agent.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        related_name="helpdesk_satisfaction_ratings",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "resolved_at"], name="hdt_rating_one_per_resolution"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="hdt_rating_score_1_5"),
        ]
        indexes = [models.Index(fields=["created_at"], name="hdt_rating_created_idx")]

    def __str__(self):
        return f"{self.ticket.reference}: {self.score}"

    @property
    def satisfied(self):
        return self.score >= SATISFIED_FROM
