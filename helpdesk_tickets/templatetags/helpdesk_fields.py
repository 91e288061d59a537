"""Showing the values of a ticket's fields: the staff ticket page, the export, the customer's thread.

``{% load helpdesk_fields %}``; :func:`field_rows` is the one reading of a
ticket's values against its type's fields, so a field removed from the type
still shows (under its key when its definition is gone) and a required one
the ticket lacks is marked missing.
"""

from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _

from ..choices import FieldKind
from ..models import TicketField
from ..services.fields import error_key, is_missing, parse_date
from .helpdesk_tickets import helpdesk_date, localize_digits

register = template.Library()


@dataclass
class FieldRow:
    """One line of a ticket's fields as staff read it."""

    key: str
    label: str
    value: object
    text: str
    field: object = None  #: the TicketField, None when the type no longer has one with this key

    @property
    def missing(self):
        """A required field of the type without a value (an older ticket, or one that came by e-mail)."""
        return self.field is not None and self.field.required and self.field.active and is_missing(self.value)

    @property
    def removed(self):
        """The value of a field the type no longer asks for."""
        return self.field is None or not self.field.active

    @property
    def filter_value(self):
        """The queue filter (``field=key:value``) that finds the tickets with this value."""
        if is_missing(self.value):
            return ""
        value = self.value
        if isinstance(value, bool):
            value = "true" if value else "false"
        return f"{self.key}:{value}"


def value_text(field, value):
    """``value`` (as stored) as a person reads it in the active language; "" when there is none."""
    if is_missing(value):
        return ""
    kind = field.kind if field is not None else None
    if isinstance(value, bool) or kind == FieldKind.CHECKBOX:
        return _("yes") if value is True else _("no") if value is False else str(value)
    if kind == FieldKind.CHOICE:
        return dict(field.choice_options()).get(value, str(value))
    if kind == FieldKind.DATE:
        try:
            return helpdesk_date(parse_date(value))
        except ValueError:
            return str(value)
    if isinstance(value, int | float):
        return localize_digits(value)
    return str(value)


def field_rows(values, fields):
    """``values`` (a ticket's ``field_values``) against ``fields`` (every field of its type, inactive ones
    too): the type's fields in order, then the values of fields it no longer has."""
    values = values or {}
    rows, seen = [], set()
    for field in fields:
        value = values.get(field.key)
        if not field.active and is_missing(value):
            continue
        seen.add(field.key)
        rows.append(FieldRow(field.key, str(field.display_label), value, value_text(field, value), field))
    for key, value in values.items():
        if key not in seen:
            rows.append(FieldRow(key, key, value, value_text(None, value)))
    return rows


@register.simple_tag
def ticket_field_rows(ticket, fields):
    """``{% ticket_field_rows ticket fields as rows %}``."""
    return field_rows(ticket.field_values, fields)


@register.simple_tag
def ticket_answers(ticket):
    """``{% ticket_answers ticket as answers %}``: what the customer answered to the type's fields, as they
    are asked now (a removed field's value is for staff); no query for a ticket without values."""
    if not ticket.field_values:
        return []
    fields = TicketField.objects.filter(ticket_type_id=ticket.ticket_type_id, active=True).order_by("ordering", "id")
    return [row for row in field_rows(ticket.field_values, fields) if row.field is not None and row.text]


@register.filter
def ticket_field_inputs(form):
    """The bound fields of the ticket fields ``form`` asks (``field_forms.add_ticket_fields``), in order."""
    return [form[error_key(field.key)] for field in getattr(form, "ticket_fields", ())]
