"""Tickets: the one representation (list, detail, answers to writes), creation, changes, history."""

from collections.abc import Mapping

from django.utils.translation import get_language, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from ... import services
from ...models import Channel, Department, Priority, Product, Status, Ticket, TicketEvent, TicketType
from ..fields import (
    _SLUG,
    BySlugField,
    CustomerField,
    OfferingSlugField,
    RejectUnknownFields,
    UsernameField,
    datetime_representation,
    reject_unstorable,
)
from .account import UserSerializer, person
from .agents import tags_field, ticket_tags, write_tags_field
from .messages import _attachments_field, _NoFilesInJSON
from .ticket_fields import FieldValuesField, FieldValuesTextField

#: The channels staff may name when they open a ticket on a customer's behalf.
ON_BEHALF_CHANNELS = [(Channel.API.value, Channel.API.label), (Channel.PHONE.value, Channel.PHONE.label)]

_DETAIL, _MESSAGES = "helpdesk_tickets_api:ticket-detail", "helpdesk_tickets_api:ticket-messages"


class _Shared:
    """What the tickets of one answer share, worked out once: translated names, people, the date format, URLs."""

    #: Stands for the reference in a reversed URL (it matches the URL pattern of references).
    REFERENCE_PLACEHOLDER = "0REFERENCE0PLACEHOLDER0"

    def __init__(self, context):
        self.context = context
        # Translated names depend on the active language: a context used in another starts afresh.
        self.language = get_language()
        self.datetime = datetime_representation()
        self._names, self._people, self._urls = {}, {}, {}

    @classmethod
    def of(cls, context):
        shared = context.get("_hdt_tickets")
        if shared is None or shared.language != get_language():
            shared = context["_hdt_tickets"] = cls(context)
        return shared

    def name(self, obj):
        key = (type(obj), obj.pk)
        if key not in self._names:
            value = obj.display_name
            self._names[key] = None if value is None else str(value)
        return self._names[key]

    def product_name(self, ticket):
        return self.name(ticket.product) if ticket.product_id else None

    def person(self, user):
        if user is None:
            return None
        if user.pk not in self._people:
            self._people[user.pk] = person(user, self.context)
        return dict(self._people[user.pk])

    def url(self, view_name, ticket):
        # One reverse() per answer, not two per row: references are URL-safe, so the rest is a substitution.
        if view_name not in self._urls:
            request = self.context.get("request")
            self._urls[view_name] = reverse(
                view_name, kwargs={"reference": self.REFERENCE_PLACEHOLDER}, request=request
            )
        return self._urls[view_name].replace(self.REFERENCE_PLACEHOLDER, ticket.reference)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as its requester and staff see it."""

    # The rows of the list, the detail and the answers to writes. The declared
    # fields are the schema; to_representation() writes their JSON itself, with
    # what the rows of a request share looked up once in self.context: DRF's
    # per-field work cost more than the query on a page of tickets
    # (bench/findings.rst, "API list"). A subclass is written by DRF's fields.

    url = serializers.SerializerMethodField()
    messages_url = serializers.SerializerMethodField()
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    department_name = serializers.CharField(source="department.display_name", read_only=True)
    ticket_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ticket_type_name = serializers.CharField(source="ticket_type.display_name", read_only=True)
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    product_name = serializers.SerializerMethodField()
    requester = UserSerializer(read_only=True)
    assignee = UserSerializer(read_only=True, allow_null=True)
    tags = tags_field()
    has_unread_reply = serializers.BooleanField(
        source="has_unread_staff_reply",
        read_only=True,
        help_text=gettext_lazy("A public staff reply the requester has not read yet."),
    )
    sla_breached = serializers.SerializerMethodField()
    fields = FieldValuesField(source="field_values", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "url",
            "messages_url",
            "subject",
            "status",
            "priority",
            "channel",
            "department",
            "department_name",
            "ticket_type",
            "ticket_type_name",
            "product",
            "product_name",
            "requester",
            "assignee",
            "tags",
            "message_count",
            "has_unread_reply",
            "created_at",
            "updated_at",
            "last_activity_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "first_response_due",
            "resolution_due",
            "sla_breached",
            "fields",
        ]
        read_only_fields = fields

    def get_url(self, ticket) -> str:
        return _Shared.of(self.context).url(_DETAIL, ticket)

    def get_messages_url(self, ticket) -> str:
        return _Shared.of(self.context).url(_MESSAGES, ticket)

    def get_product_name(self, ticket) -> str | None:
        return _Shared.of(self.context).product_name(ticket)

    def get_sla_breached(self, ticket) -> bool:
        return ticket.is_breached()

    def to_representation(self, ticket):
        if type(self) is not TicketSerializer:
            return super().to_representation(ticket)
        shared = _Shared.of(self.context)
        when, product = shared.datetime, ticket.product
        return {
            "reference": ticket.reference,
            "url": shared.url(_DETAIL, ticket),
            "messages_url": shared.url(_MESSAGES, ticket),
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "department": ticket.department.slug,
            "department_name": shared.name(ticket.department),
            "ticket_type": ticket.ticket_type.slug,
            "ticket_type_name": shared.name(ticket.ticket_type),
            "product": None if product is None else product.slug,
            "product_name": shared.product_name(ticket),
            "requester": shared.person(ticket.requester),
            "assignee": shared.person(ticket.assignee),
            "tags": ticket_tags(ticket, self.context),
            "message_count": int(ticket.message_count),
            "has_unread_reply": bool(ticket.has_unread_staff_reply),
            "created_at": when(ticket.created_at),
            "updated_at": when(ticket.updated_at),
            "last_activity_at": when(ticket.last_activity_at),
            "first_response_at": when(ticket.first_response_at),
            "resolved_at": when(ticket.resolved_at),
            "closed_at": when(ticket.closed_at),
            "first_response_due": when(ticket.first_response_due),
            "resolution_due": when(ticket.resolution_due),
            "sla_breached": ticket.is_breached(),
            "fields": dict(ticket.field_values or {}),
        }


class TicketCreateSerializer(_NoFilesInJSON, serializers.Serializer):
    """What a client sends as JSON to open a ticket; everything else is decided by the service layer.

    ``requester`` and ``channel`` are for staff opening a ticket on a
    customer's behalf; anyone else naming them gets a 400 on that field.
    """

    department = OfferingSlugField(queryset=Department.objects.all(), help_text=gettext_lazy("Department slug."))
    ticket_type = OfferingSlugField(queryset=TicketType.objects.all(), help_text=gettext_lazy("Ticket type slug."))
    product = OfferingSlugField(
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Product slug (optional)."),
    )
    subject = serializers.CharField(max_length=services.MAX_SUBJECT_LENGTH, validators=[reject_unstorable])
    description = serializers.CharField(max_length=services.MAX_BODY_LENGTH, validators=[reject_unstorable])
    requester = CustomerField(
        required=False,
        help_text=gettext_lazy(
            "Staff only: the username of the customer the ticket is for (default: you). "
            "The customer gets the usual acknowledgement."
        ),
        error_messages={"does_not_exist": gettext_lazy("No customer has this username.")},
    )
    channel = serializers.ChoiceField(
        choices=ON_BEHALF_CHANNELS,
        required=False,
        help_text=gettext_lazy("Staff only: how the customer asked (default: api)."),
    )
    fields = FieldValuesField()

    def to_internal_value(self, data):
        # The department, type and product (and whether the two are offered in
        # that department) in one query, instead of three lookups and two checks.
        self.offering = {}
        if isinstance(data, Mapping):
            names = ("department", "ticket_type", "product")
            slugs = {name: self.fields[name].get_value(data) for name in names}
            wanted = {name: slug for name, slug in slugs.items() if isinstance(slug, str) and _SLUG.match(slug)}
            if wanted:
                found = services.find_offering(**wanted)
                self.offering = {name: (slug, found[name]) for name, slug in wanted.items()}
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class _FormSlugField(OfferingSlugField):
    """A slug in a form: a string, never null (an empty value or no part means none).

    A form has no null: the schema must not offer one, or a generated client
    sends the text "None".
    """

    def run_validation(self, data=serializers.empty):
        if data == "":
            return None
        return super().run_validation(data)


class TicketCreateMultipartSerializer(TicketCreateSerializer):
    """What a client sends as multipart/form-data to open a ticket, with files."""

    product = _FormSlugField(
        queryset=Product.objects.all(),
        required=False,
        help_text=gettext_lazy("Product slug (optional; leave the part out for none)."),
    )
    fields = FieldValuesTextField()
    attachments = _attachments_field()


class TicketUpdateSerializer(RejectUnknownFields, serializers.Serializer):
    """Staff changes to a ticket; every field optional (PATCH)."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = UsernameField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Username of an agent of the ticket's department, or null to unassign."),
        # The service's words for someone who is not an agent there: an unknown
        # or inactive username must not read differently (no account probing).
        error_messages={"does_not_exist": gettext_lazy("This person is not an agent of the ticket's department.")},
    )
    department = BySlugField(queryset=Department.objects.all(), required=False)
    tags = write_tags_field()


class TicketEventSerializer(serializers.ModelSerializer):
    """An entry of a ticket's audit trail."""

    actor = UserSerializer(read_only=True, allow_null=True, help_text=gettext_lazy("Who did it; null: the system."))
    old_value = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Before (a status code for status changes).")
    )
    new_value = serializers.CharField(
        read_only=True, help_text=gettext_lazy("After (a status code for status changes).")
    )

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "old_value", "new_value", "created_at"]
        read_only_fields = fields
