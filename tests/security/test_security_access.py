"""Access control under attack: IDOR, internal notes, mass assignment, client-chosen ORM keys."""

import pytest
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.models import Attachment, Channel, Message, Priority, Status, Ticket
from tests.factories import DepartmentFactory, make_agent, token_client, upload, web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(desk):
    """A ticket of ``desk.customer`` with a public file and an internal note with a file."""
    ticket = desk.open(attachments=[upload("public.png")])
    note = services.post_reply(
        ticket=ticket, actor=desk.agent, body="SECRET-NOTE about the customer", internal=True, attachments=[upload()]
    )
    public = Attachment.objects.get(message__ticket=ticket, message__internal=False)
    hidden = Attachment.objects.get(message=note)
    return ticket, public, hidden


def web_urls(ticket, attachment):
    return [
        reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference]),
        reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, attachment.pk]),
    ]


def api_urls(ticket, attachment):
    return [
        f"/api/tickets/{ticket.reference}/",
        f"/api/tickets/{ticket.reference}/messages/",
        f"/api/tickets/{ticket.reference}/attachments/{attachment.pk}/",
    ]


# --------------------------------------------------------------------------
# IDOR


def test_another_customer_gets_404_everywhere(client, desk, thread):
    ticket, public, _hidden = thread
    web_client(client, desk.other)
    for url in web_urls(ticket, public):
        assert client.get(url).status_code == 404, url
    detail = reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])
    assert client.post(detail, {"body": "hijack"}).status_code == 404
    assert client.post(reverse("helpdesk_tickets:ticket_close", args=[ticket.reference])).status_code == 404
    api = token_client(desk.other)
    for url in api_urls(ticket, public):
        assert api.get(url).status_code == 404, url
    assert api.post(f"/api/tickets/{ticket.reference}/messages/", {"body": "hijack"}, format="json").status_code == 404
    assert Message.objects.filter(body="hijack").count() == 0
    ticket.refresh_from_db()
    assert ticket.status != Status.CLOSED


def test_an_agent_of_another_department_gets_404(client, desk, thread):
    ticket, public, _hidden = thread
    outsider = make_agent(DepartmentFactory(), username="elsewhere")
    web_client(client, outsider)
    assert client.get(reverse("helpdesk_tickets:staff_ticket_detail", args=[ticket.reference])).status_code == 404
    assert client.get(web_urls(ticket, public)[1]).status_code == 404
    for url in api_urls(ticket, public):
        assert token_client(outsider).get(url).status_code == 404, url


def test_an_attachment_id_of_another_ticket_cannot_be_reached_through_ones_own(client, desk, thread):
    _ticket, public, _hidden = thread
    own = desk.open(requester=desk.other, subject="Mine")
    web_client(client, desk.other)
    url = reverse("helpdesk_tickets:attachment_download", args=[own.reference, public.pk])
    assert client.get(url).status_code == 404
    assert token_client(desk.other).get(f"/api/tickets/{own.reference}/attachments/{public.pk}/").status_code == 404


def test_anonymous_requests_are_sent_to_log_in(client, desk, thread):
    ticket, public, _hidden = thread
    for url in web_urls(ticket, public):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url
    for url in api_urls(ticket, public):
        assert token_client().get(url).status_code in (401, 403)


# --------------------------------------------------------------------------
# internal notes never reach the customer


def test_internal_notes_and_their_files_are_hidden_from_the_customer(client, desk, thread):
    ticket, public, hidden = thread
    web_client(client, desk.customer)
    page = client.get(reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])).content.decode()
    assert "SECRET-NOTE" not in page and web_urls(ticket, hidden)[1] not in page
    assert web_urls(ticket, public)[1] in page
    assert client.get(web_urls(ticket, hidden)[1]).status_code == 404
    api = token_client(desk.customer)
    assert "SECRET-NOTE" not in api.get(f"/api/tickets/{ticket.reference}/messages/").content.decode()
    assert "SECRET-NOTE" not in api.get(f"/api/tickets/{ticket.reference}/").content.decode()
    assert "SECRET-NOTE" not in api.get("/api/tickets/?search=SECRET").content.decode()
    assert api.get(f"/api/tickets/{ticket.reference}/attachments/{hidden.pk}/").status_code == 404
    # Staff do see it.
    assert token_client(desk.agent).get(f"/api/tickets/{ticket.reference}/attachments/{hidden.pk}/").status_code == 200


def test_an_internal_note_does_not_change_what_the_customer_is_told(client, desk, thread):
    ticket, _public, _hidden = thread
    body = token_client(desk.customer).get(f"/api/tickets/{ticket.reference}/").json()
    assert body["message_count"] == 1


def test_a_customer_cannot_post_an_internal_note(client, desk, thread):
    ticket, _public, _hidden = thread
    api = token_client(desk.customer)
    response = api.post(f"/api/tickets/{ticket.reference}/messages/", {"body": "x", "internal": True}, format="json")
    assert response.status_code in (400, 403)
    # The web form has no such field: an extra POST value is ignored.
    web_client(client, desk.customer)
    client.post(reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference]), {"body": "y", "internal": "on"})
    assert not Message.objects.filter(ticket=ticket, author=desk.customer, internal=True).exists()


# --------------------------------------------------------------------------
# mass assignment


def test_api_create_ignores_fields_the_client_may_not_set(desk):
    # requester and channel are staff fields (opening a ticket for a customer): a customer naming them is a 400.
    staff_only = {"requester": desk.other.get_username(), "channel": "phone"}
    refused = token_client(desk.customer).post("/api/tickets/", desk.api_payload(**staff_only), format="json")
    assert refused.status_code == 400 and set(refused.json()) == set(staff_only)
    payload = desk.api_payload(
        status="closed",
        priority="urgent",
        reference="HD-AAAAAAAA",
        requester_id=desk.other.pk,
        assignee=desk.agent.get_username(),
        created_at="2000-01-01T00:00:00Z",
        message_count=99,
        internal=True,
    )
    response = token_client(desk.customer).post("/api/tickets/", payload, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.requester == desk.customer and ticket.status == Status.NEW
    assert ticket.priority == Priority.NORMAL and ticket.channel == Channel.API
    assert ticket.reference != "HD-AAAAAAAA" and ticket.assignee is None and ticket.message_count == 1
    assert ticket.created_at.year > 2000 and not Message.objects.filter(internal=True).exists()


def test_web_create_ignores_extra_fields(client, desk):
    web_client(client, desk.customer)
    data = {"subject": "S", "description": "D", "requester": desk.other.pk, "priority": "urgent", "status": "closed"}
    assert client.post(desk.form_url(), data).status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.priority, ticket.status) == (desk.customer, Priority.NORMAL, Status.NEW)


def test_a_customer_cannot_change_staff_fields_through_the_api(desk, thread):
    ticket, _public, _hidden = thread
    api = token_client(desk.customer)
    changes = {"priority": "urgent", "assignee": "agent"}
    response = api.patch(f"/api/tickets/{ticket.reference}/", changes, format="json")
    assert response.status_code in (403, 404, 405)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL and ticket.assignee is None


# --------------------------------------------------------------------------
# client-chosen lookup and ordering keys


@pytest.mark.parametrize(
    "query",
    [
        "ordering=requester__password",
        "ordering=-requester__password",
        "ordering=messages__body",
        "ordering=requester__email,-id",
        "ordering=%3Bdrop%20table",
    ],
)
def test_ordering_by_arbitrary_columns_is_refused(desk, thread, query):
    response = token_client(desk.agent).get(f"/api/tickets/?{query}")
    assert response.status_code == 400 and "ordering" in response.json()


@pytest.mark.parametrize(
    "query",
    [
        "requester__password__startswith=md5",
        "requester__is_superuser=true",
        "messages__internal=true",
        "department__agents__password__startswith=a",
    ],
)
def test_unknown_filter_keys_are_not_lookups(desk, thread, query):
    """Unknown parameters filter nothing: the answer is the same as without them."""
    api = token_client(desk.customer)
    plain = api.get("/api/tickets/").json()
    hostile = api.get(f"/api/tickets/?{query}")
    assert hostile.status_code == 200 and hostile.json()["results"] == plain["results"]


@pytest.mark.parametrize(
    "query",
    [
        "department=../../x",
        "status=bogus",
        "priority=%00",
        "created_after=not-a-date",
        "search=" + "a" * 500,
        "search=a%00b",
        "assignee=a%00b",
        "assignee=" + "b" * 200,
    ],
)
def test_malformed_filters_are_400_not_500(desk, thread, query):
    assert token_client(desk.agent).get(f"/api/tickets/?{query}").status_code == 400


@pytest.mark.parametrize(
    "reference",
    ["HD-%27%20OR%201%3D1", "..%2F..%2Fadmin", "HD-" + "A" * 300, "%00"],
)
def test_hostile_references_are_404(client, desk, thread, reference):
    web_client(client, desk.customer)
    assert client.get(f"/support/tickets/{reference}/").status_code == 404
    assert client.get(f"/support/tickets/{reference}/attachments/1/").status_code == 404
    assert token_client(desk.customer).get(f"/api/tickets/{reference}/").status_code == 404
    web_client(client, desk.agent)
    assert client.get(f"/support/staff/tickets/{reference}/").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"department": {"$ne": None}, "ticket_type": "question", "subject": "x", "description": "y"},
        {"department": ["billing"], "ticket_type": "question", "subject": "x", "description": "y"},
        {"department": "billing", "ticket_type": "question", "subject": {"a": 1}, "description": "y"},
        {"department": "billing", "ticket_type": "question", "subject": "x\x00y", "description": "y"},
        {"department": "billing", "ticket_type": "question", "subject": "x" * 10_000, "description": "y"},
        {"department": "billing", "ticket_type": "question", "subject": "  ", "description": "y"},
        {"department": "billing", "ticket_type": "question", "subject": "x", "description": "y" * 30_000},
        [1, 2, 3],
        "just a string",
    ],
)
def test_malformed_create_payloads_are_400(desk, payload):
    response = token_client(desk.customer).post("/api/tickets/", payload, format="json")
    assert response.status_code == 400
    assert not Ticket.objects.exists()


# --------------------------------------------------------------------------
# hostile requests


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{" * 100_000, "application/json"),
        (b"\xff\xfe not utf-8", "application/json"),
        ("x" * 3_000_000, "application/json"),  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "application/xml"),
    ],
)
def test_hostile_bodies_are_refused_without_a_500(desk, body, content_type):
    response = token_client(desk.customer).generic("POST", "/api/tickets/", body, content_type=content_type)
    assert response.status_code in (400, 413, 415)
    assert "root:" not in response.content.decode(errors="replace")
    assert not Ticket.objects.exists()


def test_web_writes_need_the_csrf_token(desk):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.customer)
    assert client.post(desk.form_url(), {"subject": "S", "description": "D"}).status_code == 403
    ticket = desk.open()
    reply = client.post(reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference]), {"body": "x"})
    assert reply.status_code == 403
    # A session-authenticated API call is held to CSRF too (a token header is not).
    api = client.post("/api/tickets/", desk.api_payload(), content_type="application/json")
    assert api.status_code == 403
    assert Ticket.objects.count() == 1


def test_pages_cannot_be_framed(client, desk):
    ticket = desk.open()
    web_client(client, desk.customer)
    for url in (desk.form_url(), reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_nul_bytes_in_web_queries_are_harmless(client, desk, thread):
    """PostgreSQL refuses NUL in text: no query parameter may carry one into SQL."""
    web_client(client, desk.customer)
    similar = reverse("helpdesk_tickets:ticket_similar", args=[desk.department.slug])
    assert client.get(similar + "?q=abc%00def").status_code == 200
    assert client.get(reverse("helpdesk_tickets:ticket_list") + "?status=%00").status_code == 200
    web_client(client, desk.agent)
    for query in ("q=a%00b", "department=%00", "assignee=%00", "sort=%00", "page=%00"):
        assert client.get(reverse("helpdesk_tickets:staff_queue") + "?" + query).status_code == 200, query
    reply = client.post(reverse("helpdesk_tickets:staff_ticket_detail", args=[thread[0].reference]), {"body": "a\x00b"})
    assert reply.status_code in (200, 400)
    assert not Message.objects.filter(body__contains="a").filter(author=desk.agent, internal=False).exists()


def test_an_idempotency_key_never_replays_another_users_answer(desk):
    first = token_client(desk.customer).post(
        "/api/tickets/", desk.api_payload(subject="Mine"), format="json", HTTP_IDEMPOTENCY_KEY="shared-key"
    )
    second = token_client(desk.other).post(
        "/api/tickets/", desk.api_payload(subject="Theirs"), format="json", HTTP_IDEMPOTENCY_KEY="shared-key"
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["reference"] != second.json()["reference"]
    assert "Mine" not in second.content.decode()
    assert Ticket.objects.get(reference=second.json()["reference"]).requester == desk.other
