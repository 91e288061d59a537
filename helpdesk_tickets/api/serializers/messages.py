"""Messages of a ticket's thread, their attachments, and replies as JSON or multipart."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.reverse import reverse

from ... import services
from ...models import Attachment, Message
from ..fields import reject_unstorable
from .account import UserSerializer


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField(help_text=gettext_lazy("Permission-checked download address."))

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "sha256", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        return reverse(
            "helpdesk_tickets_api:ticket-attachment",
            kwargs={"reference": self.context["ticket"].reference, "pk": attachment.pk},
            request=self.context.get("request"),
        )


class MessageSerializer(serializers.ModelSerializer):
    author = UserSerializer(read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "from_staff", "internal", "body", "created_at", "attachments"]
        read_only_fields = fields


def _attachments_field():
    return serializers.ListField(
        child=serializers.FileField(max_length=255, use_url=False),
        required=False,
        default=list,
        help_text=gettext_lazy("Files, one part each; the same limits as the web form."),
    )


class _NoFilesInJSON:
    """A JSON body cannot carry files: ``attachments`` there is a 400, not silently dropped."""

    def to_internal_value(self, data):
        if "attachments" not in self.fields and isinstance(data, Mapping) and "attachments" in data:
            raise serializers.ValidationError(
                {"attachments": [_("Files can only be sent in a multipart/form-data request.")]}
            )
        return super().to_internal_value(data)


class MessageCreateSerializer(_NoFilesInJSON, serializers.Serializer):
    """A reply as JSON. ``internal: true`` (a staff-only note) is for staff; customers get 403."""

    body = serializers.CharField(
        max_length=services.MAX_BODY_LENGTH, trim_whitespace=True, validators=[reject_unstorable]
    )
    internal = serializers.BooleanField(
        default=False, help_text=gettext_lazy("A note for staff only (staff of the ticket's department).")
    )


class MessageCreateMultipartSerializer(MessageCreateSerializer):
    """A reply as multipart/form-data, with files."""

    attachments = _attachments_field()
