"""Plumbing shared by the services: one transaction per write, its audit row, its after-commit sends."""

import contextlib
import functools
import logging
import warnings

from django.db import DatabaseError, OperationalError, connections, router, transaction

from ..models import Ticket, TicketEvent
from . import _files

logger = logging.getLogger("helpdesk_tickets.services")


def on_commit_send(signal, sender, **kwargs):
    # Robust: the write has committed by then, so a failing receiver is
    # logged (django.db.backends) rather than turned into an error for a
    # request that in fact succeeded (and would be retried as a duplicate).
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs), robust=True)


def record(ticket, kind, actor, old="", new=""):
    """Append a :class:`~helpdesk_tickets.models.TicketEvent` to the ticket's audit trail."""
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, old_value=str(old or "")[:200], new_value=str(new or "")[:200]
    )


def copy_state(source, target):
    """Reflect the saved row on the caller's instance."""
    if source is target:
        return
    for field in Ticket._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def run_with_files(work):
    """Run ``work(written)`` in a transaction; if it fails, delete the files it stored.

    A deadlock (MariaDB/InnoDB may pick a victim among concurrent identical
    submissions) is retried when this is the outermost transaction.
    """
    for attempt in range(3):
        written = []
        try:
            with transaction.atomic():
                return work(written)
        except OperationalError as exc:
            _files.delete_files(written)
            if attempt == 2 or not is_deadlock(exc) or transaction.get_connection().in_atomic_block:
                raise
        except BaseException:
            _files.delete_files(written)
            raise


def is_deadlock(exc):
    code = exc.args[0] if exc.args else None
    return code in (1213, 1205) or "deadlock" in str(exc).lower() or "database is locked" in str(exc).lower()


def renamed_actor(old_name):
    """Accept the keyword ``old_name`` for ``actor`` (with a DeprecationWarning) for one release."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if old_name in kwargs:
                if "actor" in kwargs:
                    raise TypeError(f"{function.__name__}() got both actor= and {old_name}=")
                warnings.warn(
                    f"{function.__name__}({old_name}=...) is deprecated; pass actor=...",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs["actor"] = kwargs.pop(old_name)
            return function(*args, **kwargs)

        return wrapper

    return decorate


@contextlib.contextmanager
def commits_without_waiting_for_the_disk(model):
    """On PostgreSQL, let this run's delivered marks (rows of ``model``) commit without waiting for the WAL flush.

    Used by the e-mail outbox and the webhook deliveries. One durable commit
    per e-mail was half the delivery time (bench/outbox.py: a 5 ms fsync
    beside 4 ms to render and send each e-mail; docs: "Notifications and the
    outbox", Throughput). Should the database server itself crash, the marks
    of its last fraction of a second may be lost: those rows are delivered
    again after ``STALE_CLAIM_AFTER``, with the same Message-ID or webhook-id,
    never lost.
    """
    database = connections[router.db_for_write(model)]
    if database.vendor != "postgresql" or database.in_atomic_block:
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with database.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # the connection is gone, and its setting with it
            logger.debug("helpdesk_tickets: could not reset synchronous_commit", exc_info=True)
