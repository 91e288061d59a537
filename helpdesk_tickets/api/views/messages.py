"""A ticket's thread and the download of its files."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
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
    COMMON_ERRORS,
    DETAIL,
    ERROR,
    IDEMPOTENCY_HEADER,
    REFERENCE_PARAMETER,
    STORAGE_DOWN,
    THROTTLED,
    HelpdeskAPIMixin,
    idempotent,
    visible_ticket,
)


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
        responses={200: s.MessageSerializer(many=True), 400: ERROR, 404: DETAIL, **COMMON_ERRORS},
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
            400: ERROR,
            404: DETAIL,
            409: OpenApiResponse(s.DetailSerializer, description=gettext_lazy("The ticket is closed.")),
            422: DETAIL,
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
                actor=request.user,
                body=data["body"],
                attachments=data["attachments"],
                internal=data["internal"],
            )
            message = self.get_queryset().get(pk=message.pk)
            return status.HTTP_201_CREATED, self.get_serializer(message).data

        fingerprint = {
            "body": data["body"],
            "internal": data["internal"],
            "attachments": files_fingerprint(data["attachments"]),
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
            404: DETAIL,
            **COMMON_ERRORS,
        },
    )
    def get(self, request, reference, pk):
        ticket = visible_ticket(request, reference, Ticket.objects.all())
        attachment = get_object_or_404(Attachment.objects.select_related("message"), pk=pk, message__ticket=ticket)
        if attachment.message.internal and not permissions.can_see_internal(request.user, ticket):
            raise Http404
        return attachment_response(attachment)
