"""Who else has a ticket open in the staff workspace, and what was written since a page was opened.

Presence is a heartbeat in Django's cache, one entry per ticket holding the
agents whose staff page of it sent one within :data:`PRESENCE_SECONDS` (the
page polls every :data:`HEARTBEAT_SECONDS`). It is a courtesy, not a lock:
a cache that is down, or two heartbeats that overwrite each other's entry
for one beat, cost a missing line on a page and nothing else. What stops a
reply crossing a new message is :func:`written_since`, checked again by the
server when the reply is sent.
"""

import logging
import time

from django.core.cache import cache

from .. import users
from ..models import Message

logger = logging.getLogger("helpdesk_tickets")

#: How often the staff ticket page says it is still open.
HEARTBEAT_SECONDS = 15
#: How long after their last heartbeat an agent still counts as present (three beats missed: gone).
PRESENCE_SECONDS = 3 * HEARTBEAT_SECONDS + 5
#: Typing within this many seconds counts as replying.
REPLYING_SECONDS = 60

CUSTOMER, COLLEAGUE = "customer", "colleague"


def _key(ticket):
    return f"helpdesk_tickets:presence:{ticket.pk}"


def heartbeat(ticket, actor, *, replying=False, now=None):
    """Record that ``actor`` has the ticket's staff page open (writing a reply when ``replying``).

    Returns the others present, ``[{"name": ..., "replying": bool}]`` sorted by name.
    """
    now = time.time() if now is None else now
    key = _key(ticket)
    try:
        entries = cache.get(key) or {}
    except Exception:  # presence is a courtesy: a cache that is down shows no one
        logger.warning("helpdesk_tickets: presence cannot read the cache", exc_info=True)
        entries = {}
    entries = {pk: entry for pk, entry in entries.items() if now - entry["at"] < PRESENCE_SECONDS}
    me = str(actor.pk)
    entries[me] = {"at": now, "replying": bool(replying), "name": users.staff_label(actor)}
    try:
        cache.set(key, entries, PRESENCE_SECONDS)
    except Exception:
        logger.warning("helpdesk_tickets: presence cannot write the cache", exc_info=True)
    others = [{"name": entry["name"], "replying": entry["replying"]} for pk, entry in entries.items() if pk != me]
    return sorted(others, key=lambda other: other["name"].casefold())


def written_since(ticket, actor, seen, *, excluding=None):
    """Who wrote on the ticket after ``seen`` other than ``actor``: :data:`CUSTOMER`, :data:`COLLEAGUE` or "".

    The customer comes first (their message is what a reply must not cross).
    ``excluding`` is a message left out (the reply just posted).
    """
    if not seen:
        return ""
    later = Message.objects.filter(ticket=ticket, created_at__gt=seen).exclude(author=actor)
    if excluding is not None:
        later = later.exclude(pk=excluding.pk)
    crossed = set(later.values_list("from_staff", flat=True))
    if False in crossed:
        return CUSTOMER
    if True in crossed:
        return COLLEAGUE
    return ""
