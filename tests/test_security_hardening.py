"""Security round 2, hardening: one-line subjects, no account enumeration by agents,
rate limits that only count what was done, and the settings and checks around them."""

import pytest
from django.urls import reverse

from helpdesk_tickets.models import Ticket

from .factories_security import _fresh_cache, desk_fixture, token_client, web_client  # noqa: F401

pytestmark = pytest.mark.django_db

MULTI_LINE = "Cannot log in\r\nBcc: victim@example.com\u2028second\u2029third\x85fourth\x0bfifth\tsixth"
ONE_LINE = "Cannot log in Bcc: victim@example.com second third fourth fifth sixth"


# -- subjects are one line, whichever way they arrive ------------------------


def test_the_service_collapses_line_breaks_and_controls_in_a_subject(desk):
    ticket = desk.open(subject=MULTI_LINE, description="line one\nline two")
    assert ticket.subject == ONE_LINE
    # The description is a text: its lines are kept.
    assert ticket.messages.get().body == "line one\nline two"


def test_a_subject_of_line_breaks_only_is_refused_as_empty(desk):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        desk.open(subject="\r\n\u2028\x0b")
    assert "subject" in caught.value.message_dict


def test_web_api_and_phone_store_the_same_one_line_subject(client, desk):
    web_client(client, desk.customer)
    response = client.post(desk.form_url(), {"subject": MULTI_LINE, "description": "From the web."})
    assert response.status_code == 302
    api = token_client(desk.customer)
    assert api.post("/api/tickets/", desk.api_payload(subject=MULTI_LINE), format="json").status_code == 201
    web_client(client, desk.agent)
    phone = client.post(
        reverse("helpdesk_tickets:staff_ticket_create"),
        {
            "find": "customer",
            "requester": desk.customer.pk,
            "department": desk.department.pk,
            "ticket_type": desk.ticket_type.pk,
            "priority": "normal",
            "subject": MULTI_LINE,
            "description": "From the phone.",
        },
    )
    assert phone.status_code == 302, phone.content.decode()
    assert set(Ticket.objects.values_list("subject", flat=True)) == {ONE_LINE}
    assert Ticket.objects.count() == 3
