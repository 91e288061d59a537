"""Fields of the REST API's serializers: slugs, usernames, and datetimes as DRF writes them."""

import re
from collections.abc import Mapping

from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from .. import users

#: Pattern of a ticket reference: the `{reference}` path segment (checked by the URLconf before any
#: lookup) and a reference in a request body.
REFERENCE_PATTERN = r"[A-Za-z0-9-]{1,32}"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}\Z")
# Lone surrogates cannot be stored by any backend (and are never real text).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _seconds(value):
    return None if value is None else int(value.total_seconds())


def reject_unstorable(value):
    """Refuse text no database can store (NUL bytes, lone surrogates) with a 400 instead of a 500."""
    if isinstance(value, str) and ("\x00" in value or _SURROGATE.search(value)):
        raise serializers.ValidationError(_("This text contains a character that is not allowed."))
    return value


class RejectUnknownFields:
    """SPEC §6: a field that does not exist (or cannot be written) is a 400 naming it, never ignored."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                message = _("This field does not exist or cannot be changed.")
                raise serializers.ValidationError({name[:100]: [message] for name in unknown})
        return super().to_internal_value(data)


class BySlugField(serializers.SlugRelatedField):
    """A related object written by slug; anything that is not a slug is refused before any lookup."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _SLUG.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data)[:80])
        return super().to_internal_value(data)


class OfferingSlugField(BySlugField):
    """A department, ticket type or product of a new ticket, found by the serializer's one query.

    :class:`TicketCreateSerializer` reads the three slugs it was sent with
    :func:`~helpdesk_tickets.services.find_offering` before validating its
    fields; each field takes its object from there (the errors are those of
    :class:`BySlugField`), or looks it up itself when used elsewhere.
    """

    def to_internal_value(self, data):
        found = getattr(self.parent, "offering", {}).get(self.field_name)
        if found is None or found[0] != data:
            return super().to_internal_value(data)
        if found[1] is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return found[1]


@extend_schema_field(OpenApiTypes.STR)
class UsernameField(serializers.SlugRelatedField):
    """A user written by username (the host model's ``USERNAME_FIELD``), among active users by default.

    The field and the queryset are looked up when used, not when the
    serializer class is defined: the host's user model may not be ready then.
    """

    def __init__(self, **kwargs):
        super().__init__(slug_field="USERNAME_FIELD", **kwargs)

    @property
    def slug_field(self):
        return users.username_field()

    @slug_field.setter
    def slug_field(self, value):  # set by SlugRelatedField.__init__; always the model's USERNAME_FIELD
        pass

    def get_queryset(self):
        return users.active_users() if self.queryset is None else super().get_queryset()

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 254 or "\x00" in data or _SURROGATE.search(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class CustomerField(UsernameField):
    """A customer written by username: an active user who is not staff (:func:`~helpdesk_tickets.users.customers`).

    Anyone else (an agent, an inactive account, nobody) gets the same error,
    so that the answer does not tell which accounts exist.
    """

    def get_queryset(self):
        return users.customers()


def datetime_representation():
    """DRF's ``DateTimeField.to_representation`` with the format and time zone looked up once, not per value.

    The usual case (ISO 8601 in an aware time zone) is written out; any other
    ``REST_FRAMEWORK["DATETIME_FORMAT"]`` or ``USE_TZ = False`` goes through
    DRF's own field, pinned to the same time zone.
    """
    field = serializers.DateTimeField(read_only=True)
    field.timezone = field.default_timezone()
    output_format = api_settings.DATETIME_FORMAT
    if field.timezone is None or output_format is None or output_format.lower() != ISO_8601:
        return field.to_representation
    zone = field.timezone

    def represent(value):
        if value is None or isinstance(value, str) or value.utcoffset() is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # DRF's error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent
