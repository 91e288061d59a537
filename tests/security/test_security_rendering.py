"""Stored XSS: user text reaches HTML only through Django's autoescape, and links are never made of it.

Message bodies are plain text (no markdown, no automatic links): a
``javascript:`` or ``data:`` "link" in a message stays inert text. The
JSON the portal's script reads is put in the page with ``textContent`` only.
"""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

import helpdesk_tickets
from helpdesk_tickets import services
from tests.factories import UserFactory, token_client, upload, web_client

pytestmark = pytest.mark.django_db

SUBJECT = '<script>alert("subject")</script> Printer'
BODY = (
    "<img src=x onerror=alert(1)> please see javascript:alert(document.cookie) and "
    "[click](javascript:alert(2)) and data:text/html;base64,PHNjcmlwdD4= and "
    '"><svg onload=alert(3)> and http://example.com/a?b=<c>'
)
NAME = '<b onmouseover="alert(4)">Mallory</b>'

RAW = [
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "<b onmouseover",
    'href="javascript:',
    "href='javascript:",
    'href="data:',
    'src="data:text/html',
]


def assert_inert(html):
    for needle in RAW:
        assert needle not in html, needle


@pytest.fixture
def hostile(desk):
    mallory = UserFactory(username="mallory", first_name=NAME, email="m@example.com")
    ticket = desk.open(requester=mallory, subject=SUBJECT, description=BODY, attachments=[upload("<i>x</i>.png")])
    services.post_reply(ticket=ticket, actor=mallory, body=BODY)
    services.post_reply(ticket=ticket, actor=desk.agent, body="Looking at it")
    return mallory, ticket


def test_customer_pages_escape_everything(client, desk, hostile):
    mallory, ticket = hostile
    web_client(client, mallory)
    for url in (
        reverse("helpdesk_tickets:ticket_list"),
        reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference]),
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(" in html
        assert_inert(html)
    detail = client.get(reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])).content.decode()
    assert "javascript:alert(document.cookie)" in detail  # shown as text, not dropped


def test_the_reply_form_redisplays_hostile_text_escaped(client, desk, hostile):
    mallory, ticket = hostile
    web_client(client, mallory)
    url = reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])
    response = client.post(url, {"body": "</textarea><script>alert(5)</script>", "attachments": [upload("x.svg")]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "</textarea><script>alert(5)" not in html and "&lt;/textarea&gt;&lt;script&gt;" in html


def test_staff_pages_escape_everything(client, desk, hostile):
    _mallory, ticket = hostile
    web_client(client, desk.agent)
    for url in (
        reverse("helpdesk_tickets:staff_queue"),
        reverse("helpdesk_tickets:staff_queue") + "?q=%3Cscript%3Ealert(9)%3C/script%3E",
        reverse("helpdesk_tickets:staff_ticket_detail", args=[ticket.reference]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode())


def test_admin_pages_escape_everything(client, desk, hostile):
    _mallory, ticket = hostile
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    web_client(client, admin)
    for url in (
        reverse("admin:helpdesk_tickets_ticket_changelist"),
        reverse("admin:helpdesk_tickets_ticket_change", args=[ticket.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode())


def test_html_email_escapes_and_plain_text_email_is_plain(desk, hostile):
    _mallory, _ticket = hostile
    # The department's alert, the customer's acknowledgement, the replies: waiting in the outbox.
    assert services.deliver_outbox().sent == len(mail.outbox) >= 3
    quoting = [m for m in mail.outbox if "<img src=x onerror" in m.body]  # text/plain: shown literally
    assert len(quoting) >= 2
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert_inert(html)
        assert "\n" not in message.subject
    assert all("&lt;img src=x" in m.alternatives[0][0] for m in quoting)


def test_api_returns_text_as_data_not_markup(desk, hostile):
    mallory, ticket = hostile
    response = token_client(mallory).get(f"/api/tickets/{ticket.reference}/messages/")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["results"][0]["body"] == BODY  # exact text; escaping is the renderer's job


def test_lookalike_json_is_json_and_the_script_never_uses_innerhtml(client, desk, hostile):
    mallory, _ticket = hostile
    web_client(client, mallory)
    url = reverse("helpdesk_tickets:ticket_similar", args=[desk.department.slug]) + "?q=printer"
    response = client.get(url)
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["results"][0]["subject"] == SUBJECT
    static = Path(helpdesk_tickets.__file__).parent / "static" / "helpdesk_tickets"
    for script in static.glob("*.js"):
        source = re.sub(r"/\*.*?\*/|//[^\n]*", "", script.read_text(), flags=re.S)
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{script.name} uses {sink}"
