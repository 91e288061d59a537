"""Response-time figures, computed in the database and cached briefly.

First response = the first public staff message. Times are business time
(see sla.py), measured when they happen and stored on the ticket
(``first_response_seconds``, ``resolution_seconds``), so every figure here
is a plain aggregate.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Avg
from django.utils import timezone

from .conf import settings as app_settings
from .models import Ticket

_CACHE_PREFIX = "helpdesk_tickets:stats:"


def _seconds(value):
    return None if value is None else timedelta(seconds=round(value))


def average_first_response_by_department(window=None, now=None):
    """``{department_id: timedelta}`` averaged over tickets created within ``window``
    (default ``RESPONSE_TIME_WINDOW``) that got a first response. Departments
    without answered tickets are absent. Cached for ``STATS_CACHE_SECONDS``."""
    window = window or app_settings.RESPONSE_TIME_WINDOW
    key = f"{_CACHE_PREFIX}afr:{int(window.total_seconds())}"
    cached = cache.get(key) if now is None else None
    if cached is not None:
        return cached
    since = (now or timezone.now()) - window
    rows = (
        Ticket.objects.filter(created_at__gte=since, first_response_seconds__isnull=False)
        .values("department_id")
        .annotate(avg=Avg("first_response_seconds"))
        .order_by()
    )
    result = {row["department_id"]: _seconds(row["avg"]) for row in rows}
    if now is None:
        cache.set(key, result, app_settings.STATS_CACHE_SECONDS)
    return result
