"""The demo clock: the services run at moments of a few weeks of history, in business hours."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

from django.db.models import Max
from django.utils import timezone

from ...models import TicketEvent


def demo_moment(cal, opened, now):
    """``opened`` is (working days before today, local "HH:MM"), or None for ``now``."""
    if opened is None:
        return now
    days_back, clock = opened
    day = now.astimezone(cal.tz).date()
    for _day in range(366):  # a calendar without working days ends the search
        if not days_back:
            break
        day -= timedelta(days=1)
        days_back -= cal.is_working_day(day)
    return datetime.combine(day, time.fromisoformat(clock), cal.tz)


@contextmanager
def demo_clock(moment):
    """Run the services as if it were ``moment`` (never later than now): the demo gets a history.

    The services read the time through ``timezone.now()``; the audit rows,
    whose field default holds the real clock, are dated afterwards.
    """
    moment = min(moment, timezone.now())
    last_event = TicketEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
    TicketEvent.objects.filter(pk__gt=last_event).update(created_at=moment)
