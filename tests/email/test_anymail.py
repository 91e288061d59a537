"""The django-anymail receiver: a provider's inbound webhook feeds receive_email — SPEC §9.

First the signal, sent the way anymail's own webhook views send it; then one
provider's real webhook view (Postmark's inbound URL, with the basic-auth
secret anymail checks), end to end. When nothing could be recorded the
webhook must fail (500), so that the provider delivers the mail again.
"""

import base64
import hashlib
import json
import sys
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType, inbound
from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.test import RequestFactory
from django.urls import include, path

from helpdesk_tickets import inbound_anymail, services
from helpdesk_tickets.exceptions import InboundNotRecorded
from helpdesk_tickets.models import InboundEmail, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db

# This module is the URLconf of the webhook tests (@pytest.mark.urls below).
urlpatterns = [path("anymail/", include("anymail.urls"))]

SECRET = "postmark-inbound:3Kq9-test-only"


@pytest.fixture
def sales(db):
    department = DepartmentFactory(slug="sales", email="sales@example.com")
    department.ticket_types.add(TicketTypeFactory(slug="quote"))
    return department


def raw_mail(to="sales@example.com", subject="A quote for 40 licences", message_id=True):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Leila <leila@example.org>", to, subject
    if message_id:
        message["Message-ID"] = make_msgid(domain="mail.example.org")
    message.set_content("We would like a quote for 40 licences.\nلطفاً پیش‌فاکتور بفرستید.\n")
    # As on the wire, with CRLF line ends: anymail's parsed message would serialise with LF.
    return message.as_bytes(policy=SMTP)


def send_inbound(raw, *, esp_name="TestESP", esp_event=None, envelope_recipient=None):
    """Send anymail's signal as its webhook views do; returns what our receiver returned."""
    message = AnymailInboundMessage.parse_raw_mime_bytes(raw)
    message.envelope_recipient = envelope_recipient
    event = AnymailInboundEvent(event_type=EventType.INBOUND, message=message, esp_event=esp_event)
    responses = inbound.send(sender=object, event=event, esp_name=esp_name)
    return dict((receiver, response) for receiver, response in responses)[inbound_anymail.receive_inbound]


def test_an_inbound_message_opens_a_ticket(sales):
    outcome = send_inbound(raw_mail())

    ticket = Ticket.objects.get()
    assert outcome.line == f"created {ticket.reference}"
    assert ticket.department == sales and ticket.subject == "A quote for 40 licences"


def test_the_envelope_recipient_given_by_the_provider_decides_the_department(sales):
    send_inbound(raw_mail(to="all-staff@example.com"), envelope_recipient="sales@example.com")

    record = InboundEmail.objects.get()
    assert record.recipient == "sales@example.com" and record.ticket.department == sales


def test_the_raw_mime_the_provider_sent_is_recorded_byte_for_byte(sales):
    raw = raw_mail(message_id=False)
    postmark = {"RawEmail": raw.decode("utf-8"), "OriginalRecipient": "sales@example.com"}

    send_inbound(raw, esp_name="Postmark", esp_event=postmark)

    assert InboundEmail.objects.get().sha256 == hashlib.sha256(raw).hexdigest()


def test_a_form_posted_raw_mime_is_used_too(sales):
    raw = raw_mail()
    request = RequestFactory().post("/anymail/mailgun/inbound_mime/", {"body-mime": raw.decode("utf-8")})

    send_inbound(raw, esp_name="Mailgun", esp_event=request)

    assert InboundEmail.objects.get().sha256 == hashlib.sha256(raw).hexdigest()


def test_without_raw_mime_the_parsed_message_is_used_and_a_retry_is_still_a_duplicate(sales):
    raw = raw_mail(message_id=False)

    first = send_inbound(raw, esp_name="Brevo", esp_event={"Items": []})
    again = send_inbound(raw, esp_name="Brevo", esp_event={"Items": []})

    assert first.line.startswith("created ") and again.line == "duplicate"
    assert Ticket.objects.count() == 1


def test_not_recorded_raises_so_that_the_provider_retries(sales, monkeypatch):
    def refuse(raw, *, recipient=None):
        raise InboundNotRecorded("database is locked")

    monkeypatch.setattr(services, "receive_email", refuse)

    with pytest.raises(InboundNotRecorded):
        send_inbound(raw_mail())


def test_the_receiver_is_connected_once_and_ready_survives_without_anymail(monkeypatch):
    config = apps.get_app_config("helpdesk_tickets")
    config.ready()  # a second ready() connects nothing twice (dispatch_uid)
    ours = [r for r in inbound.receivers if r[0][0] == inbound_anymail.DISPATCH_UID]
    assert len(ours) == 1

    monkeypatch.setitem(sys.modules, "anymail.signals", None)  # as if anymail were not installed
    config.ready()


# -- through anymail's Postmark inbound webhook ----------------------------------------------


@pytest.fixture
def postmark(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    client.raise_request_exception = False  # a 500 is an answer to the provider, not a test error
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()

    def post(raw, **fields):
        payload = {
            "FromFull": {"Email": "leila@example.org", "Name": "Leila"},
            "OriginalRecipient": "sales@example.com",
            "MessageID": "6b2f7bb1-0d5e-4c2a-9d1e-3f0c8a6f4e21",
            "RawEmail": raw.decode("utf-8"),
            **fields,
        }
        return client.post(
            "/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth
        )

    return post


@pytest.mark.urls(__name__)
def test_postmarks_inbound_webhook_opens_a_ticket_and_a_redelivery_changes_nothing(sales, postmark):
    raw = raw_mail()

    assert postmark(raw).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.department == sales
    assert InboundEmail.objects.get().sha256 == hashlib.sha256(raw).hexdigest()

    assert postmark(raw).status_code == 200
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


@pytest.mark.urls(__name__)
def test_postmarks_webhook_answers_500_while_storage_is_down_and_the_retry_gets_through(sales, postmark, monkeypatch):
    raw = raw_mail()

    def broken(self, name, content, max_length=None):
        raise OSError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(FileSystemStorage, "save", broken)
        assert postmark(raw).status_code == 500
    assert not InboundEmail.objects.exists()

    assert postmark(raw).status_code == 200
    assert Ticket.objects.get().department == sales


@pytest.mark.urls(__name__)
def test_postmarks_webhook_without_the_secret_is_refused_and_records_nothing(sales, client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    response = client.post(
        "/anymail/postmark/inbound/", json.dumps({"RawEmail": raw_mail().decode()}), content_type="application/json"
    )

    assert response.status_code == 400
    assert not InboundEmail.objects.exists()
