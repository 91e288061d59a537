"""Hostile uploads on every write path: limits, types by content, names, storage keys, download headers."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.attachments import INLINE_SAFE_TYPES, clean_name, sniff_content_type
from helpdesk_tickets.models import Attachment, Message, Ticket
from tests.factories import HTML, PNG, SVG, token_client, upload, web_client

pytestmark = pytest.mark.django_db

ACTIVE = [
    ("page.html", HTML, "text/html"),
    ("page.htm", HTML, "text/html"),
    ("logo.svg", SVG, "image/svg+xml"),
    ("feed.xml", b"<?xml version='1.0'?><x/>", "application/xml"),
    ("run.exe", b"MZ\x90\x00", "application/octet-stream"),
    ("noextension", PNG, "image/png"),
    ("photo.png.html", HTML, "image/png"),
    ("script.js", b"alert(1)", "text/javascript"),
]


def small_limits(**kwargs):
    return override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, **kwargs})


def web_create(client, desk, *files, subject="Problem"):
    return client.post(desk.form_url(), {"subject": subject, "description": "Details", "attachments": list(files)})


def api_create(desk, *files):
    payload = desk.api_payload(attachments=list(files))
    return token_client(desk.customer).post("/api/tickets/", payload, format="multipart")


def web_reply(client, ticket, *files):
    url = reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])
    return client.post(url, {"body": "Here", "attachments": list(files)})


def api_reply(desk, ticket, *files, user=None):
    url = f"/api/tickets/{ticket.reference}/messages/"
    return token_client(user or desk.customer).post(
        url, {"body": "Here", "attachments": list(files)}, format="multipart"
    )


def staff_reply(client, desk, ticket, *files):
    client.force_login(desk.agent)
    url = reverse("helpdesk_tickets:staff_ticket_detail", args=[ticket.reference])
    return client.post(url, {"body": "From staff", "attachments": list(files)})


# --------------------------------------------------------------------------
# refused types, on every path


@pytest.mark.parametrize(("name", "content", "declared"), ACTIVE)
def test_active_and_unknown_types_are_refused_by_the_service(desk, name, content, declared):
    with pytest.raises(ValidationError) as caught:
        desk.open(attachments=[upload(name, content, declared)])
    assert "not accepted" in str(caught.value.message_dict["attachments"])
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("name", "content", "declared"), ACTIVE[:3])
def test_active_types_are_refused_on_the_web_form_and_the_typed_text_kept(client, desk, name, content, declared):
    web_client(client, desk.customer)
    response = web_create(client, desk, upload(name, content, declared), subject="Keep me")
    html = response.content.decode()
    assert response.status_code in (200, 400) and "not accepted" in html and "Keep me" in html
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("name", "content", "declared"), ACTIVE[:3])
def test_active_types_are_refused_by_the_api(desk, name, content, declared):
    response = api_create(desk, upload(name, content, declared))
    assert response.status_code == 400 and "attachments" in response.json()
    assert not Ticket.objects.exists()


def test_active_types_are_refused_in_replies_by_web_api_and_staff(client, desk):
    ticket = desk.open()
    web_client(client, desk.customer)
    assert web_reply(client, ticket, upload("x.svg", SVG, "image/svg+xml")).status_code == 400
    assert api_reply(desk, ticket, upload("x.html", HTML, "text/html")).status_code == 400
    response = staff_reply(client, desk, ticket, upload("x.html", HTML, "text/html"))
    assert response.status_code in (200, 400) and "not accepted" in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1 and not Attachment.objects.exists()


def test_the_extension_check_ignores_case_but_not_tricks(desk):
    ticket = desk.open(attachments=[upload("PHOTO.PNG")])
    assert Attachment.objects.get(message__ticket=ticket).original_name == "PHOTO.PNG"
    for name in ("photo.png\x00.html", "photo.png%00.html", ".htaccess", "photo.html\u202egnp"):
        with pytest.raises(ValidationError):
            services.post_reply(ticket=ticket, actor=desk.customer, body="x", attachments=[upload(name, HTML)])
    # Trailing dots and spaces are trimmed (Windows would do the same); the bytes still decide the type.
    for name in ("photo.png.", "photo.png "):
        message = services.post_reply(ticket=ticket, actor=desk.customer, body="x", attachments=[upload(name, HTML)])
        stored = message.attachments.get()
        assert (stored.original_name, stored.content_type) == ("photo.png", "application/octet-stream")


# --------------------------------------------------------------------------
# size and count


def test_size_limit_on_web_api_and_service(client, desk):
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048
    with small_limits(MAX_ATTACHMENT_SIZE=1024):
        with pytest.raises(ValidationError, match="the limit is .{0,6}1 KB"):
            desk.open(attachments=[upload("big.png", big)])
        web_client(client, desk.customer)
        assert "the limit is" in web_create(client, desk, upload("big.png", big)).content.decode()
        response = api_create(desk, upload("big.png", big))
        assert response.status_code == 400 and "the limit is" in str(response.json()["attachments"])
    assert not Ticket.objects.exists()


def test_count_limit_on_web_api_and_service(client, desk):
    with small_limits(MAX_ATTACHMENTS_PER_MESSAGE=2):
        files = [upload(f"{n}.png") for n in range(3)]
        with pytest.raises(ValidationError, match="at most 2 files"):
            desk.open(attachments=files)
        web_client(client, desk.customer)
        assert "at most 2 files" in web_create(client, desk, *[upload(f"{n}.png") for n in range(3)]).content.decode()
        response = api_create(desk, *[upload(f"{n}.png") for n in range(3)])
        assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_empty_files_are_refused(desk):
    with pytest.raises(ValidationError, match="is empty"):
        desk.open(attachments=[upload("empty.txt", b"", "text/plain")])


def test_django_caps_the_number_of_files_in_one_request(client, desk):
    web_client(client, desk.customer)
    client.raise_request_exception = False
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=3):
        response = web_create(client, desk, *[upload(f"{n}.png") for n in range(4)])
    assert response.status_code == 400
    assert not Ticket.objects.exists()


# --------------------------------------------------------------------------
# content decides the type


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", HTML),
        ("photo.jpg", SVG),
        ("scan.pdf", b"<html><script>alert(1)</script>"),
        ("data.zip", b"<?xml version='1.0'?><svg/>"),
        ("sheet.xlsx", HTML),
    ],
)
def test_declared_type_and_extension_are_not_trusted(desk, name, content):
    ticket = desk.open(attachments=[upload(name, content, "image/png")])
    assert Attachment.objects.get(message__ticket=ticket).content_type == "application/octet-stream"


def test_recognised_types_are_kept():
    assert sniff_content_type(PNG, "a.png") == "image/png"
    assert sniff_content_type(b"%PDF-1.7\n", "a.pdf") == "application/pdf"
    assert sniff_content_type("سلام، دنیا".encode(), "note.txt") == "text/plain"
    assert sniff_content_type(b"<script>", "note.txt") == "text/plain"  # inert as text/plain + nosniff
    assert sniff_content_type(b"\x00\x01binary", "note.txt") == "application/octet-stream"


# --------------------------------------------------------------------------
# names and storage keys


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\boot.ini.txt", "boot.ini.txt"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("invoice\u202egnp.txt", "invoicegnp.txt"),
        ("a\u2066b\u2069c\u200f.txt", "abc.txt"),
        ("bell\x07\r\nSet-Cookie: x=1.txt", "bellSet-Cookie x=1.txt"),
        ('quote".txt', "quote.txt"),
        ("...", "file"),
        ("", "file"),
    ],
)
def test_names_are_cleaned(given, cleaned):
    assert clean_name(given) == cleaned


def test_long_names_keep_their_extension():
    name = clean_name("x" * 500 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")


def test_equal_names_get_distinct_generated_keys(desk):
    ticket = desk.open(attachments=[upload("same.png"), upload("same.png")])
    other = desk.open(subject="Second", attachments=[upload("same.png")])
    names = [a.file.name for a in Attachment.objects.filter(message__ticket__in=[ticket, other])]
    assert len(set(names)) == 3
    for name in names:
        assert name.startswith("helpdesk_tickets/") and "same" not in name and ".." not in name


def test_a_hostile_name_is_stored_clean_and_sent_back_safely(client, desk):
    ticket = desk.open(attachments=[upload('..\\evil\u202e"\r\nX-Injected: 1<b>.txt', b"hello", "text/plain")])
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.original_name == "evilX-Injected 1b.txt"
    web_client(client, desk.customer)
    response = client.get(reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, attachment.pk]))
    assert "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]
    assert not response.has_header("X-Injected")


# --------------------------------------------------------------------------
# downloads: never rendered by the browser


def _downloads(client, desk, ticket, attachment):
    web_client(client, desk.customer)
    web = client.get(reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, attachment.pk]))
    api = token_client(desk.customer).get(f"/api/tickets/{ticket.reference}/attachments/{attachment.pk}/")
    return web, api


@pytest.mark.parametrize(("name", "content"), [("x.png", PNG), ("x.txt", HTML), ("x.pdf", SVG)])
def test_every_download_is_an_attachment_with_nosniff_and_a_sandbox_csp(client, desk, name, content):
    ticket = desk.open(attachments=[upload(name, content)])
    attachment = Attachment.objects.get(message__ticket=ticket)
    for response in _downloads(client, desk, ticket, attachment):
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert "sandbox" in response["Content-Security-Policy"]
        assert response["Content-Type"].split(";")[0] in INLINE_SAFE_TYPES | {"application/octet-stream"}
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == content


def test_a_file_missing_from_storage_is_a_404_not_a_500(client, desk):
    ticket = desk.open(attachments=[upload()])
    attachment = Attachment.objects.get(message__ticket=ticket)
    attachment.file.storage.delete(attachment.file.name)
    for response in _downloads(client, desk, ticket, attachment):
        assert response.status_code == 404
