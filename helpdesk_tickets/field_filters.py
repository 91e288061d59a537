"""``field=key:value``: the queue's and the API's filter on the values of the ticket types' fields.

The value is read as the fields with that key store theirs (services.fields:
a number in any digits, a date also in Jalali, yes/no), so ``field=amount:۱۲``
finds the tickets whose ``amount`` is 12; a text field matches a part, case
aside. A key no type has any more still finds the tickets that kept it. A value
no field with that key could hold is a 400 naming ``field`` (the API), or no
filter (the queue's stale links).
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import FieldKind
from .models import TicketField
from .models.fields import KEY_MAX_LENGTH, KEY_PATTERN
from .services.fields import parse_checkbox, parse_date, parse_number

#: ``field`` values one request may give.
MAX_FIELD_FILTERS = 5
MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class FieldMatch:
    key: str
    #: ``(lookup, value)`` pairs on ``field_values__<key>``, any of which matches.
    lookups: tuple

    def q(self):
        match = Q()
        for lookup, value in self.lookups:
            # KEY_PATTERN has no "__": the key is one step of the JSON path, whatever its name.
            match |= Q(**{f"field_values__{self.key}__{lookup}": value})
        return match


def _lookups(kind, value):
    """The lookup that finds ``value`` in a field of ``kind``, or None when such a field cannot hold it."""
    try:
        if kind == FieldKind.NUMBER:
            return ("exact", parse_number(value))
        if kind == FieldKind.DATE:
            return ("exact", parse_date(value).isoformat())
        if kind == FieldKind.CHECKBOX:
            return ("exact", parse_checkbox(value))
    except ValueError:
        return None
    if kind == FieldKind.CHOICE:
        return ("exact", value)
    return ("icontains", value)


class FieldValueField(forms.Field):
    """Repeatable ``key:value``; cleaned to :class:`FieldMatch` es (one query for the keys' kinds)."""

    widget = forms.MultipleHiddenInput  # reads every value of a repeated parameter

    def to_python(self, value):
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        pairs = []
        for item in values:
            item = str(item).strip()
            if not item:
                continue
            key, sep, text = item.partition(":")
            key, text = key.strip(), text.strip()
            if not sep or not KEY_PATTERN.match(key) or len(key) > KEY_MAX_LENGTH or not text:
                raise ValidationError(_("Write a field as key:value, e.g. invoice_number:INV-1001."), code="invalid")
            if len(text) > MAX_VALUE_LENGTH or "\x00" in text:
                raise ValidationError(_("This value is too long."), code="max_length")
            pairs.append((key, text))
        if len(pairs) > MAX_FIELD_FILTERS:
            raise ValidationError(_("At most %(count)d fields.") % {"count": MAX_FIELD_FILTERS}, code="max_fields")
        if not pairs:
            return []
        kinds = {}
        for key, kind in TicketField.objects.filter(key__in={key for key, _text in pairs}).values_list("key", "kind"):
            kinds.setdefault(key, set()).add(kind)
        matches = []
        for key, text in pairs:
            # A key without a definition (removed from every type): its values are compared as text.
            lookups = {_lookups(kind, text) for kind in sorted(kinds.get(key) or {FieldKind.TEXT})} - {None}
            if not lookups:
                raise ValidationError(
                    _("No field “%(key)s” can have the value “%(value)s”.") % {"key": key, "value": text},
                    code="invalid",
                )
            matches.append(FieldMatch(key, tuple(sorted(lookups, key=repr))))
        return matches


class FieldValueFilter(django_filters.Filter):
    field_class = FieldValueField

    def filter(self, qs, value):
        for match in value or ():
            qs = qs.filter(match.q())
        return qs
