"""The ticket thread through the REST API: reading, replying, internal notes, polling."""

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk_tickets import services
from helpdesk_tickets.models import Message, Status
from tests.factories import PNG, upload

pytestmark = pytest.mark.django_db


def url(world):
    return f"/api/tickets/{world.ticket.reference}/messages/"


def test_replies_move_the_status_as_on_the_web(world):
    response = world.client("agent").post(url(world), {"body": "We are on it"}, format="json")
    assert response.status_code == 201
    assert response.json()["from_staff"] is True and response.json()["internal"] is False
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.AWAITING_CUSTOMER and world.ticket.first_response_at
    response = world.client("customer").post(url(world), {"body": "Thanks, still broken"}, format="json")
    assert (
        response.status_code == 201 and response.json()["author"]["username"] == world.users["customer"].get_username()
    )
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.IN_PROGRESS


def test_reply_with_attachments_by_multipart(world):
    payload = {"body": "Screenshot attached", "attachments": [upload("a.png"), upload("b.png")]}
    response = world.client("customer").post(url(world), payload, format="multipart")
    assert response.status_code == 201
    files = response.json()["attachments"]
    assert [f["name"] for f in files] == ["a.png", "b.png"] and files[0]["content_type"] == "image/png"
    download = world.client("customer").get(files[0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG


def test_a_refused_attachment_leaves_nothing_behind(world):
    root = os.path.join(settings.MEDIA_ROOT, "helpdesk_tickets")
    before = sum(len(f) for _d, _s, f in os.walk(root))
    messages = Message.objects.count()
    payload = {"body": "Two files", "attachments": [upload("ok.png"), SimpleUploadedFile("run.sh", b"#!/bin/sh")]}
    response = world.client("customer").post(url(world), payload, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["attachments"]
    assert Message.objects.count() == messages
    assert sum(len(f) for _d, _s, f in os.walk(root)) == before


def test_staff_post_internal_notes_customers_may_not(world):
    response = world.client("agent").post(url(world), {"body": "Check the logs", "internal": True}, format="json")
    assert response.status_code == 201 and response.json()["internal"] is True
    world.ticket.refresh_from_db()
    assert world.ticket.status == Status.NEW  # a note changes nothing for the customer
    response = world.client("customer").post(url(world), {"body": "Sneaky", "internal": True}, format="json")
    assert response.status_code == 403
    assert not Message.objects.filter(body="Sneaky").exists()


def test_a_reply_to_a_closed_ticket_is_a_409(world):
    services.close(world.ticket, actor=world.users["customer"])
    response = world.client("customer").post(url(world), {"body": "One more thing"}, format="json")
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 20001},
        {"body": "a\x00b"},
        {"body": ["list"]},
        {"internal": "maybe"},
    ],
)
def test_invalid_replies_are_a_400(world, payload):
    response = world.client("customer").post(url(world), payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"body", "internal"}


def test_polling_for_new_replies(world):
    client = world.client("customer")
    first = client.get(url(world)).json()["results"]
    since = first[-1]["created_at"]
    services.post_reply(ticket=world.ticket, actor=world.users["agent"], body="Fixed, please check")
    new = client.get(url(world), {"created_after": since}).json()["results"]
    assert [m["body"] for m in new] == ["Fixed, please check"]


def test_reading_the_thread_marks_staff_replies_read(world):
    services.post_reply(ticket=world.ticket, actor=world.users["agent"], body="Answer")
    client = world.client("customer")
    assert client.get(f"/api/tickets/{world.ticket.reference}/").json()["has_unread_reply"] is True
    client.get(url(world))
    assert client.get(f"/api/tickets/{world.ticket.reference}/").json()["has_unread_reply"] is False


def test_an_idempotent_reply_is_posted_once(world):
    client = world.client("customer")
    first = client.post(url(world), {"body": "Hello?"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    again = client.post(url(world), {"body": "Hello?"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(body="Hello?").count() == 1


def test_thread_pages_by_cursor(world):
    for n in range(4):
        services.post_reply(ticket=world.ticket, actor=world.users["customer"], body=f"Message {n}")
    client, bodies, next_url = world.client("customer"), [], url(world) + "?page_size=2"
    while next_url:
        page = client.get(next_url).json()
        bodies += [m["body"] for m in page["results"]]
        next_url = page["next"]
    assert len(bodies) == 5 and bodies[1:] == [f"Message {n}" for n in range(4)]
