"""``GET stats/``: staff figures, scoped to what the caller answers for."""

import pytest

from helpdesk_tickets import services
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_supervisor_gets_every_department(world):
    make_ticket(world.users["other_customer"], world.other_department, world.ticket_type)
    services.post_reply(ticket=world.ticket, actor=world.users["agent"], body="Answer")
    body = world.client("supervisor").get("/api/stats/").json()
    assert body["overall"]["tickets"] == 2 and body["overall"]["answered"] == 1
    assert body["overall"]["by_status"]["awaiting_customer"] == 1 and body["overall"]["by_status"]["new"] == 1
    assert isinstance(body["overall"]["avg_first_response_seconds"], int)
    rows = {row["department"]: row for row in body["departments"]}
    assert set(rows) == {"billing", "sales"}
    assert rows["billing"]["answered"] == 1 and rows["sales"]["avg_first_response_seconds"] is None
    assert body["since"] < body["until"]


def test_an_agent_gets_their_departments_only(world):
    make_ticket(world.users["other_customer"], world.other_department, world.ticket_type)
    body = world.client("agent").get("/api/stats/").json()
    assert [row["department"] for row in body["departments"]] == ["billing"]
    assert body["overall"]["tickets"] == 1


def test_customers_are_refused(world):
    response = world.client("customer").get("/api/stats/")
    assert response.status_code == 403 and "detail" in response.json()
