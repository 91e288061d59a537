"""Rows only the services write: messages, attachments, events, idempotency keys (read-only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import users
from ..models import Attachment, IdempotencyKey, Message, Ticket, TicketEvent
from ._shared import EventValuesMixin, PersonSearchMixin, _attachment_links


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services; the admin may look, not touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(PersonSearchMixin, ReadOnlyAdmin):
    list_display = ("__str__", "ticket_subject", "author", "internal", "from_staff", "created_at")
    list_filter = ("internal", "from_staff", "ticket__department")
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__reference", "body")
    person_search = ("author",)
    date_hierarchy = "created_at"
    fields = ("ticket", "author", "created_at", "internal", "from_staff", "body", "attachment_links")
    readonly_fields = fields

    def get_queryset(self, request):
        # Searches run on this queryset too, so a hidden note's body never matches.
        return super().get_queryset(request).visible_to(request.user).prefetch_related("attachments")

    @admin.display(description=_("subject"), ordering="ticket__subject")
    def ticket_subject(self, obj):
        return obj.ticket.subject

    @admin.display(description=_("attachments"))
    def attachment_links(self, obj):
        return _attachment_links(obj.attachments.all(), obj.ticket.reference)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "ticket_reference", "size", "content_type", "created_at", "download")
    list_select_related = ("message__ticket",)
    search_fields = ("original_name", "message__ticket__reference", "sha256")
    list_filter = ("content_type",)
    fields = ("message", "original_name", "size", "content_type", "sha256", "created_at", "download")
    readonly_fields = fields

    def get_queryset(self, request):
        # A file is as visible as its message: an internal note's files (names, hashes) only to its staff.
        return super().get_queryset(request).filter(message__in=Message.objects.visible_to(request.user))

    @admin.display(description=_("ticket"), ordering="message__ticket__reference")
    def ticket_reference(self, obj):
        return obj.message.ticket.reference

    @admin.display(description=_("download"))
    def download(self, obj):
        return _attachment_links([obj], obj.message.ticket.reference)


@admin.register(TicketEvent)
class TicketEventAdmin(EventValuesMixin, ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "kind", "old_display", "new_display", "actor")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__reference",)
    date_hierarchy = "created_at"
    fields = ("ticket", "kind", "old_display", "new_display", "actor", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ticket__in=Ticket.objects.visible_to(request.user))


def _is_superuser(request):
    return bool(users.is_active(request.user) and request.user.is_superuser)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(PersonSearchMixin, ReadOnlyAdmin):
    """Superusers only, whatever permissions a user holds (SPEC §4).

    A record keeps the API's first answer to a ``POST``, which may be an
    internal note of any department; the stored answer is never shown here,
    not even to a superuser (the ticket's own pages show what it holds).
    """

    list_display = ("key", "user", "response_status", "created_at")
    list_select_related = ("user",)
    search_fields = ("key",)
    person_search = ("user",)
    fields = ("user", "key", "request_hash", "response_status", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if _is_superuser(request) else queryset.none()

    def has_module_permission(self, request):
        return _is_superuser(request)

    def has_view_permission(self, request, obj=None):
        return _is_superuser(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting a key only lets that request run again; housekeeping
        # removes expired ones anyway.
        return _is_superuser(request)
