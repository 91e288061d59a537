"""Tickets: list, open (with ``Idempotency-Key``; staff on a customer's behalf), read (``ETag``), staff
changes, close and reopen."""

import hashlib
import json
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ... import permissions, services
from ...models import Channel, Message, Status, Ticket
from .. import serializers as s
from ..filters import OnDemandFilterBackend, TicketFilterSet, TicketOrderingFilter
from ..idempotency import files_fingerprint
from ..pagination import TicketCursorPagination
from ..parsers import JSONParser
from ..schema import api_schema
from ._base import (
    BAD_REQUEST,
    IDEMPOTENCY_HEADER,
    KEY_REUSED,
    LIST_NOT_FOUND,
    NOT_FOUND,
    REFERENCE_PARAMETER,
    REFERENCE_PATTERN,
    STORAGE_DOWN,
    THROTTLED,
    TOO_LARGE,
    HelpdeskAPIMixin,
    error,
    idempotent,
    slug_of,
)
from .merge import MOVED, MergeActionMixin, moved

_OPEN_A_TICKET = {
    "department": "billing",
    "ticket_type": "question",
    "product": "hosting",
    "subject": "Invoice shows the wrong plan",
    "description": "My March invoice lists the Pro plan but I am on Basic.",
}
CREATE_EXAMPLES = [
    OpenApiExample("Open a ticket", request_only=True, value=_OPEN_A_TICKET),
    OpenApiExample(
        "Open a ticket for a customer who called",
        request_only=True,
        value={**_OPEN_A_TICKET, "requester": "customer", "channel": "phone"},
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
    OpenApiExample(
        "Open-ticket limit",
        response_only=True,
        status_codes=["409"],
        value={
            "detail": "You have 3 open tickets; please wait for an answer before opening another.",
            "code": "open_ticket_limit",
        },
    ),
]

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the copy you hold: the answer is a 304 without a body while it is still current.",
)

#: Fields of a new ticket that only staff may send (opening it on a customer's behalf).
STAFF_CREATE_FIELDS = ("requester", "channel")


def is_form(request):
    """Whether the request's body is a form (multipart or urlencoded), whose serializer takes files."""
    return request.content_type.split(";")[0].strip().lower() in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    )


def _matches(header, etag):
    """Whether an If-None-Match header names ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if header.strip() == "*":
        return True
    return any(tag.removeprefix("W/") == etag.removeprefix("W/") for tag in parse_etags(header))


class TicketViewSet(HelpdeskAPIMixin, MergeActionMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tickets: a customer's own; an agent's departments' (and own); all for a supervisor."""

    serializer_class = s.TicketSerializer
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    pagination_class = TicketCursorPagination
    filter_backends = [OnDemandFilterBackend, TicketOrderingFilter]
    filterset_class = TicketFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    schema_tags = ["tickets"]

    def get_parsers(self):
        # A change is JSON only: a form body that a client mislabels cannot be read as "no change".
        if self.request is not None and self.request.method == "PATCH":
            return [JSONParser()]
        return super().get_parsers()

    def get_queryset(self):
        queryset = Ticket.objects.visible_to(self.request.user)
        queryset = queryset.for_api_list() if self.action == "list" else queryset.with_related()
        return self.with_tags(queryset)

    def with_tags(self, queryset):
        # Tags are staff-only: fetched (one query for the whole page) only for a caller who may see some.
        return queryset.with_tags() if permissions.is_agent(self.request.user) else queryset

    def get_object(self):
        # Filters and ordering apply to the list only.
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])

    def get_write_throttle_scope(self):
        # Opening a ticket counts; closing and reopening do not.
        return "ticket_create" if self.action == "create" else None

    def ticket_data(self, ticket):
        return self.get_serializer(ticket).data

    def _render(self, ticket, status_code=status.HTTP_200_OK):
        ticket = self.with_tags(Ticket.objects.with_related()).get(pk=ticket.pk)
        return Response(self.ticket_data(ticket), status=status_code)

    def etag(self, ticket, data):
        """The version of ``ticket`` as the caller sees it: what the answer says, and for staff its whole thread.

        An internal note changes nothing the requester sees (SPEC §4), so their
        ETag stays; staff of the ticket see the note, so theirs changes.
        """
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
        if permissions.can_see_internal(self.request.user, ticket):
            latest = Message.objects.filter(ticket=ticket).order_by("-id").values_list("id", flat=True).first()
            digest.update(f"\n{latest}".encode())
        return f'W/"{digest.hexdigest()[:40]}"'

    @api_schema(
        summary="List tickets",
        operation_id="list_tickets",
        responses={200: s.TicketSerializer(many=True), 400: BAD_REQUEST, 404: LIST_NOT_FOUND},
    )
    def list(self, request, *args, **kwargs):
        """Paginated by cursor (follow `next`); filters and `ordering` as documented."""
        return super().list(request, *args, **kwargs)

    @api_schema(
        summary="Open a ticket",
        operation_id="create_ticket",
        request={
            "application/json": s.TicketCreateSerializer,
            "multipart/form-data": s.TicketCreateMultipartSerializer,
        },
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: s.TicketSerializer,
            400: BAD_REQUEST,
            409: error(
                "Refused: a duplicate of an open ticket of yours (`duplicate`, with `duplicate_of`), or your "
                "open-ticket limit is reached (`open_ticket_limit`).",
                s.TICKET_CREATE_CONFLICT,
            ),
            **TOO_LARGE,
            **KEY_REUSED,
            **STORAGE_DOWN,
            **THROTTLED,
        },
        headers={201: ["Idempotent-Replayed"]},
        examples=CREATE_EXAMPLES,
    )
    def create(self, request, *args, **kwargs):
        """Open a ticket (channel `api`, requester: you). JSON, or multipart/form-data with `attachments`.

        Staff may open one on a customer's behalf: `requester` (the customer's
        username) and `channel` (`phone` or `api`), in a department they answer for.
        """
        user = request.user
        named = [name for name in STAFF_CREATE_FIELDS if isinstance(request.data, Mapping) and name in request.data]
        if named and not permissions.is_agent(user):
            # Before validation: a customer must not learn from the answer which usernames are customers.
            raise ValidationError({name: [_("Only staff may open a ticket on a customer's behalf.")] for name in named})
        serializer_class = s.TicketCreateMultipartSerializer if is_form(request) else s.TicketCreateSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        requester = data.get("requester") or user
        if requester.pk != user.pk and not permissions.is_staff_for(user, Ticket(department=data["department"])):
            raise ValidationError(
                {"department": [_("You can open tickets for customers only in the departments you answer for.")]}
            )
        attachments = data.get("attachments", [])
        channel = data.get("channel") or Channel.API

        def operation():
            ticket = services.create_ticket(
                requester=requester,
                actor=user,
                department=data["department"],
                ticket_type=data["ticket_type"],
                product=data.get("product"),
                subject=data["subject"],
                description=data["description"],
                attachments=attachments,
                channel=channel,
                fields=data.get("fields"),
            )
            # Rendered as written: the department, type, product and requester
            # are the validated ones, there is no assignee yet.
            return status.HTTP_201_CREATED, self.ticket_data(ticket)

        fingerprint = {
            "department": slug_of(data["department"]),
            "ticket_type": slug_of(data["ticket_type"]),
            "product": slug_of(data.get("product")),
            "subject": data["subject"],
            "description": data["description"],
            "requester": requester.get_username(),
            "channel": channel,
            "attachments": files_fingerprint(attachments),
            "fields": data.get("fields") or {},
        }
        return idempotent(request, fingerprint, operation)

    @api_schema(
        summary="Get a ticket",
        operation_id="get_ticket",
        description=(
            "The answer carries an ETag: send it back in If-None-Match and, while the ticket is unchanged for "
            "you, the answer is a 304 without a body."
        ),
        parameters=[REFERENCE_PARAMETER, IF_NONE_MATCH],
        responses={
            200: s.TicketSerializer,
            301: MOVED,
            304: OpenApiResponse(description="Not modified: the copy whose ETag you sent is current (no body)."),
            404: NOT_FOUND,
        },
        headers={200: ["ETag"], 301: ["Location"], 304: ["ETag"]},
    )
    def retrieve(self, request, *args, **kwargs):
        ticket = self.get_object()
        if redirect := moved(request, ticket, "ticket-detail"):
            return redirect
        data = self.ticket_data(ticket)
        etag = self.etag(ticket, data)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            response = HttpResponseNotModified()
        else:
            response = Response(data)
        response["ETag"] = etag
        # Each caller's own version, to be checked again every time (never from a shared cache).
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Authorization", "Cookie", "Accept-Language"))
        return response

    @api_schema(
        summary="Change a ticket (staff)",
        operation_id="update_ticket",
        parameters=[REFERENCE_PARAMETER],
        request={"application/json": s.TicketUpdateSerializer},
        responses={
            200: s.TicketSerializer,
            400: BAD_REQUEST,
            403: error("Not staff for this ticket (`permission_denied`), e.g. its requester."),
            404: NOT_FOUND,
        },
    )
    def partial_update(self, request, *args, **kwargs):
        """Staff only: change `status`, `priority`, `assignee` (username or null), `department` (slug),
        `tags` (slugs: the ticket's tags exactly).

        All or nothing; a field that does not exist or cannot be changed here is a 400 naming it.
        """
        ticket = self.get_object()
        if not permissions.can_manage(request.user, ticket):
            raise PermissionDenied
        serializer = s.TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        slugs = changes.pop("tags", None)
        with transaction.atomic():
            services.update_ticket(ticket, actor=request.user, **changes)
            if slugs is not None:
                # Read after a department change: the tags must be usable in the ticket's new department.
                services.set_tags(ticket, services.tags_by_slug(slugs, ticket=ticket), actor=request.user)
        return self._render(ticket)

    @api_schema(
        summary="Close a ticket",
        operation_id="close_ticket",
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={200: s.TicketSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        """Close the ticket for good (requester or staff); closing a closed ticket changes nothing."""
        ticket = self.get_object()
        if ticket.status != Status.CLOSED:
            services.close(ticket, actor=request.user)
        return self._render(ticket)

    @api_schema(
        summary="Reopen a resolved ticket",
        operation_id="reopen_ticket",
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={
            200: s.TicketSerializer,
            400: error(
                "The ticket is not resolved (`invalid_transition`; the body also names `status`).",
                s.InvalidTransitionSerializer,
            ),
            404: NOT_FOUND,
            409: error("The ticket is closed for good (`ticket_closed`): open a new one.", s.TicketClosedSerializer),
        },
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        """Reopen a resolved ticket (back to `in_progress`); a closed one is a 409, others a 400."""
        ticket = self.get_object()
        services.reopen(ticket, actor=request.user)
        return self._render(ticket)
