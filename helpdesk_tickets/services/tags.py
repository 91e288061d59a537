"""Tags on tickets: staff-only labels, added and removed by the staff for the ticket.

A tag of a department is used on that department's tickets; a tag without
one on every department's. Tagging is invisible to the customer: it changes
neither the ticket's ``updated_at`` nor its activity, and sends nothing.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..models import Tag, Ticket, TicketEvent


def tags_by_slug(slugs, *, ticket):
    """The tags named by ``slugs`` that ``ticket`` may carry; a ``ValidationError`` on ``tags`` names any other."""
    slugs = list(dict.fromkeys(slugs))
    found = {tag.slug: tag for tag in Tag.objects.usable_in(ticket.department_id).filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise ValidationError(
            {"tags": _("No such tag for this ticket's department: %(slugs)s.") % {"slugs": ", ".join(unknown)}}
        )
    return [found[slug] for slug in slugs]


def _check(ticket, tags, actor):
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    refused = [tag.name for tag in tags if not tag.usable_in(ticket.department_id)]
    if refused:
        raise ValidationError(
            {"tags": _("Not a tag of this ticket's department: %(names)s.") % {"names": ", ".join(refused)}}
        )


def _record(ticket, kind, actor, tags):
    # One insert for the lot: a bulk action tags hundreds of tickets.
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=ticket, kind=kind, actor=actor, new_value=tag.name[:200]) for tag in tags]
    )


def add_tags(ticket, tags, *, actor):
    """Put ``tags`` on ``ticket``; returns those it did not carry yet (each recorded as a ``tag_added`` event)."""
    tags = list(dict.fromkeys(tags))
    _check(ticket, tags, actor)
    links = Ticket.tags.through
    with transaction.atomic():
        carried = set(links.objects.filter(ticket_id=ticket.pk, tag__in=tags).values_list("tag_id", flat=True))
        added = [tag for tag in tags if tag.pk not in carried]
        if added:
            links.objects.bulk_create(
                [links(ticket_id=ticket.pk, tag_id=tag.pk) for tag in added], ignore_conflicts=True
            )
            _record(ticket, TicketEvent.Kind.TAG_ADDED, actor, added)
    _forget_prefetched(ticket)
    return added


def remove_tags(ticket, tags, *, actor):
    """Take ``tags`` off ``ticket``; returns those it carried (each recorded as a ``tag_removed`` event)."""
    tags = list(dict.fromkeys(tags))
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    links = Ticket.tags.through
    with transaction.atomic():
        carried = set(links.objects.filter(ticket_id=ticket.pk, tag__in=tags).values_list("tag_id", flat=True))
        removed = [tag for tag in tags if tag.pk in carried]
        if removed:
            links.objects.filter(ticket_id=ticket.pk, tag_id__in=[tag.pk for tag in removed]).delete()
            _record(ticket, TicketEvent.Kind.TAG_REMOVED, actor, removed)
    _forget_prefetched(ticket)
    return removed


def set_tags(ticket, tags, *, actor):
    """Make ``tags`` exactly the tags of ``ticket`` (the API's ``PATCH tags``); returns ``(added, removed)``."""
    tags = list(dict.fromkeys(tags))
    _check(ticket, tags, actor)
    with transaction.atomic():
        current = list(Tag.objects.filter(tickets=ticket))
        removed = remove_tags(ticket, [tag for tag in current if tag not in tags], actor=actor)
        added = add_tags(ticket, tags, actor=actor)
    return added, removed


def _forget_prefetched(ticket):
    cache = getattr(ticket, "_prefetched_objects_cache", None)
    if cache:
        cache.pop("tags", None)
