"""Faults of the infrastructure: SMTP down, the database failing mid-write, the file storage failing.

A user's request either fully happens or leaves nothing behind (no ticket
without its first message, no message without its files, no file without its
row), and an e-mail the mail server cannot take waits in the outbox for a retry.
"""

import io
import logging
import os
import smtplib
import time
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import DatabaseError, OperationalError
from django.test import override_settings

from helpdesk_tickets import notifications, services
from helpdesk_tickets.models import Attachment, Message, OutboundEmail, Ticket, TicketEvent
from helpdesk_tickets.services import _files, _transactions
from tests.factories import token_client, upload, web_client

pytestmark = pytest.mark.django_db


class DownSMTPBackend(BaseEmailBackend):
    """An e-mail backend whose server refuses every connection."""

    def open(self):
        raise smtplib.SMTPConnectError(421, "service not available")

    def send_messages(self, messages):
        self.open()


def stored_files():
    """Every file under MEDIA_ROOT (the default attachment storage of the tests)."""
    found = []
    for folder, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(folder, name) for name in files]
    return set(found)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(operation):
        with django_capture_on_commit_callbacks(execute=True):
            return operation()

    return run


# --------------------------------------------------------------------------
# SMTP down


@override_settings(EMAIL_BACKEND="tests.core.test_faults.DownSMTPBackend")
def test_smtp_down_the_web_ticket_is_saved_and_its_mails_wait_in_the_outbox(
    client, desk, django_capture_on_commit_callbacks, caplog
):
    web_client(client, desk.customer)
    with caplog.at_level(logging.WARNING, logger="helpdesk_tickets"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(desk.form_url(), {"subject": "Refund", "description": "Please refund order 7."})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == ticket.get_absolute_url()
    assert any("mail server" in r.getMessage() for r in caplog.records if r.name.startswith("helpdesk_tickets"))
    waiting = OutboundEmail.objects.filter(ticket=ticket)
    assert {(row.kind, row.status, row.attempts) for row in waiting} == {
        (notifications.TICKET_CREATED, "pending", 1),
        (notifications.TICKET_RECEIVED, "pending", 1),
    }
    assert all("service not available" in row.last_error for row in waiting)

    # SMTP is back: the next run, once the retry delay has passed, sends the same e-mails.
    later = max(row.next_attempt_at for row in waiting)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        assert services.sweep_outbox(now=later).sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([desk.agent.email, desk.customer.email])
    assert all(ticket.reference in m.subject for m in mail.outbox)


@override_settings(EMAIL_BACKEND="tests.core.test_faults.DownSMTPBackend")
def test_smtp_down_api_create_and_reply_still_answer_201(desk, django_capture_on_commit_callbacks):
    api = token_client(desk.customer)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/tickets/", desk.api_payload(), format="json")
        reference = created.json()["reference"]
        replied = token_client(desk.agent).post(f"/api/tickets/{reference}/messages/", {"body": "On it"}, format="json")
    assert (created.status_code, replied.status_code) == (201, 201)
    assert Message.objects.filter(ticket__reference=reference).count() == 2
    # The acknowledgement, the department's alert and the reply: none lost, none sent.
    assert OutboundEmail.objects.filter(ticket__reference=reference, status="pending").count() == 3
    assert mail.outbox == []


# --------------------------------------------------------------------------
# database errors in the middle of a write


@pytest.mark.parametrize(("module", "failing"), [(_transactions, "record"), (_files, "store_files")])
def test_database_error_mid_create_writes_nothing(desk, module, failing):
    before = stored_files()
    real = getattr(module, failing)

    def fail_after_work(*args, **kwargs):
        real(*args, **kwargs)  # the step itself happens (rows, files), then the connection drops
        raise OperationalError("server closed the connection unexpectedly")

    with mock.patch.object(module, failing, side_effect=fail_after_work):
        with pytest.raises(OperationalError):
            desk.open(attachments=[upload(), upload("b.png")])
    assert not Ticket.objects.exists() and not Message.objects.exists()
    assert not Attachment.objects.exists() and not TicketEvent.objects.exists()
    assert stored_files() == before


def test_database_error_mid_create_through_the_web_is_a_500_with_nothing_written(client, desk):
    web_client(client, desk.customer)
    client.raise_request_exception = False
    before = stored_files()
    with mock.patch.object(_transactions, "record", side_effect=DatabaseError("disk full")):
        response = client.post(
            desk.form_url(), {"subject": "Invoice", "description": "See attached.", "attachments": [upload()]}
        )
    assert response.status_code == 500
    assert not Ticket.objects.exists() and stored_files() == before
    # The customer sends again once the database is back: one ticket, not a duplicate refusal.
    response = client.post(desk.form_url(), {"subject": "Invoice", "description": "See attached."})
    assert response.status_code == 302 and Ticket.objects.count() == 1


def test_database_error_mid_reply_leaves_the_ticket_as_it_was(desk):
    ticket = desk.open()
    services.post_reply(ticket=ticket, actor=desk.agent, body="Which order?")
    ticket.refresh_from_db()
    snapshot = (ticket.status, ticket.message_count, ticket.last_activity_at)
    before = stored_files()
    with mock.patch.object(_transactions, "copy_state", side_effect=DatabaseError("lost connection")):
        with pytest.raises(DatabaseError):
            services.post_reply(ticket=ticket, actor=desk.customer, body="Order 7", attachments=[upload()])
    ticket.refresh_from_db()
    assert (ticket.status, ticket.message_count, ticket.last_activity_at) == snapshot
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert stored_files() == before


@pytest.mark.django_db(transaction=True)  # retried only as the outermost transaction
def test_a_deadlock_victim_is_retried_and_its_files_are_not_left_behind(desk):
    before = stored_files()
    real = _transactions.record
    calls = []

    def deadlock_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
        return real(*args, **kwargs)

    with mock.patch.object(_transactions, "record", side_effect=deadlock_once):
        ticket = desk.open(attachments=[upload()])
    assert len(calls) == 2 and Ticket.objects.count() == 1
    # One file for the one attachment row: the victim's upload was removed.
    (attachment,) = Attachment.objects.filter(message__ticket=ticket)
    assert stored_files() - before == {attachment.file.path}


# --------------------------------------------------------------------------
# file storage failing


def test_storage_failure_on_the_second_file_removes_the_first(desk):
    before = stored_files()
    real_save = FileSystemStorage.save
    saved = []

    def save_once(self, name, content, max_length=None):
        if saved:
            raise OSError(28, "No space left on device")
        saved.append(real_save(self, name, content, max_length=max_length))
        return saved[-1]

    with mock.patch.object(FileSystemStorage, "save", save_once):
        with pytest.raises(services.AttachmentsUnavailable) as raised:
            desk.open(attachments=[upload(), upload("b.png")])
    assert isinstance(raised.value.__cause__, OSError)
    assert len(saved) == 1
    assert not Ticket.objects.exists() and stored_files() == before


STORAGE_DOWN = mock.patch.object(FileSystemStorage, "save", side_effect=OSError(28, "No space left on device"))


def test_storage_down_on_the_web_form_keeps_what_was_typed(client, desk, caplog):
    web_client(client, desk.customer)
    before = stored_files()
    data = {
        "subject": "Invoice 42 is wrong",
        "description": "The total counts the VAT twice.",
        "attachments": [upload()],
    }
    with STORAGE_DOWN, caplog.at_level(logging.ERROR, logger="helpdesk_tickets"):
        response = client.post(desk.form_url(), data)
    assert response.status_code == 503
    page = response.content.decode()
    assert "could not be stored just now, so nothing was sent" in page
    assert 'value="Invoice 42 is wrong"' in page and "The total counts the VAT twice." in page
    assert not Ticket.objects.exists() and stored_files() == before
    assert any("attachment storage failed" in r.getMessage() for r in caplog.records)
    # Once the storage is back, the same form goes through.
    response = client.post(desk.form_url(), {**data, "attachments": [upload()]})
    assert response.status_code == 302 and Attachment.objects.count() == 1


def test_storage_down_on_a_web_reply_keeps_the_reply(client, desk):
    ticket = desk.open()
    web_client(client, desk.customer)
    with STORAGE_DOWN:
        response = client.post(
            ticket.get_absolute_url(), {"body": "Here is the screenshot.", "attachments": [upload()]}
        )
    assert response.status_code == 503
    page = response.content.decode()
    assert "could not be stored just now" in page and "Here is the screenshot." in page
    assert ticket.messages.count() == 1


def test_storage_down_through_the_api_is_503_and_a_retry_with_the_same_key_succeeds(desk):
    client = token_client(desk.customer)
    payload = {**desk.api_payload(), "attachments": [upload()]}
    with STORAGE_DOWN:
        response = client.post("/api/tickets/", payload, format="multipart", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert response.status_code == 503
    assert "nothing was sent" in response.json()["detail"]
    assert not Ticket.objects.exists()
    # Nothing was kept under the key: the retry runs and creates the ticket.
    payload["attachments"] = [upload()]
    response = client.post("/api/tickets/", payload, format="multipart", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert response.status_code == 201 and Ticket.objects.count() == 1


def test_an_orphan_that_cannot_be_deleted_is_logged_and_the_original_error_raised(desk, caplog):
    with (
        mock.patch.object(_transactions, "record", side_effect=DatabaseError("gone")),
        mock.patch.object(FileSystemStorage, "delete", side_effect=OSError("read-only file system")),
        caplog.at_level(logging.WARNING, logger="helpdesk_tickets"),
    ):
        with pytest.raises(DatabaseError, match="gone"):
            desk.open(attachments=[upload()])
    (record,) = [r for r in caplog.records if "orphan" in r.getMessage()]
    assert "helpdesk_tickets/" in record.getMessage()
    assert not Ticket.objects.exists()


def test_housekeeping_sweeps_orphans_that_could_not_be_deleted_at_once(desk):
    kept = desk.open(subject="Kept", attachments=[upload("kept.png")])
    before = stored_files()
    with (
        mock.patch.object(_transactions, "record", side_effect=DatabaseError("gone")),
        mock.patch.object(FileSystemStorage, "delete", side_effect=OSError("storage down too")),
    ):
        with pytest.raises(DatabaseError):
            desk.open(attachments=[upload()])
    kept_path = Attachment.objects.get(message__ticket=kept).file.path
    (orphan,) = stored_files() - before
    # A file younger than the grace period may belong to a transaction still running.
    call_command("helpdesk_tickets_housekeeping", "--delete-orphan-files", verbosity=0)
    assert orphan in stored_files()
    two_hours_ago = time.time() - 7200
    for path in (orphan, kept_path):
        os.utime(path, (two_hours_ago, two_hours_ago))
    out = io.StringIO()
    call_command("helpdesk_tickets_housekeeping", "--delete-orphan-files", stdout=out)
    assert stored_files() >= {kept_path} and orphan not in stored_files()
    assert "Deleted 1 orphan attachment file(s)." in out.getvalue()
