"""The form fields of a ticket type's fields, for step 3, the phone form and the staff edit.

Each is named ``fields.<key>``, the name the service gives its errors, so a
refused value lands on its own field (:func:`views.errors.add_service_error`).
The forms only collect what was typed; the values are read and checked by
:mod:`helpdesk_tickets.services.fields`. A date is a native date input in
English and, in Persian, a text entry of the Jalali date (Persian or Latin
digits), which the service reads as Jalali by its year. :func:`fields_context`
is what the staff ticket page shows of them.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import permissions
from .choices import FieldKind
from .models import TicketField
from .services.fields import MAX_TEXT_LENGTH, asked_fields, error_key, parse_date
from .templatetags.helpdesk_fields import field_rows
from .templatetags.helpdesk_tickets import localize_digits, use_jalali


class JalaliDateInput(forms.TextInput):
    """A Jalali date typed as year/month/day; a stored (Gregorian) date is shown in Jalali."""

    def __init__(self, attrs=None):
        base = {
            "dir": "ltr",
            "inputmode": "numeric",
            "autocomplete": "off",
            "placeholder": localize_digits("1403/05/12"),
            "pattern": r"\s*[0-9۰-۹٠-٩]{4}\s*[/.\-]\s*[0-9۰-۹٠-٩]{1,2}\s*[/.\-]\s*[0-9۰-۹٠-٩]{1,2}\s*",
        }
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, str) and value:
            try:
                value = parse_date(value)
            except ValueError:
                return value
        if isinstance(value, datetime.date):
            import jdatetime

            return localize_digits(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"))
        return super().format_value(value)


class NativeDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def form_field(field, *, required=None):
    """The Django form field asking ``field`` (a :class:`~helpdesk_tickets.models.TicketField`)."""
    required = field.required if required is None else required
    common = {"label": field.display_label, "help_text": field.display_help, "required": required}
    kind = field.kind
    if kind == FieldKind.CHOICE:
        options = [("", pgettext_lazy("field choice", "— Choose —")), *field.choice_options()]
        return forms.ChoiceField(choices=options, **common)
    if kind == FieldKind.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldKind.DATE:
        widget = JalaliDateInput() if use_jalali() else NativeDateInput()
        if use_jalali() and not common["help_text"]:
            common["help_text"] = _("Year/month/day in the Persian calendar, e.g. %(example)s.") % {
                "example": localize_digits("1403/05/12")
            }
        return forms.CharField(max_length=40, widget=widget, **common)
    if kind == FieldKind.NUMBER:
        return forms.CharField(
            max_length=40, widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "decimal"}), **common
        )
    return forms.CharField(max_length=MAX_TEXT_LENGTH, widget=forms.TextInput(attrs={"dir": "auto"}), **common)


def add_ticket_fields(form, fields, *, values=None, required=None):
    """Add the form fields of ``fields`` to ``form`` (``values``: the stored values, as initial data).

    ``required=False`` asks nothing as required (the staff edit: an old
    ticket may lack a field that became required later).
    """
    values = values or {}
    for field in fields:
        name = error_key(field.key)
        form.fields[name] = form_field(field, required=required)
        if field.key in values:
            form.initial[name] = values[field.key]
    form.ticket_fields = list(fields)
    return form


def add_chosen_type_fields(form, name="ticket_type"):
    """Add the fields of the ticket type chosen in ``form``'s select ``name`` (the phone form, where the
    type is picked on the same page): a first send without them is refused naming each, shown then."""
    raw = form.data.get(name) if form.is_bound else form.initial.get(name)
    try:
        chosen = form.fields[name].clean(raw) if raw else None
    except ValidationError:
        chosen = None
    if chosen is not None:
        add_ticket_fields(form, asked_fields(chosen))
    return form


def ticket_field_values(form):
    """``{key: typed value}`` of the ticket fields ``form`` asked (see :func:`add_ticket_fields`)."""
    data = form.cleaned_data
    return {field.key: data.get(error_key(field.key)) for field in getattr(form, "ticket_fields", ())}


def type_fields(ticket):
    """Every field of the ticket's type, inactive ones too (their values stay readable): one query."""
    return list(TicketField.objects.filter(ticket_type_id=ticket.ticket_type_id).order_by("ordering", "id"))


def fields_form(ticket, fields, data=None):
    """The staff edit of the active fields; nothing is asked as required (an old ticket may lack one)."""
    form = forms.Form(data, prefix=None)
    return add_ticket_fields(
        form, [field for field in fields if field.active], values=ticket.field_values, required=False
    )


def fields_context(ticket, user):
    """What the staff ticket page shows of the fields (``field_rows``, ``fields_form``); one query."""
    fields = type_fields(ticket)
    rows = field_rows(ticket.field_values, fields)
    editable = permissions.can_manage(user, ticket) and any(field.active for field in fields)
    return {
        "field_rows": rows,
        "fields_missing": [row for row in rows if row.missing],
        "fields_form": fields_form(ticket, fields) if editable else None,
    }
