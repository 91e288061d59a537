"""Per-user rate limits on new tickets and replies: web and API share one budget, with clear messages."""

import pytest
from django.test import override_settings
from django.urls import reverse

from helpdesk_tickets.models import Message, Ticket
from tests.factories import token_client, web_client

pytestmark = pytest.mark.django_db


def limits(create="2/hour", reply="2/hour", **extra):
    from django.conf import settings

    rates = {"ticket_create": create, "reply": reply}
    return override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, "API_THROTTLE_RATES": rates, **extra})


def post_ticket(client, desk, n):
    return client.post(desk.form_url(), {"subject": f"Question number {n}", "description": f"Details of {n}."})


def test_web_ticket_creation_is_limited_and_the_typed_text_is_kept(client, desk):
    web_client(client, desk.customer)
    with limits(create="2/hour"):
        assert post_ticket(client, desk, 1).status_code == 302
        assert post_ticket(client, desk, 2).status_code == 302
        response = post_ticket(client, desk, 3)
    html = response.content.decode()
    assert response.status_code == 429
    assert "too quickly" in html and "wait 60 minutes" in html
    # The form comes back filled in: nothing the customer typed is lost.
    assert "Question number 3" in html and "Details of 3." in html
    assert Ticket.objects.filter(requester=desk.customer).count() == 2


def test_web_replies_are_limited_per_user(client, desk):
    ticket = desk.open()
    web_client(client, desk.customer)
    url = reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])
    with limits(reply="1/minute"):
        assert client.post(url, {"body": "first"}).status_code == 302
        response = client.post(url, {"body": "second, typed with care"})
    assert response.status_code == 429
    assert "second, typed with care" in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 2  # description + first reply


def test_another_user_keeps_their_own_allowance(client, desk):
    with limits(create="1/hour"):
        web_client(client, desk.customer)
        assert post_ticket(client, desk, 1).status_code == 302
        assert post_ticket(client, desk, 2).status_code == 429
        web_client(client, desk.other)
        assert post_ticket(client, desk, 3).status_code == 302


def test_web_and_api_count_in_one_budget(client, desk):
    api = token_client(desk.customer)
    web_client(client, desk.customer)
    with limits(create="2/hour"):
        assert api.post("/api/tickets/", desk.api_payload(subject="From the API"), format="json").status_code == 201
        assert post_ticket(client, desk, 1).status_code == 302
        assert post_ticket(client, desk, 2).status_code == 429
        refused = api.post("/api/tickets/", desk.api_payload(subject="Again"), format="json")
    assert refused.status_code == 429
    assert Ticket.objects.filter(requester=desk.customer).count() == 2


def test_api_replies_are_limited(desk):
    ticket = desk.open()
    api = token_client(desk.customer)
    url = f"/api/tickets/{ticket.reference}/messages/"
    with limits(reply="1/hour"):
        assert api.post(url, {"body": "one"}, format="json").status_code == 201
        refused = api.post(url, {"body": "two"}, format="json")
    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_a_scope_set_to_none_is_not_limited(client, desk):
    web_client(client, desk.customer)
    with limits(create=None):
        for n in range(5):
            assert post_ticket(client, desk, n).status_code == 302


def test_open_ticket_cap_gives_a_clear_message_on_web_and_api(client, desk):
    web_client(client, desk.customer)
    with limits(create="100/hour", MAX_OPEN_TICKETS_PER_CUSTOMER=1):
        assert post_ticket(client, desk, 1).status_code == 302
        response = post_ticket(client, desk, 2)
        assert "You have 1 open ticket;" in response.content.decode()
        assert "Question number 2" in response.content.decode()
        api = token_client(desk.customer).post("/api/tickets/", desk.api_payload(), format="json")
    assert api.status_code == 409 and "1 open ticket;" in api.json()["detail"]
    assert Ticket.objects.filter(requester=desk.customer).count() == 1
