"""The dashboard's charts: per-day figures in two SQL queries, drawn as escaped SVG, RTL and Jalali in fa."""

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from helpdesk_tickets import charts, satisfaction_stats
from helpdesk_tickets.models import Ticket
from tests.factories import DepartmentFactory, make_ticket

pytestmark = pytest.mark.django_db


def at(ticket, **times):
    Ticket.objects.filter(pk=ticket.pk).update(**times)


@pytest.fixture
def spread():
    """Tickets opened on three local days (noon), answered and resolved at known times."""
    department = DepartmentFactory()
    now = timezone.localtime().replace(hour=18, minute=0, second=0, microsecond=0)
    noon = now.replace(hour=12)
    made = []
    for days_ago, count in ((0, 2), (2, 3), (5, 1)):
        for n in range(count):
            ticket = make_ticket(department=department)
            created = noon - timedelta(days=days_ago)
            at(
                ticket,
                created_at=created,
                first_response_at=created + timedelta(minutes=20 + 40 * n),
                first_response_due=created + timedelta(minutes=30),
                first_response_seconds=(20 + 40 * n) * 60,
                resolved_at=created + timedelta(hours=3),
                resolution_seconds=3 * 3600,
                status="resolved",
            )
            made.append(ticket)
    return department, now, made


def test_daily_figures_in_two_queries(spread, django_assert_num_queries):
    department, now, _tickets = spread
    with django_assert_num_queries(2):
        figures = charts.daily([department], 7, now=now)
    assert len(figures["days"]) == 7 and figures["days"][-1] == now.date()
    assert figures["opened"] == [0, 1, 0, 0, 3, 0, 2]
    assert figures["resolved"] == [0, 1, 0, 0, 3, 0, 2]
    # Answered in time: the first of each day (20 min against a 30 min target).
    assert figures["answered_in_time"] == [0, 1, 0, 0, 1, 0, 1]
    assert figures["avg_first_response"][4] == pytest.approx(60 * 60)  # 20, 60, 100 minutes
    assert figures["avg_resolution"][6] == pytest.approx(3 * 3600)
    assert figures["avg_first_response"][0] is None


def test_the_query_count_does_not_grow_with_days_or_tickets(spread, django_assert_num_queries):
    department, now, _tickets = spread
    for _ in range(5):
        make_ticket(department=department)
    with django_assert_num_queries(2):
        charts.daily([department], 90, now=now)


def test_tickets_of_other_departments_are_not_counted(spread):
    _department, now, _tickets = spread
    assert sum(charts.daily([DepartmentFactory()], 7, now=now)["opened"]) == 0


def test_a_day_is_cut_at_local_midnight(settings):
    settings.TIME_ZONE = "Asia/Tehran"
    department = DepartmentFactory()
    with timezone.override("Asia/Tehran"):
        now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
        # 00:10 local time is the evening before in UTC (UTC+03:30): still today here.
        ticket = make_ticket(department=department)
        at(ticket, created_at=now.replace(hour=0, minute=10))
        figures = charts.daily([department], 7, now=now)
    assert figures["opened"][-1] == 1


def render(chart, language):
    with translation.override(language):
        return Template("{% load helpdesk_charts %}{% hdt_chart chart %}").render(Context({"chart": chart}))


def test_the_charts_render_as_svg_with_title_desc_and_values(spread):
    department, now, _tickets = spread
    with translation.override("en"):
        built = charts.dashboard_charts([department], 7, now=now)
    assert [chart.key for chart in built] == ["volume", "first_response", "resolution", "sla"]
    html = render(built[0], "en")
    assert html.count("<svg") == 1 and 'role="img"' in html
    assert "<title id=" in html and "<desc id=" in html
    assert html.count("<rect ") == 6  # three days with tickets, opened and resolved bars
    assert "Opened: 3" in html and "Resolved: 2" in html
    assert "Show the figures" in html
    line = render(built[1], "en")
    assert "<polyline" in line and "1 h" in line


def test_in_persian_digits_are_persian_days_jalali_and_the_axis_runs_right_to_left(spread):
    department, now, _tickets = spread
    with translation.override("fa"):
        built = charts.dashboard_charts([department], 7, now=now)
    html = render(built[0], "fa")
    labels = re.findall(r'text-anchor="middle">([^<]+)<', html)
    jalali_months = (
        "فروردین",
        "اردیبهشت",
        "خرداد",
        "تیر",
        "مرداد",
        "شهریور",
        "مهر",
        "آبان",
        "آذر",
        "دی",
        "بهمن",
        "اسفند",
    )
    assert labels and all(any(month in label for month in jalali_months) for label in labels)
    assert not re.search(r">[^<]*[0-9][^<]*<", html.split("<title")[0].split("<svg")[1]), "Latin digits in the SVG"
    # The newest day is drawn on the left in RTL: its x label is the smallest x.
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle"', html)]
    assert xs == sorted(xs, reverse=True)
    en = render(charts.dashboard_charts([department], 7, now=now)[0], "en")
    xs_en = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle"', en)]
    assert xs_en == sorted(xs_en)


def test_labels_are_escaped():
    department = DepartmentFactory(name="<script>alert(1)</script>")
    figures = {
        "departments": [{"department": department, "ratings": 1, "satisfied": 1, "satisfied_share": 100.0}],
        "distribution": {1: 0, 2: 0, 3: 0, 4: 0, 5: 1},
    }
    html = render(charts.satisfaction_charts(figures)[1], "en")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_an_empty_period_says_so():
    with translation.override("en"):
        chart = charts.dashboard_charts([DepartmentFactory()], 7)[0]
    html = render(chart, "en")
    assert "<svg" not in html and "Nothing to show" in html


def test_satisfaction_charts_come_from_the_figures_without_queries(django_assert_num_queries):
    department = DepartmentFactory()
    figures = satisfaction_stats.figures([department], timedelta(days=30))
    with django_assert_num_queries(0):
        built = charts.satisfaction_charts(figures)
    assert [chart.key for chart in built] == ["csat_scores", "csat_departments"]


def test_in_persian_the_score_chart_labels_its_bars_in_persian_digits():
    # The dashboard's "ratings by score" chart read "1 2 3 4 5" under Persian axis figures.
    figures = {"departments": [], "distribution": {1: 1, 2: 0, 3: 2, 4: 0, 5: 7}}
    html = render(charts.satisfaction_charts(figures)[0], "fa")
    labels = re.findall(r'text-anchor="middle">([^<]+)<', html)
    assert sorted(labels) == ["۱", "۲", "۳", "۴", "۵"]
    assert not re.search(r">[^<]*[0-9][^<]*<", html.split("<title")[0].split("<svg")[1]), "Latin digits in the SVG"
