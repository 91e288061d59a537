"""Pagination of the REST API (fixed here, whatever the host's ``DEFAULT_PAGINATION_CLASS``)."""

from rest_framework.pagination import CursorPagination


class TicketCursorPagination(CursorPagination):
    """Ticket lists: stable pages while tickets are added or change (newest activity first).

    The ordering comes from the ``ordering`` query parameter (see
    :class:`~helpdesk_tickets.api.filters.TicketOrderingFilter`).
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-last_activity_at", "-id")


class MessageCursorPagination(CursorPagination):
    """A ticket's thread, oldest first, as it reads."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("id",)
