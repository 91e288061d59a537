"""The dashboard's figures per day, aggregated in the database: two queries whatever the period.

Tickets are counted on the local day they were opened (and, for the
resolved count and the resolution time, on the day they were resolved).
Days are cut at local midnight of the current time zone, with its UTC offset
at the end of the period: the shift is done in SQL before the date is taken,
so no backend needs time-zone tables (MySQL/MariaDB's ``CONVERT_TZ`` does).
A period that crosses a daylight-saving change puts the tickets of the
hour around it on the neighbouring day.

What this module returns is data (:class:`Chart`: days and series of
values, labels translated); the SVG is drawn by the ``helpdesk_charts``
template tags.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from django.db.models import Avg, Count, DateTimeField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Ticket

#: The shortest span a chart covers (the dashboard's "last 24 hours" would draw one bar).
MIN_DAYS = 7

COUNT = "count"
DURATION = "duration"
PERCENT = "percent"
SCORE = "score"


@dataclass
class Series:
    key: str
    label: str
    values: list


@dataclass
class Chart:
    """One chart: ``kind`` ("bars" or "lines"), ``unit`` (count, duration in seconds, percent, score),
    the category labels (``days``: dates, or ``labels``: text) and one or more series."""

    key: str
    title: str
    description: str
    kind: str
    unit: str
    series: list
    days: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    @property
    def empty(self):
        """Nothing to draw: no value at all (a measured duration of 0 is a value; a count of 0 is not)."""
        values = [value for series in self.series for value in series.values if value is not None]
        return not values if self.unit == DURATION else not any(values)


def period_days(days, now=None):
    """The local dates a chart of the last ``days`` days shows, oldest first (at least :data:`MIN_DAYS`)."""
    today = timezone.localdate(now or timezone.now())
    span = max(int(days), MIN_DAYS)
    return [today - timedelta(days=offset) for offset in range(span - 1, -1, -1)]


def _local_day(column, offset):
    # Shift to local wall time in SQL, then take the date in UTC: no time-zone conversion on any backend.
    shifted = ExpressionWrapper(F(column) + Value(offset), output_field=DateTimeField())
    return TruncDate(shifted, tzinfo=UTC)


def _as_date(value):
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # a backend that answers with text


def daily(departments, days, now=None):
    """Per-day figures of ``departments`` (a list of instances or ids) over the last ``days`` days.

    Returns ``{"days": [date, ...], "opened", "resolved", "answered", "answered_in_time",
    "avg_first_response", "avg_resolution"}``, each a list aligned with ``days``
    (averages in seconds of business time, or None for a day without any). Two queries.
    """
    now = now or timezone.now()
    dates = period_days(days, now)
    offset = timezone.localtime(now).utcoffset() or timedelta(0)
    start = timezone.make_aware(timezone.datetime.combine(dates[0], timezone.datetime.min.time()))
    ids = [getattr(d, "pk", d) for d in departments]
    tickets = Ticket.objects.filter(department_id__in=ids)
    index = {day: position for position, day in enumerate(dates)}
    size = len(dates)
    result = {
        "days": dates,
        "opened": [0] * size,
        "answered": [0] * size,
        "answered_in_time": [0] * size,
        "avg_first_response": [None] * size,
        "resolved": [0] * size,
        "avg_resolution": [None] * size,
    }
    created = (
        tickets.filter(created_at__gte=start, created_at__lte=now)
        .annotate(day=_local_day("created_at", offset))
        .values("day")
        .annotate(
            opened=Count("pk"),
            answered=Count("first_response_seconds"),
            answered_in_time=Count("pk", filter=Q(first_response_at__lte=F("first_response_due"))),
            avg_first_response=Avg("first_response_seconds"),
        )
        .order_by()
    )
    for row in created:
        position = index.get(_as_date(row["day"]))
        if position is None:
            continue
        for name in ("opened", "answered", "answered_in_time"):
            result[name][position] = row[name]
        result["avg_first_response"][position] = row["avg_first_response"]
    resolved = (
        tickets.filter(resolved_at__gte=start, resolved_at__lte=now)
        .annotate(day=_local_day("resolved_at", offset))
        .values("day")
        .annotate(resolved=Count("pk"), avg_resolution=Avg("resolution_seconds"))
        .order_by()
    )
    for row in resolved:
        position = index.get(_as_date(row["day"]))
        if position is not None:
            result["resolved"][position] = row["resolved"]
            result["avg_resolution"][position] = row["avg_resolution"]
    return result


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def dashboard_charts(departments, days, now=None, satisfaction=None):
    """The dashboard's charts (:class:`Chart` list) for ``departments`` over the last ``days`` days.

    ``satisfaction`` is :func:`helpdesk_tickets.satisfaction_stats.figures`'s result (no query here),
    or None when ratings are off.
    """
    figures = daily(departments, days, now)
    dates = figures["days"]
    charts = [
        Chart(
            key="volume",
            title=_("Tickets opened and resolved per day"),
            description=_("Bars per day: tickets opened that day, and tickets resolved that day."),
            kind="bars",
            unit=COUNT,
            days=dates,
            series=[
                Series("opened", _("Opened"), figures["opened"]),
                Series("resolved", _("Resolved"), figures["resolved"]),
            ],
        ),
        Chart(
            key="first_response",
            title=_("First response time per day"),
            description=_("Average business time to the first public staff reply, for the tickets opened each day."),
            kind="lines",
            unit=DURATION,
            days=dates,
            series=[Series("first_response", _("Avg. first response"), figures["avg_first_response"])],
        ),
        Chart(
            key="resolution",
            title=_("Resolution time per day"),
            description=_("Average business time to resolution, for the tickets resolved each day."),
            kind="lines",
            unit=DURATION,
            days=dates,
            series=[Series("resolution", _("Avg. resolution"), figures["avg_resolution"])],
        ),
        Chart(
            key="sla",
            title=_("First responses within the target, per day"),
            description=_(
                "Share of the tickets opened each day and answered whose first response met the department's target."
            ),
            kind="bars",
            unit=PERCENT,
            days=dates,
            series=[
                Series(
                    "in_time",
                    _("Answered in time"),
                    [_share(a, b) for a, b in zip(figures["answered_in_time"], figures["answered"], strict=True)],
                )
            ],
        ),
    ]
    if satisfaction is not None:
        charts += satisfaction_charts(satisfaction)
    return charts


def satisfaction_charts(satisfaction):
    """The CSAT charts: how often each score was given, and the satisfied share per department."""
    distribution = satisfaction["distribution"]
    departments = [row for row in satisfaction["departments"] if row["ratings"]]
    return [
        Chart(
            key="csat_scores",
            title=_("Satisfaction ratings by score"),
            description=_("How many ratings gave each score, from 1 (very dissatisfied) to 5 (very satisfied)."),
            kind="bars",
            unit=COUNT,
            labels=[str(score) for score in sorted(distribution)],
            series=[Series("ratings", _("Ratings"), [distribution[score] for score in sorted(distribution)])],
        ),
        Chart(
            key="csat_departments",
            title=_("Satisfied customers per department"),
            description=_("Share of the ratings of 4 or 5, per department."),
            kind="bars",
            unit=PERCENT,
            labels=[row["department"].display_name for row in departments],
            series=[Series("satisfied", _("Satisfied"), [row["satisfied_share"] for row in departments])],
        ),
    ]
