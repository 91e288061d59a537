"""The error answers, as the schema documents them."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers


def _code(code, description):
    """The ``code`` of an error body that has just one (an enum of one value in the schema)."""
    field_class = type("CodeField", (serializers.CharField,), {})
    extend_schema_field({"type": "string", "enum": [code], "description": description})(field_class)
    return field_class()


class ErrorSerializer(serializers.Serializer):
    """Any error that is not about a field of the request."""

    detail = serializers.CharField(help_text="What went wrong, in the caller's language (for people).")
    code = serializers.CharField(help_text="A stable machine code (for programs): see the API documentation.")


class DuplicateSerializer(serializers.Serializer):
    """An open ticket of yours already asks the same: reply there."""

    detail = serializers.CharField()
    code = _code("duplicate", "This ticket duplicates an open one.")
    duplicate_of = serializers.CharField(help_text="Reference of the open ticket asking the same.")


class OpenTicketLimitSerializer(serializers.Serializer):
    """You have as many open tickets as the site allows."""

    detail = serializers.CharField()
    code = _code("open_ticket_limit", "Too many open tickets.")


class TicketClosedSerializer(serializers.Serializer):
    """The ticket is closed for good: open a new one."""

    detail = serializers.CharField()
    code = _code("ticket_closed", "The ticket is closed.")


class InvalidTransitionSerializer(serializers.Serializer):
    """The status workflow forbids this move."""

    status = serializers.ListField(child=serializers.CharField(), help_text="The same message, on the field.")
    detail = serializers.CharField()
    code = _code("invalid_transition", "The workflow forbids this status move.")


#: The 409 of ``POST tickets/``, told apart by ``code``.
TICKET_CREATE_CONFLICT = PolymorphicProxySerializer(
    component_name="TicketCreateConflict",
    serializers={"duplicate": DuplicateSerializer, "open_ticket_limit": OpenTicketLimitSerializer},
    resource_type_field_name="code",
    many=False,
)
