"""CSAT figures per department and per agent: plain aggregates in a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk_tickets import ratinglink, satisfaction_stats, services
from tests.factories import DepartmentFactory, UserFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db


def rated(department, agent, score, customer=None):
    ticket = make_ticket(requester=customer or UserFactory(), department=department)
    if agent is not None:
        services.assign(ticket, agent, actor=agent)
    services.resolve(ticket, actor=agent or make_agent(department))
    ticket.refresh_from_db()
    marker = ratinglink.resolution_marker(ticket.resolved_at)
    services.rate_ticket(ticket, resolution=marker, score=score, actor=ticket.requester)
    return ticket


@pytest.fixture
def desk():
    billing, support, quiet = DepartmentFactory(name="Billing"), DepartmentFactory(name="Support"), DepartmentFactory()
    reza, mina = make_agent(billing, username="reza"), make_agent(support, username="mina")
    for score in (5, 4, 2):
        rated(billing, reza, score)
    for score in (5, 5):
        rated(support, mina, score)
    rated(support, None, 1)  # resolved by someone, never assigned: counted for the department only
    return billing, support, quiet, reza, mina


def test_figures_per_department_agent_and_overall(desk, django_assert_num_queries):
    billing, support, quiet, reza, mina = desk
    with django_assert_num_queries(4):
        figures = satisfaction_stats.figures([billing, support, quiet], timedelta(days=30))
    rows = {row["department"]: row for row in figures["departments"]}
    assert rows[billing] == {
        "department": billing,
        "ratings": 3,
        "average": 3.67,
        "satisfied": 2,
        "satisfied_share": 66.7,
    }
    assert rows[support]["ratings"] == 3 and rows[support]["satisfied"] == 2
    assert rows[quiet]["ratings"] == 0 and rows[quiet]["average"] is None
    assert [row["agent"] for row in figures["agents"]] == [mina, reza]
    assert figures["agents"][0]["average"] == 5.0
    assert figures["overall"]["ratings"] == 6 and figures["overall"]["satisfied"] == 4
    assert figures["distribution"] == {1: 1, 2: 1, 3: 0, 4: 1, 5: 3}


def test_the_query_count_holds_for_many_ratings(desk, django_assert_num_queries):
    billing, support, quiet, reza, mina = desk
    for score in (1, 2, 3):
        rated(billing, make_agent(billing), score)
    with django_assert_num_queries(4):
        satisfaction_stats.figures([billing, support, quiet], timedelta(days=30))


def test_no_ratings_costs_three_queries(django_assert_num_queries):
    department = DepartmentFactory()
    with django_assert_num_queries(3):
        figures = satisfaction_stats.figures([department], timedelta(days=30))
    assert figures["overall"] == {"ratings": 0, "average": None, "satisfied": 0, "satisfied_share": None}


def test_ratings_outside_the_window_or_the_departments_are_left_out(desk):
    billing, support, quiet, reza, mina = desk
    assert satisfaction_stats.figures([quiet], timedelta(days=30))["overall"]["ratings"] == 0
    later = timezone.now() + timedelta(days=60)
    assert satisfaction_stats.figures([billing], timedelta(days=30), now=later)["overall"]["ratings"] == 0
