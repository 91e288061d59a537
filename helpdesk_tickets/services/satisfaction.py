"""Satisfaction ratings: the customer rates a resolution, changes it for a while, and loses it on reopening.

The rules (see docs: "Satisfaction (CSAT)"):

- one rating per resolution of a ticket (``SatisfactionRating.resolved_at``
  is the ticket's ``resolved_at``), given by its requester;
- it can be changed for ``CSAT_EDIT_DAYS`` after it was first given;
- it is dropped when the ticket is reopened (:func:`drop_ratings`, called
  by every service that reopens a ticket, in the same transaction);
- nothing at all while ``CSAT_ENABLED`` is off.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import ratinglink, signals
from ..exceptions import RatingLocked, RatingUnavailable
from ..models import SatisfactionRating, Ticket
from . import _transactions as tx

#: The longest comment kept (characters).
MAX_COMMENT_LENGTH = 2000


def current_rating(ticket):
    """The rating of ``ticket``'s current resolution, or None (one query; none while it is not resolved)."""
    if ticket.resolved_at is None:
        return None
    return SatisfactionRating.objects.filter(ticket=ticket, resolved_at=ticket.resolved_at).first()


def _clean(score, comment):
    errors = {}
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score not in SatisfactionRating.Score.values:
        errors["score"] = _("Choose a rating from 1 to 5.")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        errors["comment"] = _("Please keep the comment under %(limit)s characters.") % {"limit": MAX_COMMENT_LENGTH}
    if errors:
        raise ValidationError(errors)
    return score, comment


def rate_ticket(ticket, *, resolution, score, comment="", actor):
    """Record (or change) the rating of ``ticket``'s resolution ``resolution`` (a marker from the signed link).

    ``actor`` is the person rating: the requester, whom the signed link
    stands for. Returns ``(rating, created)``. Raises
    :class:`~helpdesk_tickets.exceptions.RatingUnavailable` when ratings are
    off or that resolution no longer stands (the ticket was reopened),
    :class:`~helpdesk_tickets.exceptions.RatingLocked` when the rating is
    older than ``CSAT_EDIT_DAYS``, and ``ValidationError`` (``score``,
    ``comment``) for bad input. Sends ``rating_given`` after commit when
    something changed.
    """
    score, comment = _clean(score, comment)
    with transaction.atomic():
        # The ticket row lock orders this against a reopening and a second submit of the same form.
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not ratinglink.is_rateable(locked) or not ratinglink.matches(locked, resolution):
            raise RatingUnavailable(ticket)
        now = timezone.now()
        rating = SatisfactionRating.objects.filter(ticket=locked, resolved_at=locked.resolved_at).first()
        created = rating is None
        if created:
            rating = SatisfactionRating.objects.create(
                ticket=locked,
                resolved_at=locked.resolved_at,
                score=score,
                comment=comment,
                agent_id=locked.assignee_id,
                created_at=now,
                updated_at=now,
            )
        else:
            if not ratinglink.is_editable(rating, now):
                raise RatingLocked(rating)
            if (rating.score, rating.comment) == (score, comment):
                return rating, False
            rating.score, rating.comment, rating.updated_at = score, comment, now
            rating.save(update_fields=["score", "comment", "updated_at"])
        tx.on_commit_send(signals.rating_given, SatisfactionRating, rating=rating, ticket=locked, actor=actor)
    return rating, created


def drop_ratings(ticket):
    """Forget the ratings of a ticket that is being reopened: its resolution no longer stands.

    Called inside the reopening transaction; one query.
    """
    return SatisfactionRating.objects.filter(ticket=ticket).delete()[0]


def drop_ratings_if_reopened(ticket, changed):
    """:func:`drop_ratings` when :func:`~helpdesk_tickets.workflow.apply_status` just cleared the resolution."""
    if "resolved_at" in changed and ticket.resolved_at is None:
        drop_ratings(ticket)
