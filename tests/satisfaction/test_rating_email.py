"""The resolved e-mail offers the signed rating link (text and HTML) in the customer's language; none with CSAT off."""

import re

import pytest
from django.core import mail
from django.test import Client

from helpdesk_tickets import notifications, ratinglink, services
from helpdesk_tickets.models import OutboundEmail, SatisfactionRating
from tests.factories import DepartmentFactory, UserFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db

SITE = "https://support.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "SITE_URL": SITE + "/"}


def resolved_mail(django_capture_on_commit_callbacks, language="en"):
    department = DepartmentFactory()
    agent = make_agent(department, username="mailagent")
    ticket = make_ticket(requester=UserFactory(username="mailcust"), department=department, language=language)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(ticket, actor=agent)
    ticket.refresh_from_db()
    (message,) = [m for m in mail.outbox if "resolved" in m.subject or "حل" in m.subject]
    return ticket, message


def test_the_resolved_email_carries_the_rating_link(django_capture_on_commit_callbacks):
    ticket, message = resolved_mail(django_capture_on_commit_callbacks)
    url = SITE + ratinglink.rating_path(ticket)
    assert url in message.body
    html = message.alternatives[0][0]
    for score in range(1, 6):
        assert f'href="{url}?score={score}"' in html
    # Following every link of the e-mail (as a scanner does) records nothing.
    for link in re.findall(r'href="([^"]+)"', html):
        if "/rate/" in link:
            Client().get(link.removeprefix(SITE).replace("&amp;", "&"))
    assert not SatisfactionRating.objects.exists()


def test_in_persian_the_buttons_have_persian_digits(django_capture_on_commit_callbacks):
    ticket, message = resolved_mail(django_capture_on_commit_callbacks, language="fa")
    html = message.alternatives[0][0]
    assert "۵</a>" in html and "امتیاز" in message.body


def test_no_link_with_ratings_off(django_capture_on_commit_callbacks, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "CSAT_ENABLED": False}
    ticket, message = resolved_mail(django_capture_on_commit_callbacks)
    assert "/rate/" not in message.body and "/rate/" not in message.alternatives[0][0]


def test_a_ticket_reopened_before_the_email_went_out_gets_no_link(django_capture_on_commit_callbacks):
    department = DepartmentFactory()
    agent = make_agent(department, username="mailagent2")
    customer = UserFactory(username="mailcust2")
    ticket = make_ticket(requester=customer, department=department)
    services.resolve(ticket, actor=agent)  # its outbox row waits (no commit hooks run)
    services.reopen(ticket, actor=customer)
    row = OutboundEmail.objects.get(ticket=ticket, kind=notifications.TICKET_RESOLVED)
    assert notifications.context_for(row)["rating_url"] is None
