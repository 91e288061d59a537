"""A ticket's audit trail: every event for its staff, the public part for its requester."""

from rest_framework import mixins, viewsets

from ... import permissions
from ...models import Ticket, TicketEvent
from .. import serializers as s
from ..pagination import EventCursorPagination
from ..schema import api_schema
from ._base import BAD_REQUEST, LIST_NOT_FOUND, REFERENCE_PARAMETER, HelpdeskAPIMixin, visible_ticket

#: What a requester who is not staff for the ticket sees of its trail (SPEC §6): it was opened, its status
#: moved. Never who it is assigned to, its priority or department moves, nor the SLA bookkeeping.
PUBLIC_EVENT_KINDS = (TicketEvent.Kind.CREATED, TicketEvent.Kind.STATUS_CHANGED)


class TicketEventViewSet(HelpdeskAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail of a ticket, oldest first."""

    serializer_class = s.TicketEventSerializer
    pagination_class = EventCursorPagination
    filter_backends = []
    schema_tags = ["tickets"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketEvent.objects.none()
        ticket = visible_ticket(self.request, self.kwargs["reference"], Ticket.objects.all())
        events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
        if not permissions.is_staff_for(self.request.user, ticket):
            events = events.filter(kind__in=PUBLIC_EVENT_KINDS)
        return events

    @api_schema(
        summary="List a ticket's events",
        operation_id="list_ticket_events",
        description=(
            "The audit trail, oldest first: opened, status, priority, assignee and department changes, SLA "
            "breaches, with who and when. The requester (when not staff) sees only its opening and status changes."
        ),
        parameters=[REFERENCE_PARAMETER],
        responses={200: s.TicketEventSerializer(many=True), 400: BAD_REQUEST, 404: LIST_NOT_FOUND},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
