"""Pagination of the REST API (fixed here, whatever the host's ``DEFAULT_PAGINATION_CLASS``)."""

from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework.exceptions import NotFound
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


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination; a cursor whose position does not fit the ordering is "Invalid cursor" (404)."""

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
