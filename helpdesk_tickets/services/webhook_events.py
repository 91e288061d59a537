"""What happened, as webhooks tell it: the payload of each event and the deliveries it is written into.

The receivers here listen to :mod:`helpdesk_tickets.signals` (sent after the
change committed) and write one :class:`~helpdesk_tickets.models.WebhookDelivery`
per active endpoint that subscribes to the event and covers the ticket's
department; a task then delivers them (:mod:`.webhooks`). The body is built
once, when the event happens, and stored: every attempt sends the same bytes,
and what a receiver is told never depends on when it was reachable.

An event costs one query for the endpoints when none listens, and one insert
for the rows otherwise. Nothing is written within
:func:`helpdesk_tickets.notifications.muted` (bulk loads, the demo data).

Who is named how (never a staff member's e-mail address): the requester by
their display name, staff by their public name (``users.public_name``: empty
when it would be an address). Internal notes go only to endpoints marked
"include internal notes". The payloads are documented in docs/webhooks.rst.
"""

import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction
from django.db.models import Q
from django.urls import NoReverseMatch
from django.utils import timezone

from .. import notifications, signals, tasks, users
from ..conf import settings as app_settings
from ..models import TEST_EVENT, WebhookDelivery, WebhookEndpoint, WebhookEvent

DISPATCH_PREFIX = "helpdesk_tickets.webhooks."


def new_webhook_id():
    """A ``webhook-id``: one per event, the same on every endpoint's delivery and every retry."""
    return f"msg_{uuid.uuid4().hex}"


# --------------------------------------------------------------------------
# the payloads


def _absolute(url_of):
    try:
        path = url_of()
    except NoReverseMatch:  # the host did not include the web URLs
        return None
    return app_settings.SITE_URL.rstrip("/") + path


def _timestamp(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _person(user, ticket):
    """How a payload names someone: the requester by display name, anyone else as staff see fit to show."""
    if user is None:
        return None
    if user.pk == ticket.requester_id:
        return users.display_name(user)
    return users.public_name(user) or None


def _slug(related):
    return related.slug if related is not None else None


def ticket_data(ticket):
    """The ticket as every payload carries it (docs: "Webhooks", The ticket)."""
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "department": _slug(ticket.department),
        "ticket_type": _slug(ticket.ticket_type),
        "product": _slug(ticket.product) if ticket.product_id else None,
        "channel": ticket.channel,
        "language": ticket.language,
        "requester": users.display_name(ticket.requester),
        "assignee": (users.public_name(ticket.assignee) or None) if ticket.assignee_id else None,
        "created_at": _timestamp(ticket.created_at),
        "updated_at": _timestamp(ticket.updated_at),
        "merged_into": ticket.merged_into.reference if ticket.merged_into_id else None,
        "urls": {"customer": _absolute(ticket.get_absolute_url), "staff": _absolute(ticket.get_staff_url)},
    }


def message_data(message, ticket):
    return {
        "id": message.pk,
        "body": message.body,
        "internal": message.internal,
        "from_staff": message.from_staff,
        "author": _person(message.author, ticket) if message.author_id else None,
        "created_at": _timestamp(message.created_at),
    }


def payload(event_type, data, when=None):
    """The body of a delivery: ``{"type", "timestamp", "data"}`` as compact JSON text."""
    body = {"type": event_type, "timestamp": _timestamp(when or timezone.now()), "data": data}
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------
# writing the deliveries


def subscribers(event_type, ticket, *, internal=False):
    """The active endpoints that get ``event_type`` about ``ticket`` (one query)."""
    endpoints = WebhookEndpoint.objects.filter(active=True).filter(
        Q(department__isnull=True) | Q(department_id=ticket.department_id)
    )
    if internal:
        endpoints = endpoints.filter(include_internal=True)
    return [endpoint for endpoint in endpoints.only("pk", "events") if event_type in (endpoint.events or ())]


def _write(endpoints, event_type, body, ticket):
    now = timezone.now()
    webhook_id = new_webhook_id()
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            webhook_id=webhook_id,
            event_type=event_type,
            ticket=ticket,
            ticket_reference=ticket.reference if ticket is not None else "",
            payload=body,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    ]
    WebhookDelivery.objects.bulk_create(rows)
    pks = [row.pk for row in rows]
    # A database that returns no ids from a bulk insert (MySQL): deliver whatever is due.
    ids = pks if all(pk is not None for pk in pks) else None
    using = router.db_for_write(WebhookDelivery)
    transaction.on_commit(lambda: tasks.enqueue_webhook_delivery(ids), using=using, robust=True)
    return rows


def record(event_type, ticket, data=None, *, internal=False, when=None):
    """Write the deliveries of ``event_type`` about ``ticket`` for every endpoint that wants it; returns them.

    ``data`` is added to the ticket's own (``{"ticket": …, "actor": …}``).
    ``internal`` marks an event only endpoints with internal notes may hear of.
    """
    if notifications.is_muted():
        return []
    endpoints = subscribers(event_type, ticket, internal=internal)
    if not endpoints:
        return []
    body = payload(event_type, {"ticket": ticket_data(ticket), **(data or {})}, when)
    return _write(endpoints, event_type, body, ticket)


def send_test_event(endpoint, *, actor=None):
    """Queue a ``webhook.test`` delivery to ``endpoint``, whatever it subscribes to (the admin's "send a test event").

    Like every delivery, it waits while the endpoint is inactive.
    """
    data = {"endpoint": endpoint.description or None, "actor": (users.public_name(actor) or None) if actor else None}
    return _write([endpoint], TEST_EVENT, payload(TEST_EVENT, data), None)[0]


# --------------------------------------------------------------------------
# the signals' receivers


def _actor(actor, ticket):
    return {"actor": _person(actor, ticket)}


def on_ticket_created(sender, ticket, message=None, actor=None, **kwargs):
    data = {**_actor(actor, ticket), "message": message_data(message, ticket) if message is not None else None}
    record(WebhookEvent.TICKET_CREATED, ticket, data)


def on_message_posted(sender, ticket, message, actor=None, **kwargs):
    data = {**_actor(actor, ticket), "message": message_data(message, ticket)}
    record(WebhookEvent.MESSAGE_POSTED, ticket, data, internal=message.internal)


def on_status_changed(sender, ticket, old, new, actor=None, **kwargs):
    record(WebhookEvent.TICKET_STATUS_CHANGED, ticket, {**_actor(actor, ticket), "old": old, "new": new})


def on_assigned(sender, ticket, old, new, actor=None, **kwargs):
    names = {"old": _person(old, ticket), "new": _person(new, ticket)}
    record(WebhookEvent.TICKET_ASSIGNED, ticket, {**_actor(actor, ticket), **names})


def on_merged(sender, ticket, into, actor=None, **kwargs):
    record(WebhookEvent.TICKET_MERGED, ticket, {**_actor(actor, ticket), "into": ticket_data(into)})


def on_sla_warning(sender, ticket, target, due, actor=None, **kwargs):
    record(WebhookEvent.SLA_WARNING, ticket, {**_actor(actor, ticket), "target": target, "due": _timestamp(due)})


def on_sla_breached(sender, ticket, target, due, old_priority=None, new_priority=None, actor=None, **kwargs):
    data = {
        **_actor(actor, ticket),
        "target": target,
        "due": _timestamp(due),
        "old_priority": old_priority,
        "new_priority": new_priority,
    }
    record(WebhookEvent.SLA_BREACHED, ticket, data)


RECEIVERS = (
    (signals.ticket_created, on_ticket_created),
    (signals.message_posted, on_message_posted),
    (signals.ticket_status_changed, on_status_changed),
    (signals.ticket_assigned, on_assigned),
    (signals.ticket_merged, on_merged),
    (signals.sla_warning, on_sla_warning),
    (signals.sla_breached, on_sla_breached),
)


def connect():
    """Listen to the signals (``AppConfig.ready``); idempotent."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=DISPATCH_PREFIX + receiver.__name__)
