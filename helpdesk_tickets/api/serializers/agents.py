"""Serializers of the staff's tools at scale: tags on tickets, merging, bulk actions, exports.

Tags are staff-only: a ticket's ``tags`` are listed for staff of the ticket
and are an empty list for anyone else (its requester), so the field is in
every answer and the schema does not change with the caller. They are
written by slug (``PATCH tickets/{reference}/``, bulk ``add_tags`` /
``remove_tags``) and read as objects (slug, name, colour).
"""

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ... import permissions, services
from ...models import Priority, Status, TagColour
from ..fields import REFERENCE_PATTERN, RejectUnknownFields, UsernameField

#: A ticket reference in a request body.
REFERENCE_RE = re.compile(rf"^{REFERENCE_PATTERN}\Z")
#: Tags one request names at most, per list.
MAX_TAGS_PER_REQUEST = 50
#: The code of the 400 for a bulk action over more than ``MAX_BULK_TICKETS`` tickets.
TOO_MANY_TICKETS = "too_many_tickets"


class TagSerializer(serializers.Serializer):
    """A staff-only tag as a ticket carries it."""

    slug = serializers.SlugField(read_only=True, help_text=gettext_lazy("What a change names the tag by."))
    name = serializers.CharField(read_only=True)
    colour = serializers.ChoiceField(choices=TagColour.choices, read_only=True)


def tag_representation(tag):
    """A tag as :class:`TagSerializer` writes it (the ticket serializer writes its rows by hand)."""
    return {"slug": tag.slug, "name": tag.name, "colour": tag.colour}


def ticket_tags(ticket, context):
    """``ticket``'s tags as the caller of ``context`` sees them: every one for its staff, none for anyone else.

    Read from the tags fetched with the ticket (``Ticket.objects.with_tags()``,
    one query for a page), which the views fetch for staff callers only: a
    ticket without them (a customer's answer, a ticket just opened) shows
    none, and costs no query nor permission check.
    """
    fetched = getattr(ticket, "_prefetched_objects_cache", {}).get("tags")
    if not fetched:
        return []
    request = context.get("request")
    if request is None or not permissions.is_staff_for(request.user, ticket):
        return []
    return [tag_representation(tag) for tag in fetched]


def tags_field():
    """The ``tags`` of a ticket's representation (read) as the schema shows it."""
    return TagSerializer(
        many=True,
        read_only=True,
        help_text=gettext_lazy(
            "The ticket's staff-only tags, sorted by name; always empty for a caller who is not staff for the ticket."
        ),
    )


def tag_slugs_field(help_text):
    return serializers.ListField(
        child=serializers.SlugField(max_length=60),
        required=False,
        max_length=MAX_TAGS_PER_REQUEST,
        help_text=help_text,
    )


def write_tags_field():
    """The ``tags`` of ``PATCH tickets/{reference}/``: the exact list of slugs the ticket is to carry."""
    return tag_slugs_field(
        gettext_lazy(
            "Slugs of the tags the ticket is to carry, exactly (an empty list removes them all): global tags "
            "and the ticket's department's."
        )
    )


@extend_schema_field({"type": "string", "pattern": f"^{REFERENCE_PATTERN}$", "maxLength": 32})
class _ReferenceField(serializers.CharField):
    """A ticket reference, as the schema's pattern says it (no spaces around it), in either case."""

    def __init__(self, **kwargs):
        kwargs.update(max_length=32, trim_whitespace=False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not REFERENCE_RE.match(value):
            raise serializers.ValidationError(_("“%(value)s” is not a ticket reference.") % {"value": value[:32]})
        return value.upper()


class MergeSerializer(RejectUnknownFields, serializers.Serializer):
    """Merge the ticket of the path into another one."""

    into = _ReferenceField(help_text=gettext_lazy("Reference of the ticket to merge into (one of your queue)."))
    across_requesters = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "Merge even when the other ticket is another customer's (its requester then reads this thread)."
        ),
    )


@extend_schema_field({"type": "string", "enum": ["merged"], "description": "The ticket was merged."})
class _MergedCode(serializers.CharField):
    pass


class MovedSerializer(serializers.Serializer):
    """The ticket was merged into another: the answer's Location is the same address of that one."""

    detail = serializers.CharField()
    code = _MergedCode()
    merged_into = serializers.CharField(help_text="Reference of the ticket it is in now.")


class BulkActionSerializer(RejectUnknownFields, serializers.Serializer):
    """One change to many tickets: each ticket is changed on its own, and refused on its own."""

    tickets = serializers.ListField(
        child=_ReferenceField(),
        min_length=1,
        max_length=services.MAX_BULK_TICKETS,
        help_text=gettext_lazy(
            "References of tickets of your queue; more than the maximum is a 400 (too_many_tickets)."
        ),
    )
    assignee = UsernameField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Username of an agent of each ticket's department, or null to unassign."),
        error_messages={"does_not_exist": gettext_lazy("This person is not an agent of the ticket's department.")},
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    add_tags = tag_slugs_field(gettext_lazy("Slugs of tags to put on each ticket."))
    remove_tags = tag_slugs_field(gettext_lazy("Slugs of tags to take off each ticket."))
    merge_into = _ReferenceField(
        required=False, help_text=gettext_lazy("Reference of a ticket of your queue to merge each ticket into.")
    )
    merge_across_requesters = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("With merge_into: merge tickets of other customers too (they read each other's)."),
    )

    def to_internal_value(self, data):
        # Counted before each reference is checked: the limit is the answer, with its own code.
        tickets = data.get("tickets") if isinstance(data, Mapping) else None
        if isinstance(tickets, list) and len(tickets) > services.MAX_BULK_TICKETS:
            message = _("At most %(count)d tickets at once.") % {"count": services.MAX_BULK_TICKETS}
            raise serializers.ValidationError({"tickets": [message], "detail": message, "code": TOO_MANY_TICKETS})
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not any(name in attrs for name in services.BULK_CHANGES):
            raise serializers.ValidationError(
                _("Name the change to make: one or more of %(fields)s.") % {"fields": ", ".join(services.BULK_CHANGES)}
            )
        if "merge_into" in attrs and attrs["merge_into"] in attrs["tickets"]:
            raise serializers.ValidationError({"merge_into": [_("A ticket cannot be merged into itself.")]})
        return attrs


class BulkResultSerializer(serializers.Serializer):
    """What happened to one ticket of a bulk action."""

    reference = serializers.CharField()
    ok = serializers.BooleanField(help_text=gettext_lazy("The change was made to this ticket."))
    code = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy(
            "Why it was refused (null when done): not_found, permission_denied, invalid (a value this ticket "
            "cannot take), invalid_transition, or a merge_* code."
        ),
    )
    detail = serializers.CharField(allow_null=True, help_text=gettext_lazy("The refusal in words; null when done."))


class BulkResponseSerializer(serializers.Serializer):
    """The results of a bulk action, one per ticket in the order they were named."""

    done = serializers.IntegerField(help_text=gettext_lazy("Tickets changed."))
    refused = serializers.IntegerField(help_text=gettext_lazy("Tickets left as they were."))
    results = BulkResultSerializer(many=True)


def bulk_result(result):
    """A :class:`~helpdesk_tickets.services.BulkResult` as :class:`BulkResultSerializer` writes it."""
    return {
        "reference": result.reference,
        "ok": result.ok,
        "code": result.code or None,
        "detail": result.message or None,
    }


class ExportQuerySerializer(serializers.Serializer):
    """The file type of ``GET tickets/export/`` (the filters are the list's)."""

    format = serializers.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")], default="csv", required=False)
