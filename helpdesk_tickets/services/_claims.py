"""What the two outboxes (e-mails, webhook deliveries) share: putting claimed rows back after a failed attempt.

A run claims rows with a token; whatever it could not deliver goes back with
the next retry delay, or ``failed`` after the last one, or back to ``pending``
untried when the run stopped early. Each update is conditional on the claim,
so a row another worker took back meanwhile is left alone.
"""

from datetime import timedelta


def put_back(model, statuses, rows, token, when, result, *, delays, give_up=False, **changes):
    """Back to ``pending`` after the next delay (``attempts + 1``), or ``failed`` after the last (or ``give_up``).

    ``statuses`` is the model's status choices (with ``PENDING`` and
    ``FAILED``); ``changes`` are further columns to set (the error); the
    counts go into ``result`` (``failed``, ``retried``, ``next_attempt_at``).
    """
    delays = list(delays)
    groups = {}
    for row in rows:
        attempts = row.attempts + 1
        if give_up or attempts > len(delays):
            key = (statuses.FAILED, attempts, None)
        else:
            key = (statuses.PENDING, attempts, when + timedelta(seconds=delays[attempts - 1]))
        groups.setdefault(key, []).append(row.pk)
    for (status, attempts, next_attempt_at), pks in groups.items():
        update = {"status": status, "attempts": attempts, "claim": "", "claimed_at": None, **changes}
        if next_attempt_at is not None:
            update["next_attempt_at"] = next_attempt_at
        model.objects.filter(pk__in=pks, claim=token).update(**update)
        if status == statuses.FAILED:
            result.failed += len(pks)
        else:
            result.retried += len(pks)
            result.next_attempt_at = min(filter(None, (result.next_attempt_at, next_attempt_at)))


def return_unsent(model, statuses, rows, token, when):
    """Back to ``pending``, due at ``when``, no attempt counted: the run stopped before trying them."""
    if rows:
        model.objects.filter(pk__in=[row.pk for row in rows], claim=token).update(
            status=statuses.PENDING, claim="", claimed_at=None, next_attempt_at=when
        )
