"""The tasks that deliver the outbox and escalate, for Django's tasks framework.

``django.tasks`` on Django 6.0 and later, the ``django-tasks`` backport on
5.2. Enqueued on the backend ``HELPDESK_TICKETS["TASK_BACKEND"]`` (an alias
of ``settings.TASKS``). A worker backend (``django_tasks_db``: ``manage.py
db_worker``) delivers in the background; the immediate backend delivers in
the process that made the change, right after its commit.

- :func:`deliver_outbox` sends the given rows and whatever else is due
  (:func:`helpdesk_tickets.services.outbox.deliver`);
- :func:`sweep_outbox` takes back rows a crashed worker held and sends what
  is due (:func:`helpdesk_tickets.services.outbox.sweep`), for a scheduler
  that runs tasks periodically; cron can run ``helpdesk_tickets_housekeeping``
  instead;
- :func:`escalate_tickets` warns ahead of SLA deadlines and escalates the
  breaches (:func:`helpdesk_tickets.services.escalation.escalate`), for the
  same scheduler, every minute or so (or cron and the housekeeping command);
- :func:`deliver_webhooks` and :func:`sweep_webhooks` deliver and sweep the
  webhook deliveries as the first two do the outbox
  (:mod:`helpdesk_tickets.services.webhooks`).
"""

import logging

import django

from .conf import settings as app_settings

if django.VERSION >= (6, 0):
    from django.tasks import task, task_backends
else:
    from django_tasks import task, task_backends

logger = logging.getLogger(__name__)


@task
def deliver_outbox(ids: list[int] | None = None):
    """Send the outbox rows ``ids`` (those still pending) and any others that are due; returns the counts."""
    # The services enqueue this task and the task runs a service: the import is
    # made here, where that cycle ends (pyproject.toml, import-linter).
    from .services.outbox import deliver

    return deliver(ids).as_dict()


@task
def sweep_outbox():
    """Release stale claims and send what is due; returns the counts."""
    from .services.outbox import sweep

    return sweep().as_dict()


@task
def escalate_tickets():
    """Warn about the SLA deadlines coming up and escalate the breaches; returns the counts."""
    from .services.escalation import escalate

    return escalate().as_dict()


@task
def deliver_webhooks(ids: list[int] | None = None):
    """Send the webhook deliveries ``ids`` (those still pending and first of their ticket) and others due."""
    from .services.webhooks import deliver

    return deliver(ids).as_dict()


@task
def sweep_webhooks():
    """Release stale webhook claims and send what is due; returns the counts."""
    from .services.webhooks import sweep

    return sweep().as_dict()


def backend():
    """The task backend that delivers the outbox."""
    return task_backends[app_settings.TASK_BACKEND]


def can_defer():
    """Whether that backend runs a task at a later time (``run_after``); the immediate one does not."""
    try:
        return bool(backend().supports_defer)
    except Exception:  # a misconfigured TASKS is reported by the system checks
        return False


def enqueue_delivery(ids=None, *, run_after=None):
    """Enqueue :func:`deliver_outbox`; returns whether it was enqueued.

    A failure (the broker or the tasks database is unreachable) is logged and
    loses nothing: the rows stay pending, and the next delivery or
    ``helpdesk_tickets_housekeeping`` sends them.
    """
    return _enqueue(deliver_outbox, ids, run_after, "outbox rows")


def enqueue_webhook_delivery(ids=None, *, run_after=None):
    """Enqueue :func:`deliver_webhooks`; returns whether it was enqueued (a failure loses nothing, as above)."""
    return _enqueue(deliver_webhooks, ids, run_after, "webhook deliveries")


def _enqueue(delivery_task, ids, run_after, what):
    try:
        delivery_task.using(backend=app_settings.TASK_BACKEND, run_after=run_after).enqueue(ids)
    except Exception:
        logger.exception(
            "helpdesk_tickets: could not enqueue the delivery of %s %s; they wait for the next run",
            what,
            ids if ids is not None else "(all due)",
        )
        return False
    return True
