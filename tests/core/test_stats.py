"""Response-time figures: a seeded data set checked against a hand computation, on the page too."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk_tickets import services, stats
from helpdesk_tickets.models import Status
from tests.factories import client_for
from tests.staff.helpers import make_desk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=5)
MIN = timedelta(minutes=1)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seeded():
    """Six tickets in the window, one outside it. The test settings run the clock round the clock;
    the first-response target is the default 30 minutes."""
    desk = make_desk()
    with at(T0 - timedelta(days=40)):
        ancient = desk.ticket(subject="ancient")
        services.post_reply(ticket=ancient, actor=desk.agent, body="late answer")  # outside the window

    with at(T0):
        s1 = desk.ticket(subject="s1")
        b1 = desk.ticket(desk.billing, subject="b1")
        b2 = desk.ticket(desk.billing, subject="b2")
    with at(T0 + 1 * MIN):
        s2 = desk.ticket(subject="s2")
    with at(T0 + 2 * MIN):
        s3 = desk.ticket(subject="s3")
    with at(T0 + 3 * MIN):
        s4 = desk.ticket(subject="s4")
    with at(T0 + 5 * MIN):
        services.post_reply(ticket=b1, actor=desk.billing_agent, body="b1 answer")  # FR 5 min
        services.post_reply(ticket=s4, actor=desk.agent, body="note", internal=True)  # not a response
    with at(T0 + 6 * MIN):
        services.close(b1, actor=desk.billing_agent)  # resolution 6 min - 1 min paused = 5 min
    with at(T0 + 10 * MIN):
        services.post_reply(ticket=s1, actor=desk.agent, body="s1 answer")  # FR 10 min
    with at(T0 + 15 * MIN):
        services.post_reply(ticket=b2, actor=desk.billing_agent, body="b2 answer")  # FR 15 min
    with at(T0 + 21 * MIN):
        services.post_reply(ticket=s2, actor=desk.agent, body="s2 answer")  # FR 20 min
    with at(T0 + 40 * MIN):
        services.post_reply(ticket=s1, actor=desk.customer, body="thanks, one more thing")  # paused 30 min
    with at(T0 + 62 * MIN):
        services.post_reply(ticket=s3, actor=desk.agent, body="s3 answer")  # FR 60 min: breached
    with at(T0 + 100 * MIN):
        services.resolve(s1, actor=desk.agent)  # resolution 100 min - 30 min paused = 70 min
    # s4 has no answer at NOW: its 30-minute first response is breached.
    return desk


def minutes(n):
    return timedelta(minutes=n)


def test_figures_match_the_hand_computation(seeded):
    desk = seeded
    figures = stats.figures(departments=[desk.sales, desk.billing], window=timedelta(days=30), now=NOW)
    sales, billing = sorted(figures["departments"], key=lambda row: row["department"].name, reverse=True)
    assert sales["department"] == desk.sales and billing["department"] == desk.billing

    # Sales: FR 10, 20, 60 min → mean 30, median 20; one resolved in 70 min; s3 and s4 breached.
    assert sales["tickets"] == 4
    assert sales["by_status"] == {
        Status.NEW: 1,
        Status.IN_PROGRESS: 0,
        Status.AWAITING_CUSTOMER: 2,
        Status.RESOLVED: 1,
        Status.CLOSED: 0,
    }
    assert sales["answered"] == 3
    assert sales["answered_in_time"] == 2  # 10 and 20 minutes are within the 30-minute target
    assert sales["avg_first_response"] == minutes(30)
    assert sales["median_first_response"] == minutes(20)
    assert (sales["resolved"], sales["avg_resolution"]) == (1, minutes(70))
    assert sales["breached"] == 2

    # Billing: FR 5 and 15 → mean and median 10; closed in 5 min; nothing late.
    assert billing["tickets"] == 2
    assert billing["by_status"][Status.CLOSED] == 1 and billing["by_status"][Status.AWAITING_CUSTOMER] == 1
    assert billing["avg_first_response"] == minutes(10)
    assert billing["median_first_response"] == minutes(10)
    assert (billing["resolved"], billing["avg_resolution"]) == (1, minutes(5))
    assert billing["breached"] == 0

    # Overall: FR 5, 10, 15, 20, 60 → mean 22, median 15; resolutions 70 and 5 → 37.5 min.
    overall = figures["overall"]
    assert overall["tickets"] == 6 and overall["answered"] == 5 and overall["answered_in_time"] == 4
    assert overall["avg_first_response"] == minutes(22)
    assert overall["median_first_response"] == minutes(15)
    assert overall["avg_resolution"] == timedelta(minutes=37, seconds=30)
    assert overall["breached"] == 2
    assert overall["by_status"][Status.NEW] == 1 and overall["by_status"][Status.AWAITING_CUSTOMER] == 3


def test_public_average_per_department(seeded):
    with at(NOW):
        averages = stats.average_first_response_by_department()
    assert averages == {seeded.sales.pk: minutes(30), seeded.billing.pk: minutes(10)}


def test_dashboard_shows_the_figures(seeded):
    client = client_for(seeded.supervisor)
    with at(NOW):
        page = client.get("/support/staff/dashboard/?days=30").content.decode()
    overall = page[page.index("<tfoot>") : page.index("</tfoot>")]
    assert ">22 min<" in overall and ">15 min<" in overall and ">37 min<" in overall
    assert ">80%<" in overall  # 4 of 5 first responses in time
    assert '<td dir="ltr" class="hdt-staff-alert">2</td>' in overall
    assert "Sales" in page and "Billing" in page


def test_agent_dashboard_covers_their_departments_only(seeded):
    client = client_for(seeded.agent)
    with at(NOW):
        page = client.get("/support/staff/dashboard/").content.decode()
    overall = page[page.index("<tfoot>") : page.index("</tfoot>")]
    assert ">30 min<" in overall and ">20 min<" in overall  # Sales alone
    assert "Billing" not in page[page.index("<tbody>") : page.index("</tbody>")]


def test_window_excludes_older_tickets(seeded):
    figures = stats.figures(departments=[seeded.sales], window=timedelta(hours=1), now=T0 + timedelta(minutes=30))
    assert figures["overall"]["tickets"] == 4


def test_figures_are_aggregates_not_loops(seeded):
    """The number of queries depends on the departments, not on the tickets."""
    departments = [seeded.sales, seeded.billing]
    with CaptureQueriesContext(connection) as few:
        stats.figures(departments=departments, now=NOW)
    for i in range(10):
        seeded.ticket(subject=f"more {i}")
    with CaptureQueriesContext(connection) as many:
        stats.figures(departments=departments, now=NOW + timedelta(minutes=1))
    assert len(few) == len(many)


def test_figures_are_cached_briefly(seeded, django_assert_num_queries):
    stats.figures(departments=[seeded.sales])
    with django_assert_num_queries(0):
        stats.figures(departments=[seeded.sales])


def test_dashboard_queries_do_not_grow_with_tickets(seeded):
    client = client_for(seeded.supervisor)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/support/staff/dashboard/").status_code == 200
    for i in range(12):
        seeded.ticket(seeded.billing, subject=f"more {i}")
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get("/support/staff/dashboard/")
    assert len(few) == len(many)
