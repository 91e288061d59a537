"""Downloading attachments through the REST API: permission-checked, never rendered inline."""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk_tickets import services
from tests.api.helpers import World
from tests.factories import PNG, make_ticket, upload

pytestmark = pytest.mark.django_db


def download_url(ticket, attachment):
    return f"/api/tickets/{ticket.reference}/attachments/{attachment.pk}/"


def test_download_is_an_attachment_with_safe_headers(world):
    response = world.client("customer").get(download_url(world.ticket, world.public_attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    # One type for every file (as the schema says); the real one is the attachment's content_type.
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Length"] == str(len(PNG))
    assert response["Content-Disposition"] == "attachment; filename=\"public.png\"; filename*=UTF-8''public.png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_web_download_answers_the_same_headers(world):
    message = services.post_reply(
        ticket=world.ticket, actor=world.users["customer"], body="Photo", attachments=[upload('عکس "خطا".png')]
    )
    attachment = message.attachments.get()
    client = world.client("customer")
    client.force_login(world.users["customer"])
    api = client.get(download_url(world.ticket, attachment))
    web = client.get(reverse("helpdesk_tickets:attachment_download", args=[world.ticket.reference, attachment.pk]))
    assert api.status_code == web.status_code == 200
    for header in ("Content-Disposition", "Content-Length", "X-Content-Type-Options", "Cache-Control"):
        assert api[header] == web[header], header
    assert web["Content-Type"] == "image/png" and api["Content-Type"] == "application/octet-stream"
    assert api["Content-Disposition"].startswith("attachment; filename=\"file.png\"; filename*=UTF-8''")


def test_a_persian_file_name_survives_the_header(world):
    message = services.post_reply(
        ticket=world.ticket, actor=world.users["customer"], body="Photo", attachments=[upload("عکس خطا.png")]
    )
    attachment = message.attachments.get()
    disposition = world.client("customer").get(download_url(world.ticket, attachment))["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.endswith("filename*=UTF-8''" + quote("عکس خطا.png", safe=""))


def test_html_is_never_served_as_html(world):
    message = services.post_reply(
        ticket=world.ticket,
        actor=world.users["customer"],
        body="Log",
        attachments=[SimpleUploadedFile("page.txt", b"<script>alert(1)</script>")],
    )
    response = world.client("agent").get(download_url(world.ticket, message.attachments.get()))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_others_files_are_404(world):
    other_ticket = make_ticket(
        world.users["other_customer"], world.department, world.ticket_type, attachments=[upload("theirs.png")]
    )
    theirs = other_ticket.messages.get().attachments.get()
    client = world.client("customer")
    assert client.get(download_url(other_ticket, theirs)).status_code == 404
    # Their file through my ticket's address is no way around it either.
    assert client.get(download_url(world.ticket, theirs)).status_code == 404
    assert client.get(f"/api/tickets/{world.ticket.reference}/attachments/999999/").status_code == 404


def test_internal_notes_files_are_404_for_customers(world):
    url = download_url(world.ticket, world.internal_attachment)
    assert world.client("customer").get(url).status_code == 404
    assert world.client("agent").get(url).status_code == 200


def test_a_missing_file_is_a_404_not_a_500(world):
    world.public_attachment.file.storage.delete(world.public_attachment.file.name)
    assert world.client("customer").get(download_url(world.ticket, world.public_attachment)).status_code == 404


def test_any_storage_backend_is_streamed(settings, db):
    # Object storage (S3 and the like) is read through the storage API, like
    # this in-memory storage: no local path and no public URL is needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "memory": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "ATTACHMENT_STORAGE": "memory"}
    world = World()
    response = world.client("customer").get(download_url(world.ticket, world.public_attachment))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
