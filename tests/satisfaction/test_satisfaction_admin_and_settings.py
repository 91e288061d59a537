"""The ratings in the admin (read-only, as visible as their tickets) and the CSAT settings' checks."""

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from helpdesk_tickets import ratinglink, services
from helpdesk_tickets.checks import check_settings
from helpdesk_tickets.models import SatisfactionRating
from tests.factories import DepartmentFactory, UserFactory, client_for
from tests.staff.admin_helpers import make_staff_agent

from .helpers import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated():
    cast = Cast()
    marker = ratinglink.resolution_marker(cast.ticket.resolved_at)
    services.rate_ticket(cast.ticket, resolution=marker, score=2, comment="Slow", actor=cast.customer)
    return cast


def test_a_superuser_lists_and_opens_the_ratings_read_only(rated):
    admin = client_for(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = admin.get("/admin/helpdesk_tickets/satisfactionrating/")
    assert listing.status_code == 200 and rated.ticket.reference in listing.content.decode()
    rating = SatisfactionRating.objects.get()
    page = admin.get(f"/admin/helpdesk_tickets/satisfactionrating/{rating.pk}/change/")
    assert page.status_code == 200 and "Slow" in page.content.decode()
    assert (
        admin.post(f"/admin/helpdesk_tickets/satisfactionrating/{rating.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert SatisfactionRating.objects.exists()


def test_an_agent_of_another_department_sees_none_of_them(rated):
    outsider = make_staff_agent(DepartmentFactory(), username="outsider")
    outsider.user_permissions.add(*Permission.objects.filter(codename="view_satisfactionrating"))
    listing = client_for(outsider).get("/admin/helpdesk_tickets/satisfactionrating/")
    assert listing.status_code == 200 and rated.ticket.reference not in listing.content.decode()
    assert SatisfactionRating.objects.visible_to(outsider).count() == 0
    assert SatisfactionRating.objects.visible_to(rated.agent).count() == 1
    assert SatisfactionRating.objects.visible_to(rated.customer).count() == 1


@pytest.mark.parametrize("days", [0, -1, "7", True])
def test_a_bad_edit_window_is_reported(days):
    with override_settings(HELPDESK_TICKETS={"CSAT_EDIT_DAYS": days}):
        assert "helpdesk_tickets.E004" in {error.id for error in check_settings()}


def test_the_defaults_are_on_for_a_week():
    with override_settings(HELPDESK_TICKETS={}):
        assert not check_settings()
        from helpdesk_tickets.conf import settings

        assert settings.CSAT_ENABLED is True and settings.CSAT_EDIT_DAYS == 7
