"""The webhook tests' cast: a real receiver on 127.0.0.1, an endpoint pointing at it, a department and its people."""

import pytest
from standardwebhooks.webhooks import Webhook

from helpdesk_tickets.models import WebhookEndpoint
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent
from tests.webhooks.receiver import Receiver

RETRY_DELAYS = [5, 10, 20]


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.HELPDESK_TICKETS = {
        **settings.HELPDESK_TICKETS,
        "SITE_URL": "https://support.example.com",
        "WEBHOOK_RETRY_DELAYS": RETRY_DELAYS,
        "WEBHOOK_TIMEOUT": 5,
    }


class Team:
    def __init__(self):
        self.department = DepartmentFactory(slug="billing")
        self.other_department = DepartmentFactory(slug="sales")
        self.ticket_type = TicketTypeFactory(slug="question")
        self.agent = make_agent(self.department, username="sara", first_name="Sara", email="sara@staff.example.com")
        self.customer = UserFactory(username="cyrus", first_name="Cyrus", email="cyrus@example.com")


@pytest.fixture
def team(db):
    return Team()


@pytest.fixture
def endpoint(db, receiver):
    return WebhookEndpoint.objects.create(url=receiver.url, description="CRM")


def verified(request, endpoint):
    """The payload of ``request`` as the reference library reads it: raises if the signature is wrong."""
    return Webhook(endpoint.secret).verify(request.body, request.headers)


def open_ticket(team, **kwargs):
    from tests.factories import make_ticket

    kwargs.setdefault("subject", "Invoice charged twice")
    kwargs.setdefault("description", "Please refund one of them.")
    return make_ticket(team.customer, kwargs.pop("department", team.department), team.ticket_type, **kwargs)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(work)``: run ``work()`` and what it leaves for after the commit (signals, the delivery task)."""

    def run(work):
        with django_capture_on_commit_callbacks(execute=True):
            return work()

    return run
