"""A ticket's thread and the download of its files."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import mixins, status, viewsets
from rest_framework.views import APIView

from ... import permissions, services
from ...downloads import attachment_response
from ...models import Attachment, Message, Ticket
from .. import serializers as s
from ..filters import MessageFilterSet
from ..idempotency import files_fingerprint
from ..pagination import MessageCursorPagination
from ..schema import api_schema
from ._base import (
    BAD_REQUEST,
    IDEMPOTENCY_HEADER,
    KEY_REUSED,
    LIST_NOT_FOUND,
    NOT_FOUND,
    REFERENCE_PARAMETER,
    STORAGE_DOWN,
    THROTTLED,
    TOO_LARGE,
    HelpdeskAPIMixin,
    error,
    idempotent,
    visible_ticket,
)
from .merge import MOVED, moved
from .tickets import is_form


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
        summary="List a ticket's messages",
        operation_id="list_messages",
        parameters=[REFERENCE_PARAMETER],
        responses={200: s.MessageSerializer(many=True), 301: MOVED, 400: BAD_REQUEST, 404: LIST_NOT_FOUND},
        headers={301: ["Location"]},
    )
    def list(self, request, *args, **kwargs):
        """The thread, oldest first; reading it as the requester marks staff replies read."""
        if redirect := moved(request, self.get_ticket(), "ticket-messages"):
            return redirect
        response = super().list(request, *args, **kwargs)
        services.mark_read(self.get_ticket(), request.user)
        return response

    @api_schema(
        summary="Reply, or add an internal note (staff)",
        operation_id="post_message",
        parameters=[REFERENCE_PARAMETER, IDEMPOTENCY_HEADER],
        request={
            "application/json": s.MessageCreateSerializer,
            "multipart/form-data": s.MessageCreateMultipartSerializer,
        },
        responses={
            201: s.MessageSerializer,
            400: BAD_REQUEST,
            403: error("An internal note by someone who is not staff for the ticket (`permission_denied`)."),
            404: NOT_FOUND,
            409: error("The ticket is closed for good (`ticket_closed`): open a new one.", s.TicketClosedSerializer),
            **TOO_LARGE,
            **KEY_REUSED,
            **STORAGE_DOWN,
            **THROTTLED,
        },
        headers={201: ["Idempotent-Replayed"]},
    )
    def create(self, request, *args, **kwargs):
        """Reply (JSON, or multipart/form-data with `attachments`); staff may post `internal: true` notes."""
        ticket = self.get_ticket()
        serializer_class = s.MessageCreateMultipartSerializer if is_form(request) else s.MessageCreateSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attachments = data.get("attachments", [])
        if data["internal"] and not permissions.can_see_internal(request.user, ticket):
            raise PermissionDenied

        def operation():
            message = services.post_reply(
                ticket=ticket,
                actor=request.user,
                body=data["body"],
                attachments=attachments,
                internal=data["internal"],
            )
            message = self.get_queryset().get(pk=message.pk)
            return status.HTTP_201_CREATED, self.get_serializer(message).data

        fingerprint = {
            "body": data["body"],
            "internal": data["internal"],
            "attachments": files_fingerprint(attachments),
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
        summary="Download a file",
        operation_id="download_attachment",
        parameters=[
            REFERENCE_PARAMETER,
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
                OpenApiParameter.PATH,
                description="Attachment id (from the message's `attachments`).",
            ),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=(
                    "The file's bytes, always as application/octet-stream (its type is the attachment's "
                    "`content_type`, its name in Content-Disposition)."
                ),
            ),
            301: MOVED,
            404: NOT_FOUND,
        },
        headers={200: ["Content-Disposition"], 301: ["Location"]},
    )
    def get(self, request, reference, pk):
        ticket = visible_ticket(request, reference, Ticket.objects.all())
        # The file moved with its message.
        if redirect := moved(request, ticket, "ticket-attachment", pk=pk):
            return redirect
        attachment = get_object_or_404(Attachment.objects.select_related("message"), pk=pk, message__ticket=ticket)
        if attachment.message.internal and not permissions.can_see_internal(request.user, ticket):
            raise Http404
        response = attachment_response(attachment)
        # One type for every file, as the schema says (a generated client reads the bytes whatever they are);
        # the real type is the attachment's content_type. nosniff keeps browsers from guessing.
        response["Content-Type"] = "application/octet-stream"
        return response
