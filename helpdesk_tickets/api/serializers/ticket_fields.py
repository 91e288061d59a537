"""The ticket types' fields in the API: how ``GET ticket-types/`` describes them, and ``fields`` of a ticket.

The values are read and checked by the service (``services.fields``), whose
errors are named ``fields.<key>``; here ``fields`` only has to be an object
(in multipart, a part holding that object as JSON text).
"""

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...choices import FieldKind

#: A stored value: text and choice a string, number a number, date ``YYYY-MM-DD``, checkbox a boolean.
VALUE_SCHEMA = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
VALUES_SCHEMA = {
    "type": "object",
    "additionalProperties": VALUE_SCHEMA,
    "description": "The values of the ticket type's fields by key (see `GET ticket-types/`).",
}
#: Longest ``fields`` text a multipart request may send.
MAX_FIELDS_TEXT = 20000


class FieldChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)


class TicketFieldSerializer(serializers.Serializer):
    """A field a ticket of this type is asked for, in the caller's language."""

    key = serializers.CharField(read_only=True, help_text=gettext_lazy("The key of its value in `fields`."))
    label = serializers.CharField(read_only=True)
    help_text = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=FieldKind.choices, read_only=True)
    required = serializers.BooleanField(read_only=True)
    choices = FieldChoiceSerializer(
        many=True, read_only=True, help_text=gettext_lazy("The answers of a `choice` field; empty for the others.")
    )

    def to_representation(self, field):
        return {
            "key": field.key,
            "label": str(field.display_label),
            "help_text": str(field.display_help),
            "kind": field.kind,
            "required": field.required,
            "choices": [{"value": value, "label": str(label)} for value, label in field.choice_options()],
        }


@extend_schema_field(VALUES_SCHEMA)
class FieldValuesField(serializers.Field):
    """``{key: value}`` sent to open a ticket (JSON). The service checks each value."""

    default_error_messages = {"invalid": gettext_lazy("An object of field keys and values is expected.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        kwargs.setdefault("help_text", gettext_lazy("The values of the ticket type's fields by key."))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
            self.fail("invalid")
        for value in data.values():
            if isinstance(value, dict | list):
                raise serializers.ValidationError(_("Each value is a string, a number or a boolean."))
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(
    {
        "type": "string",
        "description": 'The values of the ticket type\'s fields as a JSON object, e.g. {"invoice_number": "INV-1"}.',
    }
)
class FieldValuesTextField(FieldValuesField):
    """``fields`` in a multipart request: the same object, as JSON text in one part."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            if not data.strip():
                return {}
            if len(data) > MAX_FIELDS_TEXT:
                self.fail("invalid")
            try:
                data = json.loads(data)
            except (ValueError, RecursionError):
                self.fail("invalid")
        return super().to_internal_value(data)
