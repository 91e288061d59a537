"""Every write of the helpdesk: the one place where business rules live.

Web views, the API, the admin and management commands call these
functions and nothing else to change tickets. Each function is one
transaction, records a :class:`~helpdesk_tickets.models.TicketEvent` where
something about the ticket changed, and sends its signals and
notifications only after the transaction commits.
"""

import functools
import hashlib
import json
import logging
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.models import BooleanField, DurationField, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from . import attachments as attachment_rules
from . import notifications, permissions, signals, sla, users
from .conf import settings as app_settings
from .models import (
    OPEN_STATUSES,
    STATUS_TRANSITIONS,
    Channel,
    Department,
    IdempotencyKey,
    Message,
    Priority,
    Product,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
    attachment_storage,
)
from .text import duplicate_key, normalize_text

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U
REFERENCE_LENGTH = 8
_REFERENCE_CODES = len(REFERENCE_ALPHABET) ** REFERENCE_LENGTH
MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 20000


class HelpdeskError(Exception):
    """Base of the errors the services raise for a refused request."""


class InvalidTransition(HelpdeskError):
    def __init__(self, ticket, old, new):
        self.ticket, self.old, self.new = ticket, old, new
        super().__init__(
            _("A ticket cannot move from “%(old)s” to “%(new)s”.")
            % {"old": Status(old).label, "new": Status(new).label}
        )


class TicketClosed(HelpdeskError):
    def __init__(self, ticket):
        self.ticket = ticket
        super().__init__(_("This ticket is closed; please open a new one."))


class DuplicateTicket(HelpdeskError):
    """An open ticket of the same requester already asks the same thing."""

    def __init__(self, existing):
        self.existing = existing
        super().__init__(
            _("You already sent this request as ticket %(reference)s; please reply there instead.")
            % {"reference": existing.reference}
        )


class OpenTicketLimitReached(HelpdeskError):
    def __init__(self, limit):
        self.limit = limit
        super().__init__(
            ngettext(
                "You have %(limit)d open ticket; please wait for an answer before opening another.",
                "You have %(limit)d open tickets; please wait for an answer before opening another.",
                limit,
            )
            % {"limit": limit}
        )


class AttachmentsUnavailable(HelpdeskError):
    """The attachment storage failed to take a file: nothing was written, the request may simply be sent again."""

    def __init__(self):
        super().__init__(
            _("Your attachments could not be stored just now, so nothing was sent. Please try again in a moment.")
        )


class IdempotencyKeyReused(HelpdeskError):
    def __init__(self):
        super().__init__(_("This Idempotency-Key was already used for a different request."))


# --------------------------------------------------------------------------
# helpers


def _on_commit_send(signal, sender, **kwargs):
    # Robust: the write has committed by then, so a failing receiver is
    # logged (django.db.backends) rather than turned into an error for a
    # request that in fact succeeded (and would be retried as a duplicate).
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs), robust=True)


def _record(ticket, kind, actor, old="", new=""):
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, old_value=str(old or "")[:200], new_value=str(new or "")[:200]
    )


def new_reference():
    prefix = app_settings.REFERENCE_PREFIX
    # One draw for the whole code, written in base len(REFERENCE_ALPHABET).
    number, letters = secrets.randbelow(_REFERENCE_CODES), []
    for _position in range(REFERENCE_LENGTH):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    body = "".join(letters)
    return f"{prefix}-{body}" if prefix else body


# Line breaks (CR, LF, NEL, the Unicode line and paragraph separators) and
# the other control characters; NUL is refused below, not replaced.
_TO_SPACE = dict.fromkeys([*range(0x01, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029], " ")


def _clean_text(value, field, max_length, label, *, one_line=False):
    """``value`` stripped and checked; with ``one_line``, its line breaks and controls collapsed to a space."""
    value = (value or "").strip()
    if one_line and "\x00" not in value:
        # A subject is one line wherever it comes from (web, API, phone, e-mail):
        # e-mail headers, lists and exports rely on it. Collapsing loses nothing.
        value = " ".join(value.translate(_TO_SPACE).split())
    if not value:
        raise ValidationError({field: _("%(field)s is required.") % {"field": label}})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("%(field)s can be at most %(max)d characters.") % {"field": label, "max": max_length}}
        )
    if "\x00" in value:
        raise ValidationError({field: _("%(field)s contains a character that is not allowed.") % {"field": label}})
    return value


def _store_files(message, files, written):
    for upload in files:
        try:
            attachment = attachment_rules.store(message, upload)
        except Exception as exc:
            # A full disk, an object store that is down: the caller rolls back
            # and deletes what was stored; the user is asked to send again.
            logger.exception("helpdesk_tickets: the attachment storage failed to save %r", upload.name)
            raise AttachmentsUnavailable() from exc
        written.append(attachment.file.name)
        attachment.save()


def _delete_files(names):
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the orphan is left for housekeeping
            logger.warning("helpdesk_tickets: could not delete orphan attachment %s", name, exc_info=True)


def _run_with_files(work):
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
            _delete_files(written)
            if attempt == 2 or not _is_deadlock(exc) or transaction.get_connection().in_atomic_block:
                raise
        except BaseException:
            _delete_files(written)
            raise


def _is_deadlock(exc):
    code = exc.args[0] if exc.args else None
    return code in (1213, 1205) or "deadlock" in str(exc).lower() or "database is locked" in str(exc).lower()


#: Where :func:`find_offering` leaves, on a ticket type or product, ``(department id, offered there)``.
_OFFERED = "_helpdesk_offered_in"
_OFFERING_MODELS = {"department": Department, "ticket_type": TicketType, "product": Product}
_CATALOGUE_FIELDS = ("id", "name", "slug", "description", "translations", "active", "ordering")
# Per process: (database alias, slugs given) -> the compiled statement of find_offering.
_offering_statements = {}


def _offering_query(slugs):
    """One ``UNION ALL`` branch per slug given: the row, its kind, the department's targets, whether offered."""
    department = slugs.get("department")
    branches = []
    for kind, (name, model) in enumerate(_OFFERING_MODELS.items()):
        if name not in slugs:
            continue
        if model is Department:
            extra = {
                "hdt_first": F("first_response_target"),
                "hdt_resolution": F("resolution_target"),
                "hdt_offered": Value(True, BooleanField()),
            }
        else:
            # The rule of OfferedQuerySet.offered_in, asked of the department with that slug.
            in_department = Subquery(Department.objects.filter(slug=department).order_by().values("pk")[:1])
            extra = {
                "hdt_first": Value(None, DurationField()),
                "hdt_resolution": Value(None, DurationField()),
                "hdt_offered": Exists(model.objects.offered_in(in_department).filter(pk=OuterRef("pk"))),
            }
        annotations = {"hdt_kind": Value(kind, IntegerField()), **extra}
        branches.append(
            model.objects.filter(slug=slugs[name])
            .order_by()
            .annotate(**annotations)
            .values_list(*_CATALOGUE_FIELDS, *annotations)
        )
    return branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]


def _compile_offering_query(given, connection):
    """``(sql, params with the slugs' places marked, converters)``, or None if the slugs cannot be swapped."""
    marks = {name: f"\x00{name}\x00" for name in given}  # no slug contains NUL
    compiler = _offering_query(marks).query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    slug_of = {mark: name for name, mark in marks.items()}
    template = [(slug_of.get(value) if isinstance(value, str) else None, value) for value in params]
    if any(mark in sql for mark in marks.values()) or {name for name, _value in template if name} != set(given):
        return None
    converters = compiler.get_converters([column for column, _sql, _alias in compiler.select[: compiler.col_count]])
    return sql, template, converters


def _offering_rows(slugs):
    """The rows of :func:`_offering_query`.

    Building and compiling that query costs the ORM ten times as much as
    running it, and it is the same on every request: it is compiled once per
    process (and database, and set of slugs given), then run with each
    request's slugs, its values converted as the ORM would.
    """
    using = router.db_for_read(Department)
    connection = connections[using]
    key = (using, tuple(slugs))
    if key not in _offering_statements:
        _offering_statements[key] = _compile_offering_query(tuple(slugs), connection)
    statement = _offering_statements[key]
    if statement is None:
        return list(_offering_query(slugs).using(using)), using
    sql, template, converters = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [slugs[name] if name else value for name, value in template])
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for position, (functions, expression) in converters.items():
            for function in functions:
                row[position] = function(row[position], expression, connection)
    return rows, using


def find_offering(department=None, ticket_type=None, product=None):
    """The department, ticket type and product with these slugs, read in one query.

    Returns ``{"department": ..., "ticket_type": ..., "product": ...}``, None
    where a slug (or None) matches nothing. Whether the type and product are
    offered in that department is read along and kept on them, so that
    :func:`validate_offering` (called by :func:`create_ticket`) need not ask
    the database again.
    """
    given = {"department": department, "ticket_type": ticket_type, "product": product}
    slugs = {name: slug for name, slug in given.items() if slug is not None}
    found, offered = dict.fromkeys(_OFFERING_MODELS), {}
    if not slugs:
        return found
    rows, using = _offering_rows(slugs)
    names = list(_OFFERING_MODELS)
    for row in rows:
        values = dict(zip(_CATALOGUE_FIELDS, row, strict=False))
        kind, first_response_target, resolution_target, offered_here = row[len(_CATALOGUE_FIELDS) :]
        name = names[kind]
        if name == "department":
            values.update(first_response_target=first_response_target, resolution_target=resolution_target)
        else:
            offered[name] = offered_here
        instance = _OFFERING_MODELS[name](**values)
        instance._state.adding, instance._state.db = False, using
        found[name] = instance
    if found["department"] is not None:
        for name, offered_here in offered.items():
            setattr(found[name], _OFFERED, (found["department"].pk, bool(offered_here)))
    return found


def _known_offering(item, department):
    """Whether ``item`` is offered in ``department`` as :func:`find_offering` saw it; None if it did not look."""
    known = getattr(item, _OFFERED, None)
    return known[1] if known is not None and known[0] == department.pk else None


def validate_offering(department, ticket_type, product):
    """Refuse an inactive department, or a type / product not offered in it (at most one query)."""
    if not department.active:
        raise ValidationError({"department": _("This department does not take new tickets.")})
    type_offered = _known_offering(ticket_type, department) if ticket_type.active else False
    product_offered = True
    if product is not None:
        product_offered = _known_offering(product, department) if product.active else False
    unknown = {}
    if type_offered is None:
        unknown["ticket_type"] = Exists(TicketType.objects.offered_in(department).filter(pk=ticket_type.pk))
    if product_offered is None:
        unknown["product"] = Exists(Product.objects.offered_in(department).filter(pk=product.pk))
    if unknown:
        # Both questions in one round trip; a department deleted meanwhile offers nothing.
        answers = Department.objects.filter(pk=department.pk).values(**unknown).first() or {}
        type_offered = answers.get("ticket_type", False) if type_offered is None else type_offered
        product_offered = answers.get("product", False) if product_offered is None else product_offered
    if not type_offered:
        raise ValidationError({"ticket_type": _("This ticket type is not offered in the chosen department.")})
    if not product_offered:
        raise ValidationError({"product": _("This product is not offered in the chosen department.")})


# --------------------------------------------------------------------------
# tickets


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
    created_by=None,
    language=None,
):
    """Open a ticket with its description as the first message.

    ``created_by`` is the agent filing on the customer's behalf (phone
    channel); it defaults to the requester. Raises ``ValidationError`` for
    bad input (nothing is written), :class:`DuplicateTicket` when an open
    ticket of the requester already asks the same, and
    :class:`OpenTicketLimitReached` when the optional cap is hit.
    """
    created_by = created_by or requester
    subject = _clean_text(subject, "subject", MAX_SUBJECT_LENGTH, _("Subject"), one_line=True)
    description = _clean_text(description, "description", MAX_BODY_LENGTH, _("Description"))
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    validate_offering(department, ticket_type, product)
    files = attachment_rules.validate_files(attachments)
    subject_text, description_text = normalize_text(subject), normalize_text(description)
    key = duplicate_key(requester.pk, department.pk, subject_text, description_text)
    # An agent filing on the customer's behalf (phone) is not held to the
    # customer's open-ticket cap.
    on_behalf = created_by.pk != requester.pk and permissions.is_staff_for(
        created_by, Ticket(department_id=department.pk)
    )
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
            reference=new_reference(),
        )
        sla.recompute_due_times(ticket, cal)
        try:
            ticket.save(force_insert=True)
        except IntegrityError as exc:
            # Leaves the transaction (or savepoint), which is rolled back whole.
            raise _KeyTaken(now) from exc
        # The description is the customer's request, even when an agent typed it in.
        message = Message.objects.create(ticket=ticket, author=created_by, body=description, created_at=now)
        _store_files(message, files, written)
        _record(ticket, TicketEvent.Kind.CREATED, created_by, new=ticket.status)
        # The ticket and message are complete (department, type, product,
        # requester and author loaded): e-mails sent in this process use them as they are.
        notifications.notify(notifications.TICKET_CREATED, ticket, message, complete=True)
        _on_commit_send(signals.ticket_created, Ticket, ticket=ticket, message=message)
        return ticket

    # No read before the insert: the unique duplicate key decides, on every
    # backend and under concurrency. Only when it refuses is the holder read.
    release = None
    for _attempt in range(REFERENCE_ATTEMPTS):
        try:
            return _run_with_files(functools.partial(work, release=release))
        except _KeyTaken as taken:
            try:
                holder = _key_holder(key)
            except OperationalError as exc:
                # MariaDB may pick this locking read as a deadlock victim among
                # concurrent identical submissions: insert again, as a victim
                # inside _run_with_files would.
                if not _is_deadlock(exc) or transaction.get_connection().in_atomic_block:
                    raise
                continue
            if holder is None:
                continue  # the random reference was taken: draw another
            if holder.created_at >= taken.now - app_settings.DUPLICATE_WINDOW:
                raise DuplicateTicket(holder) from None
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


def post_reply(*, ticket, author, body, attachments=(), internal=False):
    """Add a message to the thread and move the status as the workflow says.

    A public staff reply sets the first response (once) and moves the
    ticket to ``awaiting_customer``; a customer reply moves an
    ``awaiting_customer`` or ``resolved`` ticket back to ``in_progress``.
    Internal notes are staff-only and change no status.
    """
    if not permissions.can_reply(author, ticket):
        if ticket.status == Status.CLOSED and permissions.can_view(author, ticket):
            raise TicketClosed(ticket)
        raise PermissionDenied
    staff = permissions.is_staff_for(author, ticket) and not permissions.is_requester(author, ticket)
    if internal and not staff:
        raise PermissionDenied
    body = _clean_text(body, "body", MAX_BODY_LENGTH, _("Message"))
    files = attachment_rules.validate_files(attachments)

    def work(written):
        locked = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        if locked.status == Status.CLOSED:
            raise TicketClosed(locked)
        now = timezone.now()
        message = Message.objects.create(
            ticket=locked, author=author, body=body, internal=internal, from_staff=staff, created_at=now
        )
        _store_files(message, files, written)
        old_status = locked.status
        # An internal note leaves the ticket row alone: its updated_at, last
        # activity and place in the lists are what the customer sees (SPEC §4).
        changed = []
        if not internal:
            locked.last_activity_at = now
            locked.message_count = F("message_count") + 1
            changed += ["last_activity_at", "updated_at", "message_count"]
            if staff:
                locked.last_staff_reply_at = now
                changed.append("last_staff_reply_at")
                if locked.first_response_at is None:
                    locked.first_response_at = now
                    locked.first_response_seconds = int(sla.calendar().between(locked.created_at, now).total_seconds())
                    changed += ["first_response_at", "first_response_seconds"]
                # A follow-up on a resolved ticket leaves it resolved; the
                # customer's answer is what reopens it.
                new_status = Status.AWAITING_CUSTOMER if old_status in OPEN_STATUSES else old_status
            else:
                locked.last_customer_message_at = now
                locked.requester_last_read_at = now
                changed += ["last_customer_message_at", "requester_last_read_at"]
                new_status = (
                    Status.IN_PROGRESS if old_status in (Status.AWAITING_CUSTOMER, Status.RESOLVED) else old_status
                )
            if new_status != old_status:
                changed += _apply_status(locked, new_status, now)
        locked.save(update_fields=sorted(set(changed)))
        locked.refresh_from_db(fields=["message_count"])
        if locked.status != old_status:
            _record(locked, TicketEvent.Kind.STATUS_CHANGED, author, old_status, locked.status)
            _on_commit_send(
                signals.ticket_status_changed, Ticket, ticket=locked, old=old_status, new=locked.status, actor=author
            )
        if not internal:
            kind = notifications.STAFF_REPLIED if staff else notifications.CUSTOMER_REPLIED
            notifications.notify(kind, locked, message)
        _on_commit_send(signals.message_posted, Message, ticket=locked, message=message)
        _copy_state(locked, ticket)
        return message

    return _run_with_files(work)


def _copy_state(source, target):
    """Reflect the saved row on the caller's instance."""
    if source is target:
        return
    for field in Ticket._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _apply_status(ticket, new, now):
    """Set ``status`` and the fields that follow from it; returns the changed field names.

    Validates the move against :data:`STATUS_TRANSITIONS`.
    """
    old = ticket.status
    if new not in STATUS_TRANSITIONS[Status(old)]:
        raise InvalidTransition(ticket, old, new)
    changed = ["status"]
    ticket.status = new
    cal = None
    # Pausing and resuming the resolution clock around awaiting_customer.
    if new == Status.AWAITING_CUSTOMER and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        changed.append("sla_paused_at")
    elif old == Status.AWAITING_CUSTOMER and ticket.sla_paused_at is not None:
        cal = sla.calendar()
        ticket.sla_paused_total += cal.between(ticket.sla_paused_at, now)
        ticket.sla_paused_at = None
        sla.recompute_due_times(ticket, cal)
        changed += ["sla_paused_at", "sla_paused_total", "resolution_due", "first_response_due"]
    if new == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    if new in (Status.RESOLVED, Status.CLOSED) and ticket.resolved_at is None:
        ticket.resolved_at = now
        cal = cal or sla.calendar()
        worked = cal.between(ticket.created_at, now) - ticket.sla_paused_total
        ticket.resolution_seconds = max(0, int(worked.total_seconds()))
        changed += ["resolved_at", "resolution_seconds"]
    elif new in OPEN_STATUSES and old == Status.RESOLVED:
        if ticket.resolved_at is not None:
            # The clock stood still while the ticket was resolved (the customer had the
            # ball, as in awaiting_customer): a reopened ticket is not overdue at once.
            cal = cal or sla.calendar()
            ticket.sla_paused_total += cal.between(ticket.resolved_at, now)
            sla.recompute_due_times(ticket, cal)
            changed += ["sla_paused_total", "resolution_due", "first_response_due"]
        ticket.resolved_at = None
        ticket.resolution_seconds = None
        changed += ["resolved_at", "resolution_seconds"]
    if new in OPEN_STATUSES and old not in OPEN_STATUSES:
        # Reopened: guard against duplicates again, unless a newer ticket took the key.
        key = duplicate_key(ticket.requester_id, ticket.department_id, ticket.subject, _description(ticket))
        if not Ticket.objects.filter(duplicate_key=key).exclude(pk=ticket.pk).exists():
            ticket.duplicate_key = key
            changed.append("duplicate_key")
    elif new not in OPEN_STATUSES and ticket.duplicate_key:
        ticket.duplicate_key = None
        changed.append("duplicate_key")
    return changed


def _description(ticket):
    first = Message.objects.filter(ticket=ticket).order_by("created_at", "id").values_list("body", flat=True).first()
    return first or ""


def change_status(ticket, new_status, *, by):
    """Move ``ticket`` to ``new_status``; raises :class:`InvalidTransition` for a move the workflow forbids."""
    if new_status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if new_status == Status.CLOSED:
        allowed = permissions.can_close(by, ticket) or permissions.can_manage(by, ticket)
    elif new_status == Status.IN_PROGRESS and ticket.status == Status.RESOLVED:
        allowed = permissions.can_reopen(by, ticket) or permissions.can_manage(by, ticket)
    else:
        allowed = permissions.can_manage(by, ticket)
    if not allowed:
        raise PermissionDenied

    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = locked.status
        if old == new_status:
            _copy_state(locked, ticket)
            return ticket
        now = timezone.now()
        changed = _apply_status(locked, new_status, now)
        locked.last_activity_at = now
        locked.save(update_fields=sorted(set(changed + ["last_activity_at", "updated_at"])))
        _record(locked, TicketEvent.Kind.STATUS_CHANGED, by, old, new_status)
        _on_commit_send(signals.ticket_status_changed, Ticket, ticket=locked, old=old, new=new_status, actor=by)
    _copy_state(locked, ticket)
    return ticket


def close(ticket, *, by):
    """Close ``ticket`` for good (requester or staff)."""
    return change_status(ticket, Status.CLOSED, by=by)


def resolve(ticket, *, by):
    return change_status(ticket, Status.RESOLVED, by=by)


def reopen(ticket, *, by):
    """Reopen a resolved ticket (back to ``in_progress``); closed tickets stay closed."""
    if ticket.status != Status.RESOLVED:
        if ticket.status == Status.CLOSED:
            raise TicketClosed(ticket)
        raise InvalidTransition(ticket, ticket.status, Status.IN_PROGRESS)
    return change_status(ticket, Status.IN_PROGRESS, by=by)


def change_priority(ticket, priority, *, by):
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if not permissions.can_manage(by, ticket):
        raise PermissionDenied
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = locked.priority
        if old != priority:
            locked.priority = priority
            locked.save(update_fields=["priority", "updated_at"])
            _record(locked, TicketEvent.Kind.PRIORITY_CHANGED, by, old, priority)
    _copy_state(locked, ticket)
    return ticket


def assign(ticket, assignee, *, by):
    """Give ``ticket`` to ``assignee`` (an agent of its department or a supervisor), or to nobody."""
    if not permissions.can_manage(by, ticket):
        raise PermissionDenied
    if assignee is not None and not (
        users.is_active(assignee) and permissions.can_be_assigned(assignee, ticket.department)
    ):
        raise ValidationError({"assignee": _("This person is not an agent of the ticket's department.")})
    with transaction.atomic():
        # No join on the nullable assignee: PostgreSQL refuses FOR UPDATE on an outer join.
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = locked.assignee
        if (old.pk if old else None) != (assignee.pk if assignee else None):
            locked.assignee = assignee
            locked.save(update_fields=["assignee", "updated_at"])
            _record(locked, TicketEvent.Kind.ASSIGNED, by, _user_label(old), _user_label(assignee))
            _on_commit_send(signals.ticket_assigned, Ticket, ticket=locked, old=old, new=assignee, actor=by)
    _copy_state(locked, ticket)
    ticket.assignee = assignee
    return ticket


def change_department(ticket, department, *, by):
    """Move ``ticket`` to another department's queue.

    The assignee is dropped when they do not answer for the new department,
    and the SLA deadlines follow the new department's targets.
    """
    if not permissions.can_manage(by, ticket):
        raise PermissionDenied
    if not department.active:
        raise ValidationError({"department": _("This department does not take new tickets.")})
    with transaction.atomic():
        # The nullable assignee is not joined: PostgreSQL refuses FOR UPDATE on an outer join.
        locked = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = locked.department
        if old.pk == department.pk:
            _copy_state(locked, ticket)
            return ticket
        locked.department = department
        changed = ["department", "updated_at", "first_response_due", "resolution_due", "last_activity_at"]
        old_assignee = locked.assignee
        if old_assignee and not permissions.can_be_assigned(old_assignee, department):
            locked.assignee = None
            changed.append("assignee")
        if locked.duplicate_key:
            key = duplicate_key(locked.requester_id, department.pk, locked.subject, _description(locked))
            locked.duplicate_key = None if Ticket.objects.filter(duplicate_key=key).exists() else key
            changed.append("duplicate_key")
        sla.recompute_due_times(locked)
        locked.last_activity_at = timezone.now()
        locked.save(update_fields=changed)
        _record(locked, TicketEvent.Kind.DEPARTMENT_CHANGED, by, old.name, department.name)
        if "assignee" in changed:
            _record(locked, TicketEvent.Kind.ASSIGNED, by, _user_label(old_assignee), "")
            _on_commit_send(signals.ticket_assigned, Ticket, ticket=locked, old=old_assignee, new=None, actor=by)
    _copy_state(locked, ticket)
    ticket.department = department
    return ticket


def update_ticket(ticket, *, by, **changes):
    """Apply several staff changes (``status``, ``priority``, ``assignee``, ``department``) at once, all or nothing."""
    with transaction.atomic():
        if "department" in changes and changes["department"] is not None:
            change_department(ticket, changes["department"], by=by)
        if "assignee" in changes:
            assign(ticket, changes["assignee"], by=by)
        if changes.get("priority"):
            change_priority(ticket, changes["priority"], by=by)
        if changes.get("status"):
            change_status(ticket, changes["status"], by=by)
    return ticket


def mark_read(ticket, user):
    """Remember that the requester has seen the thread (clears the unread marker)."""
    if permissions.is_requester(user, ticket) and ticket.has_unread_staff_reply:
        now = timezone.now()
        Ticket.objects.filter(pk=ticket.pk).update(requester_last_read_at=now)
        ticket.requester_last_read_at = now


def flag_breaches(now=None):
    """Record an ``sla_breached`` event, once, for each ticket past its SLA; returns how many were flagged."""
    now = now or timezone.now()
    flagged = 0
    candidates = Ticket.objects.breached(now).filter(sla_breached_at__isnull=True).values_list("pk", flat=True)
    for pk in list(candidates[:1000]):
        with transaction.atomic():
            updated = Ticket.objects.filter(pk=pk, sla_breached_at__isnull=True).update(sla_breached_at=now)
            if updated:
                TicketEvent.objects.create(ticket_id=pk, kind=TicketEvent.Kind.SLA_BREACHED, new_value=now.isoformat())
                flagged += 1
    return flagged


def auto_close_resolved(now=None):
    """Close tickets resolved more than ``AUTO_CLOSE_AFTER`` days ago; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=app_settings.AUTO_CLOSE_AFTER)
    closed = 0
    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True)
    for pk in list(due[:1000]):
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().filter(pk=pk, status=Status.RESOLVED).first()
            if locked is None:
                continue
            changed = _apply_status(locked, Status.CLOSED, now)
            locked.save(update_fields=sorted(set(changed + ["updated_at"])))
            _record(locked, TicketEvent.Kind.STATUS_CHANGED, None, Status.RESOLVED, Status.CLOSED)
            _on_commit_send(
                signals.ticket_status_changed, Ticket, ticket=locked, old=Status.RESOLVED, new=Status.CLOSED, actor=None
            )
            closed += 1
    return closed


def recompute_open_due_times(departments=None):
    """Recompute the SLA due times of open tickets from today's calendar and targets; returns how many moved.

    Due times are stored on the ticket, so after holidays, business hours or a
    department's targets change, run this (``helpdesk_tickets_housekeeping
    --recompute-due-times``). Each row is written only if its deadlines moved,
    and only if nothing that feeds them (department, status, first response,
    pause) changed meanwhile: a concurrent service call always wins.
    """
    cal = sla.calendar()
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).select_related("department").order_by("pk")
    if departments is not None:
        tickets = tickets.filter(department__in=departments)
    moved = 0
    for ticket in tickets.iterator(chunk_size=500):
        before = (ticket.first_response_due, ticket.resolution_due)
        sla.recompute_due_times(ticket, cal)
        if (ticket.first_response_due, ticket.resolution_due) == before:
            continue
        moved += Ticket.objects.filter(
            pk=ticket.pk,
            status__in=OPEN_STATUSES,
            department_id=ticket.department_id,
            status=ticket.status,
            first_response_at=ticket.first_response_at,
            sla_paused_at=ticket.sla_paused_at,
            sla_paused_total=ticket.sla_paused_total,
        ).update(
            first_response_due=ticket.first_response_due,
            resolution_due=ticket.resolution_due,
            sla_due=ticket.next_due(),
        )
    return moved


def _user_label(user):
    return users.display_name(user)


# --------------------------------------------------------------------------
# idempotency


def request_fingerprint(data):
    """A stable hash of a request's content, to tell a replay from a reused key."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def run_idempotent(*, user, key, fingerprint, operation):
    """Run ``operation()`` → ``(status, body)`` once per ``(user, key)``.

    A repeated key with the same request replays the stored ``(status, body)``
    and runs nothing; with a different request it raises
    :class:`IdempotencyKeyReused`. Returns ``(status, body, replayed)``.
    Concurrent requests with one key wait for the first and replay its answer;
    if the first failed (nothing was stored), the next one runs in its place.
    """
    with transaction.atomic():
        # One user's keyed requests queue on their user row. Racing on the
        # unique (user, key) insert instead would leave waiters holding
        # InnoDB's shared lock from the duplicate check; when the first
        # request rolls back they deadlock with each other, once per waiter.
        users.model()._default_manager.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        # A plain read after the lock: PostgreSQL's READ COMMITTED and
        # MariaDB's REPEATABLE READ (whose snapshot starts at this first
        # plain read) both see what the previous holder committed.
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is not None and stored.created_at < timezone.now() - app_settings.IDEMPOTENCY_KEY_TTL:
            stored.delete()
            stored = None
        if stored is not None:
            if stored.request_hash != fingerprint or stored.response_status is None:
                raise IdempotencyKeyReused()
            return stored.response_status, stored.response_body, True
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, request_hash=fingerprint)
        except IntegrityError:  # only if written outside this function
            raise IdempotencyKeyReused() from None
        status, body = operation()
        record.response_status, record.response_body = status, body
        record.save(update_fields=["response_status", "response_body"])
        return status, body, False
