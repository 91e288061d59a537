"""Views of the REST API: parse input, call one service, render.

Querysets come from ``Ticket.objects.visible_to(user)``: another user's
ticket, message or attachment is a 404. Authentication is the host's
(``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``); permissions,
pagination, filters, parsers, renderers and the throttles of writes are
this app's own.
"""

import hashlib
import re
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .. import permissions, services, stats
from ..downloads import attachment_response
from ..models import Attachment, Channel, Department, Message, Product, Status, Ticket, TicketType
from . import serializers as s
from .filters import MessageFilterSet, OfferedFilterSet, OnDemandFilterBackend, TicketFilterSet, TicketOrderingFilter
from .pagination import MessageCursorPagination, TicketCursorPagination
from .parsers import JSONParser
from .permissions import IsHelpdeskStaff, IsHelpdeskUser
from .schema import HelpdeskAutoSchema, api_schema
from .throttling import charge, throttles_for

#: Pattern of the `{reference}` path segment (checked by the URLconf before any lookup).
REFERENCE_PATTERN = r"[A-Za-z0-9-]{1,32}"
#: An Idempotency-Key: 1–255 visible ASCII characters.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the ticket's state.")
    default_code = "conflict"


class StorageUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"


class IdempotencyConflict(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


@contextmanager
def service_errors():
    """Turn the service layer's refusals into the API's status codes.

    `ValidationError` → 400 keyed by field; `InvalidTransition` → 400 on
    `status`; a duplicate → 409 with `duplicate_of`; a closed ticket and
    the open-ticket cap → 409; a reused Idempotency-Key → 422; the
    attachment storage failing → 503 (nothing written: send again);
    `PermissionDenied` → 403.
    """
    try:
        yield
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(exc.message_dict) from exc
        raise ValidationError({"non_field_errors": exc.messages}) from exc
    except services.InvalidTransition as exc:
        raise ValidationError({"status": [str(exc)]}) from exc
    except services.DuplicateTicket as exc:
        raise Conflict({"detail": str(exc), "duplicate_of": exc.existing.reference}) from exc
    except (services.TicketClosed, services.OpenTicketLimitReached) as exc:
        raise Conflict(str(exc)) from exc
    except services.IdempotencyKeyReused as exc:
        raise IdempotencyConflict(str(exc)) from exc
    except services.AttachmentsUnavailable as exc:
        raise StorageUnavailable(str(exc)) from exc


def _files_fingerprint(files):
    result = []
    for upload in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        result.append([str(upload.name), upload.size, digest.hexdigest()])
    return result


def idempotent(request, fingerprint_data, operation):
    """Run `operation() -> (status, body)`, once per `Idempotency-Key` when the request has one."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        with service_errors():
            status_code, body = operation()
        return Response(body, status=status_code)
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationError({"Idempotency-Key": [_("Use 1 to 255 visible ASCII characters.")]})
    fingerprint = services.request_fingerprint({"path": request.path, **fingerprint_data})
    with service_errors():
        status_code, body, replayed = services.run_idempotent(
            user=request.user, key=key, fingerprint=fingerprint, operation=operation
        )
    response = Response(body, status=status_code)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _slug(obj):
    return obj.slug if obj is not None else None


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    pattern=IDEMPOTENCY_KEY_PATTERN,
    description=gettext_lazy(
        "Optional. A repeated key (same user, same request) replays the first response with the header "
        "Idempotent-Replayed: true and changes nothing; the key with a different request is a 422."
    ),
)
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    pattern=f"^{REFERENCE_PATTERN}$",
    description=gettext_lazy("Ticket reference."),
)

_ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy('Error: {"detail": …} or {field: [messages]}.'))
_DETAIL = OpenApiResponse(s.DetailSerializer)
# Responses every endpoint may give: refused authentication (401 or 403, as
# the host's authentication classes decide) and throttling.
COMMON_ERRORS = {401: _DETAIL, 403: _DETAIL}
STORAGE_DOWN = {
    503: OpenApiResponse(
        s.DetailSerializer,
        description=gettext_lazy("The attachment storage is unavailable; nothing was written, send again later."),
    )
}
THROTTLED = {429: _DETAIL}

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
            "duplicate_of": "HD-7K3M9QXA",
        },
    ),
]


class HelpdeskAPIMixin:
    """What every endpoint of the app fixes for itself, whatever the host's DRF defaults."""

    schema = HelpdeskAutoSchema()
    permission_classes = [IsHelpdeskUser]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    #: Rate-limit scope of the view's writes (see HELPDESK_TICKETS["API_THROTTLE_RATES"]).
    throttle_scope_for_post = None

    def get_authenticators(self):
        # The host's authentication classes, read when the request comes in
        # (not frozen at import), so the API follows the host's settings.
        return [authenticator() for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get_write_throttle_scope(self):
        return self.throttle_scope_for_post if self.request.method == "POST" else None

    def get_throttles(self):
        throttles = super().get_throttles()
        scope = self.get_write_throttle_scope()
        return throttles + throttles_for(scope) if scope else throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The throttle above only checked: what was done counts, not a 4xx or a replayed answer.
        scope = self.get_write_throttle_scope()
        if scope and 200 <= response.status_code < 300 and not response.has_header("Idempotent-Replayed"):
            charge(request, scope)
        return response


def visible_ticket(request, reference, queryset=None):
    """The ticket `reference` if `request.user` may see it; 404 otherwise."""
    queryset = queryset if queryset is not None else Ticket.objects.with_related()
    return get_object_or_404(queryset.visible_to(request.user), reference=reference)


class RootView(HelpdeskAPIMixin, APIView):
    """Where everything is: the addresses of the API's collections, the schema and the docs."""

    permission_classes = [AllowAny]
    schema_tags = ["catalogue"]

    @api_schema(responses={200: s.RootSerializer})
    def get(self, request):
        namespace = request.resolver_match.namespace
        names = {
            "departments": "department-list",
            "ticket_types": "tickettype-list",
            "products": "product-list",
            "tickets": "ticket-list",
            "stats": "stats",
            "schema": "schema",
            "docs": "docs",
        }
        return Response({key: reverse(f"{namespace}:{name}", request=request) for key, name in names.items()})


# --------------------------------------------------------------------------
# catalogue


@api_schema(responses={200: s.DepartmentSerializer(many=True), **COMMON_ERRORS})
class DepartmentListView(HelpdeskAPIMixin, ListAPIView):
    """Active departments, their response-time targets and the measured average first response."""

    serializer_class = s.DepartmentSerializer
    pagination_class = None
    filter_backends = []
    schema_tags = ["catalogue"]

    def get_queryset(self):
        queryset = Department.objects.active()
        if permissions.is_agent(self.request.user):
            queryset = queryset.prefetch_related("agents")
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["averages"] = stats.average_first_response_by_department()
        # Agents see the colleagues of their own departments, supervisors everyone's.
        user = self.request.user
        context["show_agents"] = "all" if permissions.is_supervisor(user) else permissions.agent_department_ids(user)
        return context

    @api_schema(responses={200: s.DepartmentSerializer(many=True), **COMMON_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _OfferedListView(HelpdeskAPIMixin, ListAPIView):
    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    filterset_class = OfferedFilterSet
    schema_tags = ["catalogue"]

    def get_queryset(self):
        return self.model.objects.active()


class TicketTypeListView(_OfferedListView):
    """Active ticket types; with `?department=<slug>`, those offered in that department."""

    model = TicketType
    serializer_class = s.TicketTypeSerializer

    @api_schema(responses={200: s.TicketTypeSerializer(many=True), 400: _ERROR, **COMMON_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProductListView(_OfferedListView):
    """Active products; with `?department=<slug>`, those offered in that department."""

    model = Product
    serializer_class = s.ProductSerializer

    @api_schema(responses={200: s.ProductSerializer(many=True), 400: _ERROR, **COMMON_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --------------------------------------------------------------------------
# tickets


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
        if self.action == "list":
            # A row reads a slug or a name of each related object: fetched as columns, not whole objects.
            return s.TicketListSerializer.with_related_columns(queryset)
        return queryset.with_related()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return page if page is None else s.TicketListSerializer.attach_related(page)

    def get_object(self):
        # Filters and ordering apply to the list only.
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"])

    def get_write_throttle_scope(self):
        # Opening a ticket counts; closing and reopening do not.
        return "ticket_create" if self.action == "create" else None

    def ticket_data(self, ticket):
        """One ticket's JSON, written as a list row (the same fields, a fraction of the CPU)."""
        return self.get_serializer([ticket], many=True).data[0]

    def _render(self, ticket, status_code=status.HTTP_200_OK):
        ticket = Ticket.objects.with_related().get(pk=ticket.pk)
        return Response(self.ticket_data(ticket), status=status_code)

    @api_schema(responses={200: s.TicketSerializer(many=True), 400: _ERROR, 404: _DETAIL, **COMMON_ERRORS})
    def list(self, request, *args, **kwargs):
        """Paginated by cursor (follow `next`); filters and `ordering` as documented."""
        return super().list(request, *args, **kwargs)

    @api_schema(
        request={"application/json": s.TicketCreateSerializer, "multipart/form-data": s.TicketCreateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: s.TicketSerializer,
            400: _ERROR,
            409: OpenApiResponse(
                s.DuplicateSerializer,
                description=gettext_lazy(
                    "Duplicate of an open ticket (with duplicate_of), or the open-ticket limit (detail only)."
                ),
            ),
            422: _DETAIL,
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
            "department": _slug(data["department"]),
            "ticket_type": _slug(data["ticket_type"]),
            "product": _slug(data.get("product")),
            "subject": data["subject"],
            "description": data["description"],
            "attachments": _files_fingerprint(data["attachments"]),
        }
        return idempotent(request, fingerprint, operation)

    @api_schema(parameters=[REFERENCE_PARAMETER], responses={200: s.TicketSerializer, 404: _DETAIL, **COMMON_ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return Response(self.ticket_data(self.get_object()))

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        request=s.TicketUpdateSerializer,
        responses={200: s.TicketSerializer, 400: _ERROR, 404: _DETAIL, **COMMON_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        """Staff only: change `status`, `priority`, `assignee` (username or null), `department` (slug)."""
        ticket = self.get_object()
        if not permissions.can_manage(request.user, ticket):
            raise PermissionDenied
        serializer = s.TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            services.update_ticket(ticket, by=request.user, **serializer.validated_data)
        return self._render(ticket)

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={200: s.TicketSerializer, 404: _DETAIL, 409: _DETAIL, **COMMON_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        """Close the ticket for good (requester or staff); closing a closed ticket changes nothing."""
        ticket = self.get_object()
        if ticket.status != Status.CLOSED:
            with service_errors():
                services.close(ticket, by=request.user)
        return self._render(ticket)

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        request=None,
        responses={200: s.TicketSerializer, 400: _ERROR, 404: _DETAIL, 409: _DETAIL, **COMMON_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        """Reopen a resolved ticket (back to `in_progress`); a closed one is a 409, others a 400."""
        ticket = self.get_object()
        with service_errors():
            services.reopen(ticket, by=request.user)
        return self._render(ticket)


class MessageViewSet(HelpdeskAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A ticket's thread. Customers never get internal notes."""

    serializer_class = s.MessageSerializer
    pagination_class = MessageCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFilterSet
    throttle_scope_for_post = "reply"
    schema_tags = ["tickets"]

    def get_ticket(self):
        if not hasattr(self, "_ticket"):
            self._ticket = visible_ticket(self.request, self.kwargs["reference"], Ticket.objects.all())
        return self._ticket

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return (
            Message.objects.visible_to(self.request.user, self.get_ticket())
            .select_related("author")
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["ticket"] = self.get_ticket()
        return context

    @api_schema(
        parameters=[REFERENCE_PARAMETER],
        responses={200: s.MessageSerializer(many=True), 400: _ERROR, 404: _DETAIL, **COMMON_ERRORS},
    )
    def list(self, request, *args, **kwargs):
        """The thread, oldest first; reading it as the requester marks staff replies read."""
        response = super().list(request, *args, **kwargs)
        services.mark_read(self.get_ticket(), request.user)
        return response

    @api_schema(
        parameters=[REFERENCE_PARAMETER, IDEMPOTENCY_HEADER],
        request={"application/json": s.MessageCreateSerializer, "multipart/form-data": s.MessageCreateSerializer},
        responses={
            201: s.MessageSerializer,
            400: _ERROR,
            404: _DETAIL,
            409: OpenApiResponse(s.DetailSerializer, description=gettext_lazy("The ticket is closed.")),
            422: _DETAIL,
            **STORAGE_DOWN,
            **COMMON_ERRORS,
            **THROTTLED,
        },
    )
    def create(self, request, *args, **kwargs):
        """Reply (JSON, or multipart/form-data with `attachments`); staff may post `internal: true` notes."""
        ticket = self.get_ticket()
        serializer = s.MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["internal"] and not permissions.can_see_internal(request.user, ticket):
            raise PermissionDenied

        def operation():
            message = services.post_reply(
                ticket=ticket,
                author=request.user,
                body=data["body"],
                attachments=data["attachments"],
                internal=data["internal"],
            )
            message = self.get_queryset().get(pk=message.pk)
            return status.HTTP_201_CREATED, self.get_serializer(message).data

        fingerprint = {
            "body": data["body"],
            "internal": data["internal"],
            "attachments": _files_fingerprint(data["attachments"]),
        }
        return idempotent(request, fingerprint, operation)


class AttachmentDownloadView(HelpdeskAPIMixin, APIView):
    """A file of the thread, for those who may read its message; anyone else gets 404.

    The file is streamed from the attachment storage (local disk or S3 alike)
    with `Content-Disposition: attachment`, `nosniff` and a sandboxing
    Content-Security-Policy; the storage's own URL is never handed out.
    """

    schema_tags = ["tickets"]

    @api_schema(
        parameters=[
            REFERENCE_PARAMETER,
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
                OpenApiParameter.PATH,
                description=gettext_lazy("Attachment id."),
            ),
        ],
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description=gettext_lazy("The file.")),
            404: _DETAIL,
            **COMMON_ERRORS,
        },
    )
    def get(self, request, reference, pk):
        ticket = visible_ticket(request, reference, Ticket.objects.all())
        attachment = get_object_or_404(Attachment.objects.select_related("message"), pk=pk, message__ticket=ticket)
        if attachment.message.internal and not permissions.can_see_internal(request.user, ticket):
            raise Http404
        return attachment_response(attachment)


# --------------------------------------------------------------------------
# staff figures


class StatsView(HelpdeskAPIMixin, APIView):
    """Staff only: tickets by status and response times, per department and overall.

    A supervisor gets every department, an agent their own.
    """

    permission_classes = [IsHelpdeskStaff]
    schema_tags = ["staff"]

    @api_schema(responses={200: s.StatsSerializer, **COMMON_ERRORS})
    def get(self, request):
        user = request.user
        if permissions.is_supervisor(user):
            departments = None
        else:
            departments = Department.objects.filter(pk__in=permissions.agent_department_ids(user))
        result = stats.figures(departments=departments)
        data = {
            "since": result["since"],
            "until": result["until"],
            "overall": s.stats_row(result["overall"]),
            "departments": [
                {
                    "department": row["department"].slug,
                    "department_name": row["department"].display_name,
                    **s.stats_row(row),
                }
                for row in result["departments"]
            ],
        }
        return Response(s.StatsSerializer(data).data)
