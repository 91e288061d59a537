"""Serializers of the REST API.

Departments, ticket types and products are written by slug. What the service
layer decides (reference, status, timestamps) is read-only: a client sending
those fields on create has them ignored. Staff may name the ``requester`` and
``channel`` of a ticket they open on a customer's behalf.

A request body that may come as JSON or as ``multipart/form-data`` has one
serializer per media type (``…Serializer`` and ``…MultipartSerializer``), so
that the schema gives each its own component: files travel only in
multipart, and ``null`` only in JSON.
"""

from collections.abc import Mapping

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from .. import permissions, services, users
from ..models import (
    Attachment,
    Channel,
    Department,
    Message,
    Priority,
    Product,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)
from .fields import (
    _SLUG,
    BySlugField,
    CustomerField,
    OfferingSlugField,
    UsernameField,
    _seconds,
    datetime_representation,
    reject_unstorable,
)


def _discreet(context):
    """Whether the caller sees other people as customers do (never by e-mail address); once per request."""
    if "_hdt_discreet" not in context:
        request = context.get("request")
        context["_hdt_discreet"] = request is not None and not permissions.is_agent(request.user)
    return context["_hdt_discreet"]


def person(user, context):
    """A person as the API shows them to the caller: ``{"username", "name"}``.

    Customers see staff under a name that is never an e-mail address (an
    empty username then, and "Support team" as the name); see ``users.public_name``.
    """
    username, name = user.get_username(), users.display_name(user)
    if users.looks_like_email(username) or users.looks_like_email(name):
        request = context.get("request")
        # Asked only when there is an address to hide: the caller's own entry, or staff callers, see it.
        if (request is None or user.pk != request.user.pk) and _discreet(context):
            return {"username": users.public_username(user), "name": users.public_name(user) or _("Support team")}
    return {"username": username, "name": name}


class UserSerializer(serializers.Serializer):
    """A person as the API shows them: username and display name, nothing more."""

    username = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Empty when shown to a customer and it is an e-mail address.")
    )
    name = serializers.CharField(read_only=True)

    def to_representation(self, instance):
        return person(instance, self.context)


class RootSerializer(serializers.Serializer):
    """The addresses of the API's collections, its schema and its docs."""

    departments = serializers.URLField()
    ticket_types = serializers.URLField()
    products = serializers.URLField()
    tickets = serializers.URLField()
    me = serializers.URLField()
    stats = serializers.URLField()
    schema = serializers.URLField()
    docs = serializers.URLField()


class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)
    first_response_target_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Promised business time to the first reply, in seconds.")
    )
    resolution_target_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Promised business time to resolution, in seconds.")
    )
    average_first_response_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Measured average first-response time over the recent window; null without data.")
    )
    agents = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The department's agents, for its own agents and for supervisors; empty for everyone else."
        )
    )

    class Meta:
        model = Department
        fields = [
            "slug",
            "name",
            "description",
            "first_response_target_seconds",
            "resolution_target_seconds",
            "average_first_response_seconds",
            "agents",
        ]

    def get_first_response_target_seconds(self, department) -> int:
        return _seconds(department.effective_first_response_target)

    def get_resolution_target_seconds(self, department) -> int:
        return _seconds(department.effective_resolution_target)

    def get_average_first_response_seconds(self, department) -> int | None:
        return _seconds(self.context.get("averages", {}).get(department.pk))

    @extend_schema_field(UserSerializer(many=True))
    def get_agents(self, department):
        # The view puts "all" (a supervisor) or the caller's own department ids here.
        shown = self.context.get("show_agents") or ()
        if shown != "all" and department.pk not in shown:
            return []
        agents = [agent for agent in department.agents.all() if users.is_active(agent)]
        return UserSerializer(agents, many=True, context=self.context).data


class OfferedSerializer(serializers.Serializer):
    """A ticket type or product."""

    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)


class TicketTypeSerializer(OfferedSerializer):
    class Meta:
        model = TicketType


class ProductSerializer(OfferedSerializer):
    class Meta:
        model = Product


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
    has_unread_reply = serializers.BooleanField(
        source="has_unread_staff_reply",
        read_only=True,
        help_text=gettext_lazy("A public staff reply the requester has not read yet."),
    )
    sla_breached = serializers.SerializerMethodField()

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
    attachments = _attachments_field()


class TicketUpdateSerializer(serializers.Serializer):
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

    def to_internal_value(self, data):
        # SPEC §6: a field that does not exist (or cannot be written) is a 400 naming it, never ignored.
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                message = gettext_lazy("This field does not exist or cannot be changed.")
                raise serializers.ValidationError({name[:100]: [message] for name in unknown})
        return super().to_internal_value(data)


def _code(code, description):
    """The ``code`` of an error body that has just one (an enum of one value in the schema)."""
    field_class = type("CodeField", (serializers.CharField,), {})
    extend_schema_field({"type": "string", "enum": [code], "description": description})(field_class)
    return field_class()


class ErrorSerializer(serializers.Serializer):
    """Any error that is not about a field of the request."""

    detail = serializers.CharField(help_text="What went wrong, in the caller's language (for people).")
    code = serializers.CharField(help_text="A stable machine code (for programs): see the API documentation.")


class DuplicateSerializer(serializers.Serializer):
    """An open ticket of yours already asks the same: reply there."""

    detail = serializers.CharField()
    code = _code("duplicate", "This ticket duplicates an open one.")
    duplicate_of = serializers.CharField(help_text="Reference of the open ticket asking the same.")


class OpenTicketLimitSerializer(serializers.Serializer):
    """You have as many open tickets as the site allows."""

    detail = serializers.CharField()
    code = _code("open_ticket_limit", "Too many open tickets.")


class TicketClosedSerializer(serializers.Serializer):
    """The ticket is closed for good: open a new one."""

    detail = serializers.CharField()
    code = _code("ticket_closed", "The ticket is closed.")


class InvalidTransitionSerializer(serializers.Serializer):
    """The status workflow forbids this move."""

    status = serializers.ListField(child=serializers.CharField(), help_text="The same message, on the field.")
    detail = serializers.CharField()
    code = _code("invalid_transition", "The workflow forbids this status move.")


#: The 409 of ``POST tickets/``, told apart by ``code``.
TICKET_CREATE_CONFLICT = PolymorphicProxySerializer(
    component_name="TicketCreateConflict",
    serializers={"duplicate": DuplicateSerializer, "open_ticket_limit": OpenTicketLimitSerializer},
    resource_type_field_name="code",
    many=False,
)


class DepartmentRefSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class MeSerializer(serializers.Serializer):
    """The caller, as the API knows them."""

    username = serializers.CharField(read_only=True, help_text=gettext_lazy("Your username (log-in name)."))
    display_name = serializers.CharField(read_only=True, help_text=gettext_lazy("Your name as others see it."))
    is_agent = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("You answer tickets (an agent of a department, or a supervisor).")
    )
    is_supervisor = serializers.BooleanField(read_only=True, help_text=gettext_lazy("You see every department."))
    departments = DepartmentRefSerializer(
        many=True, read_only=True, help_text=gettext_lazy("The departments you are an agent of.")
    )
    language = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The language of the answers to this request (Accept-Language).")
    )


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


class StatsRowSerializer(serializers.Serializer):
    tickets = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField(), help_text=gettext_lazy("Count per status."))
    answered = serializers.IntegerField()
    avg_first_response_seconds = serializers.IntegerField(allow_null=True)
    median_first_response_seconds = serializers.IntegerField(allow_null=True)
    resolved = serializers.IntegerField()
    avg_resolution_seconds = serializers.IntegerField(allow_null=True)
    breached = serializers.IntegerField()


class StatsDepartmentSerializer(StatsRowSerializer):
    department = serializers.CharField(help_text=gettext_lazy("Department slug."))
    department_name = serializers.CharField()


class StatsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    overall = StatsRowSerializer()
    departments = StatsDepartmentSerializer(many=True)


def stats_row(row):
    """A row of :func:`helpdesk_tickets.stats.figures` with durations as whole seconds."""
    return {
        "tickets": row["tickets"],
        "by_status": dict(row["by_status"]),
        "answered": row["answered"],
        "avg_first_response_seconds": _seconds(row["avg_first_response"]),
        "median_first_response_seconds": _seconds(row["median_first_response"]),
        "resolved": row["resolved"],
        "avg_resolution_seconds": _seconds(row["avg_resolution"]),
        "breached": row["breached"],
    }
