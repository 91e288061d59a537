"""Tickets: list, open (with ``Idempotency-Key``), read, staff changes, close and reopen."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import permissions, services
from ...models import Channel, Status, Ticket
from .. import serializers as s
from ..filters import OnDemandFilterBackend, TicketFilterSet, TicketOrderingFilter
from ..idempotency import files_fingerprint
from ..pagination import TicketCursorPagination
from ..schema import api_schema
from ._base import (
    COMMON_ERRORS,
    DETAIL,
    ERROR,
    IDEMPOTENCY_HEADER,
    REFERENCE_PARAMETER,
    REFERENCE_PATTERN,
    STORAGE_DOWN,
    THROTTLED,
    HelpdeskAPIMixin,
    idempotent,
    slug_of,
)

CREATE_EXAMPLES = [
    OpenApiExample(
        "Open a ticket",
        request_only=True,
        value={
            "department": "billing",
            "ticket_type": "question",
            "product": "hosting",
            "subject": "Invoice shows the wrong plan",
            "description": "My March invoice lists the Pro plan but I am on Basic.",
        },
    ),
    OpenApiExample(
        "Duplicate",
        response_only=True,
        status_codes=["409"],
        value={
            "detail": "You already sent this request as ticket HD-7K3M9QXA; please reply there instead.",
            "code": "duplicate",
            "duplicate_of": "HD-7K3M9QXA",
        },
    ),
]


class TicketViewSet(HelpdeskAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tickets: a customer's own; an agent's departments' (and own); all for a supervisor."""

    serializer_class = s.TicketSerializer
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    pagination_class = TicketCursorPagination
    filter_backends = [OnDemandFilterBackend, TicketOrderingFilter]
    filterset_class = TicketFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    schema_tags = ["tickets"]

    def get_queryset(self):
        queryset = Ticket.objects.visible_to(self.request.user)
        return queryset.for_api_list() if self.action == "list" else queryset.with_related()

    def get_object(self):
        # Filters and ordering apply to the list only.
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])

    def get_write_throttle_scope(self):
        # Opening a ticket counts; closing and reopening do not.
        return "ticket_create" if self.action == "create" else None

    def ticket_data(self, ticket):
        return self.get_serializer(ticket).data

    def _render(self, ticket, status_code=status.HTTP_200_OK):
        ticket = Ticket.objects.with_related().get(pk=ticket.pk)
        return Response(self.ticket_data(ticket), status=status_code)

    @api_schema(responses={200: s.TicketSerializer(many=True), 400: ERROR, 404: DETAIL, **COMMON_ERRORS})
    def list(self, request, *args, **kwargs):
        """Paginated by cursor (follow `next`); filters and `ordering` as documented."""
        return super().list(request, *args, **kwargs)

    @api_schema(
        request={"application/json": s.TicketCreateSerializer, "multipart/form-data": s.TicketCreateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: s.TicketSerializer,
            400: ERROR,
            409: OpenApiResponse(
                s.DuplicateSerializer,
                description=gettext_lazy(
                    "Duplicate of an open ticket (with duplicate_of), or the open-ticket limit (detail only)."
                ),
            ),
            422: DETAIL,
            **STORAGE_DOWN,
            **COMMON_ERRORS,
            **THROTTLED,
        },
        examples=CREATE_EXAMPLES,
    )
    def create(self, request, *args, **kwargs):
        """Open a ticket (channel `api`, requester: you). JSON, or multipart/form-data with `attachments`."""
        serializer = s.TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def operation():
            ticket = services.create_ticket(
                requester=request.user,
                department=data["department"],
                ticket_type=data["ticket_type"],
                product=data.get("product"),
                subject=data["subject"],
                description=data["description"],
                attachments=data["attachments"],
                channel=Channel.API,
            )
            # Rendered as written: the department, type and product are the
            # validated ones, the requester is you, there is no assignee yet.
            return status.HTTP_201_CREATED, self.ticket_data(ticket)

        fingerprint = {
            "department": slug_of(data["department"]),
            "ticket_type": slug_of(data["ticket_type"]),
            "product": slug_of(data.get("product")),
            "subject": data["subject"],
            "description": data["description"],
            "attachments": files_fingerprint(data["attachments"]),
        }
        return idempotent(request, fingerprint, operation)

    @api_schema(parameters=[REFERENCE_PARAMETER], responses={200: s.TicketSerializer, 404: DETAIL, **COMMON_ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return Response(self.ticket_data(self.get_object()))

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        request=s.TicketUpdateSerializer,
        responses={200: s.TicketSerializer, 400: ERROR, 404: DETAIL, **COMMON_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        """Staff only: change `status`, `priority`, `assignee` (username or null), `department` (slug)."""
        ticket = self.get_object()
        if not permissions.can_manage(request.user, ticket):
            raise PermissionDenied
        serializer = s.TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_ticket(ticket, actor=request.user, **serializer.validated_data)
        return self._render(ticket)

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={200: s.TicketSerializer, 404: DETAIL, 409: DETAIL, **COMMON_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        """Close the ticket for good (requester or staff); closing a closed ticket changes nothing."""
        ticket = self.get_object()
        if ticket.status != Status.CLOSED:
            services.close(ticket, actor=request.user)
        return self._render(ticket)

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={200: s.TicketSerializer, 400: ERROR, 404: DETAIL, 409: DETAIL, **COMMON_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        """Reopen a resolved ticket (back to `in_progress`); a closed one is a 409, others a 400."""
        ticket = self.get_object()
        services.reopen(ticket, actor=request.user)
        return self._render(ticket)
