"""The values of a ticket type's fields: read, checked and stored the same for every channel.

A value is kept on the ticket (``Ticket.field_values``) in one form per kind,
the form the API shows: text and choice as a string, number as a JSON number,
date as ``YYYY-MM-DD`` (Gregorian), checkbox as a boolean. What a person may
type (Persian or Arabic-Indic digits, a Jalali date, "yes") is read here and
nowhere else, so the web form, the API, the phone form, the staff edit and
the queue filter agree.

Changing a type's fields never rewrites a ticket: only the fields a ticket is
asked for now are checked, a value of a removed field stays where it is.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import permissions
from ..choices import Channel, FieldKind
from ..models import Ticket, TicketEvent, TicketField
from ..text import latin_digits
from . import _transactions as tx

#: The longest text value.
MAX_TEXT_LENGTH = 500
#: Significant digits a number may have: every such number is exact as a JSON (double) number.
MAX_NUMBER_DIGITS = 15
#: Dates outside these years are a typing mistake, not a date a ticket is about.
MIN_YEAR, MAX_YEAR = 1900, 2199
#: A year below this is read as a Jalali (Solar Hijri) one: 1403/05/12.
JALALI_BEFORE = 1700
#: Channels that cannot ask the customer again: a required field may be missing there (staff see it).
UNASKED_CHANNELS = frozenset({Channel.EMAIL})

_TRUE = frozenset({"1", "true", "yes", "on", "y", "بله", "آری"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "خیر", "نه"})
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*$")


def error_key(key):
    """The name of a field's errors: ``fields.<key>`` (the API's 400, the web form's field)."""
    return f"fields.{key}"


def asked_fields(ticket_type):
    """The active fields a new ticket of ``ticket_type`` is asked for, in order (one query)."""
    return list(TicketField.objects.filter(ticket_type=ticket_type, active=True).order_by("ordering", "id"))


def is_missing(value):
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(raw):
    """A ``date`` from a date, or ``YYYY-MM-DD`` / ``YYYY/MM/DD`` in any digits; a year below
    :data:`JALALI_BEFORE` is Jalali. Raises ``ValueError``."""
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, datetime.date):
        value = raw
    else:
        match = _DATE.match(latin_digits(str(raw)))
        if not match:
            raise ValueError(raw)
        year, month, day = (int(part) for part in match.groups())
        if year < JALALI_BEFORE:
            import jdatetime

            value = jdatetime.date(year, month, day).togregorian()
        else:
            value = datetime.date(year, month, day)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(raw)
    return value


def parse_number(raw):
    """An ``int`` or ``float`` from a number or its text in any digits ("۱۲٫۵", "1,200"). Raises ``ValueError``."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int | float | Decimal):
        text = str(raw)
    elif isinstance(raw, str):
        text = latin_digits(raw).strip().replace("\u066b", ".").replace("\u066c", "").replace(",", "")
        text = text.replace("\u2212", "-")
    else:
        raise ValueError(raw)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(raw) from exc
    if not number.is_finite() or len(number.normalize().as_tuple().digits) > MAX_NUMBER_DIGITS:
        raise ValueError(raw)
    if abs(number) >= Decimal(10) ** MAX_NUMBER_DIGITS:
        raise ValueError(raw)
    return int(number) if number == number.to_integral_value() else float(number)


def parse_checkbox(raw):
    if isinstance(raw, bool):
        return raw
    text = latin_digits(str(raw)).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(raw)


def parse_value(field, raw):
    """``raw`` as ``field`` stores it, or None when it is empty. Raises ``ValidationError`` (a message)."""
    if is_missing(raw) and field.kind != FieldKind.CHECKBOX:
        return None
    if raw is None:
        return None
    kind = field.kind
    try:
        if kind == FieldKind.TEXT:
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                raise ValueError(raw)
            text = " ".join(str(raw).split())
            if len(text) > MAX_TEXT_LENGTH:
                raise ValidationError(_("At most %(max)d characters.") % {"max": MAX_TEXT_LENGTH}, code="max_length")
            if "\x00" in text:
                raise ValueError(raw)
            return text
        if kind == FieldKind.NUMBER:
            return parse_number(raw)
        if kind == FieldKind.DATE:
            return parse_date(raw).isoformat()
        if kind == FieldKind.CHECKBOX:
            return parse_checkbox(raw)
        if kind == FieldKind.CHOICE:
            value = raw.strip() if isinstance(raw, str) else raw
            if value not in field.choice_values():
                raise ValidationError(_("Choose one of the offered answers."), code="invalid_choice")
            return value
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(_INVALID[kind](), code="invalid") from exc
    raise ValidationError(_("This field cannot be answered."), code="invalid")


_INVALID = {
    FieldKind.TEXT: lambda: _("Enter some text."),
    FieldKind.NUMBER: lambda: _("Enter a number."),
    FieldKind.DATE: lambda: _("Enter a valid date (year/month/day)."),
    FieldKind.CHECKBOX: lambda: _("Enter yes or no."),
    FieldKind.CHOICE: lambda: _("Choose one of the offered answers."),
}


def _required_message(field):
    if field.kind == FieldKind.CHECKBOX:
        return _("Please tick “%(label)s”.") % {"label": field.display_label}
    return _("%(field)s is required.") % {"field": field.display_label}


def clean_field_values(ticket_type, values, *, require=True, fields=None):
    """The values of a new ticket of ``ticket_type``, checked and in their stored form.

    ``values`` maps keys to what was typed or sent (None or absent: not
    given). Every field's errors are collected, each under ``fields.<key>``;
    a key the type does not ask for is one too. With ``require=False`` (a
    channel that cannot ask back, e-mail) a missing required field is no
    error. ``fields``: the type's asked fields when the caller has them.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"fields": _("An object of field keys and values is expected.")})
    fields = asked_fields(ticket_type) if fields is None else fields
    by_key = {field.key: field for field in fields}
    errors, cleaned = {}, {}
    for key in values:
        if key not in by_key:
            errors[error_key(str(key)[:60])] = [_("This ticket type has no such field.")]
    for field in fields:
        try:
            value = parse_value(field, values.get(field.key))
        except ValidationError as exc:
            errors[error_key(field.key)] = exc.messages
            continue
        if require and field.required and (value is None or (field.kind == FieldKind.CHECKBOX and not value)):
            errors[error_key(field.key)] = [_required_message(field)]
        elif value is not None:
            cleaned[field.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def requires_fields(channel):
    """Whether a ticket from ``channel`` must answer the required fields (e-mail cannot be asked)."""
    return channel not in UNASKED_CHANNELS


def missing_required(ticket, fields):
    """The required ``fields`` (of the ticket's type) that ``ticket`` has no value for."""
    values = ticket.field_values or {}
    return [field for field in fields if field.required and field.active and is_missing(values.get(field.key))]


def set_field_values(ticket, values, *, actor):
    """Staff change the values of ``ticket``'s fields: ``{key: value}``, an empty value clears one.

    Only the keys given are looked at, so a ticket opened before a field
    became required is not refused for lacking it; a required field that has
    a value cannot be emptied. Each change is an event (``field_changed``:
    ``key: old`` → ``key: new``). Raises ``PermissionDenied`` for anyone but
    the ticket's staff, ``ValidationError`` naming ``fields.<key>``.
    """
    if not permissions.can_manage(actor, ticket):
        raise PermissionDenied
    fields = {field.key: field for field in TicketField.objects.filter(ticket_type_id=ticket.ticket_type_id)}
    errors, parsed = {}, {}
    for key, raw in values.items():
        field = fields.get(key)
        if field is None:
            errors[error_key(str(key)[:60])] = [_("This ticket type has no such field.")]
            continue
        try:
            parsed[key] = parse_value(field, raw)
        except ValidationError as exc:
            errors[error_key(key)] = exc.messages
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        current = dict(locked.field_values or {})
        for key, value in parsed.items():
            if value is None and fields[key].required and fields[key].active and not is_missing(current.get(key)):
                errors[error_key(key)] = [_required_message(fields[key])]
        if errors:
            raise ValidationError(errors)
        changed = [key for key, value in parsed.items() if current.get(key) != value]
        for key in changed:
            old = current.get(key)
            if parsed[key] is None:
                current.pop(key, None)
            else:
                current[key] = parsed[key]
            tx.record(
                locked, TicketEvent.Kind.FIELD_CHANGED, actor, _event_text(key, old), _event_text(key, parsed[key])
            )
        if changed:
            locked.field_values = current
            locked.save(update_fields=["field_values", "updated_at"])
    tx.copy_state(locked, ticket)
    return changed


def _event_text(key, value):
    if value is None:
        return f"{key}:"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{key}: {value}"
