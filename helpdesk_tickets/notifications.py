"""E-mail notifications, sent after commit through a pluggable dispatcher.

The services call :func:`notify` inside their transaction; it registers an
``on_commit`` hook that hands ``(kind, ticket_id, message_id)`` to the
dispatcher named by ``HELPDESK_TICKETS["NOTIFICATION_DISPATCHER"]``. The
default dispatcher, :func:`send_now`, calls :func:`deliver` at once and logs
failures: an SMTP error never loses or rolls back a ticket.

To send through a task queue instead, point the setting at a function that
enqueues :func:`deliver` with the same three arguments (they are plain,
picklable values); see the docs' "Notifications" page.
"""

import logging

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

from .conf import settings as app_settings

logger = logging.getLogger(__name__)

TICKET_CREATED = "ticket_created"
STAFF_REPLIED = "staff_replied"
CUSTOMER_REPLIED = "customer_replied"


def notify(kind, ticket, message=None):
    """Schedule notification ``kind`` for after the current transaction commits."""
    ticket_id, message_id = ticket.pk, message.pk if message else None
    transaction.on_commit(lambda: _dispatch_after_commit(kind, ticket_id, message_id))


def _dispatch_after_commit(kind, ticket_id, message_id):
    # The change is committed by now: a failing dispatcher (say, a task broker
    # that is down) must not turn the user's successful request into an error.
    try:
        dispatch(kind, ticket_id, message_id)
    except Exception:
        logger.exception("helpdesk_tickets: the notification dispatcher failed on %s for ticket %s", kind, ticket_id)


def dispatch(kind, ticket_id, message_id=None):
    dispatcher = import_string(app_settings.NOTIFICATION_DISPATCHER)
    dispatcher(kind, ticket_id, message_id)


def send_now(kind, ticket_id, message_id=None):
    """Default dispatcher: deliver in-process, logging (not raising) failures."""
    try:
        deliver(kind, ticket_id, message_id)
    except Exception:
        # The ids are logged (and attached to the record) so that the e-mail
        # can be sent again later with deliver(kind, ticket_id, message_id).
        logger.exception(
            "helpdesk_tickets: could not send %s for ticket %s (message %s)",
            kind,
            ticket_id,
            message_id,
            extra={"helpdesk_notification": (kind, ticket_id, message_id)},
        )


def recipients(kind, ticket, message):
    """The users to tell about ``kind``; never the author of the change."""
    author_id = message.author_id if message else None
    if kind == TICKET_CREATED:
        users = list(ticket.department.agents.filter(is_active=True))
    elif kind == STAFF_REPLIED:
        users = [ticket.requester]
    elif kind == CUSTOMER_REPLIED:
        users = [ticket.assignee] if ticket.assignee_id else list(ticket.department.agents.filter(is_active=True))
    else:
        raise ValueError(f"unknown notification {kind!r}")
    return [u for u in users if u and u.email and u.pk != author_id]


def recipient_language(user, ticket):
    """The customer hears in the language they wrote in; staff in the site's language."""
    if user.pk == ticket.requester_id and ticket.language:
        return ticket.language
    return django_settings.LANGUAGE_CODE


def deliver(kind, ticket_id, message_id=None):
    """Render and send notification ``kind``; returns the number of e-mails sent."""
    from .models import Message, Ticket

    ticket = Ticket.objects.with_related().get(pk=ticket_id)
    message = Message.objects.select_related("author").get(pk=message_id) if message_id else None
    sent = 0
    for user in recipients(kind, ticket, message):
        with translation.override(recipient_language(user, ticket)):
            context = {
                "ticket": ticket,
                "message": message,
                "recipient": user,
                "site_url": app_settings.SITE_URL.rstrip("/"),
            }
            base = f"helpdesk_tickets/email/{kind}"
            subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
            text = render_to_string(f"{base}_message.txt", context)
            html = render_to_string(f"{base}_message.html", context)
        mail = EmailMultiAlternatives(
            subject, text, app_settings.FROM_EMAIL or django_settings.DEFAULT_FROM_EMAIL, [user.email]
        )
        mail.attach_alternative(html, "text/html")
        sent += mail.send()
    return sent
