"""Attachment downloads: permission-checked, served as files the browser must not render."""

import pytest
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.models import Attachment, Message
from tests.factories import PNG, UserFactory, make_agent, make_supervisor, upload
from tests.portal.helpers import make_catalogue, open_ticket

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def setup():
    department, types, _ = make_catalogue()
    customer = UserFactory()
    agent = make_agent(department)
    ticket = open_ticket(customer, department, types[0], attachments=[upload("رسید پرداخت.png")])
    return ticket, customer, agent


def url(attachment):
    return reverse("helpdesk_tickets:attachment_download", args=[attachment.message.ticket.reference, attachment.pk])


def body(response):
    return b"".join(response.streaming_content)


def test_requester_downloads_with_safe_headers(client, setup):
    ticket, customer, _ = setup
    attachment = Attachment.objects.get()
    client.force_login(customer)
    response = client.get(url(attachment))
    assert response.status_code == 200
    assert body(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"file.png\"; filename*=UTF-8''%D8%B1%D8%B3%DB%8C%D8%AF%20"
        "%D9%BE%D8%B1%D8%AF%D8%A7%D8%AE%D8%AA.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Length"] == str(len(PNG))
    assert "no-store" in response["Cache-Control"]


def test_the_stored_sniffed_type_is_served_not_the_declared_one(client, setup):
    ticket, customer, _ = setup
    services.post_reply(
        ticket=ticket, actor=customer, body="log", attachments=[upload("trace.txt", b"<html>hi</html>", "text/html")]
    )
    attachment = Attachment.objects.get(original_name="trace.txt")
    client.force_login(customer)
    response = client.get(url(attachment))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith('attachment; filename="trace.txt"')


def test_another_customer_gets_404(client, setup):
    attachment = Attachment.objects.get()
    client.force_login(UserFactory())
    assert client.get(url(attachment)).status_code == 404


def test_attachment_must_belong_to_the_ticket_in_the_url(client, setup):
    ticket, customer, _ = setup
    department, types, _ = make_catalogue()
    stranger_ticket = open_ticket(UserFactory(), department, types[0], attachments=[upload("private.png")])
    foreign = Attachment.objects.get(message__ticket=stranger_ticket)
    client.force_login(customer)
    # The customer's own reference with someone else's attachment id.
    response = client.get(reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, foreign.pk]))
    assert response.status_code == 404
    missing = reverse("helpdesk_tickets:attachment_download", args=[ticket.reference, 999999])
    assert client.get(missing).status_code == 404


def test_internal_note_files_are_for_staff_only(client, setup):
    ticket, customer, agent = setup
    services.post_reply(ticket=ticket, actor=agent, body="note", internal=True, attachments=[upload("internal.png")])
    note_file = Attachment.objects.get(original_name="internal.png")
    client.force_login(customer)
    assert client.get(url(note_file)).status_code == 404
    client.force_login(agent)
    assert client.get(url(note_file)).status_code == 200
    client.force_login(make_supervisor())
    assert client.get(url(note_file)).status_code == 200


def test_agent_of_another_department_gets_404(client, setup):
    other_department, _, _ = make_catalogue()
    client.force_login(make_agent(other_department))
    assert client.get(url(Attachment.objects.get())).status_code == 404


def test_anonymous_is_sent_to_log_in(client, setup):
    response = client.get(url(Attachment.objects.get()))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_missing_file_in_storage_is_404(client, setup):
    ticket, customer, _ = setup
    attachment = Attachment.objects.get()
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(customer)
    assert client.get(url(attachment)).status_code == 404


def test_staff_reply_files_are_downloadable_by_the_requester(client, setup):
    ticket, customer, agent = setup
    services.post_reply(ticket=ticket, actor=agent, body="See attached", attachments=[upload("fix.pdf", b"%PDF-1.4")])
    attachment = Message.objects.get(body="See attached").attachments.get()
    client.force_login(customer)
    response = client.get(url(attachment))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
