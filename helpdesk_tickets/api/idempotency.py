"""``Idempotency-Key``: a repeated ``POST`` replays the first answer and runs nothing.

An HTTP concern, so it lives with the API; the services know nothing of it.
Concurrent requests with one key queue on that key's own row (never on the
host's user row), and the row is made in a short transaction of its own
first, so that the lock they queue on always exists.
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from ..conf import settings as app_settings
from ..exceptions import HelpdeskError, IdempotencyKeyReused
from ..models import IdempotencyKey
from ..services._transactions import is_deadlock

#: Attempts at claiming and locking a key before giving up (a row deleted
#: under us by a failed first request, or a deadlock victim on MariaDB).
ATTEMPTS = 20


def request_fingerprint(data):
    """A stable hash of a request's content, to tell a replay from a reused key."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def files_fingerprint(files):
    """Name, size and SHA-256 of each uploaded file, for :func:`request_fingerprint`."""
    result = []
    for upload in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        result.append([str(upload.name), upload.size, digest.hexdigest()])
    return result


def run_idempotent(*, user, key, fingerprint, operation):
    """Run ``operation()`` → ``(status, body)`` once per ``(user, key)``.

    A repeated key with the same request replays the stored ``(status, body)``
    and runs nothing; with a different request it raises
    :class:`~helpdesk_tickets.exceptions.IdempotencyKeyReused`. Returns
    ``(status, body, replayed)``. Concurrent requests with one key wait for
    the first and replay its answer; if the first was refused (a
    :class:`~helpdesk_tickets.exceptions.HelpdeskError`), the key is
    forgotten and the next one runs in its place.
    """
    for attempt in range(ATTEMPTS):
        try:
            _claim(user, key, fingerprint)
            outcome = _run_locked(user, key, fingerprint, operation)
        except OperationalError as exc:
            # A deadlock victim among concurrent requests (MariaDB): nothing
            # of it was kept; try again, unless a surrounding transaction is lost too.
            if attempt == ATTEMPTS - 1 or not is_deadlock(exc) or transaction.get_connection().in_atomic_block:
                raise
            continue
        if outcome is not None:
            return outcome
    raise IdempotencyKeyReused()


def _claim(user, key, fingerprint):
    """Make sure the key's row exists, in a transaction of its own that commits at once."""
    if IdempotencyKey.objects.filter(user=user, key=key).exists():
        return
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, request_hash=fingerprint)
    except IntegrityError:
        pass  # another request with this key made it first: the lock below queues behind it


def _run_locked(user, key, fingerprint, operation):
    """Under the key row's lock: replay, refuse, or run; None if the row went away meanwhile."""
    refused = None
    with transaction.atomic():
        # A locking read sees what the previous holder committed, also under
        # MariaDB's REPEATABLE READ; the row exists, so this is a record lock, no gap lock.
        stored = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if stored is None:
            return None  # deleted by a first request that was refused: claim it again
        now = timezone.now()
        if stored.response_status is not None and stored.created_at >= now - app_settings.IDEMPOTENCY_KEY_TTL:
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            return stored.response_status, stored.response_body, True
        # New, expired, or left without an answer by a request that failed: this one runs.
        try:
            with transaction.atomic():
                status, body = operation()
        except (HelpdeskError, ValidationError, PermissionDenied) as exc:
            # Refused, nothing written: forget the key, so that a retry runs again.
            stored.delete()
            refused = exc
        else:
            stored.request_hash, stored.created_at = fingerprint, now
            stored.response_status, stored.response_body = status, body
            stored.save(update_fields=["request_hash", "created_at", "response_status", "response_body"])
            return status, body, False
    raise refused
