"""Who may call which endpoint: every role × endpoint × method, with exact status codes.

The example project authenticates with TokenAuthentication first, so a
request without valid credentials is refused with 401 and
``WWW-Authenticate: Token`` (DRF answers 401 only when the first
authentication class can send that header; with SessionAuthentication first
it is a 403, see test_a_host_with_the_session_first_answers_403).
"""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

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
    ("departments", "get", "departments/", None, _codes(401, 200, 200, 200, 200, 200)),
    ("ticket types", "get", "ticket-types/?department=billing", None, _codes(401, 200, 200, 200, 200, 200)),
    ("products", "get", "products/?department=billing", None, _codes(401, 200, 200, 200, 200, 200)),
    ("ticket list", "get", "tickets/", None, _codes(401, 200, 200, 200, 200, 200)),
    (
        "open ticket",
        "post",
        "tickets/",
        {"department": "billing", "ticket_type": "question", "subject": "New one", "description": "Please help"},
        _codes(401, 201, 201, 201, 201, 201),
    ),
    ("ticket detail", "get", "tickets/{ref}/", None, _codes(401, 200, 404, 404, 200, 200)),
    ("staff change", "patch", "tickets/{ref}/", {"priority": "high"}, _codes(401, 403, 404, 404, 200, 200)),
    ("put is not offered", "put", "tickets/{ref}/", {"priority": "high"}, _codes(401, 405, 405, 405, 405, 405)),
    ("delete is not offered", "delete", "tickets/{ref}/", None, _codes(401, 405, 405, 405, 405, 405)),
    ("close", "post", "tickets/{ref}/close/", None, _codes(401, 200, 404, 404, 200, 200)),
    ("reopen (not resolved)", "post", "tickets/{ref}/reopen/", None, _codes(401, 400, 404, 404, 400, 400)),
    ("thread", "get", "tickets/{ref}/messages/", None, _codes(401, 200, 404, 404, 200, 200)),
    ("reply", "post", "tickets/{ref}/messages/", {"body": "More details"}, _codes(401, 201, 404, 404, 201, 201)),
    (
        "internal note",
        "post",
        "tickets/{ref}/messages/",
        {"body": "Staff only", "internal": True},
        _codes(401, 403, 404, 404, 201, 201),
    ),
    ("public file", "get", "tickets/{ref}/attachments/{public}/", None, _codes(401, 200, 404, 404, 200, 200)),
    ("internal file", "get", "tickets/{ref}/attachments/{internal}/", None, _codes(401, 404, 404, 404, 200, 200)),
    ("stats", "get", "stats/", None, _codes(401, 403, 403, 200, 200, 200)),
    ("me", "get", "me/", None, _codes(401, 200, 200, 200, 200, 200)),
    ("audit trail", "get", "tickets/{ref}/events/", None, _codes(401, 200, 404, 404, 200, 200)),
    (
        "open ticket for a customer",
        "post",
        "tickets/",
        {
            "department": "billing",
            "ticket_type": "question",
            "subject": "Called in",
            "description": "On the phone",
            "requester": "{customer2}",
            "channel": "phone",
        },
        _codes(401, 400, 400, 400, 201, 201),
    ),
    ("unknown path", "get", "no-such-thing/", None, _codes(404, 404, 404, 404, 404, 404)),
    ("malformed reference", "get", "tickets/no!such/", None, _codes(404, 404, 404, 404, 404, 404)),
    ("schema", "get", "schema/", None, _codes(200, 200, 200, 200, 200, 200)),
    ("docs", "get", "docs/", None, _codes(200, 200, 200, 200, 200, 200)),
]


@pytest.mark.parametrize("role", [ANON, CUST, OTHER, OAGENT, AGENT, SUPER])
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix(world, role, name, method, path, body, expected):
    url = "/api/" + path.format(
        ref=world.ticket.reference, public=world.public_attachment.pk, internal=world.internal_attachment.pk
    )
    if body:  # usernames differ with the user model (e-mail addresses on some)
        body = {
            k: v.format(customer2=world.users[OTHER].get_username()) if isinstance(v, str) else v
            for k, v in body.items()
        }
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


@pytest.mark.parametrize("authorization", [None, "Token wrong", "Token ", "Bearer abc", "Basic Zm9vOmJhcg=="])
def test_without_valid_credentials_the_answer_is_401_with_the_token_challenge(world, authorization):
    client = APIClient(HTTP_HOST="localhost")
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = client.get("/api/tickets/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")


def test_signed_in_but_not_allowed_is_403_not_401(world):
    response = world.client(CUST).get("/api/stats/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not response.has_header("WWW-Authenticate")


def test_the_session_still_signs_in_the_browser(world):
    client = APIClient(HTTP_HOST="localhost", enforce_csrf_checks=True)
    client.force_login(world.users[CUST])
    assert client.get("/api/tickets/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    # A write by session needs the CSRF token, as ever with DRF: a 403 naming the reason.
    refused = client.post(f"/api/tickets/{world.ticket.reference}/messages/", {"body": "Hi"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]


@override_settings(
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.SessionAuthentication",
            "rest_framework.authentication.TokenAuthentication",
        ]
    }
)
def test_a_host_with_the_session_first_answers_403(world):
    response = world.client(ANON).get("/api/tickets/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"
    assert world.client(CUST).get("/api/tickets/").status_code == 200
