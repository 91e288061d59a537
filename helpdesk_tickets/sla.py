"""Business-time arithmetic for the SLA clock.

A :class:`BusinessCalendar` knows the working hours, weekend days and
holidays; ``add`` moves a moment forward by an amount of *working* time and
``between`` measures the working time between two moments. With no
business hours configured the clock runs round the clock (weekends and
holidays still stop it when set).

The Holiday rows are read once and then kept by each process for
``HOLIDAY_CACHE_SECONDS`` (see :func:`holidays`), so that opening a ticket
does not read them again every time.

Whether a ticket is breached or at risk is decided here too, once, as a
predicate on one ticket (:func:`is_breached`, :func:`is_at_risk`) next to
the queryset condition that selects the same tickets (:func:`breached_q`,
:func:`at_risk_q`); ``tests/core/test_sla_rules.py`` checks on generated tickets
that each pair agrees. So is when a deadline is warned about
(:func:`in_warning_window` and :func:`warning_window_q`, checked by
``tests/escalation/test_escalation_rules.py``).
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q

from .choices import OPEN_STATUSES, SlaTarget
from .conf import settings as app_settings

_MAX_DAYS = 3660  # never loop forever on a calendar with no working days


def parse_hours(value):
    """``("09:00", "17:00")`` → ``(time(9), time(17))``; None stays None."""
    if value is None:
        return None
    start, end = (time.fromisoformat(part) if isinstance(part, str) else part for part in value)
    return start, end


@dataclass(frozen=True)
class BusinessCalendar:
    hours: tuple | None = None
    weekend_days: frozenset = frozenset()
    holidays: frozenset = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @classmethod
    def from_settings(cls, extra_holidays=()):
        tz_name = app_settings.BUSINESS_TIME_ZONE or django_settings.TIME_ZONE or "UTC"
        holidays = {date.fromisoformat(d) if isinstance(d, str) else d for d in app_settings.HOLIDAYS}
        holidays.update(extra_holidays)
        return cls(
            hours=parse_hours(app_settings.BUSINESS_HOURS),
            weekend_days=frozenset(app_settings.WEEKEND_DAYS),
            holidays=frozenset(holidays),
            tz=ZoneInfo(tz_name),
        )

    @property
    def round_the_clock(self):
        return self.hours is None and not self.weekend_days and not self.holidays

    def is_working_day(self, day):
        return day.weekday() not in self.weekend_days and day not in self.holidays

    def _window(self, day):
        """The working interval of ``day`` as aware UTC datetimes, or None.

        In UTC because Python subtracts and compares two datetimes sharing
        one tzinfo by their wall-clock times: across a daylight-saving change
        a local "day" would count 24 hours instead of 23 or 25.
        """
        if not self.is_working_day(day):
            return None
        if self.hours is None:
            start = datetime.combine(day, time.min, self.tz)
            end = datetime.combine(day + timedelta(days=1), time.min, self.tz)
        else:
            start = datetime.combine(day, self.hours[0], self.tz)
            end = datetime.combine(day, self.hours[1], self.tz)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        return (start, end) if end > start else None

    def add(self, moment, amount):
        """The moment ``amount`` of working time after ``moment`` (in ``moment``'s time zone)."""
        if self.round_the_clock:
            return (moment.astimezone(UTC) + amount).astimezone(moment.tzinfo)
        remaining = amount
        day = moment.astimezone(self.tz).date()
        cursor = moment.astimezone(UTC)
        for _ in range(_MAX_DAYS):
            window = self._window(day)
            if window:
                start = max(window[0], cursor)
                if start < window[1]:
                    available = window[1] - start
                    if remaining <= available:
                        return (start + remaining).astimezone(moment.tzinfo)
                    remaining -= available
            day += timedelta(days=1)
        return moment + amount  # no working time configured at all

    def between(self, start, end):
        """Working time from ``start`` to ``end`` (zero when ``end`` is earlier)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return timedelta(0)
        if self.round_the_clock:
            return end - start
        total = timedelta(0)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            window = self._window(day)
            if window:
                lo, hi = max(window[0], start), min(window[1], end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total


def calendar():
    """The site's calendar: settings plus the Holiday rows (see :func:`holidays`)."""
    return BusinessCalendar.from_settings(extra_holidays=holidays())


#: Changed (after commit) whenever a Holiday row is saved or deleted, in the
#: host's default cache: with a cache the workers share (Redis, Memcached),
#: every worker sees a change at once, not only the one that made it.
HOLIDAYS_VERSION_KEY = "helpdesk_tickets:holidays-version"

# (expires at, in monotonic seconds; version; dates): one per process.
_held = None


def holidays():
    """The dates of the Holiday rows, read at most every ``HOLIDAY_CACHE_SECONDS`` by each process.

    A change through the ORM (the admin, ``save()``, ``delete()``) is seen at
    once by the process that made it and, with a cache the processes share,
    by every process; otherwise other processes see it within
    ``HOLIDAY_CACHE_SECONDS``, as they do writes that send no signals
    (``bulk_create()``, ``update()``). ``0`` reads the rows every time.
    """
    global _held
    from .models import Holiday

    seconds = app_settings.HOLIDAY_CACHE_SECONDS
    if not seconds:
        return frozenset(Holiday.objects.values_list("date", flat=True))
    version = cache.get(HOLIDAYS_VERSION_KEY)
    now = monotonic()
    held = _held
    if held is not None and held[0] > now and held[1] == version:
        return held[2]
    dates = frozenset(Holiday.objects.values_list("date", flat=True))
    _held = (now + seconds, version, dates)
    return dates


def forget_holidays():
    """Drop this process's copy of the Holiday rows: the next calendar reads them again."""
    global _held
    _held = None


def holidays_changed(**kwargs):
    """Receiver of Holiday's ``post_save`` and ``post_delete``.

    This process forgets its copy at once (its own transaction sees the
    change), and again after commit, when the new version is announced to
    the others (before commit they would read and keep the old rows under
    the new version). A change rolled back after this process read it in
    that same transaction stays in its copy until the cache time is up.
    """
    forget_holidays()

    def announce():
        forget_holidays()
        cache.set(HOLIDAYS_VERSION_KEY, uuid.uuid4().hex, None)

    transaction.on_commit(announce, using=kwargs.get("using"))


def recompute_due_times(ticket, cal=None):
    """Set ``first_response_due`` and ``resolution_due`` from the department's targets.

    Paused time (while awaiting the customer) extends the resolution deadline.
    """
    cal = cal or calendar()
    department = ticket.department
    if ticket.first_response_at is None:
        ticket.first_response_due = cal.add(ticket.created_at, department.effective_first_response_target)
    ticket.resolution_due = cal.add(ticket.created_at, department.effective_resolution_target + ticket.sla_paused_total)


# Breaches and tickets at risk. Each rule is written twice, side by side: as
# a predicate on one ticket (the ticket page, the API, the admin) and as a
# queryset condition (the queue's filters and counts, the dashboard,
# housekeeping), reading the same fields. Change both or neither.
#
# A deadline is missed when the moment that meets it came after it: the
# first public staff reply for ``first_response_due``, resolution for
# ``resolution_due``. Until that moment, an open ticket is late once ``now``
# is past the deadline (the resolution clock stands still while paused). A
# ticket resolved or closed without meeting it is judged at ``resolved_at``,
# which closing an unresolved ticket sets too: finished unanswered after the
# first-response deadline is a breach, finished unanswered before it is not.
# "Past" is strictly later: a reply at the due time itself is in time.

#: How close to its running deadline (``sla_due``) a ticket counts as "at risk":
#: the queue's "Due within an hour" filter and its SLA column.
AT_RISK_WITHIN = timedelta(hours=1)


def _open_statuses():
    return OPEN_STATUSES


def first_response_breached(ticket, now):
    """Whether ``ticket`` missed (or, open and unanswered, is past) its first-response deadline."""
    due = ticket.first_response_due
    if due is None:
        return False
    if ticket.first_response_at is not None:
        return ticket.first_response_at > due
    if ticket.status in _open_statuses():
        return now > due
    return ticket.resolved_at is not None and ticket.resolved_at > due


def first_response_breached_q(now):
    """The tickets for which :func:`first_response_breached` holds."""
    is_open = Q(status__in=_open_statuses())
    return Q(first_response_at__gt=F("first_response_due")) | Q(first_response_at__isnull=True) & (
        is_open & Q(first_response_due__lt=now) | ~is_open & Q(resolved_at__gt=F("first_response_due"))
    )


def resolution_breached(ticket, now):
    """Whether ``ticket`` was resolved late or, open and not paused, is past its resolution deadline."""
    due = ticket.resolution_due
    if due is None:
        return False
    if ticket.status in _open_statuses():
        return ticket.sla_paused_at is None and now > due
    return ticket.resolved_at is not None and ticket.resolved_at > due


def resolution_breached_q(now):
    """The tickets for which :func:`resolution_breached` holds."""
    is_open = Q(status__in=_open_statuses())
    return is_open & Q(sla_paused_at__isnull=True, resolution_due__lt=now) | ~is_open & Q(
        resolved_at__gt=F("resolution_due")
    )


def is_breached(ticket, now):
    """Whether ``ticket`` missed an SLA deadline at ``now``: the one rule (see the comment above)."""
    return first_response_breached(ticket, now) or resolution_breached(ticket, now)


def breached_q(now):
    """The tickets for which :func:`is_breached` holds, as a condition.

    Usable as a filter or inside an aggregate, ``Count("pk", filter=breached_q(now))``,
    which reads only the counted rows. It reads the columns that the open
    tickets' covering index of migration 0003 holds (PostgreSQL), so the
    queue's counts stay an index-only scan.
    """
    return first_response_breached_q(now) | resolution_breached_q(now)


def is_at_risk(ticket, now):
    """Whether ``ticket``'s running deadline (``sla_due``) falls within ``AT_RISK_WITHIN`` and it is not breached."""
    due = ticket.sla_due
    return due is not None and now <= due <= now + AT_RISK_WITHIN and not is_breached(ticket, now)


def at_risk_q(now):
    """The tickets for which :func:`is_at_risk` holds."""
    return Q(sla_due__gte=now, sla_due__lte=now + AT_RISK_WITHIN) & ~breached_q(now)


# Per deadline: the escalation run (services/escalation.py) warns ahead of
# each deadline and escalates each breach separately, so the rules above are
# also asked for one target at a time.

#: The ticket's due-time field of each :class:`~helpdesk_tickets.choices.SlaTarget`.
DUE_FIELDS = {SlaTarget.FIRST_RESPONSE: "first_response_due", SlaTarget.RESOLUTION: "resolution_due"}


def due_of(ticket, target):
    """``ticket``'s due time for ``target`` (a :class:`~helpdesk_tickets.choices.SlaTarget`), or None."""
    return getattr(ticket, DUE_FIELDS[target])


def target_breached(ticket, target, now):
    """:func:`first_response_breached` or :func:`resolution_breached`, by ``target``."""
    rule = first_response_breached if target == SlaTarget.FIRST_RESPONSE else resolution_breached
    return rule(ticket, now)


def target_breached_q(target, now):
    """The tickets for which :func:`target_breached` holds."""
    rule = first_response_breached_q if target == SlaTarget.FIRST_RESPONSE else resolution_breached_q
    return rule(now)


def is_running(ticket, target):
    """Whether ``target``'s clock is running: the ticket is open and not paused (awaiting the customer),
    and, for the first response, not answered yet."""
    if ticket.status not in _open_statuses() or ticket.sla_paused_at is not None:
        return False
    return target != SlaTarget.FIRST_RESPONSE or ticket.first_response_at is None


def running_q(target):
    """The tickets for which :func:`is_running` holds."""
    condition = Q(status__in=_open_statuses(), sla_paused_at__isnull=True)
    if target == SlaTarget.FIRST_RESPONSE:
        condition &= Q(first_response_at__isnull=True)
    return condition


def in_warning_window(ticket, target, now, before):
    """Whether ``target``'s running deadline falls within ``before`` of ``now`` and has not passed.

    The window is clock time (``SLA_WARNING_BEFORE``), not business time: a
    deadline at 09:10 on Saturday is warned about at 08:55 that morning. A
    paused, resolved or closed ticket is never in it; a deadline already
    past is a breach (:func:`target_breached`), not a warning.
    """
    due = due_of(ticket, target)
    return due is not None and is_running(ticket, target) and now <= due <= now + before


def warning_window_q(target, now, before):
    """The tickets for which :func:`in_warning_window` holds."""
    field = DUE_FIELDS[target]
    return running_q(target) & Q(**{f"{field}__gte": now, f"{field}__lte": now + before})
