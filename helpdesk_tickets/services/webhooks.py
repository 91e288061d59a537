"""Delivering webhooks: the outbox of :mod:`.webhook_events`, signed per the Standard Webhooks spec.

Like the e-mail outbox (:mod:`.outbox`), a task calls :func:`deliver`, which

1. claims a batch with one conditional ``UPDATE`` (``pending`` → ``sending``,
   a fresh claim token), so two workers never hold the same row. Only the
   *first* undelivered row of each (endpoint, ticket) is claimable: a later
   event about a ticket waits while an earlier one to the same endpoint is
   pending or being sent, so a receiver gets each ticket's events in order;
2. posts each claimed row to its endpoint (:mod:`helpdesk_tickets.egress`:
   SSRF-safe, no redirects, a deadline), signed with ``webhook-id``,
   ``webhook-timestamp`` and ``webhook-signature``;
3. marks a row ``delivered`` right after its 2xx answer, so a crash later in
   the batch never sends it again (on PostgreSQL without waiting for the disk,
   as the e-mail outbox does: only a crash of the database server itself in
   the following fraction of a second can lose a mark, and that delivery is
   then sent again with the same ``webhook-id``); anything else (a 3xx, 4xx or 5xx, a
   refused target, no answer) puts it back ``pending`` with ``attempts + 1``
   and the next attempt ``WEBHOOK_RETRY_DELAYS[attempts - 1]`` seconds later,
   or ``failed`` after the last delay. An endpoint that could not be reached
   is not tried again in the same batch: its other rows wait with it;
4. logs every attempt (:class:`~helpdesk_tickets.models.WebhookAttempt`).

A ``failed`` row no longer holds back the later ones of its ticket (they
would otherwise wait for ever); "retry now" in the admin sends it again.
:func:`sweep` takes back the rows of a worker that died holding them and
delivers what is due; ``helpdesk_tickets_housekeeping`` calls it.
"""

import base64
import hashlib
import hmac
import logging
import time
import uuid

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from .. import egress, tasks
from ..conf import settings as app_settings
from ..exceptions import WebhookTargetRefused
from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookStatus, new_secret
from . import _claims
from ._transactions import commits_without_waiting_for_the_disk
from .outbox import STALE_CLAIM, STALE_CLAIM_AFTER, Delivery

logger = logging.getLogger(__name__)

#: Batches one :func:`sweep` delivers at most; the rest waits for the next run.
MAX_SWEEP_BATCHES = 50
#: Characters of a receiver's answer kept with the attempt.
EXCERPT_LENGTH = 500
USER_AGENT = "helpdesk_tickets-webhooks"

NOT_TRIED = "Not tried: the endpoint failed earlier in the same run ({error})"


# --------------------------------------------------------------------------
# signing (https://www.standardwebhooks.com/)


def secret_key(secret):
    """The key bytes of a ``whsec_<base64>`` secret."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def signature(secret, webhook_id, timestamp, body):
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` for one secret."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(endpoint, webhook_id, body, timestamp):
    """The headers of one attempt: every current secret signs (space-separated), during a rotation two do."""
    signatures = " ".join(signature(secret, webhook_id, timestamp, body) for secret in endpoint.signing_secrets())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


# --------------------------------------------------------------------------
# claiming


def claimable(now):
    """Rows that may be sent now: pending, due, of an active endpoint, the first undelivered one of their ticket."""
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ticket_reference=OuterRef("ticket_reference"),
        pk__lt=OuterRef("pk"),
        status__in=(WebhookStatus.PENDING, WebhookStatus.SENDING),
    )
    return WebhookDelivery.objects.filter(
        Q(ticket_reference="") | ~Exists(earlier),
        status=WebhookStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint__active=True,
    )


def _claim(ids, now, token):
    """Claim the given rows first, then others that are due, at most a batch; their pks."""
    size = max(1, app_settings.WEBHOOK_BATCH_SIZE)
    order = ["next_attempt_at", "pk"]
    if ids:
        order.insert(0, Case(When(pk__in=list(ids), then=Value(0)), default=Value(1)))
    candidates = list(claimable(now).order_by(*order).values_list("pk", flat=True)[:size])
    if not candidates:
        return []
    # Conditional: a row another worker claimed meanwhile is not taken.
    WebhookDelivery.objects.filter(pk__in=candidates, status=WebhookStatus.PENDING).update(
        status=WebhookStatus.SENDING, claim=token, claimed_at=now
    )
    return candidates


# --------------------------------------------------------------------------
# the outcome of each row


def _mark_delivered(row, token, when, status_code):
    WebhookDelivery.objects.filter(pk=row.pk, claim=token).update(
        status=WebhookStatus.DELIVERED,
        delivered_at=when,
        attempts=F("attempts") + 1,
        last_status_code=status_code,
        last_error="",
        claim="",
        claimed_at=None,
    )


def _put_back(rows, token, error, when, result, status_code=None):
    """Back to ``pending`` after the next delay, or ``failed`` after the last one (``_claims.put_back``)."""
    _claims.put_back(
        WebhookDelivery,
        WebhookStatus,
        rows,
        token,
        when,
        result,
        delays=app_settings.WEBHOOK_RETRY_DELAYS,
        last_error=error[:2000],
        last_status_code=status_code,
    )


def _return_unsent(rows, token, when):
    _claims.return_unsent(WebhookDelivery, WebhookStatus, rows, token, when)


def _excerpt(body):
    return body[: EXCERPT_LENGTH * 4].decode("utf-8", "replace")[:EXCERPT_LENGTH]


def attempt(row, clock):
    """Post ``row`` once; returns ``(WebhookAttempt, reachable)`` (the attempt not saved yet)."""
    started = time.monotonic()
    log = WebhookAttempt(delivery=row, attempted_at=clock(), url=row.endpoint.url[:500])
    body = row.payload.encode()
    reachable = True
    try:
        headers = signed_headers(row.endpoint, row.webhook_id, body, int(clock().timestamp()))
        answer = egress.post(row.endpoint.url, body, headers)
    except WebhookTargetRefused as exc:
        log.error, reachable = str(exc), False
    except egress.DeliveryFailed as exc:
        log.error, reachable = str(exc), False
    except Exception as exc:  # a fault of ours must not leave the batch claimed: this row is retried
        logger.exception("helpdesk_tickets: webhook delivery %s failed unexpectedly", row.pk)
        log.error, reachable = f"{type(exc).__name__}: {exc}", True
    else:
        log.status_code, log.response_excerpt = answer.status, _excerpt(answer.body)
        if 300 <= answer.status < 400:
            log.error = f"Redirect not followed (to {answer.location or 'nowhere'}): give the final URL."
        elif not 200 <= answer.status < 300:
            log.error = f"The receiver answered {answer.status}."
    log.duration_ms = int((time.monotonic() - started) * 1000)
    return log, reachable


# --------------------------------------------------------------------------
# the public services


def deliver(ids=None, *, now=None, follow_up=True):
    """Send the pending deliveries ``ids`` and others that are due (one batch); returns a :class:`Delivery`.

    ``Delivery.sent`` counts the rows delivered. With ``follow_up`` and a backend
    that runs deferred tasks, a delivery task is enqueued for the rows put back
    (at their next attempt) and, when more are due (say, the next events of the
    tickets just delivered), for those.
    """
    clock = (lambda: now) if now is not None else timezone.now
    started = clock()
    result = Delivery()
    token = uuid.uuid4().hex
    if not _claim(ids, started, token):
        return result
    held = WebhookDelivery.objects.filter(claim=token, status=WebhookStatus.SENDING)
    rows = list(held.select_related("endpoint").order_by("pk"))
    result.claimed = len(rows)
    # One durable commit per mark tripled the time per delivery (bench/webhooks.py fanout).
    with commits_without_waiting_for_the_disk(WebhookDelivery):
        unfinished = _send_each(rows, token, clock, result)
    if follow_up and tasks.can_defer():
        if result.next_attempt_at is not None:
            tasks.enqueue_webhook_delivery(None, run_after=result.next_attempt_at)
        if (unfinished or result.sent) and claimable(clock()).exists():
            tasks.enqueue_webhook_delivery(None)
    return result


def _send_each(rows, token, clock, result):
    """Post the claimed rows one after the other; returns True when time ran out before the last one."""
    # Keep well inside the claim's lifetime, so that sweep() never takes back a row being sent.
    deadline = time.monotonic() + STALE_CLAIM_AFTER.total_seconds() / 2
    unreachable = {}
    logs = []
    try:
        for index, row in enumerate(rows):
            if time.monotonic() > deadline:
                _return_unsent(rows[index:], token, clock())
                return True
            if row.endpoint_id in unreachable:
                _put_back([row], token, NOT_TRIED.format(error=unreachable[row.endpoint_id]), clock(), result)
                continue
            log, reachable = attempt(row, clock)
            logs.append(log)
            if log.succeeded:
                _mark_delivered(row, token, clock(), log.status_code)
                result.sent += 1
                continue
            if not reachable:
                unreachable[row.endpoint_id] = log.error[:200]
            _put_back([row], token, log.error, clock(), result, log.status_code)
        return False
    finally:
        # One insert for the batch's log, after the marks that matter.
        WebhookAttempt.objects.bulk_create(logs)


def sweep(now=None):
    """Take back stale claims (a worker that died), then deliver what is due, batch after batch.

    Returns a :class:`Delivery` summing the batches; ``helpdesk_tickets_housekeeping`` runs it.
    """
    fixed, now = now, now or timezone.now()
    result = Delivery()
    stale = WebhookDelivery.objects.filter(status=WebhookStatus.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER)
    limit = len(app_settings.WEBHOOK_RETRY_DELAYS)
    common = {"attempts": F("attempts") + 1, "claim": "", "claimed_at": None, "last_error": STALE_CLAIM}
    result.failed += stale.filter(attempts__gte=limit).update(status=WebhookStatus.FAILED, **common)
    result.released = stale.update(status=WebhookStatus.PENDING, next_attempt_at=now, **common)
    for _batch in range(MAX_SWEEP_BATCHES):
        batch = deliver(now=fixed, follow_up=False)
        result += batch
        if not batch.claimed:
            break
    if result.next_attempt_at is not None and tasks.can_defer():
        tasks.enqueue_webhook_delivery(None, run_after=result.next_attempt_at)
    return result


def retry_now(rows, *, now=None):
    """Send failed or waiting deliveries again now (the admin's "retry now"); returns how many.

    A failed row starts a fresh retry schedule; a waiting one keeps its count
    and is due at once. A delivered row is never sent again.
    """
    pks = list(rows.values_list("pk", flat=True)) if hasattr(rows, "values_list") else [row.pk for row in rows]
    now = now or timezone.now()
    with transaction.atomic():
        chosen = WebhookDelivery.objects.filter(pk__in=pks)
        count = chosen.filter(status=WebhookStatus.PENDING).update(next_attempt_at=now)
        count += chosen.filter(status=WebhookStatus.FAILED).update(
            status=WebhookStatus.PENDING, attempts=0, next_attempt_at=now
        )
        if count:
            transaction.on_commit(lambda: tasks.enqueue_webhook_delivery(pks), robust=True)
    return count


def rotate_secret(endpoint, *, now=None):
    """Give ``endpoint`` a new secret; the old one keeps signing for ``WEBHOOK_SECRET_ROTATION_GRACE``."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + app_settings.WEBHOOK_SECRET_ROTATION_GRACE
    endpoint.secret = new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret=endpoint.secret,
        previous_secret=endpoint.previous_secret,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
    )
    return endpoint.secret
