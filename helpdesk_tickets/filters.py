"""The ticket filters: one FilterSet for the staff queue and the REST API (SPEC §6, §7).

Plain django-filter, no DRF: the web queue must not depend on the API. The
API's filter backend uses the same class and answers 400 naming the field
for an invalid value; the queue applies only the valid ones, so a stale
bookmark still shows a queue.

Parameters take the values of both adapters' past: ``assignee=me`` or
``mine``, ``none`` or ``unassigned``, a user's pk or username; a
department, type or product by slug or pk; ``search`` or ``q``; ``status``
repeatable, with ``open`` (every open status) and ``all``; ``field=key:value``
(repeatable: all of them) matches the values of the ticket types' fields.
"""

from datetime import UTC, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_slug
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import sla, users
from .conf import settings as app_settings
from .field_filters import FieldValueFilter
from .models import OPEN_STATUSES, Department, Priority, Product, Status, Tag, Ticket, TicketType
from .querysets import SORT_ACTIVITY, SORT_CREATED, SORT_DUE, SORT_PRIORITY

STATUS_OPEN = "open"
STATUS_ALL = "all"

ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
#: Older values of the staff queue, still in bookmarks.
ASSIGNEE_ALIASES = {"mine": ASSIGNEE_ME, "unassigned": ASSIGNEE_NONE}

SLA_BREACHED = "breached"
SLA_AT_RISK = "at_risk"
SLA_PAUSED = "paused"
SLA_ON_TRACK = "on_track"

#: The queue's ``sort`` values and the API ``ordering`` each is the same as. ``due`` has none:
#: the API pages by cursor, which a column that may be empty (paused tickets) would break.
SORT_ORDERINGS = {SORT_ACTIVITY: "-last_activity_at", SORT_CREATED: "-created_at", SORT_PRIORITY: "-priority"}


def queue_sort(params):
    """The queue's order from ``sort`` or, given the API's name, ``ordering``; ``due`` otherwise."""
    if params.get("sort") in (SORT_DUE, *SORT_ORDERINGS):
        return params["sort"]
    by_ordering = {ordering: sort for sort, ordering in SORT_ORDERINGS.items()}
    return by_ordering.get(params.get("ordering"), SORT_DUE)


def is_reference(value):
    """Whether a search ``value`` is one ticket reference (``HD-…`` with the configured prefix)."""
    prefix = app_settings.REFERENCE_PREFIX
    value = (value or "").strip()
    return bool(prefix) and len(value.split()) == 1 and value.upper().startswith(f"{prefix.upper()}-")


#: Ids above this are no row of ours (and some databases fail on them).
_MAX_ID_DIGITS = 18


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
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


def _as_id(value):
    """``value`` as a row id when it is one written in ASCII digits, else ``None``."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= _MAX_ID_DIGITS else None


def slug_or_id_q(value):
    """The rows whose slug is ``value``, or whose pk it is (the staff queue's older links)."""
    pk = _as_id(value)
    return Q(slug=value) | Q(pk=pk) if pk is not None else Q(slug=value)


def _related_filter(label):
    # Validated as a slug before it reaches the database (no NUL bytes or
    # other characters some backends refuse with an error); digits are a slug too.
    return django_filters.CharFilter(
        method="filter_related", label=label, validators=[validate_slug, MaxLengthValidator(80)]
    )


#: Tags one request may filter by.
MAX_TAGS = 10


class SlugListField(forms.Field):
    """Repeatable slugs (``tag=vip&tag=refund``): each validated before it reaches the database."""

    widget = forms.MultipleHiddenInput  # reads every value of a repeated parameter

    def to_python(self, value):
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return list(dict.fromkeys(str(item).strip() for item in values if str(item).strip()))

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_TAGS:
            raise ValidationError(_("At most %(count)d tags.") % {"count": MAX_TAGS}, code="max_tags")
        for slug in value:
            validate_slug(slug)
            MaxLengthValidator(60)(slug)


class TagFilter(django_filters.Filter):
    field_class = SlugListField


def _search_filter(label):
    return django_filters.CharFilter(method="filter_search", max_length=200, label=label)


class TicketFilterSet(django_filters.FilterSet):
    """The filters of ``GET tickets/`` and of the staff queue.

    ``default_status`` applies when no valid ``status`` is given (the queue
    shows open tickets, the API every status); ``ignore_unknown`` makes a
    department, type or product that does not exist no filter at all rather
    than an empty list (the queue's stale links); ``now`` is the instant the
    SLA states are judged at.
    """

    # distinct=False: columns of the ticket row, no join can repeat a ticket, and a DISTINCT
    # over the whole row made the filtered queue's count several times slower (bench/findings.rst).
    status = django_filters.MultipleChoiceFilter(
        method="filter_status",
        distinct=False,
        choices=[*Status.choices, (STATUS_OPEN, _("Open")), (STATUS_ALL, pgettext_lazy("filter", "All"))],
        label=_("Status (repeatable); “open” for every open status, “all” for any"),
    )
    department = _related_filter(_("Department slug"))
    ticket_type = _related_filter(_("Ticket type slug"))
    product = _related_filter(_("Product slug"))
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, distinct=False, label=_("Priority (repeatable)")
    )
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        max_length=150,
        label=_("Assignee's username, “me” or “none” (unassigned)"),
    )
    sla = django_filters.ChoiceFilter(
        method="filter_sla",
        choices=[
            (SLA_BREACHED, _("Breached")),
            (SLA_AT_RISK, _("Due within an hour")),
            (SLA_PAUSED, _("Paused (awaiting customer)")),
            (SLA_ON_TRACK, _("On track")),
        ],
        label=_("SLA state"),
    )
    # Staff-only: tickets outside the caller's queue never match (see TicketQuerySet.tagged).
    tag = TagFilter(method="filter_tag", label=_("Tag slug (repeatable: any of them); staff only"))
    field = FieldValueFilter(
        label=_("A field's key and value, “key:value” (repeatable: all of them); text fields match a part")
    )
    search = _search_filter(_("Words of the subject or description, or a reference"))
    q = _search_filter(_("The same as “search”"))
    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created at or after (ISO 8601)")
    )
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Created before (ISO 8601)"))
    activity_after = UTCDateTimeFilter(
        field_name="last_activity_at",
        lookup_expr="gt",
        label=_("Changed or answered after (ISO 8601); for polling"),
    )

    class Meta:
        model = Ticket
        fields = []

    related_models = {"department": Department, "ticket_type": TicketType, "product": Product}

    def __init__(self, *args, default_status=None, ignore_unknown=False, now=None, search_people=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_status = default_status
        self.ignore_unknown = ignore_unknown
        self.now = now or timezone.now()
        #: The staff queue's search also finds the requester by name or username (users.search_q).
        self.search_people = search_people

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.default_status and not self.form.cleaned_data.get("status") and not self.searches_reference():
            queryset = self.filter_status(queryset, "status", [self.default_status])
        return queryset

    def searches_reference(self):
        """Whether the search is a ticket reference ("HD-…"): it then finds the ticket whatever its status,
        as the agent means that one ticket (a resolved one as well), not "the open tickets like it"."""
        if not self.form.is_valid():
            return False
        return is_reference(self.form.cleaned_data.get("search") or self.form.cleaned_data.get("q"))

    def applied(self):
        """The valid filters that were given a value, by name."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "", [])}

    def filter_status(self, queryset, name, value):
        values = set(value)
        if STATUS_ALL in values:
            return queryset
        if STATUS_OPEN in values:
            values = (values - {STATUS_OPEN}) | set(OPEN_STATUSES)
        return queryset.filter(status__in=sorted(values))

    def filter_related(self, queryset, name, value):
        rows = self.related_models[name]._default_manager.filter(slug_or_id_q(value))
        if self.ignore_unknown and not rows.exists():
            return queryset
        pk = _as_id(value)
        match = Q(**{f"{name}__slug": value})
        if pk is not None:
            match |= Q(**{f"{name}_id": pk})
        return queryset.filter(match)

    def filter_assignee(self, queryset, name, value):
        value = value.strip()
        value = ASSIGNEE_ALIASES.get(value, value)
        if value == ASSIGNEE_ME:
            return queryset.filter(assignee=self.request.user)
        if value == ASSIGNEE_NONE:
            return queryset.filter(assignee__isnull=True)
        match = Q(**{f"assignee__{users.username_field()}": value})
        # The queue's own choices are the users' pks (integers or UUIDs, whatever the host's model has).
        pk = users.pk_from(value)
        if pk is not None and (not isinstance(pk, int) or len(str(pk)) <= _MAX_ID_DIGITS):
            match |= Q(assignee__pk=pk)
        return queryset.filter(match)

    def filter_sla(self, queryset, name, value):
        # The rules are sla.py's; "on track" is whatever is running, neither breached nor at risk.
        now = self.now
        if value == SLA_BREACHED:
            return queryset.filter(sla.breached_q(now))
        if value == SLA_AT_RISK:
            return queryset.filter(sla.at_risk_q(now))
        if value == SLA_PAUSED:
            return queryset.filter(status__in=OPEN_STATUSES, sla_paused_at__isnull=False)
        return queryset.filter(sla_due__gt=now + sla.AT_RISK_WITHIN).exclude(sla.breached_q(now))

    def filter_tag(self, queryset, name, value):
        if self.ignore_unknown and not Tag.objects.filter(slug__in=value).exists():
            return queryset
        return queryset.tagged(value, getattr(self.request, "user", None))

    def filter_search(self, queryset, name, value):
        # Persian letters and digits, case and spacing normalised (Ticket.objects.search).
        if self.search_people and value.strip():
            matches = Ticket.objects.search(value).values("pk")
            return queryset.filter(Q(pk__in=matches) | users.search_q(value, prefix="requester__"))
        return queryset.search(value)
