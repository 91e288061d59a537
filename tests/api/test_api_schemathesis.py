"""Property-based run of the whole API against its own OpenAPI schema (schemathesis).

For a customer, an agent and a supervisor (token authentication), every
operation is called with generated input: no response may be a 5xx, and
in positive mode every response must match the schema (status code,
content type, headers, body). Negative mode (input that breaks the
schema) only asserts that nothing crashes: such requests may not even
reach the API (a malformed path is the host's plain 404).

Generated path parameters are mostly swapped for real references and
attachment ids (the tester's own ticket, someone else's, a random one), so
that the calls reach the code behind the 404.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


_APP = get_wsgi_application()
POSITIVE = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _APP)
POSITIVE.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE], max_examples=12, deterministic=True, database="none"
)
NEGATIVE = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _APP)
NEGATIVE.config.generation.update(
    modes=[schemathesis.GenerationMode.NEGATIVE], max_examples=6, deterministic=True, database="none"
)

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
HYPOTHESIS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ROLES = ["customer", "agent", "supervisor"]


@pytest.fixture
def api_world(world, settings):
    # Like Django's test client: the WSGI handler must not close the
    # connection that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # Hundreds of writes in one test must not hit the rate limits.
    settings.HELPDESK_TICKETS = {
        **settings.HELPDESK_TICKETS,
        "API_THROTTLE_RATES": {"ticket_create": None, "reply": None},
    }
    world.others_ticket = make_ticket(world.users["other_customer"], world.department, world.ticket_type)
    yield world
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _aim(case, world):
    """Point most generated cases at real tickets, files and slugs (chosen from the generated value)."""
    params = case.path_parameters or {}
    if "reference" in params:
        choice = len(str(params["reference"])) % 5
        if choice in (0, 1):
            params["reference"] = world.ticket.reference
        elif choice in (2, 3):
            params["reference"] = world.others_ticket.reference
    if "id" in params and isinstance(params["id"], int) and params["id"] % 3:
        params["id"] = world.public_attachment.pk if params["id"] % 3 == 1 else world.internal_attachment.pk
    if isinstance(case.body, dict) and "department" in case.body and len(str(case.body["department"])) % 2:
        case.body.update(department="billing", ticket_type="question", product="hosting")


def _headers(world, role):
    token = Token.objects.get_or_create(user=world.users[role])[0]
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.parametrize("role", ROLES)
@POSITIVE.parametrize()
@HYPOTHESIS
def test_responses_conform_to_the_schema(case, api_world, role):
    _aim(case, api_world)
    case.call_and_validate(headers=_headers(api_world, role), checks=CONFORMANCE)


@pytest.mark.parametrize("role", ROLES)
@NEGATIVE.parametrize()
@HYPOTHESIS
def test_invalid_input_is_never_a_server_error(case, api_world, role):
    _aim(case, api_world)
    case.call_and_validate(headers=_headers(api_world, role), checks=[not_a_server_error])
