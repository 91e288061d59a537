"""What filtering is the API's own: the ticket ordering, the on-demand backend, the small FilterSets.

The ticket filters are :class:`helpdesk_tickets.filters.TicketFilterSet`,
shared with the staff queue; DRF's backend turns its errors into a 400
naming the field.
"""

import django_filters
from django.core.validators import MaxLengthValidator, validate_slug
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from ..filters import SORT_ORDERINGS, TicketFilterSet, UTCDateTimeFilter
from ..models import Department, Message

__all__ = ["MessageFilterSet", "OfferedFilterSet", "OnDemandFilterBackend", "TicketFilterSet", "TicketOrderingFilter"]

#: What the schema says of a slug in a query (empty: no filter), as the filters' validators check it.
SLUG_SCHEMA = {"type": "string", "pattern": "^[-a-zA-Z0-9_]*$", "maxLength": 80}

#: What the schema adds to the query parameters of these names: the checks of the filters behind them
#: (helpdesk_tickets.filters), which drf-spectacular cannot read from django-filter's validators.
QUERY_PARAMETER_SCHEMAS = {
    "department": SLUG_SCHEMA,
    "ticket_type": SLUG_SCHEMA,
    "product": SLUG_SCHEMA,
    "search": {"maxLength": 200},
    "q": {"maxLength": 200},
    "assignee": {"maxLength": 150},
}
#: Said of every date-time query parameter.
DATETIME_NOTE = "An ISO 8601 date-time with its offset (at most ±14:00, as on Earth)."

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
    #: The staff queue's name for it, with the queue's values (``SORT_ORDERINGS``).
    sort_param = "sort"

    def get_ordering(self, request, queryset, view):
        value = request.query_params.get(self.ordering_param)
        sort = request.query_params.get(self.sort_param)
        if not value and sort:
            value = SORT_ORDERINGS.get(sort)
            if value is None:
                raise ValidationError(
                    {self.sort_param: [_("Unknown sort. Use one of: %s.") % ", ".join(SORT_ORDERINGS)]}
                )
        value = value or DEFAULT_TICKET_ORDERING
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
                "schema": {
                    "type": "string",
                    "enum": ordering_choices(),
                    "default": DEFAULT_TICKET_ORDERING,
                    # Names for generated clients' enums ("-created_at" is no identifier).
                    "x-enum-varnames": [
                        name.upper() + ("_DESC" if value.startswith("-") else "")
                        for value in ordering_choices()
                        for name in [value.lstrip("-")]
                    ],
                },
            },
            {
                "name": self.sort_param,
                "required": False,
                "in": "query",
                "description": str(gettext_lazy("The staff queue's name for a descending ordering.")),
                "schema": {"type": "string", "enum": list(SORT_ORDERINGS)},
            },
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


class OfferedFilterSet(django_filters.FilterSet):
    """``?department=<slug>``: the types or products offered in that department."""

    department = django_filters.CharFilter(
        method="filter_department",
        validators=[validate_slug, MaxLengthValidator(80)],
        label=gettext_lazy("Department slug: only what that department offers"),
    )

    @extend_schema_field(SLUG_SCHEMA)
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
