"""The SLA clock: business-time arithmetic, pauses, due times on tickets."""

from datetime import UTC, date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpdesk_tickets import services, sla
from helpdesk_tickets.models import Holiday, Status, Ticket
from helpdesk_tickets.sla import BusinessCalendar
from tests.factories import DepartmentFactory
from tests.staff.helpers import make_desk

TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = 4
SATURDAY, SUNDAY = 5, 6

# The example site's working week: 08:00–20:00 Tehran time, Friday off.
IRAN = BusinessCalendar(hours=(time(8), time(20)), weekend_days=frozenset({FRIDAY}), tz=TEHRAN)


def tehran(*args):
    return datetime(*args, tzinfo=TEHRAN)


# 2026-11-26 is a Thursday, 2026-11-27 a Friday, 2026-11-28 a Saturday.


class TestCalendar:
    def test_round_the_clock_is_plain_arithmetic(self):
        cal = BusinessCalendar()
        start = datetime(2026, 11, 26, 23, 50, tzinfo=UTC)
        assert cal.add(start, timedelta(minutes=30)) == datetime(2026, 11, 27, 0, 20, tzinfo=UTC)
        assert cal.between(start, start + timedelta(days=3)) == timedelta(days=3)

    def test_inside_working_hours(self):
        assert IRAN.add(tehran(2026, 11, 26, 10, 0), timedelta(minutes=30)) == tehran(2026, 11, 26, 10, 30)

    def test_after_hours_before_the_weekend_runs_into_saturday(self):
        # Thursday 19:50 + 30 min: 10 min on Thursday, Friday is off, 20 min on Saturday morning.
        due = IRAN.add(tehran(2026, 11, 26, 19, 50), timedelta(minutes=30))
        assert due == tehran(2026, 11, 28, 8, 20)
        assert IRAN.between(tehran(2026, 11, 26, 19, 50), due) == timedelta(minutes=30)

    def test_started_at_night_waits_for_the_morning(self):
        assert IRAN.add(tehran(2026, 11, 26, 3, 0), timedelta(hours=1)) == tehran(2026, 11, 26, 9, 0)

    def test_started_on_the_weekend(self):
        assert IRAN.add(tehran(2026, 11, 27, 12, 0), timedelta(minutes=5)) == tehran(2026, 11, 28, 8, 5)
        assert IRAN.between(tehran(2026, 11, 27, 9, 0), tehran(2026, 11, 27, 18, 0)) == timedelta(0)

    def test_full_working_days_are_twelve_hours(self):
        # Saturday 08:00 → next Saturday 08:00: six working days (Friday off).
        week = IRAN.between(tehran(2026, 11, 28, 8, 0), tehran(2026, 12, 5, 8, 0))
        assert week == timedelta(hours=6 * 12)

    def test_holiday_is_skipped(self):
        cal = BusinessCalendar(
            hours=IRAN.hours, weekend_days=IRAN.weekend_days, holidays=frozenset({date(2026, 11, 28)}), tz=TEHRAN
        )
        # Thursday 19:50 + 30 min: Friday weekend, Saturday holiday → Sunday 08:20.
        assert cal.add(tehran(2026, 11, 26, 19, 50), timedelta(minutes=30)) == tehran(2026, 11, 29, 8, 20)
        assert cal.between(tehran(2026, 11, 28, 0, 0), tehran(2026, 11, 29, 0, 0)) == timedelta(0)

    def test_moments_in_other_time_zones(self):
        # 16:00 UTC is 19:30 in Tehran: 30 minutes left on Thursday.
        start = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
        due = IRAN.add(start, timedelta(hours=1))
        assert due == tehran(2026, 11, 28, 8, 30)
        assert due.tzinfo == UTC  # answered in the caller's time zone
        assert IRAN.between(start, due) == timedelta(hours=1)

    def test_end_before_start_is_zero(self):
        assert IRAN.between(tehran(2026, 11, 26, 12, 0), tehran(2026, 11, 26, 11, 0)) == timedelta(0)

    def test_daylight_saving_day_has_23_hours(self):
        # Berlin springs forward on Sunday 2026-03-29; Saturday off so the clock is not round the clock.
        cal = BusinessCalendar(weekend_days=frozenset({SATURDAY}), tz=BERLIN)
        start = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
        end = datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)
        assert cal.between(start, end) == timedelta(hours=23)
        assert cal.add(start, timedelta(hours=23)) == end

    def test_daylight_saving_with_business_hours(self):
        cal = BusinessCalendar(hours=(time(9), time(17)), weekend_days=frozenset({SATURDAY, SUNDAY}), tz=BERLIN)
        # Friday 2026-03-27 16:00 + 2 h → Monday 2026-03-30 10:00 (summer time by then).
        due = cal.add(datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN), timedelta(hours=2))
        assert due == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)

    def test_round_the_clock_across_daylight_saving(self):
        cal = BusinessCalendar(tz=BERLIN)
        start = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
        # 24 real hours after Saturday noon is Sunday 13:00 local (clocks went forward).
        assert cal.add(start, timedelta(hours=24)) == datetime(2026, 3, 29, 13, 0, tzinfo=BERLIN)
        assert cal.between(start, datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)) == timedelta(hours=23)


# --------------------------------------------------------------------------
# properties

calendars = st.builds(
    BusinessCalendar,
    hours=st.one_of(
        st.none(),
        st.tuples(st.integers(0, 11), st.integers(12, 23)).map(lambda h: (time(h[0]), time(h[1], 30))),
    ),
    weekend_days=st.frozensets(st.integers(0, 6), max_size=3),
    holidays=st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=10),
    tz=st.sampled_from([UTC, TEHRAN, BERLIN, ZoneInfo("America/New_York")]),
)
moments = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)
amounts = st.timedeltas(timedelta(minutes=1), timedelta(days=20)).map(
    lambda d: timedelta(seconds=int(d.total_seconds()))
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendars, moments, amounts)
def test_between_undoes_add(cal, start, amount):
    assert cal.between(start, cal.add(start, amount)) == amount


@PROPERTY
@given(calendars, moments, moments)
def test_add_undoes_between_up_to_idle_time(cal, a, b):
    start, end = min(a, b), max(a, b)
    worked = cal.between(start, end)
    assume(worked > timedelta(0))
    reached = cal.add(start, worked)
    # The clock reaches the same amount of work no later than ``end`` (the rest is idle time).
    assert reached <= end
    assert cal.between(reached, end) == timedelta(0)


@PROPERTY
@given(calendars, moments, moments, moments)
def test_between_is_additive(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)


@PROPERTY
@given(calendars, moments, amounts, amounts)
def test_add_composes(cal, start, first, second):
    assert cal.add(cal.add(start, first), second) == cal.add(start, first + second)


@PROPERTY
@given(calendars, moments, moments)
def test_working_time_never_exceeds_real_time(cal, a, b):
    start, end = min(a, b), max(a, b)
    assert timedelta(0) <= cal.between(start, end) <= end - start


# --------------------------------------------------------------------------
# on tickets, through the services

needs_db = pytest.mark.django_db


def at(moment):
    """Freeze the services' clock at ``moment``."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


IRAN_SETTINGS = {
    "BUSINESS_HOURS": ("08:00", "20:00"),
    "WEEKEND_DAYS": [FRIDAY],
    "BUSINESS_TIME_ZONE": "Asia/Tehran",
    "REFERENCE_PREFIX": "HD",
}


@needs_db
@override_settings(HELPDESK_TICKETS=IRAN_SETTINGS)
def test_due_times_follow_the_calendar_and_the_holiday_list():
    Holiday.objects.create(date=date(2026, 11, 28), name="Holiday")
    desk = make_desk()
    with at(tehran(2026, 11, 26, 19, 50)):
        ticket = desk.ticket()
    # Default first-response target is 30 minutes: Friday weekend, Saturday holiday → Sunday 08:20.
    assert ticket.first_response_due == tehran(2026, 11, 29, 8, 20)
    # Default resolution target 24 h of business time: 10 min Thu + 12 h Sun + 11 h 50 min Mon.
    assert ticket.resolution_due == tehran(2026, 11, 30, 19, 50)


@needs_db
@override_settings(HELPDESK_TICKETS=IRAN_SETTINGS)
def test_first_response_time_counts_business_time_only():
    desk = make_desk()
    with at(tehran(2026, 11, 26, 19, 50)):
        ticket = desk.ticket()
    with at(tehran(2026, 11, 28, 8, 15)):
        services.post_reply(ticket=ticket, actor=desk.agent, body="Good morning")
    ticket.refresh_from_db()
    assert ticket.first_response_seconds == 25 * 60
    assert not ticket.first_response_breached()


@needs_db
@override_settings(HELPDESK_TICKETS={**IRAN_SETTINGS, "WEEKEND_DAYS": [], "BUSINESS_HOURS": None})
def test_clock_pauses_while_awaiting_the_customer():
    desk = make_desk()
    desk.sales.resolution_target = timedelta(hours=4)
    desk.sales.save()
    t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with at(t0):
        ticket = desk.ticket()
    assert ticket.resolution_due == t0 + timedelta(hours=4)
    with at(t0 + timedelta(minutes=10)):
        services.post_reply(ticket=ticket, actor=desk.agent, body="Which invoice?")
    assert ticket.status == Status.AWAITING_CUSTOMER and ticket.sla_paused
    # Past the original deadline, but the clock is paused: not breached, not in breached().
    later = t0 + timedelta(hours=10)
    assert not ticket.resolution_breached(later)
    assert not Ticket.objects.breached(later).exists()
    with at(t0 + timedelta(hours=5, minutes=10)):
        services.post_reply(ticket=ticket, actor=desk.customer, body="Number 42")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and not ticket.sla_paused
    assert ticket.sla_paused_total == timedelta(hours=5)
    assert ticket.resolution_due == t0 + timedelta(hours=9)
    with at(t0 + timedelta(hours=7)):
        services.resolve(ticket, actor=desk.agent)
    ticket.refresh_from_db()
    # Seven hours elapsed, five of them waiting for the customer.
    assert ticket.resolution_seconds == 2 * 3600
    assert not ticket.resolution_breached()


def stored_due(ticket):
    return Ticket.objects.values_list("sla_due", flat=True).get(pk=ticket.pk)


@needs_db
@override_settings(HELPDESK_TICKETS={**IRAN_SETTINGS, "WEEKEND_DAYS": [], "BUSINESS_HOURS": None})
def test_stored_sla_due_follows_the_running_deadline():
    """The queue sorts on ``sla_due``: every service that moves the clock keeps it equal to ``next_due()``."""
    desk = make_desk()
    t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with at(t0):
        ticket = desk.ticket()
    assert stored_due(ticket) == ticket.first_response_due == t0 + timedelta(minutes=30)
    with at(t0 + timedelta(minutes=10)):
        services.post_reply(ticket=ticket, actor=desk.agent, body="Which invoice?")
    assert ticket.sla_paused and stored_due(ticket) is None
    with at(t0 + timedelta(minutes=40)):
        services.post_reply(ticket=ticket, actor=desk.customer, body="Number 42")
    ticket.refresh_from_db()
    assert stored_due(ticket) == ticket.resolution_due is not None
    with at(t0 + timedelta(minutes=50)):
        services.change_department(ticket, desk.billing, actor=desk.agent)
    ticket.refresh_from_db()
    assert stored_due(ticket) == ticket.resolution_due == ticket.next_due()
    services.resolve(ticket, actor=desk.billing_agent)
    assert stored_due(ticket) is None
    services.reopen(ticket, actor=desk.billing_agent)
    ticket.refresh_from_db()
    assert stored_due(ticket) == ticket.next_due() is not None
    services.close(ticket, actor=desk.billing_agent)
    assert stored_due(ticket) is None


@needs_db
@override_settings(HELPDESK_TICKETS={**IRAN_SETTINGS, "WEEKEND_DAYS": [], "BUSINESS_HOURS": None})
def test_moving_department_recomputes_due_times():
    desk = make_desk()
    desk.billing.first_response_target = timedelta(hours=2)
    desk.billing.save()
    t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with at(t0):
        ticket = desk.ticket()
    assert ticket.first_response_due == t0 + timedelta(minutes=30)
    with at(t0 + timedelta(minutes=5)):
        services.change_department(ticket, desk.billing, actor=desk.agent)
    ticket.refresh_from_db()
    assert ticket.first_response_due == t0 + timedelta(hours=2)


@needs_db
def test_site_calendar_reads_settings_and_holidays():
    Holiday.objects.create(date=date(2026, 3, 21), name="Nowruz")
    with override_settings(HELPDESK_TICKETS={"WEEKEND_DAYS": [FRIDAY], "HOLIDAYS": ["2026-03-22"]}):
        cal = sla.calendar()
    assert cal.weekend_days == {FRIDAY}
    assert cal.holidays == {date(2026, 3, 21), date(2026, 3, 22)}


@needs_db
def test_holidays_are_read_once_and_a_change_here_is_seen_at_once(django_assert_num_queries):
    Holiday.objects.create(date=date(2026, 3, 21), name="Nowruz")
    assert sla.calendar().holidays == {date(2026, 3, 21)}
    with django_assert_num_queries(0):
        assert sla.calendar().holidays == {date(2026, 3, 21)}
    moved = Holiday.objects.create(date=date(2026, 4, 1), name="Republic Day")
    assert sla.calendar().holidays == {date(2026, 3, 21), date(2026, 4, 1)}
    moved.date = date(2026, 4, 2)
    moved.save()
    assert sla.calendar().holidays == {date(2026, 3, 21), date(2026, 4, 2)}
    Holiday.objects.filter(pk=moved.pk).delete()
    assert sla.calendar().holidays == {date(2026, 3, 21)}


@needs_db
def test_a_holiday_change_is_announced_to_the_other_processes_after_commit(django_capture_on_commit_callbacks):
    from django.core.cache import cache

    before = cache.get(sla.HOLIDAYS_VERSION_KEY)
    with django_capture_on_commit_callbacks() as on_commit:
        Holiday.objects.create(date=date(2026, 3, 21))
        # Before commit the others would read the old rows and keep them under the new version.
        assert cache.get(sla.HOLIDAYS_VERSION_KEY) == before
    for callback in on_commit:
        callback()
    assert cache.get(sla.HOLIDAYS_VERSION_KEY) not in (None, before)


@needs_db
def test_a_holiday_changed_by_another_process_is_seen_once_announced():
    from django.core.cache import cache

    assert sla.calendar().holidays == set()
    Holiday.objects.bulk_create([Holiday(date=date(2026, 3, 21))])  # no signal: as another process's write
    assert sla.calendar().holidays == set()  # kept for HOLIDAY_CACHE_SECONDS…
    cache.set(sla.HOLIDAYS_VERSION_KEY, "changed elsewhere")  # …unless that process announces its change
    assert sla.calendar().holidays == {date(2026, 3, 21)}


@needs_db
def test_holidays_are_read_again_after_the_cache_time(monkeypatch):
    assert sla.calendar().holidays == set()
    Holiday.objects.bulk_create([Holiday(date=date(2026, 3, 21))])
    later = sla.monotonic() + 61
    monkeypatch.setattr(sla, "monotonic", lambda: later)
    assert sla.calendar().holidays == {date(2026, 3, 21)}


@needs_db
@override_settings(HELPDESK_TICKETS={"HOLIDAY_CACHE_SECONDS": 0})
def test_no_cache_time_reads_the_holidays_every_time(django_assert_num_queries):
    sla.calendar()
    with django_assert_num_queries(1):
        sla.calendar()


@needs_db
def test_department_targets_fall_back_to_the_site_default():
    department = DepartmentFactory()
    assert department.effective_first_response_target == timedelta(minutes=30)
    department.first_response_target = timedelta(minutes=10)
    assert department.effective_first_response_target == timedelta(minutes=10)


@needs_db
@override_settings(HELPDESK_TICKETS={**IRAN_SETTINGS, "WEEKEND_DAYS": [], "BUSINESS_HOURS": None})
def test_time_spent_resolved_does_not_count_when_the_customer_reopens():
    """A ticket resolved in time and reopened days later by the customer is not instantly overdue."""
    desk = make_desk()
    desk.sales.resolution_target = timedelta(hours=4)
    desk.sales.save()
    t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with at(t0):
        ticket = desk.ticket()
    with at(t0 + timedelta(minutes=10)):
        services.post_reply(ticket=ticket, actor=desk.agent, body="Which page?")
    with at(t0 + timedelta(minutes=20)):
        services.post_reply(ticket=ticket, actor=desk.customer, body="The invoice page")  # 10 min paused
    with at(t0 + timedelta(hours=1)):
        services.resolve(ticket, actor=desk.agent)
    assert ticket.resolution_seconds == 50 * 60
    with at(t0 + timedelta(days=3)):
        services.post_reply(ticket=ticket, actor=desk.customer, body="It broke again")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    # 50 minutes of the 4 hours were used before it was resolved; the days it spent resolved do not count.
    assert ticket.sla_paused_total == timedelta(days=3, minutes=-50)
    assert ticket.resolution_due == t0 + timedelta(days=3, hours=3, minutes=10)
    assert not Ticket.objects.breached(t0 + timedelta(days=3, minutes=5)).filter(pk=ticket.pk).exists()
    with at(t0 + timedelta(days=3, hours=2)):
        services.resolve(ticket, actor=desk.agent)
    ticket.refresh_from_db()
    assert ticket.resolution_seconds == (2 * 60 + 50) * 60  # 50 minutes, then two more hours
