"""Delivery from the webhook outbox: retries with backoff, order per ticket, never twice, the worker, the sweep.

The receiver is real (127.0.0.1); time is moved with ``deliver(now=…)``.
"""

import signal
import threading
from datetime import timedelta

import django
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from helpdesk_tickets import services
from helpdesk_tickets.models import Ticket, WebhookDelivery, WebhookEndpoint
from helpdesk_tickets.services import webhooks
from tests.webhooks.conftest import RETRY_DELAYS, open_ticket, verified

pytestmark = pytest.mark.django_db

TASKS_MODULE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def down(request):
    return 503


@pytest.fixture
def queued(settings, committed):
    """No worker: ``queued(work)`` runs ``work()`` and its signals; the deliveries are written, not sent."""
    settings.TASKS = {"default": {"BACKEND": f"{TASKS_MODULE}.backends.dummy.DummyBackend"}}
    return committed


def test_a_failing_receiver_is_retried_with_backoff_then_given_up(team, endpoint, receiver, committed):
    receiver.answer = lambda request: (500, {}, b"upstream exploded " + b"x" * 2000)
    committed(lambda: open_ticket(team))
    row = WebhookDelivery.objects.get()
    started = row.created_at
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert started + timedelta(seconds=RETRY_DELAYS[0]) <= row.next_attempt_at <= later(RETRY_DELAYS[0] + 1)
    # Not due yet: nothing is sent.
    assert services.deliver_webhooks(now=later(1)).claimed == 0
    clock = later(RETRY_DELAYS[0] + 1)
    for delay in RETRY_DELAYS[1:]:
        services.deliver_webhooks(now=clock)
        row.refresh_from_db()
        assert row.status == "pending" and row.next_attempt_at == clock + timedelta(seconds=delay)
        clock += timedelta(seconds=delay + 1)
    result = services.deliver_webhooks(now=clock)
    row.refresh_from_db()
    assert result.failed == 1 and (row.status, row.attempts) == ("failed", len(RETRY_DELAYS) + 1)
    assert len(receiver.received) == len(RETRY_DELAYS) + 1
    attempts = list(row.attempt_log.order_by("attempted_at"))
    assert [a.status_code for a in attempts] == [500] * (len(RETRY_DELAYS) + 1)
    assert attempts[0].response_excerpt.startswith("upstream exploded") and len(attempts[0].response_excerpt) == 500
    # Retry now: a fresh schedule, and this time it works.
    receiver.answer = lambda request: 200
    assert committed(lambda: services.retry_webhooks(WebhookDelivery.objects.all())) == 1
    row.refresh_from_db()
    assert row.status == "delivered" and row.attempts == 1
    # A delivered row is never sent again.
    assert committed(lambda: services.retry_webhooks(WebhookDelivery.objects.all())) == 0
    assert len(receiver.received) == len(RETRY_DELAYS) + 2


def test_events_of_a_ticket_wait_for_the_earlier_ones_and_arrive_in_order(team, endpoint, receiver, committed):
    receiver.answer = down
    first = committed(lambda: open_ticket(team))
    second = committed(lambda: open_ticket(team, subject="Another question"))
    committed(lambda: services.post_reply(ticket=first, actor=team.customer, body="Hello?"))
    committed(lambda: services.post_reply(ticket=first, actor=team.customer, body="Anyone?"))
    committed(lambda: services.post_reply(ticket=second, actor=team.customer, body="And this one?"))
    # Only the first event of each ticket was tried; the others wait behind it, untried.
    tried = {(r.json["data"]["ticket"]["reference"], r.json["type"]) for r in receiver.received}
    assert tried == {(first.reference, "ticket.created"), (second.reference, "ticket.created")}
    waiting = WebhookDelivery.objects.filter(attempts=0)
    assert waiting.count() == 3 and set(waiting.values_list("status", flat=True)) == {"pending"}

    receiver.answer = lambda request: 204
    receiver.received.clear()
    result = services.sweep_webhooks(now=later(RETRY_DELAYS[0] + 1))
    assert result.sent == 5 and not WebhookDelivery.objects.exclude(status="delivered").exists()
    for ticket, bodies in ((first, ["Hello?", "Anyone?"]), (second, ["And this one?"])):
        got = [r.json for r in receiver.received if r.json["data"]["ticket"]["reference"] == ticket.reference]
        assert [e["type"] for e in got] == ["ticket.created"] + ["message.posted"] * len(bodies)
        assert [e["data"]["message"]["body"] for e in got[1:]] == bodies
    for request in receiver.received:
        verified(request, endpoint)


def test_a_given_up_event_no_longer_holds_back_the_next_ones(team, endpoint, receiver, committed):
    receiver.answer = down
    ticket = committed(lambda: open_ticket(team))
    WebhookDelivery.objects.update(status="failed")
    receiver.answer = lambda request: 204
    committed(lambda: services.post_reply(ticket=ticket, actor=team.customer, body="Still there?"))
    assert [r.json["type"] for r in receiver.received[-1:]] == ["message.posted"]


def test_an_unreachable_endpoint_is_tried_once_per_batch(team, receiver, queued):
    dead = WebhookEndpoint.objects.create(url="http://127.0.0.1:1/closed")
    alive = WebhookEndpoint.objects.create(url=receiver.url)
    tickets = [queued(lambda n=n: open_ticket(team, subject=f"Question {n}")) for n in range(3)]
    assert WebhookDelivery.objects.count() == 6
    result = services.deliver_webhooks(follow_up=False)
    assert result.sent == 3 and result.retried == 3
    assert dead.deliveries.filter(attempts=1).count() == 3
    # One real attempt at the closed port; the two others were not tried and say so.
    assert sum(row.attempt_log.count() for row in dead.deliveries.all()) == 1
    assert dead.deliveries.filter(last_error__startswith="Not tried").count() == 2
    assert alive.deliveries.filter(status="delivered").count() == len(tickets)


def test_concurrent_deliveries_claim_each_row_once(team, endpoint, receiver, queued, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "WEBHOOK_BATCH_SIZE": 12}
    for n in range(20):
        queued(lambda n=n: open_ticket(team, subject=f"Question {n}"))
    token_a, token_b = "a" * 32, "b" * 32
    now = timezone.now()
    taken_a = webhooks._claim(None, now, token_a)
    taken_b = webhooks._claim(taken_a, now, token_b)
    held_a = set(WebhookDelivery.objects.filter(claim=token_a).values_list("pk", flat=True))
    held_b = set(WebhookDelivery.objects.filter(claim=token_b).values_list("pk", flat=True))
    # The second run, asked for the first one's rows, gets only the others.
    assert held_a == set(taken_a) and held_b == set(taken_b) and not held_a & held_b
    assert (len(held_a), len(held_b)) == (12, 8)


def test_a_crashed_worker_s_rows_are_taken_back_by_the_sweep(team, endpoint, receiver, queued):
    queued(lambda: open_ticket(team))
    WebhookDelivery.objects.update(status="sending", claim="x" * 32, claimed_at=later(-3600))
    result = services.sweep_webhooks()
    row = WebhookDelivery.objects.get()
    assert result.released == 1 and result.sent == 1
    assert row.status == "delivered" and row.attempts == 2  # the lost attempt counts
    assert len(receiver.received) == 1


def test_a_fresh_claim_is_left_alone(team, endpoint, receiver, queued):
    queued(lambda: open_ticket(team))
    WebhookDelivery.objects.update(status="sending", claim="x" * 32, claimed_at=timezone.now())
    assert services.sweep_webhooks().released == 0 and receiver.received == []


def test_an_inactive_endpoint_s_deliveries_wait_until_it_is_active_again(team, endpoint, receiver, queued):
    queued(lambda: open_ticket(team))
    WebhookEndpoint.objects.update(active=False)
    assert services.sweep_webhooks().claimed == 0
    WebhookEndpoint.objects.update(active=True)
    assert services.sweep_webhooks().sent == 1 and len(receiver.received) == 1


@pytest.mark.parametrize("count", [1, 6])
def test_a_delivery_batch_costs_four_queries_and_one_per_delivery(
    team, receiver, count, django_assert_num_queries, queued
):
    """The due heads (1), the claim (1), the claimed rows with their endpoints (1), one "delivered"
    mark per row right after its answer, and every attempt's log in one insert (1)."""
    endpoints = [WebhookEndpoint.objects.create(url=f"{receiver.url}?{n}") for n in range(count)]
    queued(lambda: open_ticket(team))  # one event, one row per endpoint
    assert WebhookDelivery.objects.count() == len(endpoints)
    with django_assert_num_queries(4 + count):
        result = services.deliver_webhooks(follow_up=False)
    assert result.sent == count and len(receiver.received) == count


def test_housekeeping_sends_what_is_due(team, endpoint, receiver, capsys, queued):
    queued(lambda: open_ticket(team))
    call_command("helpdesk_tickets_housekeeping")
    assert "Webhooks: delivered 1" in capsys.readouterr().out
    assert len(receiver.received) == 1


def _run_worker():
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_delivers_and_follows_up_on_the_ticket_s_next_events(team, endpoint, receiver, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ticket = open_ticket(team)
    for n in range(3):
        services.post_reply(ticket=ticket, actor=team.customer, body=f"Reply {n}")
    assert receiver.received == []  # queued for the worker, nothing sent by the requests
    _run_worker()
    assert [r.json["type"] for r in receiver.received] == ["ticket.created"] + ["message.posted"] * 3
    assert [r.json["data"]["message"]["body"] for r in receiver.received[1:]] == ["Reply 0", "Reply 1", "Reply 2"]
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()


def test_the_ticket_is_found_by_reference_when_it_was_deleted(team, endpoint, receiver, queued):
    ticket = queued(lambda: open_ticket(team))
    Ticket.objects.filter(pk=ticket.pk).delete()
    row = WebhookDelivery.objects.get()
    assert row.ticket is None and row.ticket_reference == ticket.reference
    assert services.sweep_webhooks().sent == 1


@pytest.mark.django_db(transaction=True)
def test_threads_deliver_a_backlog_once(team, endpoint, receiver, queued, settings):
    """Three workers (threads, each with its own database connection) share a backlog: each event arrives once."""
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "WEBHOOK_BATCH_SIZE": 3}
    for n in range(12):
        queued(lambda n=n: open_ticket(team, subject=f"Question {n}"))
    errors = []

    def work():
        try:
            while services.deliver_webhooks(follow_up=False).claimed:
                pass
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 12
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()
