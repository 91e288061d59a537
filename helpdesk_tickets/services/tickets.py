"""Opening a ticket: its reference, what it is filed under, the duplicate guard and the open-ticket cap."""

import functools
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import attachments as attachment_rules
from .. import notifications, permissions, signals, sla
from ..choices import OPEN_STATUSES, Channel, Priority
from ..conf import settings as app_settings
from ..exceptions import DuplicateTicket, OpenTicketLimitReached
from ..models import Department, Message, Product, Ticket, TicketEvent, TicketType
from ..text import duplicate_key, normalize_text
from . import _files, assignment, merge
from . import _transactions as tx
from . import fields as ticket_fields
from ._input import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH, clean_text

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
REFERENCE_LENGTH = 8
_REFERENCE_CODES = len(REFERENCE_ALPHABET) ** REFERENCE_LENGTH


def new_reference():
    prefix = app_settings.REFERENCE_PREFIX
    # One draw for the whole code, written in base len(REFERENCE_ALPHABET).
    number, letters = secrets.randbelow(_REFERENCE_CODES), []
    for _position in range(REFERENCE_LENGTH):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    body = "".join(letters)
    return f"{prefix}-{body}" if prefix else body


_OFFERING_MODELS = {"department": Department, "ticket_type": TicketType, "product": Product}
#: The table linking each to its departments, and its column naming the type or product.
_LINKS = {
    "ticket_type": (TicketType.departments.through, "tickettype"),
    "product": (Product.departments.through, "product"),
}


def find_offering(department=None, ticket_type=None, product=None):
    """The department, ticket type and product with these slugs (one lookup per slug given).

    Returns ``{"department": ..., "ticket_type": ..., "product": ...}``, None
    where a slug (or None) matches nothing. Whether they go together is
    :func:`validate_offering`'s question.
    """
    slugs = {"department": department, "ticket_type": ticket_type, "product": product}
    return {name: _by_slug(_OFFERING_MODELS[name], slug) for name, slug in slugs.items()}


def _by_slug(model, slug):
    if slug is None:
        return None
    try:
        # get(), not first(): the slug is unique, and first() compiles an ORDER BY for nothing.
        return model.objects.get(slug=slug)
    except model.DoesNotExist:
        return None


def validate_offering(department, ticket_type, product):
    """Refuse an inactive department, or a type / product not offered in it (at most one query)."""
    if not department.active:
        raise ValidationError({"department": _("This department does not take new tickets.")})
    asked = {"ticket_type": ticket_type} if ticket_type.active else {}
    if product is not None and product.active:
        asked["product"] = product
    links = _linked_departments(asked)
    # OfferedQuerySet.offered_in's rule: linked to the department, or to none (offered everywhere).
    offered = {name: not linked or department.pk in linked for name, linked in links.items()}
    if not offered.get("ticket_type"):
        raise ValidationError({"ticket_type": _("This ticket type is not offered in the chosen department.")})
    if product is not None and not offered.get("product"):
        raise ValidationError({"product": _("This product is not offered in the chosen department.")})


def _linked_departments(items):
    """``{name: {department pk, ...}}``: the departments each item is linked to, read in one query.

    The rows of the link tables themselves: two ``EXISTS (offered_in())``
    subqueries cost 6.3 M instructions to build and run, this 2.6 M, out of
    about 58 M for an API ticket creation (bench/findings.rst, "Architecture redesign").
    """
    names = list(items)
    queries = [
        _LINKS[name][0].objects.filter(**{_LINKS[name][1]: item.pk}).values_list(Value(index), "department")
        for index, (name, item) in enumerate(items.items())
    ]
    linked = {name: set() for name in names}
    if queries:
        rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        for index, department_pk in rows:
            linked[names[index]].add(department_pk)
    return linked


def find_duplicate(requester, department, subject, description, now=None):
    """The open ticket that a new one with these fields would duplicate, if any."""
    key = duplicate_key(requester.pk, department.pk, subject, description)
    now = now or timezone.now()
    return (
        Ticket.objects.filter(
            duplicate_key=key,
            status__in=OPEN_STATUSES,
            created_at__gte=now - app_settings.DUPLICATE_WINDOW,
        )
        .select_related("department")
        .first()
    )


@tx.renamed_actor("created_by")
def create_ticket(
    *,
    requester,
    department,
    ticket_type,
    subject,
    description,
    product=None,
    attachments=(),
    channel=Channel.WEB,
    priority=Priority.NORMAL,
    actor=None,
    language=None,
    fields=None,
):
    """Open a ticket with its description as the first message.

    ``fields`` maps the keys of the type's fields to their values (see
    :func:`~helpdesk_tickets.services.fields.clean_field_values`; errors are
    named ``fields.<key>``); from e-mail a required field may be missing.

    ``actor`` is the agent filing on the customer's behalf (phone
    channel); it defaults to the requester. Raises ``ValidationError`` for
    bad input (nothing is written), :class:`DuplicateTicket` when an open
    ticket of the requester already asks the same, and
    :class:`OpenTicketLimitReached` when the optional cap is hit.
    """
    actor = actor or requester
    subject = clean_text(subject, "subject", MAX_SUBJECT_LENGTH, _("Subject"), one_line=True)
    description = clean_text(description, "description", MAX_BODY_LENGTH, _("Description"))
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    validate_offering(department, ticket_type, product)
    field_values = ticket_fields.clean_field_values(ticket_type, fields, require=ticket_fields.requires_fields(channel))
    assignment.prepare(department)
    files = attachment_rules.validate_files(attachments)
    subject_text, description_text = normalize_text(subject), normalize_text(description)
    key = duplicate_key(requester.pk, department.pk, subject_text, description_text)
    # An agent filing on the customer's behalf (phone) is not held to the
    # customer's open-ticket cap.
    on_behalf = actor.pk != requester.pk and permissions.is_staff_for(actor, Ticket(department_id=department.pk))
    cap = None if on_behalf else app_settings.MAX_OPEN_TICKETS_PER_CUSTOMER
    language = (language or get_language() or "")[:10]
    cal = sla.calendar()

    def work(written, release):
        now = timezone.now()
        if release is not None:
            # The holder found by the last attempt is older than the window: it lets go of the key
            # (by primary key: a range update on a missing key would take gap locks that deadlock
            # concurrent inserts on MariaDB).
            Ticket.objects.filter(pk=release, duplicate_key=key).update(duplicate_key=None)
        if cap:
            # A duplicate is named as such before the cap is counted.
            existing = find_duplicate(requester, department, subject, description, now)
            if existing:
                raise DuplicateTicket(existing)
            if Ticket.objects.filter(requester=requester, status__in=OPEN_STATUSES).count() >= cap:
                raise OpenTicketLimitReached(cap)

        ticket = Ticket(
            requester=requester,
            department=department,
            ticket_type=ticket_type,
            product=product,
            subject=subject,
            priority=priority,
            channel=channel,
            language=language,
            created_at=now,
            last_activity_at=now,
            last_customer_message_at=now,
            requester_last_read_at=now,
            message_count=1,
            duplicate_key=key,
            search_text=f"{subject_text}\n{description_text}",
            field_values=field_values,
            reference=new_reference(),
        )
        sla.recompute_due_times(ticket, cal)
        try:
            ticket.save(force_insert=True)
        except IntegrityError as exc:
            # Leaves the transaction (or savepoint), which is rolled back whole.
            raise _KeyTaken(now) from exc
        # The description is the customer's request, even when an agent typed it in.
        message = Message.objects.create(ticket=ticket, author=actor, body=description, created_at=now)
        _files.store_files(message, files, written)
        tx.record(ticket, TicketEvent.Kind.CREATED, actor, new=ticket.status)
        # The customer's acknowledgement and the department's alert, written with the ticket.
        notifications.notify(
            (notifications.TICKET_RECEIVED, notifications.TICKET_CREATED), ticket, message, actor=actor
        )
        tx.on_commit_send(signals.ticket_created, Ticket, ticket=ticket, message=message, actor=actor)
        # Last: the department's turn is held (locked) from here to the commit.
        assignment.assign_new_ticket(ticket)
        return ticket

    # No read before the insert: the unique duplicate key decides, on every
    # backend and under concurrency. Only when it refuses is the holder read.
    release = None
    for _attempt in range(REFERENCE_ATTEMPTS):
        try:
            return tx.run_with_files(functools.partial(work, release=release))
        except _KeyTaken as taken:
            try:
                holder = _key_holder(key)
            except OperationalError as exc:
                # MariaDB may pick this locking read as a deadlock victim among
                # concurrent identical submissions: insert again, as a victim
                # inside run_with_files would.
                if not tx.is_deadlock(exc) or transaction.get_connection().in_atomic_block:
                    raise
                continue
            if holder is None:
                continue  # the random reference was taken: draw another
            if holder.created_at >= taken.now - app_settings.DUPLICATE_WINDOW:
                raise DuplicateTicket(merge.final_ticket(holder)) from None
            release = holder.pk
    raise IntegrityError("could not allocate a unique ticket reference")


#: Inserts tried before giving up on drawing a free reference.
REFERENCE_ATTEMPTS = 8


class _KeyTaken(Exception):
    """The insert of a new ticket hit a unique key (its duplicate key or its reference)."""

    def __init__(self, now):
        self.now = now
        super().__init__()


def _key_holder(key):
    """The ticket holding duplicate key ``key``, read once the failed insert was rolled back."""
    with transaction.atomic():
        # A locking read sees rows committed after the snapshot of a surrounding
        # transaction (MariaDB's REPEATABLE READ would hide them otherwise).
        return Ticket.objects.select_for_update().filter(duplicate_key=key).first()
