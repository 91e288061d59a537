"""Webhooks in the admin: endpoints with a checked URL and a guarded secret, deliveries with attempts and actions."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from helpdesk_tickets.models import WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory, client_for
from tests.webhooks.conftest import open_ticket

pytestmark = pytest.mark.django_db

ENDPOINTS = "admin:helpdesk_tickets_webhookendpoint_changelist"
DELIVERIES = "admin:helpdesk_tickets_webhookdelivery_changelist"


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def staff_with(*codenames, departments=()):
    user = UserFactory(is_staff=True)
    chosen = Permission.objects.filter(content_type__app_label="helpdesk_tickets", codename__in=codenames)
    user.user_permissions.add(*chosen)
    for department in departments:
        department.agents.add(user)
    return client_for(user)


def _form(url, **extra):
    return {"url": url, "description": "CRM", "events": ["ticket.created", "message.posted"], "active": "on", **extra}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/", "cloud metadata address"),
        ("http://10.0.0.1/hooks", "private address"),
        ("http://[::1]:8000/", "loopback address"),
        ("ftp://example.com/", "must start with https:// or http://"),
    ],
)
def test_a_url_inside_the_network_is_refused_with_a_clear_message(admin_client, url, message):
    response = admin_client.post(reverse("admin:helpdesk_tickets_webhookendpoint_add"), _form(url))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["url"])
    assert message in errors
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_is_added_with_a_generated_secret_shown_on_its_page(admin_client, receiver):
    response = admin_client.post(reverse("admin:helpdesk_tickets_webhookendpoint_add"), _form(receiver.url))
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["ticket.created", "message.posted"]
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", endpoint.secret)
    page = admin_client.get(reverse("admin:helpdesk_tickets_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()


def test_the_secret_is_hidden_from_who_may_only_view(receiver):
    endpoint = WebhookEndpoint.objects.create(url=receiver.url)
    viewer = staff_with("view_webhookendpoint")
    page = viewer.get(reverse("admin:helpdesk_tickets_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()
    assert "Shown to those who may change this endpoint." in page.content.decode()


def test_send_a_test_event_and_rotate_the_secret(admin_client, receiver, committed):
    endpoint = WebhookEndpoint.objects.create(url=receiver.url)
    old = endpoint.secret
    response = committed(
        lambda: admin_client.post(
            reverse(ENDPOINTS), {"action": "send_test_event", "_selected_action": [endpoint.pk]}, follow=True
        )
    )
    assert "A test event was queued for 1 endpoint" in " ".join(messages_of(response))
    assert [r.json["type"] for r in receiver.received] == ["webhook.test"]
    response = admin_client.post(
        reverse(ENDPOINTS), {"action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True
    )
    assert "A new secret was made for 1 endpoint" in " ".join(messages_of(response))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    page = admin_client.get(reverse("admin:helpdesk_tickets_webhookendpoint_change", args=[endpoint.pk]))
    assert "The previous secret also signs until" in page.content.decode()


def test_deliveries_list_with_filters_and_attempts_on_the_page(admin_client, team, endpoint, receiver, committed):
    receiver.answer = lambda request: (500, {}, b"database is down")
    committed(lambda: open_ticket(team))
    delivery = WebhookDelivery.objects.get()
    page = admin_client.get(reverse(DELIVERIES), {"status__exact": "pending", "event_type": "ticket.created"})
    assert page.status_code == 200 and delivery.ticket_reference in page.content.decode()
    assert admin_client.get(reverse(DELIVERIES), {"status__exact": "delivered"}).context["cl"].result_count == 0
    detail = admin_client.get(reverse("admin:helpdesk_tickets_webhookdelivery_change", args=[delivery.pk]))
    body = detail.content.decode()
    assert "database is down" in body and "500" in body


def test_retry_now_sends_a_failed_delivery(admin_client, team, endpoint, receiver, committed):
    receiver.answer = lambda request: 500
    committed(lambda: open_ticket(team))
    WebhookDelivery.objects.update(status="failed")
    receiver.answer = lambda request: 204
    delivery = WebhookDelivery.objects.get()
    response = committed(
        lambda: admin_client.post(
            reverse(DELIVERIES), {"action": "retry_now", "_selected_action": [delivery.pk]}, follow=True
        )
    )
    assert "1 delivery queued to be sent now." in messages_of(response)
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    response = admin_client.post(
        reverse(DELIVERIES), {"action": "retry_now", "_selected_action": [delivery.pk]}, follow=True
    )
    assert "Only waiting or failed deliveries can be retried." in messages_of(response)


def test_an_agent_sees_the_deliveries_of_their_departments_only(team, endpoint, receiver, committed):
    mine = committed(lambda: open_ticket(team))
    theirs = committed(lambda: open_ticket(team, department=team.other_department, subject="Elsewhere"))
    agent = staff_with("view_webhookdelivery", departments=[team.department])
    page = agent.get(reverse(DELIVERIES))
    body = page.content.decode()
    assert mine.reference in body and theirs.reference not in body


@pytest.mark.parametrize("count", [1, 8])
def test_the_deliveries_list_runs_a_fixed_number_of_queries(
    admin_client, team, receiver, committed, count, django_assert_num_queries
):
    for n in range(count):
        WebhookEndpoint.objects.create(url=f"{receiver.url}?{n}", description=f"Endpoint {n}")
    committed(lambda: open_ticket(team))
    admin_client.get(reverse(DELIVERIES))  # the session and the user are read once
    # The session and the user (2), the endpoint filter's choices (1), the count (1), the rows with
    # their endpoints (1), the date hierarchy's range and days (2), the event types for their filter (1).
    with django_assert_num_queries(8):
        response = admin_client.get(reverse(DELIVERIES))
    assert response.context["cl"].result_count == count


@pytest.mark.parametrize("count", [1, 8])
def test_the_endpoints_list_runs_a_fixed_number_of_queries(admin_client, receiver, count, django_assert_num_queries):
    for n in range(count):
        WebhookEndpoint.objects.create(url=f"{receiver.url}?{n}")
    with django_assert_num_queries(6):
        response = admin_client.get(reverse(ENDPOINTS))
    assert response.context["cl"].result_count == count
