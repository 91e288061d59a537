"""``GET stats/`` carries the CSAT figures per department and agent, typed in the schema; null with CSAT off."""

import pytest

from helpdesk_tickets import ratinglink, services
from tests.factories import UserFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db


def rated(world, department, agent, score):
    ticket = make_ticket(UserFactory(), department, world.ticket_type)
    services.assign(ticket, agent, actor=agent)
    services.resolve(ticket, actor=agent)
    ticket.refresh_from_db()
    marker = ratinglink.resolution_marker(ticket.resolved_at)
    services.rate_ticket(ticket, resolution=marker, score=score, actor=ticket.requester)


@pytest.fixture
def ratings(world):
    agent, other = world.users["agent"], world.users["other_agent"]
    rated(world, world.department, agent, 5)
    rated(world, world.department, agent, 3)
    rated(world, world.other_department, other, 1)


def test_supervisor_gets_csat_per_department_and_agent(world, ratings):
    body = world.client("supervisor").get("/api/stats/").json()
    csat = body["satisfaction"]
    assert csat["ratings"] == 3 and csat["satisfied"] == 1 and csat["average"] == 3.0
    assert csat["satisfied_share"] == 33.3
    assert csat["distribution"] == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 1}
    rows = {row["department"]: row for row in csat["departments"]}
    assert rows["billing"]["ratings"] == 2 and rows["billing"]["average"] == 4.0
    assert rows["sales"]["satisfied_share"] == 0.0
    agents = [row["agent"]["username"] for row in csat["agents"]]
    assert agents == [world.users["agent"].get_username(), world.users["other_agent"].get_username()]


def test_an_agent_gets_their_departments_ratings_only(world, ratings):
    csat = world.client("agent").get("/api/stats/").json()["satisfaction"]
    assert csat["ratings"] == 2 and [row["department"] for row in csat["departments"]] == ["billing"]
    assert [row["agent"]["username"] for row in csat["agents"]] == [world.users["agent"].get_username()]


def test_csat_off_gives_null(world, ratings, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "CSAT_ENABLED": False}
    assert world.client("supervisor").get("/api/stats/").json()["satisfaction"] is None


def test_stats_answers_in_a_constant_number_of_queries(world, django_assert_num_queries):
    client = world.client("supervisor")
    client.get("/api/stats/")
    from django.core.cache import cache

    cache.clear()
    agent = world.users["agent"]
    rated(world, world.department, agent, 4)
    with django_assert_num_queries(STATS_QUERIES_ONE):
        client.get("/api/stats/")
    for score in (1, 2, 5):
        rated(world, world.department, make_agent(world.department), score)
    cache.clear()
    with django_assert_num_queries(STATS_QUERIES_ONE):
        client.get("/api/stats/")


def test_the_schema_types_the_satisfaction_figures(world):
    schema = world.client("anonymous").get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    stats = components["Stats"]["properties"]
    assert "satisfaction" in stats
    csat = components["Satisfaction"]["properties"]
    assert {"ratings", "average", "satisfied", "satisfied_share", "distribution", "departments", "agents"} <= set(csat)
    assert components["SatisfactionAgent"]["properties"]["agent"]


# The token and the supervisor's permissions, the response-time figures, and four for the ratings.
STATS_QUERIES_ONE = 12
