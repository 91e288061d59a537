"""Querysets: visibility is decided here, once, for every list, detail and download."""

from datetime import UTC, datetime

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import permissions, sla, users
from .choices import OPEN_STATUSES, PRIORITY_RANK
from .text import normalize_text

#: Stands for "no deadline" when sorting on an expression (none sort last).
_LAST = datetime(9999, 12, 31, tzinfo=UTC)

#: The ticket's own columns an API row reads (``TicketSerializer.to_representation``).
_API_ROW_COLUMNS = """
    reference subject status priority channel message_count department ticket_type product requester assignee
    created_at updated_at last_activity_at last_staff_reply_at requester_last_read_at
    first_response_at resolved_at closed_at first_response_due resolution_due sla_paused_at field_values
""".split()

#: The staff queue's orders (see :meth:`TicketQuerySet.queue_order`).
SORT_DUE = "due"
SORT_ACTIVITY = "activity"
SORT_PRIORITY = "priority"
SORT_CREATED = "created"


class OfferedQuerySet(models.QuerySet):
    """Departments, ticket types and products."""

    def active(self):
        return self.filter(active=True)

    def offered_in(self, department):
        """Types or products offered in ``department`` (those linked to no department are offered everywhere)."""
        return self.filter(Q(departments=department) | Q(departments__isnull=True)).distinct()


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tickets ``user`` may see: their own, plus their departments' as an agent, or all as a supervisor."""
        if not (user and user.is_authenticated and users.is_active(user)):
            return self.none()
        if permissions.is_supervisor(user):
            return self.all()
        departments = permissions.agent_department_ids(user)
        if departments:
            return self.filter(Q(requester=user) | Q(department_id__in=departments))
        return self.filter(requester=user)

    def requested_by(self, user):
        """The customer's own Ticket list."""
        if not (user and user.is_authenticated):
            return self.none()
        return self.filter(requester=user)

    def in_queue_of(self, user):
        """The staff queue: the agent's departments, or all for a supervisor."""
        if permissions.is_supervisor(user):
            return self.all()
        departments = permissions.agent_department_ids(user)
        return self.filter(department_id__in=departments) if departments else self.none()

    def with_related(self):
        return self.select_related("department", "ticket_type", "product", "requester", "assignee")

    def for_api_list(self):
        """With each ticket, only the columns an API list row reads of it and of its related rows.

        Whole users (password hashes, dates), catalogue rows (descriptions) and
        the search text were most of a page's ORM time: bench/findings.rst, "API list".
        """
        catalogue = ("slug", "name", "translations")
        related = {"department": catalogue, "ticket_type": catalogue, "product": catalogue}
        related.update(requester=users.columns(), assignee=users.columns())
        return self.select_related(*related).only(
            *_API_ROW_COLUMNS, *(f"{name}__{column}" for name, columns in related.items() for column in columns)
        )

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def tagged(self, slugs, user):
        """Tickets in ``user``'s queue carrying any of the tags ``slugs``.

        Tags are staff-only: someone who is staff for no ticket finds none this
        way, so a customer filtering their own tickets by tag learns nothing.
        """
        from .models import Ticket  # models imports this module for its managers

        if not permissions.is_agent(user):
            return self.none()
        links = Ticket.tags.through.objects.filter(ticket=models.OuterRef("pk"), tag__slug__in=list(slugs))
        queryset = self.filter(models.Exists(links))
        if not permissions.is_supervisor(user):
            queryset = queryset.filter(department_id__in=permissions.agent_department_ids(user))
        return queryset

    def with_tags(self):
        """Each ticket's tags in one query for the whole page (read them with ``ticket.tags.all()``)."""
        from .models import Tag

        return self.prefetch_related(models.Prefetch("tags", queryset=Tag.objects.only("name", "slug", "colour")))

    def open_counts(self, *, mine=None, now=None):
        """Open tickets: how many in all, unassigned, breached, paused (and assigned to ``mine``), in one query.

        Counts a never-null column of the open-ticket index (migration 0003),
        not the id, which that index does not hold: on PostgreSQL the whole
        aggregate is then an index-only scan.
        """
        column = "department"
        figures = {
            # First: aggregate() walks every aggregate but the first, hashing each node of its filter, and
            # this filter is the deep one (6 M of the dashboard's 55 M instructions otherwise: bench/findings.rst).
            "breached": models.Count(column, filter=sla.breached_q(now or timezone.now())),
            "open": models.Count(column),
            "unassigned": models.Count(column, filter=Q(assignee__isnull=True)),
            "paused": models.Count(column, filter=Q(sla_paused_at__isnull=False)),
        }
        if mine is not None:
            figures["mine"] = models.Count(column, filter=Q(assignee=mine))
        return self.open().aggregate(**figures)

    def with_priority_rank(self):
        """Annotate ``priority_rank`` (low=0 … urgent=3) so that tickets sort by urgency, not alphabetically."""
        return self.annotate(
            priority_rank=models.Case(
                *[models.When(priority=priority, then=models.Value(rank)) for priority, rank in PRIORITY_RANK.items()],
                default=models.Value(0),
                output_field=models.IntegerField(),
            )
        )

    def by_sla_due(self, *, searched=False):
        """Most urgent first: the running SLA deadline (stored ``sla_due``, none last), then priority, then age."""
        return self.queue_order(SORT_DUE, searched=searched)

    def queue_order(self, sort=SORT_DUE, *, searched=False):
        """The staff queue's orders: ``due`` (most urgent first), ``priority``, ``activity`` or ``created``.

        Pass ``searched=True`` after :meth:`search`. A search is selective, so
        its matches are best fetched through the search indexes and then
        sorted; without a hint PostgreSQL walks the index of the sort column
        instead and tests every ticket against the query on the way (seconds
        at a million tickets when few match). Sorting on ``COALESCE(column,
        …)``, which no index holds, gives the same order and the fast plan.
        """

        def key(field, descending=False):
            if searched:
                column = Coalesce(field, models.Value(_LAST, output_field=models.DateTimeField()))
            else:
                column = models.F(field)
            return column.desc() if descending else column.asc(nulls_last=True)

        queryset = self.with_priority_rank()
        if sort == SORT_ACTIVITY:
            return queryset.order_by(key("last_activity_at", descending=True), "-id")
        if sort == SORT_CREATED:
            return queryset.order_by(key("created_at", descending=True), "-id")
        if sort == SORT_PRIORITY:
            return queryset.order_by("-priority_rank", key("sla_due"), "id")
        return queryset.order_by(key("sla_due"), "-priority_rank", "id")

    def breached(self, now=None):
        """Tickets that missed an SLA deadline at ``now`` (see :func:`helpdesk_tickets.sla.is_breached`)."""
        return self.filter(sla.breached_q(now or timezone.now()))

    def at_risk(self, now=None):
        """Tickets whose running deadline is near (see :func:`helpdesk_tickets.sla.is_at_risk`)."""
        return self.filter(sla.at_risk_q(now or timezone.now()))

    def search(self, query):
        """Tickets matching every word of ``query`` in their subject, description or reference.

        The query gets the same Persian normalisation as ``search_text``
        (Arabic/Persian letters and digits unified, zero-width joiners
        dropped, case folded). On PostgreSQL this is full-text search with
        prefix matching (``simple`` configuration: no language stemming,
        which would mangle Persian); elsewhere a portable substring match.
        A query that is exactly a requester's username or e-mail also
        finds their tickets.
        """
        import re

        from django.db import connections

        normalized = normalize_text(query)
        terms = normalized.split()[:10]
        if not terms:
            return self
        raw = (query or "").strip()
        person = users.same_person_q(raw, prefix="requester__")
        if connections[self.db].vendor == "postgresql":
            from django.contrib.postgres.expressions import ArraySubquery
            from django.contrib.postgres.search import SearchQuery, SearchVector

            # The same people, looked up once (an InitPlan) rather than joined:
            # with every branch of the OR on an indexed column, PostgreSQL
            # combines the indexes of migration 0002 instead of reading the table.
            people = users.model()._default_manager.filter(users.same_person_q(raw))
            person = Q(_EqualsAny(models.F("requester_id"), ArraySubquery(people.values("pk"))))

            words = re.findall(r"\w+", normalized)[:10]
            if words:
                # Each word as a quoted prefix lexeme: \w+ holds no tsquery syntax, so nothing to escape.
                tsquery = " & ".join(f"'{word}':*" for word in words)
                vector = SearchVector("search_text", "reference", config="simple")
                return self.alias(_hdt_search=vector).filter(
                    Q(_hdt_search=SearchQuery(tsquery, config="simple", search_type="raw"))
                    | Q(reference__iexact=raw)
                    | person
                )
        words = Q()
        for term in terms:
            words &= Q(search_text__contains=term) | Q(reference__icontains=term)
        return self.filter(words | person)


class _EqualsAny(models.Func):
    """``column = ANY(ARRAY(subquery))`` (PostgreSQL): an index-friendly ``column IN (subquery)``."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = models.BooleanField()


class TagQuerySet(models.QuerySet):
    def usable_in(self, department):
        """Tags tickets of ``department`` (an object or a pk) may carry: its own and the global ones."""
        pk = getattr(department, "pk", department)
        return self.filter(Q(department__isnull=True) | Q(department_id=pk))

    def for_staff(self, user):
        """Tags ``user`` works with: the global ones and their departments' (all for a supervisor)."""
        if permissions.is_supervisor(user):
            return self.all()
        return self.filter(Q(department__isnull=True) | Q(department_id__in=permissions.agent_department_ids(user)))


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user, ticket=None):
        """The thread of ``ticket`` as ``user`` may read it (customers never get internal notes).

        Empty for someone who may not see the ticket at all, so a caller
        that forgot to check the ticket first still leaks nothing.

        Without ``ticket``: the messages of every ticket ``user`` may see,
        internal notes only on the tickets they are staff for — not on one
        they merely requested (the admin's lists and searches).
        """
        if ticket is None:
            return self._visible_across_tickets(user)
        if not permissions.can_view(user, ticket):
            return self.none()
        qs = self.filter(ticket=ticket)
        if not permissions.can_see_internal(user, ticket):
            qs = qs.filter(internal=False)
        return qs

    def _visible_across_tickets(self, user):
        # The queryset twins of can_view (visible_to) and can_see_internal
        # (in_queue_of); tests/security/test_security_admin.py checks they agree.
        if permissions.is_supervisor(user):
            return self.all()  # staff for every ticket; spares a subquery over all of them
        from .models import Ticket  # models imports this module for its managers

        return self.filter(ticket__in=Ticket.objects.visible_to(user)).filter(
            Q(internal=False) | Q(ticket__in=Ticket.objects.in_queue_of(user))
        )

    def public(self):
        return self.filter(internal=False)


class MailQuerySet(models.QuerySet):
    """Received and outgoing e-mails: as visible as their ticket's queue; mail without a ticket only to supervisors."""

    def visible_to(self, user):
        if not (user and user.is_authenticated and users.is_active(user)):
            return self.none()
        if getattr(user, "is_superuser", False) or permissions.is_supervisor(user):
            return self.all()
        departments = permissions.agent_department_ids(user)
        return self.filter(ticket__department_id__in=departments) if departments else self.none()


class RatingQuerySet(models.QuerySet):
    """Satisfaction ratings: staff see those of their queue (supervisors all); a customer their own tickets'."""

    def visible_to(self, user):
        if not (user and user.is_authenticated and users.is_active(user)):
            return self.none()
        if getattr(user, "is_superuser", False) or permissions.is_supervisor(user):
            return self.all()
        departments = permissions.agent_department_ids(user)
        return self.filter(models.Q(ticket__department_id__in=departments) | models.Q(ticket__requester=user))
