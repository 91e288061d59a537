"""Response-time figures, computed in the database and cached briefly.

First response = the first public staff message. Times are business time
(see sla.py), measured when they happen and stored on the ticket
(``first_response_seconds``, ``resolution_seconds``), so every figure here
is a plain aggregate.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from .conf import settings as app_settings
from .models import Department, Status, Ticket

_CACHE_PREFIX = "helpdesk_tickets:stats:"


def _seconds(value):
    return None if value is None else timedelta(seconds=round(value))


def average_first_response_by_department(window=None, now=None, min_sample=1):
    """``{department_id: timedelta}`` averaged over tickets created within ``window``
    (default ``RESPONSE_TIME_WINDOW``) that got a first response. Departments
    with fewer than ``min_sample`` answered tickets are absent (a handful of
    tickets is no figure to promise). Cached for ``STATS_CACHE_SECONDS``."""
    window = window or app_settings.RESPONSE_TIME_WINDOW
    key = f"{_CACHE_PREFIX}afr:{int(window.total_seconds())}:{min_sample}"
    cached = cache.get(key) if now is None else None
    if cached is not None:
        return cached
    since = (now or timezone.now()) - window
    rows = (
        Ticket.objects.filter(created_at__gte=since, first_response_seconds__isnull=False)
        .values("department_id")
        .annotate(avg=Avg("first_response_seconds"), answered=Count("pk"))
        .filter(answered__gte=min_sample)
        .order_by()
    )
    result = {row["department_id"]: _seconds(row["avg"]) for row in rows}
    if now is None:
        cache.set(key, result, app_settings.STATS_CACHE_SECONDS)
    return result


def _median(queryset, field, count):
    """Median of ``field`` over ``queryset`` (``count`` non-null rows) with one query:
    the middle row(s) of the ordered column, fetched by offset."""
    if not count:
        return None
    middle = (count - 1) // 2
    size = 2 if count % 2 == 0 else 1
    values = list(
        queryset.filter(**{f"{field}__isnull": False})
        .order_by(field)
        .values_list(field, flat=True)[middle : middle + size]
    )
    return _seconds(sum(values) / len(values)) if values else None


def _empty_row():
    return {
        "tickets": 0,
        "by_status": {status: 0 for status in Status.values},
        "answered": 0,
        "answered_in_time": 0,
        "avg_first_response": None,
        "median_first_response": None,
        "resolved": 0,
        "avg_resolution": None,
        "breached": 0,
    }


def figures(departments=None, window=None, now=None):
    """Response-time figures per department and overall, for tickets created within ``window``.

    ``departments`` limits the scope (e.g. an agent's departments); None means all.
    Returns ``{"since": datetime, "until": datetime, "overall": row, "departments": [row, ...]}``
    where each department row also has ``department`` (the instance), and every row has
    ``tickets``, ``by_status`` ({status: count}), ``answered``, ``answered_in_time`` (first responses
    within the first-response target), ``avg_first_response``,
    ``median_first_response``, ``resolved``, ``avg_resolution`` (timedeltas of business
    time, or None) and ``breached`` (tickets that missed an SLA deadline).
    Everything is a database aggregate: a fixed number of queries plus one per
    department for the median. Cached for ``STATS_CACHE_SECONDS`` when ``now`` is not given.
    """
    window = window or app_settings.RESPONSE_TIME_WINDOW
    if departments is None:
        department_list = list(Department.objects.all())
    else:
        department_list = list(departments)
    ids = sorted(d.pk for d in department_list)
    cache_key = f"{_CACHE_PREFIX}figures:{int(window.total_seconds())}:{','.join(map(str, ids))}"
    if now is None:
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
    until = now or timezone.now()
    since = until - window
    tickets = Ticket.objects.filter(created_at__gte=since, created_at__lte=until, department_id__in=ids)

    rows = {pk: _empty_row() for pk in ids}
    overall = _empty_row()
    for row in tickets.values("department_id", "status").annotate(n=Count("id")).order_by():
        target = rows[row["department_id"]]
        target["by_status"][row["status"]] += row["n"]
        target["tickets"] += row["n"]
        overall["by_status"][row["status"]] += row["n"]
        overall["tickets"] += row["n"]

    timing = dict(
        answered=Count("first_response_seconds"),
        answered_in_time=Count("pk", filter=Q(first_response_at__lte=F("first_response_due"))),
        avg_fr=Avg("first_response_seconds"),
        resolved=Count("resolution_seconds"),
        avg_res=Avg("resolution_seconds"),
    )
    for row in tickets.values("department_id").annotate(**timing).order_by():
        target = rows[row["department_id"]]
        target["answered"], target["resolved"] = row["answered"], row["resolved"]
        target["answered_in_time"] = row["answered_in_time"]
        target["avg_first_response"], target["avg_resolution"] = _seconds(row["avg_fr"]), _seconds(row["avg_res"])
    total = tickets.aggregate(**timing)
    overall["answered"], overall["resolved"] = total["answered"], total["resolved"]
    overall["answered_in_time"] = total["answered_in_time"]
    overall["avg_first_response"], overall["avg_resolution"] = _seconds(total["avg_fr"]), _seconds(total["avg_res"])

    for row in tickets.breached(until).values("department_id").annotate(n=Count("id")).order_by():
        rows[row["department_id"]]["breached"] = row["n"]
        overall["breached"] += row["n"]

    for pk, row in rows.items():
        row["median_first_response"] = _median(
            tickets.filter(department_id=pk), "first_response_seconds", row["answered"]
        )
    overall["median_first_response"] = _median(tickets, "first_response_seconds", overall["answered"])

    by_id = {d.pk: d for d in department_list}
    result = {
        "since": since,
        "until": until,
        "overall": overall,
        "departments": [{"department": by_id[pk], **rows[pk]} for pk in ids],
    }
    if now is None:
        cache.set(cache_key, result, app_settings.STATS_CACHE_SECONDS)
    return result
