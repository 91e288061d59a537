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
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import get_template
from django.utils import translation
from django.utils.module_loading import import_string

from . import permissions, users
from .conf import settings as app_settings
from .models import Message, Ticket

logger = logging.getLogger(__name__)

TICKET_CREATED = "ticket_created"
STAFF_REPLIED = "staff_replied"
CUSTOMER_REPLIED = "customer_replied"


def notify(kind, ticket, message=None, *, complete=False):
    """Schedule notification ``kind`` for after the current transaction commits.

    ``complete`` says that ``ticket`` comes with its department, type,
    product, requester and assignee, and ``message`` with its author, as
    :func:`deliver` would read them: the default dispatcher, which sends in
    this process, then uses them instead of reading them again. Any other
    dispatcher gets the plain ids, as always.
    """
    ticket_id, message_id = ticket.pk, message.pk if message else None
    loaded = {"ticket": ticket, "message": message} if complete else {}
    transaction.on_commit(lambda: _dispatch_after_commit(kind, ticket_id, message_id, loaded))


def _dispatch_after_commit(kind, ticket_id, message_id, loaded):
    # The change is committed by now: a failing dispatcher (say, a task broker
    # that is down) must not turn the user's successful request into an error.
    try:
        dispatch(kind, ticket_id, message_id, **loaded)
    except Exception:
        logger.exception("helpdesk_tickets: the notification dispatcher failed on %s for ticket %s", kind, ticket_id)


def dispatch(kind, ticket_id, message_id=None, *, ticket=None, message=None):
    dispatcher = import_string(app_settings.NOTIFICATION_DISPATCHER)
    if dispatcher is send_now and ticket is not None:
        send_now(kind, ticket_id, message_id, ticket=ticket, message=message)
    else:
        dispatcher(kind, ticket_id, message_id)


def send_now(kind, ticket_id, message_id=None, *, ticket=None, message=None):
    """Default dispatcher: deliver in-process, logging (not raising) failures."""
    try:
        deliver(kind, ticket_id, message_id, ticket=ticket, message=message)
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
        people = list(users.active_users(ticket.department.agents.all()))
    elif kind == STAFF_REPLIED:
        people = [ticket.requester]
    elif kind == CUSTOMER_REPLIED:
        # The assignee only while they are still staff for the ticket (not
        # removed from its department, not deactivated); else the department.
        if ticket.assignee_id and permissions.is_staff_for(ticket.assignee, ticket):
            people = [ticket.assignee]
        else:
            people = list(users.active_users(ticket.department.agents.all()))
    else:
        raise ValueError(f"unknown notification {kind!r}")
    return [person for person in people if person and users.email_address(person) and person.pk != author_id]


def recipient_language(user, ticket):
    """The customer hears in the language they wrote in; staff in the site's language."""
    if user.pk == ticket.requester_id and ticket.language:
        return ticket.language
    return django_settings.LANGUAGE_CODE


def deliver(kind, ticket_id, message_id=None, *, ticket=None, message=None):
    """Render and send notification ``kind``; returns the number of e-mails sent.

    ``ticket`` and ``message``, when given, are the ticket and message with
    those ids, their relations loaded (see :func:`notify`); otherwise they
    are read.
    """
    if ticket is None:
        ticket = Ticket.objects.with_related().get(pk=ticket_id)
        message = Message.objects.select_related("author").get(pk=message_id) if message_id else None
    people = recipients(kind, ticket, message)
    if not people:
        return 0
    base = f"helpdesk_tickets/email/{kind}"
    subject_template = get_template(f"{base}_subject.txt")
    text_template = get_template(f"{base}_message.txt")
    html_template = get_template(f"{base}_message.html")
    site_url = app_settings.SITE_URL.rstrip("/")
    from_email = app_settings.FROM_EMAIL or django_settings.DEFAULT_FROM_EMAIL
    mails = []
    for user in people:
        with translation.override(recipient_language(user, ticket)):
            context = {"ticket": ticket, "message": message, "recipient": user, "site_url": site_url}
            subject = " ".join(subject_template.render(context).split())
            text = text_template.render(context)
            html = html_template.render(context)
        mail = EmailMultiAlternatives(subject, text, from_email, [users.email_address(user)])
        mail.attach_alternative(html, "text/html")
        mails.append(mail)
    # One call for all of them: one SMTP session rather than one per e-mail.
    return get_connection().send_messages(mails) or 0
