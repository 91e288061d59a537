"""Every event a webhook sends, as a receiver on 127.0.0.1 gets it: signed, with the documented payload.

Each delivery's signature is checked with the ``standardwebhooks`` reference
library. Internal notes reach only endpoints that include them; a
department-scoped endpoint hears of its department only; staff are never
named by their e-mail address.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from helpdesk_tickets import notifications, services, signals, users
from helpdesk_tickets.models import Priority, Status, Ticket, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.factories import make_agent
from tests.webhooks.conftest import open_ticket, verified

pytestmark = pytest.mark.django_db


def customer_name(team):
    """The requester by display name (an e-mail address on a site whose users have no other name)."""
    return users.display_name(team.customer)


def staff_name(user):
    """Staff by public name: None where the only name would be their e-mail address."""
    return users.public_name(user) or None


def _types(receiver):
    return [event["type"] for event in receiver.events()]


def test_a_new_ticket_is_posted_signed_with_the_documented_payload(team, endpoint, receiver, committed):
    ticket = committed(lambda: open_ticket(team))
    (request,) = receiver.received
    event = verified(request, endpoint)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["webhook-signature"].startswith("v1,")
    assert event["type"] == "ticket.created"
    assert set(event) == {"type", "timestamp", "data"}
    data = event["data"]
    assert data["ticket"] == {
        "reference": ticket.reference,
        "subject": "Invoice charged twice",
        "status": "new",
        "priority": "normal",
        "department": "billing",
        "ticket_type": "question",
        "product": None,
        "channel": "web",
        "language": ticket.language,
        "requester": customer_name(team),
        "assignee": None,
        "created_at": data["ticket"]["created_at"],
        "updated_at": data["ticket"]["updated_at"],
        "merged_into": None,
        "urls": {
            "customer": f"https://support.example.com/support/tickets/{ticket.reference}/",
            "staff": f"https://support.example.com/support/staff/tickets/{ticket.reference}/",
        },
    }
    assert data["actor"] == customer_name(team)
    assert data["message"]["body"] == "Please refund one of them." and data["message"]["internal"] is False
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.last_status_code == 204
    assert delivery.attempt_log.get().status_code == 204


def test_a_wrong_secret_or_a_changed_body_fails_verification(team, endpoint, receiver, committed):
    committed(lambda: open_ticket(team))
    (request,) = receiver.received
    other = WebhookEndpoint(url=endpoint.url)
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body.replace(b"Invoice", b"Invoize"), request.headers)


def test_replies_status_assignment_and_merge_each_send_their_event(team, endpoint, receiver, committed):
    ticket = committed(lambda: open_ticket(team))
    committed(lambda: services.assign(ticket, team.agent, actor=team.agent))
    committed(lambda: services.post_reply(ticket=ticket, actor=team.agent, body="On it"))
    committed(lambda: services.change_status(ticket, Status.RESOLVED, actor=team.agent))
    other = committed(lambda: open_ticket(team, subject="Second charge, again"))
    committed(lambda: services.merge_tickets(other, ticket, actor=team.agent))

    events = receiver.events()
    for request in receiver.received:
        verified(request, endpoint)
    assert [e["type"] for e in events] == [
        "ticket.created",
        "ticket.assigned",
        "ticket.status_changed",  # new → awaiting the customer, on the staff reply
        "message.posted",
        "ticket.status_changed",
        "ticket.created",
        "ticket.status_changed",  # the merged ticket is closed
        "ticket.merged",
    ]
    assigned = events[1]["data"]
    sara = staff_name(team.agent)
    assert assigned["old"] is None and assigned["new"] == sara and assigned["actor"] == sara
    assert assigned["ticket"]["assignee"] == sara
    moved = events[2]["data"]
    assert (moved["old"], moved["new"]) == ("new", "awaiting_customer")
    posted = events[3]["data"]["message"]
    assert posted["body"] == "On it" and posted["from_staff"] is True and posted["author"] == sara
    assert (events[4]["data"]["old"], events[4]["data"]["new"]) == ("awaiting_customer", "resolved")
    merged = events[7]["data"]
    assert merged["ticket"]["reference"] == other.reference
    assert merged["ticket"]["merged_into"] == ticket.reference
    assert merged["into"]["reference"] == ticket.reference
    # Never a staff member's e-mail address, anywhere.
    assert all("sara@staff.example.com" not in request.body.decode() for request in receiver.received)


def test_sla_warning_and_breach_are_sent_from_their_signals(team, endpoint, receiver, committed):
    ticket = committed(lambda: open_ticket(team))
    due = timezone.now() + timedelta(minutes=10)
    committed(
        lambda: signals.sla_warning.send(sender=Ticket, ticket=ticket, target="first_response", due=due, actor=None)
    )
    committed(
        lambda: signals.sla_breached.send(
            sender=Ticket,
            ticket=ticket,
            target="resolution",
            due=due,
            old_priority=Priority.NORMAL,
            new_priority=Priority.HIGH,
            actor=None,
        )
    )
    warning, breach = receiver.events()[1:]
    assert warning["type"] == "sla.warning"
    assert warning["data"]["target"] == "first_response" and warning["data"]["actor"] is None
    assert warning["data"]["due"] == due.isoformat().replace("+00:00", "Z")
    assert breach["type"] == "sla.breached"
    assert (breach["data"]["old_priority"], breach["data"]["new_priority"]) == ("normal", "high")
    for request in receiver.received:
        verified(request, endpoint)


def test_internal_notes_reach_only_endpoints_that_include_them(team, endpoint, receiver, committed):
    insider = WebhookEndpoint.objects.create(url=receiver.url + "?insider", include_internal=True)
    ticket = committed(lambda: open_ticket(team))
    committed(lambda: services.post_reply(ticket=ticket, actor=team.agent, body="Card fraud?", internal=True))
    notes = [r for r in receiver.received if r.json["type"] == "message.posted"]
    assert [r.path for r in notes] == ["/hooks?insider"]
    assert verified(notes[0], insider)["data"]["message"] == {
        **notes[0].json["data"]["message"],
        "body": "Card fraud?",
        "internal": True,
    }
    assert not WebhookDelivery.objects.filter(endpoint=endpoint, event_type="message.posted").exists()


def test_an_endpoint_gets_only_its_events_and_its_department(team, receiver, committed):
    WebhookEndpoint.objects.create(url=receiver.url + "?billing", department=team.department)
    WebhookEndpoint.objects.create(url=receiver.url + "?replies", events=[WebhookEvent.MESSAGE_POSTED])
    WebhookEndpoint.objects.create(url=receiver.url + "?off", active=False)
    ticket = committed(lambda: open_ticket(team))
    committed(lambda: open_ticket(team, department=team.other_department, subject="Where is my order"))
    committed(lambda: services.post_reply(ticket=ticket, actor=team.customer, body="Any news?"))
    seen = [(r.path, r.json["type"], r.json["data"]["ticket"]["department"]) for r in receiver.received]
    assert seen == [
        ("/hooks?billing", "ticket.created", "billing"),
        ("/hooks?billing", "message.posted", "billing"),
        ("/hooks?replies", "message.posted", "billing"),
    ]


def test_one_event_has_one_webhook_id_across_endpoints_and_nothing_is_written_when_muted(team, receiver, committed):
    WebhookEndpoint.objects.create(url=receiver.url + "?a")
    WebhookEndpoint.objects.create(url=receiver.url + "?b")
    committed(lambda: open_ticket(team))
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1 and len(receiver.received) == 2
    with notifications.muted():
        committed(lambda: open_ticket(team, subject="Imported"))
    assert WebhookDelivery.objects.count() == 2


def test_a_rotated_secret_signs_next_to_the_old_one_during_its_grace(team, endpoint, receiver, committed, settings):
    old = endpoint.secret
    new = services.rotate_webhook_secret(endpoint)
    assert new != old and new.startswith("whsec_")
    committed(lambda: open_ticket(team))
    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split()) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)
    endpoint.refresh_from_db()
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    committed(lambda: open_ticket(team, subject="After the grace"))
    later = receiver.received[1]
    assert len(later.headers["webhook-signature"].split()) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later.body, later.headers)


def test_the_test_event_goes_to_an_endpoint_whatever_it_subscribes_to(db, receiver, committed):
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, events=[], description="ERP")
    agent = make_agent(username="omid", first_name="Omid")
    committed(lambda: services.send_test_webhook(endpoint, actor=agent))
    event = verified(receiver.received[0], endpoint)
    assert event["type"] == "webhook.test" and event["data"] == {"endpoint": "ERP", "actor": staff_name(agent)}


def test_the_body_is_compact_utf8_json(team, endpoint, receiver, committed):
    committed(lambda: open_ticket(team, subject="صورت‌حساب دوبار"))
    body = receiver.received[0].body
    assert "صورت‌حساب".encode() in body and b": " not in body
    assert json.loads(body)["data"]["ticket"]["subject"] == "صورت‌حساب دوبار"


def test_the_assignment_rule_s_choice_is_sent_with_no_actor(team, endpoint, receiver, committed):
    team.department.assignment = "round_robin"
    team.department.save()
    committed(lambda: open_ticket(team))
    created, assigned = receiver.events()
    assert created["type"] == "ticket.created" and assigned["type"] == "ticket.assigned"
    assert assigned["data"]["actor"] is None and assigned["data"]["new"] == staff_name(team.agent)
    assert assigned["data"]["ticket"]["assignee"] == staff_name(team.agent)


def test_the_escalation_run_s_warning_and_breach_reach_the_receiver(team, endpoint, receiver, committed):
    ticket = committed(lambda: open_ticket(team))
    due = Ticket.objects.get(pk=ticket.pk).first_response_due
    committed(lambda: services.escalate(now=due - timedelta(minutes=5)))
    committed(lambda: services.escalate(now=due + timedelta(minutes=1)))
    sent = [(e["type"], e["data"].get("target")) for e in receiver.events()]
    assert ("sla.warning", "first_response") in sent and ("sla.breached", "first_response") in sent
    assert sent.index(("sla.warning", "first_response")) < sent.index(("sla.breached", "first_response"))
    for request in receiver.received:
        verified(request, endpoint)
