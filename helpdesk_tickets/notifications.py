"""Who hears about what, and the e-mail each of them gets.

The services call :func:`notify` inside their transaction. It decides the
recipients and writes one :class:`~helpdesk_tickets.models.OutboundEmail`
row per person (the outbox), in the same transaction as the change it
reports; after the commit a task delivers the rows
(:mod:`helpdesk_tickets.services.outbox`). A rolled-back change leaves no
row, and a mail server that is down loses nothing: the rows wait and are
retried.

Who hears what (never the person who made the change, except the
acknowledgement of a new ticket, which is the requester's receipt):

- the customer (the requester): :data:`TICKET_RECEIVED` (every channel,
  also when staff open the ticket for them), :data:`STAFF_REPLIED` (a public
  staff reply), :data:`TICKET_RESOLVED`;
- staff: :data:`TICKET_CREATED` (the department's agents),
  :data:`CUSTOMER_REPLIED` and :data:`TICKET_REOPENED` (the assignee while
  they are still staff for the ticket, else the department's agents);
  :data:`SLA_WARNING` and :data:`SLA_BREACHED` (the same people), written
  for many tickets at once by :func:`notify_escalations`.

:func:`build_email` renders a row into the e-mail that is sent (templates
``helpdesk_tickets/email/<kind>_subject.txt``, ``_message.txt`` and
``_message.html``, in the recipient's language). :func:`muted` turns
notifications off for a block of code (the demo data uses it).
"""

import contextlib
import contextvars
import logging

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.db import router, transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.template.loader import get_template
from django.utils import timezone, translation

from . import mailaddress, tasks, users
from .choices import Channel
from .conf import settings as app_settings
from .mailparse import REPLY_MARKER
from .models import Department, OutboundEmail, ThreadMessageId

logger = logging.getLogger(__name__)

TICKET_RECEIVED = "ticket_received"
TICKET_CREATED = "ticket_created"
STAFF_REPLIED = "staff_replied"
CUSTOMER_REPLIED = "customer_replied"
TICKET_RESOLVED = "ticket_resolved"
TICKET_REOPENED = "ticket_reopened"
#: A deadline falls due within ``SLA_WARNING_BEFORE`` (the row's ``escalation`` says which, and when).
SLA_WARNING = "sla_warning"
#: A deadline passed unmet.
SLA_BREACHED = "sla_breached"

#: What the customer hears about.
CUSTOMER_KINDS = (TICKET_RECEIVED, STAFF_REPLIED, TICKET_RESOLVED)
#: What staff hear about.
STAFF_KINDS = (TICKET_CREATED, CUSTOMER_REPLIED, TICKET_REOPENED, SLA_WARNING, SLA_BREACHED)
#: Told to the assignee while they are still staff for the ticket, else to the department's agents.
ASSIGNEE_KINDS = (CUSTOMER_REPLIED, TICKET_REOPENED, SLA_WARNING, SLA_BREACHED)
#: Written by :func:`notify_escalations`, with the escalation they tell of.
ESCALATION_KINDS = (SLA_WARNING, SLA_BREACHED)
KINDS = CUSTOMER_KINDS + STAFF_KINDS

# REPLY_MARKER (the inbound parser's) is the first line of every e-mail's text and HTML:
# what a person writes above it is their reply; the quoted history below is cut off.


_muted = contextvars.ContextVar("helpdesk_tickets_notifications_muted", default=False)


@contextlib.contextmanager
def muted():
    """Within this block, :func:`notify` writes nothing: no e-mail about what happens here.

    For data loaded in bulk, imports and demos (``helpdesk_demo`` uses it).
    A context variable: other threads and tasks are not affected.
    """
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted():
    return _muted.get()


# --------------------------------------------------------------------------
# who


def _department_agents(ticket, also=None):
    """The active agents of the ticket's department, in one query; with ``also`` (a user's pk),
    that user too when they are a supervisor."""
    members = Q(pk__in=Department.objects.filter(pk=ticket.department_id).values("agents"))
    if also is not None:
        members |= Q(pk=also) & users.with_permission(app_settings.SUPERVISOR_PERMISSION)
    return list(users.active_users().filter(members))


def _assignee_or_department(ticket, people):
    """Of ``people`` (the department's active agents, and the assignee when they are a supervisor):
    the assignee while they are among them, i.e. still staff for the ticket; else all of them."""
    assignee = [person for person in people if person.pk == ticket.assignee_id] if ticket.assignee_id else []
    return assignee or people


def _staff_of_many(tickets):
    """:func:`_department_agents` (with the assignee) of each ticket, as ``{ticket pk: [users]}``; two queries."""
    department_ids = {ticket.department_id for ticket in tickets}
    assignee_ids = {ticket.assignee_id for ticket in tickets if ticket.assignee_id}
    members = {}
    for department_id, user_id in Department.objects.filter(pk__in=department_ids).values_list("pk", "agents"):
        if user_id is not None:
            members.setdefault(department_id, set()).add(user_id)
    every_member = set().union(*members.values())
    supervisor = users.with_permission(app_settings.SUPERVISOR_PERMISSION)
    people = (
        users.active_users()
        .filter(Q(pk__in=every_member) | Q(pk__in=assignee_ids) & supervisor)
        .annotate(hdt_supervisor=Case(When(supervisor, then=Value(True)), default=Value(False)))
    )
    by_pk = {person.pk: person for person in people} if every_member or assignee_ids else {}
    staff = {}
    for ticket in tickets:
        agents = [by_pk[pk] for pk in sorted(members.get(ticket.department_id, ())) if pk in by_pk]
        assignee = by_pk.get(ticket.assignee_id)
        if assignee is not None and assignee.hdt_supervisor and assignee not in agents:
            agents.append(assignee)
        staff[ticket.pk] = agents
    return staff


def _requester(ticket, actor):
    if actor is not None and actor.pk == ticket.requester_id:
        return actor  # already loaded
    return ticket.requester


def recipients(kind, ticket, message=None, *, actor=None):
    """The users to tell about ``kind``, without the person who made the change; one query at most.

    ``actor`` defaults to the message's author. The acknowledgement
    (:data:`TICKET_RECEIVED`) goes to the requester even when they opened the
    ticket themselves: it is their receipt, with the reference.
    """
    if actor is None and message is not None:
        actor = message.author
    actor_id = actor.pk if actor is not None else None
    if kind in CUSTOMER_KINDS:
        people = [_requester(ticket, actor)]
        if kind == TICKET_RECEIVED:
            actor_id = None
    elif kind == TICKET_CREATED:
        people = _department_agents(ticket)
    elif kind in ASSIGNEE_KINDS:
        # The assignee while they are still staff for the ticket (not removed
        # from its department, not deactivated); else the department.
        people = _assignee_or_department(ticket, _department_agents(ticket, also=ticket.assignee_id))
    else:
        raise ValueError(f"unknown notification {kind!r}")
    return _reachable(people, actor_id)


def _reachable(people, actor_id=None):
    return [person for person in people if person is not None and person.pk != actor_id and users.email_address(person)]


def recipient_language(user, ticket):
    """The customer hears in the language they wrote in; staff in the site's language."""
    if user.pk == ticket.requester_id and ticket.language:
        return ticket.language
    return django_settings.LANGUAGE_CODE


def recipient_allowed():
    """An expression on outbox rows: whether the recipient may still be told (asked again when sending).

    The customer's e-mails go to the ticket's requester; the staff's to
    whoever is still staff for the ticket (an agent of its department, or a
    supervisor: the queryset twin of ``permissions.is_staff_for``), so an
    assignee removed from the department meanwhile is not. Inactive or
    deleted users never are.
    """
    active = users.active_users().filter(pk=OuterRef("recipient_id"))
    requester = Exists(active.filter(pk=OuterRef("ticket__requester_id")))
    member = Exists(Department.objects.filter(pk=OuterRef("ticket__department_id"), agents=OuterRef("recipient_id")))
    supervisor = Exists(active.filter(users.with_permission(app_settings.SUPERVISOR_PERMISSION)))
    customer_kind = Q(kind__in=CUSTOMER_KINDS)
    return Case(
        When(customer_kind & Q(requester), then=Value(True)),
        When(~customer_kind & Q(Exists(active)) & (Q(member) | Q(supervisor)), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


# --------------------------------------------------------------------------
# the outbox rows


def notify(kinds, ticket, message=None, *, actor=None):
    """Write the outbox rows of notification ``kinds`` (one kind or several) about ``ticket``; return them.

    Called inside the transaction of the change, so the e-mails exist if and
    only if the change does; delivery is enqueued after the commit. Costs one
    query for the department's agents (staff kinds), one insert for the rows
    and one for their Message-IDs, whatever the number of recipients.
    Nothing is written within :func:`muted`.
    """
    if is_muted():
        return []
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    now = timezone.now()
    rows = [
        _row(kind, ticket, person, now, message=message)
        for kind in kinds
        for person in recipients(kind, ticket, message, actor=actor)
    ]
    return _write(rows, now)


def notify_escalations(kind, escalations):
    """Write the outbox rows of ``kind`` (:data:`SLA_WARNING` or :data:`SLA_BREACHED`) for each escalation.

    ``escalations`` are :class:`~helpdesk_tickets.models.SlaEscalation` rows
    with their tickets loaded. Each goes to the ticket's assignee while they
    are still staff for it, else to its department's active agents, as
    :func:`recipients` decides for one ticket. Four queries, whatever the
    number of tickets; nothing within :func:`muted`.
    """
    if kind not in ESCALATION_KINDS:
        raise ValueError(f"not an escalation notification: {kind!r}")
    if is_muted() or not escalations:
        return []
    now = timezone.now()
    tickets = [escalation.ticket for escalation in escalations]
    staff = _staff_of_many(tickets)
    rows = [
        _row(kind, escalation.ticket, person, now, escalation=escalation)
        for escalation in escalations
        for person in _reachable(_assignee_or_department(escalation.ticket, staff[escalation.ticket.pk]))
    ]
    return _write(rows, now)


def _row(kind, ticket, person, now, *, message=None, escalation=None):
    return OutboundEmail(
        kind=kind,
        ticket=ticket,
        message=message,
        escalation=escalation,
        recipient=person,
        to_address=users.email_address(person)[:254],
        language=recipient_language(person, ticket)[:10],
        message_id_header=mailaddress.new_message_id(),
        next_attempt_at=now,
        created_at=now,
    )


def _write(rows, now):
    """Insert ``rows`` and their Message-IDs, and enqueue their delivery after the commit; returns them."""
    if not rows:
        return []
    OutboundEmail.objects.bulk_create(rows)
    # A reply to any of them threads back to the ticket (the inbound side looks
    # In-Reply-To / References up there); the ticket's root id too, which every
    # notification refers to.
    threads = {mailaddress.thread_root_id(row.ticket.reference): row.ticket for row in rows}
    threads.update((row.message_id_header, row.ticket) for row in rows)
    ThreadMessageId.objects.bulk_create(
        [ThreadMessageId(message_id=ident, ticket=ticket, created_at=now) for ident, ticket in threads.items()],
        ignore_conflicts=True,
    )
    pks = [row.pk for row in rows]
    # A database that returns no ids from a bulk insert (MySQL): deliver whatever is due.
    ids_for_task = pks if all(pk is not None for pk in pks) else None
    using = router.db_for_write(OutboundEmail)
    transaction.on_commit(lambda: tasks.enqueue_delivery(ids_for_task), using=using, robust=True)
    return rows


# --------------------------------------------------------------------------
# the e-mail


class Templates:
    """The three templates of each kind, loaded once per delivery run."""

    def __init__(self):
        self._loaded = {}

    def __getitem__(self, kind):
        if kind not in self._loaded:
            base = f"helpdesk_tickets/email/{kind}"
            self._loaded[kind] = tuple(
                get_template(f"{base}_{part}") for part in ("subject.txt", "message.txt", "message.html")
            )
        return self._loaded[kind]


def thread_headers(row, inbound_message_id=None):
    """``In-Reply-To`` and ``References`` of ``row``'s e-mail: the ticket's root, then the mail being answered."""
    chain = [mailaddress.thread_root_id(row.ticket.reference)]
    inbound = mailaddress.normalise_message_id(inbound_message_id)
    if inbound and inbound not in chain:
        chain.append(inbound)
    return {"In-Reply-To": f"<{chain[-1]}>", "References": " ".join(f"<{ident}>" for ident in chain)}


def reply_to(ticket):
    """Where replies go: the signed reply address, else the department's own address, else nowhere special."""
    address = mailaddress.reply_address(ticket.reference) or ticket.department.email
    return [address] if address else []


def context_for(row):
    """What the templates of ``row`` are rendered with (see docs: "Notifications and the outbox")."""
    ticket, message = row.ticket, row.message
    author = message.author if message is not None else None
    # The agent who opened the ticket for the customer (phone, or the staff API).
    opened_for = (
        author
        if row.kind in (TICKET_RECEIVED, TICKET_CREATED) and author is not None and author.pk != ticket.requester_id
        else None
    )
    escalation = row.escalation if row.kind in ESCALATION_KINDS else None
    return {
        "kind": row.kind,
        "ticket": ticket,
        "message": message,
        # The escalation e-mails: which deadline (a SlaTarget), and when it falls (fell) due.
        "escalation": escalation,
        "target": escalation.get_target_display() if escalation is not None else "",
        "due": escalation.due if escalation is not None else None,
        "recipient": row.recipient,
        "site_url": app_settings.SITE_URL.rstrip("/"),
        "reply_marker": REPLY_MARKER,
        "reply_by_email": bool(reply_to(ticket)),
        "opened_for_by": opened_for,
        "by_phone": ticket.channel == Channel.PHONE,
        "by_email": ticket.channel == Channel.EMAIL,
        "auto_close_days": app_settings.AUTO_CLOSE_AFTER,
    }


def build_email(row, templates, *, inbound_message_id=None, connection=None):
    """The e-mail of outbox row ``row`` (ticket, its relations, message and recipient loaded)."""
    subject_template, text_template, html_template = templates[row.kind]
    context = context_for(row)
    with translation.override(row.language or django_settings.LANGUAGE_CODE):
        subject = " ".join(subject_template.render(context).split())
        text = text_template.render(context)
        html = html_template.render(context)
    # The acknowledgement of a mail that opened a ticket answers a person's mail (RFC 3834).
    replied = row.kind == TICKET_RECEIVED and row.ticket.channel == Channel.EMAIL
    headers = {
        "Message-ID": f"<{row.message_id_header}>",
        **thread_headers(row, inbound_message_id),
        "Auto-Submitted": "auto-replied" if replied else "auto-generated",
        # Outlook/Exchange: no out-of-office answers to a notification.
        "X-Auto-Response-Suppress": "All",
    }
    mail = EmailMultiAlternatives(
        subject,
        text,
        mailaddress.from_address(),
        [row.to_address],
        headers=headers,
        reply_to=reply_to(row.ticket),
        connection=connection,
    )
    mail.attach_alternative(html, "text/html")
    return mail
