"""Pagination of the REST API (fixed here, whatever the host's ``DEFAULT_PAGINATION_CLASS``)."""

import re
from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


def ordering_field(queryset, name):
    """The model field or annotation that ``queryset`` is ordered by under ``name``."""
    try:
        return queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return queryset.query.annotations[name].output_field


def check_position(field, position):
    """Raise ``ValueError`` unless ``position`` is a value ``field`` can compare against on this database.

    A cursor is the client's to send back, so its position is as untrusted as
    any query parameter: it must parse as the field's type, fit its range
    (integers) and be an aware date-time that exists in UTC, or the query
    fails in the database (a 500, differently on each backend).
    """
    if "\x00" in position:
        raise ValueError("NUL in a cursor position")
    try:
        value = field.to_python(position)
        field.run_validators(value)
    except DjangoValidationError as exc:
        raise ValueError(position) from exc
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError("a cursor position is an aware date-time")
        try:
            value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError(position) from exc


_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination; a cursor whose position does not fit the ordering is "Invalid cursor" (404).

    Its schema states the page size's bounds and shows example links that are
    valid URLs of this API (``example_path``).
    """

    #: The list's path in the schema's example links.
    example_path = "/api/tickets/"

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset = queryset  # decode_cursor checks the position against its ordering field
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                check_position(ordering_field(self._queryset, self.ordering[0].lstrip("-")), cursor.position)
            except ValueError as exc:
                raise NotFound(self.invalid_cursor_message) from exc
        return cursor

    def get_page_size(self, request):
        # The schema states the bounds, so a page size outside them is a 400 naming it, not silently changed.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [_("Use a whole number from 1 to %(max)d.") % {"max": self.max_page_size}]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "Opaque position in the list: take it from the `next` or `previous` link, never build it. "
                    "A cursor that was not made by the API is a 404."
                )
            elif parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page: {self.page_size} by default, at most {self.max_page_size}; "
                    "anything else is a 400."
                )
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters

    def get_paginated_response_schema(self, schema):
        example = f"https://support.example.com{self.example_path}?{self.cursor_query_param}="
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last one.",
                    "example": f"{example}cD0yMDI2LTAzLTAxKzA5JTNBMzAlM0EwMi4wMDQxMTMlMkIwMCUzQTAw",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page, or null on the first one.",
                    "example": f"{example}cj0xJnA9MjAyNi0wMy0wMSswOSUzQTMwJTNBMDIuMDA0MTEzJTJCMDAlM0EwMA",
                },
                "results": schema,
            },
        }


class TicketCursorPagination(CheckedCursorPagination):
    """Ticket lists: stable pages while tickets are added or change (newest activity first).

    The ordering comes from the ``ordering`` query parameter (see
    :class:`~helpdesk_tickets.api.filters.TicketOrderingFilter`).
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-last_activity_at", "-id")


class MessageCursorPagination(CheckedCursorPagination):
    """A ticket's thread, oldest first, as it reads."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("id",)
    example_path = "/api/tickets/HD-7K3M9QXA/messages/"


class EventCursorPagination(CheckedCursorPagination):
    """A ticket's audit trail, oldest first."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("id",)
    example_path = "/api/tickets/HD-7K3M9QXA/events/"
