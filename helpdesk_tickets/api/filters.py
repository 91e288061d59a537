"""Filters of the REST API: django-filter FilterSets and the ticket ordering."""

from datetime import UTC, timedelta

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, validate_slug
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from .. import users
from ..models import Department, Message, Priority, Status, Ticket

#: Ticket orderings a client may ask for (each also with a leading "-"), and the column behind each.
TICKET_ORDERINGS = {
    "last_activity_at": "last_activity_at",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "priority": "priority_rank",
}
DEFAULT_TICKET_ORDERING = "-last_activity_at"


def ordering_choices():
    return [f"{prefix}{name}" for name in TICKET_ORDERINGS for prefix in ("", "-")]


class TicketOrderingFilter(BaseFilterBackend):
    """``?ordering=<name>`` from an explicit list; anything else is a 400.

    Cursor pagination asks this backend for the ordering (``get_ordering``), so
    pages stay consistent with the sort; ``id`` breaks ties.
    """

    ordering_param = "ordering"

    def get_ordering(self, request, queryset, view):
        value = request.query_params.get(self.ordering_param) or DEFAULT_TICKET_ORDERING
        descending = value.startswith("-")
        column = TICKET_ORDERINGS.get(value.lstrip("-") if value.count("-") <= 1 else "")
        if column is None:
            raise ValidationError(
                {self.ordering_param: [_("Unknown ordering. Use one of: %s.") % ", ".join(ordering_choices())]}
            )
        prefix = "-" if descending else ""
        return (f"{prefix}{column}", f"{prefix}id")

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering[0].lstrip("-") == "priority_rank":
            # Annotated only for this order: compiling the CASE is a noticeable share of every other list.
            queryset = queryset.with_priority_rank()
        return queryset.order_by(*ordering)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(gettext_lazy("Sort order; a leading “-” sorts descending.")),
                "schema": {"type": "string", "enum": ordering_choices(), "default": DEFAULT_TICKET_ORDERING},
            }
        ]


class OnDemandFilterBackend(DjangoFilterBackend):
    """django-filter's backend, run only when the request names one of the filters.

    Building a FilterSet and its form deep-copies every filter and form
    field: on a page of tickets that costs about as much CPU as writing the
    page out, to return the queryset unchanged when no filter is given. The
    parameters of a FilterSet whose widgets each read one value are its
    filter names (true of :class:`TicketFilterSet`).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and request.query_params.keys().isdisjoint(filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


class UTCDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, in UTC once parsed.

    Offsets beyond ±14:00 (no place on Earth has them) are refused: some
    databases cannot store them and would fail the query.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        offset = value.utcoffset()
        if offset is not None and abs(offset) > timedelta(hours=14):
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid") from exc


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


def _slug_filter(field_name, label):
    # Validated as a slug before it reaches the database (no NUL bytes or
    # other characters some backends refuse with an error).
    return django_filters.CharFilter(
        field_name=field_name, label=label, validators=[validate_slug, MaxLengthValidator(80)]
    )


class TicketFilterSet(django_filters.FilterSet):
    """The filters of ``GET tickets/`` (SPEC §6)."""

    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=gettext_lazy("Status (repeatable)"))
    department = _slug_filter("department__slug", gettext_lazy("Department slug"))
    ticket_type = _slug_filter("ticket_type__slug", gettext_lazy("Ticket type slug"))
    product = _slug_filter("product__slug", gettext_lazy("Product slug"))
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, label=gettext_lazy("Priority (repeatable)")
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        max_length=150,
        label=gettext_lazy("Assignee's username, “me” or “none” (unassigned)"),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        label=gettext_lazy("Words of the subject or description, or a reference"),
    )
    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=gettext_lazy("Created at or after (ISO 8601)")
    )
    created_before = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=gettext_lazy("Created before (ISO 8601)")
    )
    activity_after = UTCDateTimeFilter(
        field_name="last_activity_at",
        lookup_expr="gt",
        label=gettext_lazy("Changed or answered after (ISO 8601); for polling"),
    )

    class Meta:
        model = Ticket
        fields = []

    def filter_assignee(self, queryset, name, value):
        value = value.strip()
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(**{f"assignee__{users.username_field()}": value})

    def filter_search(self, queryset, name, value):
        # The same normalisation as the web queue (Persian letters and digits, case, spacing).
        return queryset.search(value)


class OfferedFilterSet(django_filters.FilterSet):
    """``?department=<slug>``: the types or products offered in that department."""

    department = django_filters.CharFilter(
        method="filter_department",
        validators=[validate_slug, MaxLengthValidator(80)],
        label=gettext_lazy("Department slug: only what that department offers"),
    )

    def filter_department(self, queryset, name, value):
        department = Department.objects.active().filter(slug=value).first()
        if department is None:
            return queryset.none()
        return queryset.offered_in(department)


class MessageFilterSet(django_filters.FilterSet):
    """Filters of a ticket's thread; ``created_after`` lets a client poll for new replies."""

    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gt", label=gettext_lazy("Posted after (ISO 8601)")
    )

    class Meta:
        model = Message
        fields = []
