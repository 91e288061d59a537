"""The signed rating link of a resolved ticket, and the rules of the rating window (a leaf).

The link names the ticket and the resolution it asks about (the ticket's
``resolved_at``), signed with ``SECRET_KEY`` (``django.core.signing``), so
it works without logging in, for that ticket only: a token made for one
ticket is refused on another's URL, and a changed character is refused
everywhere. When the ticket is reopened its ``resolved_at`` is cleared, and
a later resolution has another one: the old link no longer rates anything.
"""

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.urls import reverse

from .choices import Status
from .conf import settings as app_settings

SALT = "helpdesk_tickets.satisfaction.rating"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadRatingLink(Exception):
    """The token is not ours, was changed, or belongs to another ticket."""


def resolution_marker(resolved_at):
    """The resolution a rating is about, as a whole number of microseconds (exact, unlike a float)."""
    return (resolved_at - _EPOCH) // timedelta(microseconds=1)


def make_token(ticket):
    """The token of ``ticket``'s current resolution, or None while it is not resolved."""
    if ticket.resolved_at is None:
        return None
    # No timestamp: one resolution has one link (the e-mail's and the page's are the same), and how long
    # it rates is the edit window's business, not the token's.
    return signing.Signer(salt=SALT).sign_object([ticket.reference, resolution_marker(ticket.resolved_at)])


def read_token(token, reference):
    """The resolution marker ``token`` signs for the ticket ``reference``; raises :class:`BadRatingLink`."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature as exc:
        raise BadRatingLink from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or value[0] != reference
        or not isinstance(value[1], int)
        or isinstance(value[1], bool)
    ):
        raise BadRatingLink
    return value[1]


def rating_path(ticket):
    """The path of ``ticket``'s rating page, or None when it cannot be rated now."""
    if not is_rateable(ticket):
        return None
    return reverse("helpdesk_tickets:ticket_rate", kwargs={"reference": ticket.reference, "token": make_token(ticket)})


def is_rateable(ticket):
    """Ratings are on and the ticket stands resolved (or was closed after it was)."""
    return (
        bool(app_settings.CSAT_ENABLED)
        and ticket.resolved_at is not None
        and ticket.status in (Status.RESOLVED, Status.CLOSED)
        and not ticket.merged_into_id
    )


def matches(ticket, marker):
    """Whether ``marker`` (from a link) is ``ticket``'s current resolution."""
    return ticket.resolved_at is not None and resolution_marker(ticket.resolved_at) == marker


def edit_until(rating):
    """Until when ``rating`` can be changed: ``CSAT_EDIT_DAYS`` after it was first given."""
    return rating.created_at + timedelta(days=app_settings.CSAT_EDIT_DAYS)


def is_editable(rating, now):
    return now <= edit_until(rating)
