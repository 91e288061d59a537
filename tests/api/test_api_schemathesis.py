"""Property-based run of the whole API against its own OpenAPI schema (schemathesis), every check on.

For a customer, an agent and a supervisor (token authentication), every
operation is called with generated input, and every one of schemathesis'
checks runs on every answer: never a 5xx; status code, content type,
headers and body as the schema says; input that breaks the schema refused;
input that fits it accepted; the Allow header of a 405; the credentials
honoured. One allowance: input the schema accepts may still be a 400 or a
422 for what no schema can say — which slugs exist, which status moves the
workflow allows at the ticket's status, which files the attachment rules
take, whether an Idempotency-Key was used already, whether the caller is
staff (``requester``, ``channel``).

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
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.specs.openapi.checks import negative_data_rejection

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

# The default statuses and the two that business rules answer (see the module's docstring).
for _schema in (POSITIVE, NEGATIVE):
    _schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
    )
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
    """Point most generated cases at real tickets, files and slugs (chosen from the generated value).

    Returns whether a path parameter or the body was changed: a negative case
    is then no longer the one generated (its broken reference or slug may have
    been replaced by a valid one).
    """
    params = case.path_parameters or {}
    before = dict(params)
    if "reference" in params:
        choice = len(str(params["reference"])) % 5
        if choice in (0, 1):
            params["reference"] = world.ticket.reference
        elif choice in (2, 3):
            params["reference"] = world.others_ticket.reference
    if "id" in params and isinstance(params["id"], int) and params["id"] % 3:
        params["id"] = world.public_attachment.pk if params["id"] % 3 == 1 else world.internal_attachment.pk
    mended_body = False
    if isinstance(case.body, dict) and "department" in case.body and len(str(case.body["department"])) % 2:
        case.body.update(department="billing", ticket_type="question", product="hosting")
        mended_body = True
    return params != before or mended_body


def _headers(world, role):
    token = Token.objects.get_or_create(user=world.users[role])[0]
    return {"Authorization": f"Token {token.key}"}


@pytest.mark.parametrize("role", ROLES)
@POSITIVE.parametrize()
@HYPOTHESIS
def test_responses_conform_to_the_schema(case, api_world, role):
    _aim(case, api_world)
    case.call_and_validate(headers=_headers(api_world, role))


@pytest.mark.parametrize("role", ROLES)
@NEGATIVE.parametrize()
@HYPOTHESIS
def test_invalid_input_is_never_a_server_error(case, api_world, role):
    aimed = _aim(case, api_world)
    # A case whose broken path was mended is no negative case any more: only its other checks apply.
    excluded = [negative_data_rejection] if aimed else []
    case.call_and_validate(headers=_headers(api_world, role), excluded_checks=excluded)
