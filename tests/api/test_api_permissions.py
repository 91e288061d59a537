"""Who may call which endpoint: every role × endpoint × method, with exact status codes.

The example project authenticates with SessionAuthentication first, so an
anonymous request is refused with 403 (DRF answers 401 only when the first
authentication class can send a WWW-Authenticate header; see
test_anonymous_gets_401_with_token_authentication_only).
"""

import pytest
from django.test import override_settings

from helpdesk_tickets import services
from helpdesk_tickets.models import Status

pytestmark = pytest.mark.django_db


ANON, CUST, OTHER, OAGENT, AGENT, SUPER = (
    "anonymous",
    "customer",
    "other_customer",
    "other_agent",
    "agent",
    "supervisor",
)


def _codes(anon, customer, other, other_agent, agent, supervisor):
    return {ANON: anon, CUST: customer, OTHER: other, OAGENT: other_agent, AGENT: agent, SUPER: supervisor}


# (name, method, path, body, expected status per role)
CASES = [
    ("root", "get", "", None, _codes(200, 200, 200, 200, 200, 200)),
    ("departments", "get", "departments/", None, _codes(403, 200, 200, 200, 200, 200)),
    ("ticket types", "get", "ticket-types/?department=billing", None, _codes(403, 200, 200, 200, 200, 200)),
    ("products", "get", "products/?department=billing", None, _codes(403, 200, 200, 200, 200, 200)),
    ("ticket list", "get", "tickets/", None, _codes(403, 200, 200, 200, 200, 200)),
    (
        "open ticket",
        "post",
        "tickets/",
        {"department": "billing", "ticket_type": "question", "subject": "New one", "description": "Please help"},
        _codes(403, 201, 201, 201, 201, 201),
    ),
    ("ticket detail", "get", "tickets/{ref}/", None, _codes(403, 200, 404, 404, 200, 200)),
    ("staff change", "patch", "tickets/{ref}/", {"priority": "high"}, _codes(403, 403, 404, 404, 200, 200)),
    ("put is not offered", "put", "tickets/{ref}/", {"priority": "high"}, _codes(403, 405, 405, 405, 405, 405)),
    ("delete is not offered", "delete", "tickets/{ref}/", None, _codes(403, 405, 405, 405, 405, 405)),
    ("close", "post", "tickets/{ref}/close/", None, _codes(403, 200, 404, 404, 200, 200)),
    ("reopen (not resolved)", "post", "tickets/{ref}/reopen/", None, _codes(403, 400, 404, 404, 400, 400)),
    ("thread", "get", "tickets/{ref}/messages/", None, _codes(403, 200, 404, 404, 200, 200)),
    ("reply", "post", "tickets/{ref}/messages/", {"body": "More details"}, _codes(403, 201, 404, 404, 201, 201)),
    (
        "internal note",
        "post",
        "tickets/{ref}/messages/",
        {"body": "Staff only", "internal": True},
        _codes(403, 403, 404, 404, 201, 201),
    ),
    ("public file", "get", "tickets/{ref}/attachments/{public}/", None, _codes(403, 200, 404, 404, 200, 200)),
    ("internal file", "get", "tickets/{ref}/attachments/{internal}/", None, _codes(403, 404, 404, 404, 200, 200)),
    ("stats", "get", "stats/", None, _codes(403, 403, 403, 200, 200, 200)),
    ("schema", "get", "schema/", None, _codes(200, 200, 200, 200, 200, 200)),
    ("docs", "get", "docs/", None, _codes(200, 200, 200, 200, 200, 200)),
]


@pytest.mark.parametrize("role", [ANON, CUST, OTHER, OAGENT, AGENT, SUPER])
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix(world, role, name, method, path, body, expected):
    url = "/api/" + path.format(
        ref=world.ticket.reference, public=world.public_attachment.pk, internal=world.internal_attachment.pk
    )
    response = getattr(world.client(role), method)(url, body, format="json")
    assert response.status_code == expected[role], response.content[:300]


@pytest.mark.parametrize(("role", "expected"), [(CUST, 200), (OTHER, 404), (OAGENT, 404), (AGENT, 200), (SUPER, 200)])
def test_reopen_a_resolved_ticket(world, role, expected):
    services.resolve(world.ticket, actor=world.users[AGENT])
    response = world.client(role).post(f"/api/tickets/{world.ticket.reference}/reopen/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["status"] == Status.IN_PROGRESS


def test_lists_show_only_what_each_role_may_see(world):
    other_ticket = make_other_department_ticket(world)
    seen = {
        role: {t["reference"] for t in world.client(role).get("/api/tickets/").json()["results"]}
        for role in (CUST, OTHER, OAGENT, AGENT, SUPER)
    }
    mine = world.ticket.reference
    assert seen == {
        CUST: {mine},
        OTHER: {other_ticket.reference},
        OAGENT: {other_ticket.reference},
        AGENT: {mine},
        SUPER: {mine, other_ticket.reference},
    }


def make_other_department_ticket(world):
    from tests.factories import make_ticket

    return make_ticket(world.users[OTHER], world.other_department, world.ticket_type)


def test_customers_never_get_internal_notes(world):
    bodies = [
        m["body"] for m in world.client(CUST).get(f"/api/tickets/{world.ticket.reference}/messages/").json()["results"]
    ]
    assert "Internal note" not in bodies and len(bodies) == 1
    staff_bodies = [
        m["body"] for m in world.client(AGENT).get(f"/api/tickets/{world.ticket.reference}/messages/").json()["results"]
    ]
    assert "Internal note" in staff_bodies


def test_agents_listed_for_staff_only(world):
    [customer_view] = [d for d in world.client(CUST).get("/api/departments/").json() if d["slug"] == "billing"]
    [agent_view] = [d for d in world.client(AGENT).get("/api/departments/").json() if d["slug"] == "billing"]
    assert customer_view["agents"] == []
    assert [a["username"] for a in agent_view["agents"]] == [world.users[AGENT].get_username()]


@override_settings(
    REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
)
def test_anonymous_gets_401_with_token_authentication_only(world):
    response = world.client(ANON).get("/api/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert world.client(CUST).get("/api/tickets/").status_code == 200
