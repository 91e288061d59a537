"""Idempotency-Key handling (``helpdesk_tickets.api.idempotency.run_idempotent``)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk_tickets import services
from helpdesk_tickets.api import idempotency
from helpdesk_tickets.models import IdempotencyKey, Ticket
from tests.core.helpers import Desk
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Operation:
    """A request body to run under a key; counts how often it really ran."""

    def __init__(self, desk, subject="Refund", description="Please refund order 12."):
        self.desk, self.subject, self.description, self.runs = desk, subject, description, 0

    @property
    def fingerprint(self):
        return idempotency.request_fingerprint({"subject": self.subject, "description": self.description})

    def __call__(self):
        self.runs += 1
        ticket = self.desk.ticket(subject=self.subject, description=self.description)
        return 201, {"reference": ticket.reference}

    def run(self, key="key-1", user=None):
        return idempotency.run_idempotent(
            user=user or self.desk.customer, key=key, fingerprint=self.fingerprint, operation=self
        )


@pytest.fixture
def desk():
    return Desk()


def test_a_repeated_key_replays_the_first_answer_and_creates_nothing(desk):
    operation = Operation(desk)
    first = operation.run()
    again = operation.run()

    reference = Ticket.objects.get().reference
    assert first == (201, {"reference": reference}, False)
    assert again == (201, {"reference": reference}, True)
    assert operation.runs == 1


def test_the_fingerprint_ignores_key_order():
    assert idempotency.request_fingerprint({"a": 1, "b": [1, 2]}) == idempotency.request_fingerprint(
        {"b": [1, 2], "a": 1}
    )
    assert idempotency.request_fingerprint({"a": 1}) != idempotency.request_fingerprint({"a": 2})


def test_the_same_key_with_different_content_is_refused(desk):
    Operation(desk).run()
    other = Operation(desk, subject="Something else")
    with pytest.raises(services.IdempotencyKeyReused):
        other.run()
    assert other.runs == 0 and Ticket.objects.count() == 1


def test_keys_belong_to_their_user(desk):
    Operation(desk).run()
    other_desk = Desk()
    operation = Operation(other_desk)
    status, body, replayed = operation.run(user=other_desk.customer)
    assert not replayed and operation.runs == 1
    assert Ticket.objects.count() == 2


def test_a_new_key_is_a_new_request(desk):
    Operation(desk, subject="one").run(key="k1")
    Operation(desk, subject="two").run(key="k2")
    assert Ticket.objects.count() == 2


@override_settings(HELPDESK_TICKETS={"IDEMPOTENCY_KEY_TTL": timedelta(hours=1)})
def test_an_expired_key_is_forgotten(desk):
    Operation(desk, subject="Monday").run()
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))

    # Reused after expiry, even for different content, it runs as new.
    operation = Operation(desk, subject="Tuesday")
    status, body, replayed = operation.run()

    assert not replayed and operation.runs == 1
    assert body["reference"] == Ticket.objects.get(subject="Tuesday").reference
    assert IdempotencyKey.objects.get().request_hash == operation.fingerprint


@override_settings(HELPDESK_TICKETS={"IDEMPOTENCY_KEY_TTL": timedelta(hours=1)})
def test_a_key_inside_its_lifetime_still_replays(desk):
    operation = Operation(desk)
    operation.run()
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(minutes=59))
    assert operation.run()[2] is True
    assert operation.runs == 1


def test_a_failed_request_keeps_no_key_so_a_retry_runs_again(desk):
    desk.ticket(subject="Refund", description="Please refund order 12.")
    operation = Operation(desk)
    with pytest.raises(services.DuplicateTicket):
        operation.run()
    assert not IdempotencyKey.objects.exists()

    Ticket.objects.all().delete()
    assert operation.run()[2] is False
    assert operation.runs == 2


def test_the_stored_answer_is_what_the_operation_returned(desk):
    user = UserFactory()
    idempotency.run_idempotent(
        user=user, key="x", fingerprint="f", operation=lambda: (409, {"detail": "dup", "n": [1]})
    )
    assert idempotency.run_idempotent(user=user, key="x", fingerprint="f", operation=lambda: (500, {})) == (
        409,
        {"detail": "dup", "n": [1]},
        True,
    )


def test_requests_with_one_key_queue_on_the_key_row_not_on_the_user_row(desk):
    with CaptureQueriesContext(connection) as queries:
        Operation(desk).run()
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    users_table = get_user_model()._meta.db_table
    assert not [sql for sql in locking if users_table in sql]
    if connection.features.has_select_for_update:
        assert any(IdempotencyKey._meta.db_table in sql for sql in locking)
