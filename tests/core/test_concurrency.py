"""Simultaneous submissions against a real database (SQLite file, PostgreSQL, MariaDB).

Each thread has its own database connection, so these exercise the
database's own locking and unique constraints, not Python-level luck.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from helpdesk_tickets import services
from helpdesk_tickets.api import idempotency
from helpdesk_tickets.models import IdempotencyKey, Message, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory
from tests.paths import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(count, target):
    """Run ``target(i)`` in ``count`` threads released together; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except BaseException as exc:  # reported to the test, not lost in the thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    close_old_connections()
    return results


def kinds(results):
    return Counter(type(r).__name__ for r in results)


def same_request():
    """``submit(i=None)``: one customer sending the same ticket, each call a fresh attempt."""
    requester, department, ticket_type = UserFactory(), DepartmentFactory(), TicketTypeFactory()

    def submit(i=None):
        return services.create_ticket(
            requester=requester,
            department=department,
            ticket_type=ticket_type,
            subject="Invoice is wrong",
            description="My invoice for March charges me twice.",
        )

    return submit


def test_identical_submissions_at_once_create_one_ticket():
    submit = same_request()
    results = run_at_once(16, submit)

    assert kinds(results) == {"Ticket": 1, "DuplicateTicket": 15}, results
    ticket = Ticket.objects.get()
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert {r.existing.reference for r in results if isinstance(r, services.DuplicateTicket)} == {ticket.reference}


def test_identical_submissions_at_once_past_an_old_twins_window_create_one_ticket():
    submit = same_request()
    old = submit()
    Ticket.objects.filter(pk=old.pk).update(created_at=old.created_at - timedelta(days=2))

    results = run_at_once(8, submit)

    assert kinds(results) == {"Ticket": 1, "DuplicateTicket": 7}, results
    (new,) = [r for r in results if isinstance(r, Ticket)]
    assert {r.existing.pk for r in results if isinstance(r, services.DuplicateTicket)} == {new.pk}
    # The old twin let go of the key; the new ticket holds it.
    assert Ticket.objects.get(pk=old.pk).duplicate_key is None
    assert Ticket.objects.get(pk=new.pk).duplicate_key is not None


def test_distinct_submissions_at_once_all_succeed_with_unique_references():
    department, ticket_type = DepartmentFactory(), TicketTypeFactory()
    requesters = [UserFactory() for _ in range(5)]

    def submit(i):
        return services.create_ticket(
            requester=requesters[i % len(requesters)],
            department=department,
            ticket_type=ticket_type,
            subject=f"Question {i}",
            description=f"Details of question {i}.",
        )

    results = run_at_once(50, submit)

    assert kinds(results) == {"Ticket": 50}, [r for r in results if not isinstance(r, Ticket)]
    references = set(Ticket.objects.values_list("reference", flat=True))
    assert len(references) == 50
    assert references == {r.reference for r in results}
    assert Message.objects.count() == 50


def test_same_idempotency_key_from_many_threads_creates_one_ticket():
    requester, department, ticket_type = UserFactory(), DepartmentFactory(), TicketTypeFactory()
    # Distinct content per call would be a reused key; identical content is a retry.
    fingerprint = idempotency.request_fingerprint({"subject": "Refund", "description": "Please refund order 12."})

    def submit(i):
        def operation():
            ticket = services.create_ticket(
                requester=requester,
                department=department,
                ticket_type=ticket_type,
                subject="Refund",
                description="Please refund order 12.",
            )
            return 201, {"reference": ticket.reference}

        return idempotency.run_idempotent(user=requester, key="retry-1", fingerprint=fingerprint, operation=operation)

    results = run_at_once(8, submit)

    ticket = Ticket.objects.get()
    assert IdempotencyKey.objects.count() == 1
    # Every caller gets the first answer; exactly one of them actually ran it.
    assert all(isinstance(r, tuple) for r in results), results
    assert {(status, body["reference"]) for status, body, _replayed in results} == {(201, ticket.reference)}
    assert sorted(replayed for *_rest, replayed in results) == [False] + [True] * 7


def test_same_idempotency_key_whose_request_fails_fails_alike_for_every_caller():
    requester, department, ticket_type = UserFactory(), DepartmentFactory(), TicketTypeFactory()
    first = services.create_ticket(
        requester=requester, department=department, ticket_type=ticket_type, subject="Refund", description="Order 12."
    )
    fingerprint = idempotency.request_fingerprint({"subject": "Refund", "description": "Order 12."})

    def submit(i):
        def operation():
            services.create_ticket(
                requester=requester,
                department=department,
                ticket_type=ticket_type,
                subject="Refund",
                description="Order 12.",
            )
            return 201, {}

        return idempotency.run_idempotent(user=requester, key="retry-2", fingerprint=fingerprint, operation=operation)

    results = run_at_once(8, submit)

    # Each failed attempt rolled back its key, so every caller ran the request
    # and got the same refusal, never a database error.
    assert all(isinstance(r, services.DuplicateTicket) for r in results), results
    assert {r.existing.pk for r in results} == {first.pk}
    assert Ticket.objects.count() == 1
    assert not IdempotencyKey.objects.exists()


# A whole Django process per submitter: the SPEC's "from several processes".
# Each child connects to this test's database, says it is ready, waits for
# the word, submits, and prints what happened.
_CHILD = """
import os, sys
sys.path[:0] = [os.environ["HD_ROOT"], os.path.join(os.environ["HD_ROOT"], "example_project")]
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["HD_DB_NAME"]
import django
django.setup()
from django.db import connection
from helpdesk_tickets import services
from helpdesk_tickets.api import idempotency
from helpdesk_tickets.models import Department, TicketType
from django.contrib.auth import get_user_model
from tests.paths import ROOT
requester = get_user_model()._default_manager.get(pk=os.environ["HD_REQUESTER"])
department = Department.objects.get(pk=int(os.environ["HD_DEPARTMENT"]))
ticket_type = TicketType.objects.get(pk=int(os.environ["HD_TYPE"]))
connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
try:
    ticket = services.create_ticket(
        requester=requester, department=department, ticket_type=ticket_type,
        subject="Charged twice", description="Two payments for one order.",
    )
    print("created", ticket.reference, flush=True)
except services.DuplicateTicket as exc:
    print("duplicate", exc.existing.reference, flush=True)
"""


def test_identical_submissions_from_several_processes_create_one_ticket():
    import os
    import subprocess
    import sys

    requester, department, ticket_type = UserFactory(), DepartmentFactory(), TicketTypeFactory()
    root = str(ROOT)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "HD_ROOT": root,
        "HD_DB_NAME": connection.settings_dict["NAME"],
        "HD_REQUESTER": str(requester.pk),
        "HD_DEPARTMENT": str(department.pk),
        "HD_TYPE": str(ticket_type.pk),
    }
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            env=env,
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for child in children:  # all are connected and waiting: release them together
            child.stdin.write("go\n")
            child.stdin.flush()
        outcomes = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            outcomes.append(out.split())
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()

    ticket = Ticket.objects.get()
    assert sorted(kind for kind, _reference in outcomes) == ["created"] + ["duplicate"] * 3
    assert {reference for _kind, reference in outcomes} == {ticket.reference}


def test_the_same_email_delivered_at_once_by_several_entry_points_opens_one_ticket():
    from email.message import EmailMessage

    from helpdesk_tickets.models import InboundEmail

    department = DepartmentFactory(email="support@example.com")
    department.ticket_types.add(TicketTypeFactory())
    UserFactory(username="sara", email="sara@example.net")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "sara@example.net", "support@example.com", "VPN drops every hour"
    mail["Message-ID"] = "<twice-at-once@mail.example.net>"
    mail.set_content("It disconnects at five past every hour.")
    raw = mail.as_bytes()

    results = run_at_once(4, lambda i: services.receive_email(raw).line)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(line.split()[0] for line in results) == ["created", "duplicate", "duplicate", "duplicate"]
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_two_mails_at_once_from_one_unknown_sender_make_one_account():
    from email.message import EmailMessage

    from helpdesk_tickets import users

    department = DepartmentFactory(email="support@example.com")
    department.ticket_types.add(TicketTypeFactory())

    def deliver(i):
        mail = EmailMessage()
        mail["From"], mail["To"] = "new.person@example.org", "support@example.com"
        mail["Subject"], mail["Message-ID"] = f"Question {i}", f"<q{i}@mail.example.org>"
        mail.set_content(f"Question number {i} about my order.")
        return services.receive_email(mail.as_bytes()).line

    results = run_at_once(3, deliver)
    assert [line.split()[0] for line in results] == ["created"] * 3, results
    requesters = set(Ticket.objects.values_list("requester_id", flat=True))
    assert len(requesters) == 1 and users.by_email("new.person@example.org").pk in requesters
