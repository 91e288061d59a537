"""Attachment rules: sniffed types, clean names, generated storage keys, no orphans."""

import os

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError

from helpdesk_tickets import attachments, notifications, services
from helpdesk_tickets.models import Attachment, Message, Ticket
from helpdesk_tickets.services import _transactions
from tests.core.helpers import Desk
from tests.factories import PDF, PNG, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return Desk()


def stored_files():
    """Every file under the attachment folder of the test media root."""
    root = os.path.join(settings.MEDIA_ROOT, "helpdesk_tickets")
    return {os.path.join(folder, name) for folder, _dirs, names in os.walk(root) for name in names}


# --------------------------------------------------------------------------
# content type


@pytest.mark.parametrize(
    ("name", "content", "declared", "expected"),
    [
        ("photo.png", PNG, "text/html", "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "application/x-msdownload", "image/jpeg"),
        ("scan.pdf", PDF, "text/html", "application/pdf"),
        # A page pretending to be a PDF is served as bytes, never rendered.
        ("invoice.pdf", b"<html><script>alert(1)</script>", "application/pdf", "application/octet-stream"),
        ("notes.txt", b"<html><script>alert(1)</script>", "text/html", "text/plain"),
        ("notes.txt", "سلام دنیا".encode(), "application/octet-stream", "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "text/plain", "text/csv"),
        ("notes.txt", b"\x00\x01binary", "text/plain", "application/octet-stream"),
        ("report.docx", b"PK\x03\x04rest", "image/png", attachments._OFFICE["docx"]),
        ("archive.zip", b"PK\x03\x04rest", "text/plain", "application/zip"),
        ("image.png", b"GIF89a....", "image/png", "image/gif"),
    ],
)
def test_the_content_type_comes_from_the_bytes_not_the_browser(desk, name, content, declared, expected):
    ticket = desk.ticket(attachments=[upload(name, content, declared)])
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.content_type == expected
    assert attachment.size == len(content)


def test_a_multibyte_character_cut_at_the_sniffing_boundary_is_still_text():
    head = ("ا" * 1024).encode()[:2047]  # the sample ends in the middle of a letter
    assert attachments.sniff_content_type(head, "long.txt") == "text/plain"


def test_the_checksum_and_size_are_recorded(desk):
    import hashlib

    ticket = desk.ticket(attachments=[upload("a.txt", b"hello world")])
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert attachment.file.read() == b"hello world"


# --------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\Ali\\Desktop\\report.pdf", "report.pdf"),
        ("/var/www/shell.txt", "shell.txt"),
        ("invoice\u202etxt.exe", "invoicetxt.exe"),
        ("bad\x00name\x1f.txt", "badname.txt"),
        ("zero\u200bwidth\u2066.txt", "zerowidth.txt"),
        ('what?*:"<>|.txt', "what.txt"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        ("  .hidden.txt. ", "hidden.txt"),
        ("گزارش مالی.pdf", "گزارش مالی.pdf"),
    ],
)
def test_names_are_cleaned(given, expected):
    assert attachments.clean_name(given) == expected


def test_long_names_are_cut_keeping_the_extension():
    cleaned = attachments.clean_name("a" * 300 + ".pdf")
    assert len(cleaned) == attachments.MAX_NAME_LENGTH
    assert cleaned.endswith(".pdf")


def test_the_cleaned_name_is_what_is_shown(desk):
    ticket = desk.ticket(attachments=[upload("../../secret\u202e.txt", b"x")])
    assert Attachment.objects.get(message__ticket=ticket).original_name == "secret.txt"


# --------------------------------------------------------------------------
# storage


def test_files_are_stored_under_generated_keys(desk):
    ticket = desk.ticket(attachments=[upload("same.txt", b"one"), upload("same.txt", b"two")])
    first, second = Attachment.objects.filter(message__ticket=ticket)
    assert first.file.name != second.file.name
    for attachment in (first, second):
        assert attachment.file.name.startswith("helpdesk_tickets/")
        assert "same" not in attachment.file.name
        assert attachment.original_name == "same.txt"
    assert {first.file.read(), second.file.read()} == {b"one", b"two"}


def test_a_failure_while_storing_leaves_no_ticket_and_no_file(desk, monkeypatch):
    real_save = FileSystemStorage._save
    calls = []

    def flaky_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky_save)
    before = stored_files()

    with pytest.raises(services.AttachmentsUnavailable) as raised:
        desk.ticket(attachments=[upload("one.txt", b"1"), upload("two.txt", b"2")])

    assert isinstance(raised.value.__cause__, OSError)
    assert len(calls) == 2
    assert not Ticket.objects.exists() and not Message.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == before


def test_a_database_failure_after_the_upload_deletes_the_stored_file(desk, monkeypatch):
    def broken_record(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(_transactions, "record", broken_record)
    before = stored_files()

    with pytest.raises(DatabaseError):
        desk.ticket(attachments=[upload("one.txt", b"1"), upload("two.txt", b"2")])

    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert stored_files() == before


def test_a_failed_reply_leaves_no_message_and_no_file(desk, monkeypatch):
    ticket = desk.ticket()
    before = stored_files()

    def broken_notify(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(notifications, "notify", broken_notify)
    with pytest.raises(DatabaseError):
        services.post_reply(ticket=ticket, actor=desk.agent, body="see attached", attachments=[upload()])

    assert ticket.messages.count() == 1 and not Attachment.objects.exists()
    assert stored_files() == before
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_a_successful_upload_stays(desk):
    before = stored_files()
    desk.ticket(attachments=[upload()])
    assert len(stored_files() - before) == 1


# --------------------------------------------------------------------------
# limits, directly


def test_limits_report_every_problem_at_once():
    files = [upload("a.exe", b"MZ"), upload("b.txt", b"")]
    with pytest.raises(ValidationError) as refused:
        attachments.validate_files(files)
    problems = refused.value.message_dict["attachments"]
    assert len(problems) == 2
    assert "a.exe" in problems[0] and "b.txt" in problems[1]


def test_extensions_are_compared_without_case():
    assert attachments.validate_files([upload("PHOTO.PNG", PNG)])
