"""The rating on the customer's thread, on the staff ticket page and on the dashboard; all gone with CSAT off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from helpdesk_tickets import ratinglink, services
from helpdesk_tickets.models import SatisfactionRating
from tests.factories import client_for, make_supervisor

from .helpers import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return Cast()


def rate(cast, score=4, comment="Kind and quick."):
    marker = ratinglink.resolution_marker(cast.ticket.resolved_at)
    return services.rate_ticket(cast.ticket, resolution=marker, score=score, comment=comment, actor=cast.customer)[0]


def test_the_thread_of_a_resolved_ticket_offers_the_form(cast):
    page = client_for(cast.customer).get(cast.ticket.get_absolute_url()).content.decode()
    assert 'id="rating"' in page and f'action="{cast.url()}"' in page
    assert not SatisfactionRating.objects.exists()


def test_the_thread_form_records_through_the_signed_link(cast):
    client = client_for(cast.customer)
    response = client.post(cast.url(), {"score": "3", "comment": "OK"})
    assert response.status_code == 302
    page = client.get(cast.ticket.get_absolute_url()).content.decode()
    assert "3 of 5" in page and "Change my rating" in page


def test_after_the_edit_window_the_thread_shows_the_rating_without_the_form(cast):
    rate(cast)
    SatisfactionRating.objects.update(created_at=timezone.now() - timedelta(days=30))
    page = client_for(cast.customer).get(cast.ticket.get_absolute_url()).content.decode()
    assert "4 of 5" in page and 'name="score"' not in page


def test_an_open_ticket_has_no_rating_box(cast):
    services.reopen(cast.ticket, actor=cast.customer)
    page = client_for(cast.customer).get(cast.ticket.get_absolute_url()).content.decode()
    assert 'id="rating"' not in page


def test_staff_see_the_rating_on_the_ticket_page(cast):
    rate(cast, 2, "Took too long.")
    page = client_for(cast.agent).get(cast.ticket.get_staff_url()).content.decode()
    assert "Customer rating" in page and "2 of 5" in page and "Took too long." in page


def test_staff_see_that_a_resolved_ticket_is_not_rated_yet(cast):
    page = client_for(cast.agent).get(cast.ticket.get_staff_url()).content.decode()
    assert "Not rated yet" in page


def test_the_dashboard_shows_csat_per_department_and_agent(cast):
    rate(cast, 5)
    response = client_for(cast.agent).get("/support/staff/dashboard/")
    page = response.content.decode()
    assert 'data-csat="departments"' in page and 'data-csat="agents"' in page
    assert response.context["satisfaction"]["overall"]["ratings"] == 1
    assert [row["agent"] for row in response.context["satisfaction"]["agents"]] == [cast.agent]
    assert page.count("<svg") >= 6  # four over time, two of satisfaction


def test_with_csat_off_nothing_is_offered(cast, settings):
    rate(cast)
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "CSAT_ENABLED": False}
    thread = client_for(cast.customer).get(cast.ticket.get_absolute_url()).content.decode()
    assert 'id="rating"' not in thread
    staff = client_for(cast.agent).get(cast.ticket.get_staff_url()).content.decode()
    assert "Customer rating" not in staff
    dashboard = client_for(cast.agent).get("/support/staff/dashboard/")
    assert dashboard.context["satisfaction"] is None and 'data-csat="departments"' not in dashboard.content.decode()


def test_the_dashboard_query_count_is_constant(cast, django_assert_num_queries):
    from django.core.cache import cache

    from tests.factories import UserFactory, make_agent, make_ticket

    supervisor = make_supervisor(username="boss")
    client = client_for(supervisor)
    client.get("/support/staff/dashboard/")  # the session's first request
    rate(cast, 5)
    cache.clear()
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get("/support/staff/dashboard/")
    for score in (1, 3, 4):
        agent = make_agent(cast.department)
        ticket = make_ticket(requester=UserFactory(), department=cast.department)
        services.assign(ticket, agent, actor=agent)
        services.post_reply(ticket=ticket, actor=agent, body="Done.")
        services.resolve(ticket, actor=agent)
        ticket.refresh_from_db()
        marker = ratinglink.resolution_marker(ticket.resolved_at)
        services.rate_ticket(ticket, resolution=marker, score=score, actor=ticket.requester)
    cache.clear()
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get("/support/staff/dashboard/")


# The session and the supervisor, the response-time figures, the queue now, the unstaffed departments,
# the knowledge base's deflections, two for the charts and four for the ratings.
DASHBOARD_QUERIES = 20
