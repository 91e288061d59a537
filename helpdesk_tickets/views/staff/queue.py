"""The staff queue: the list, its export, its bulk form and the agent's away switch."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, View

from ... import exports, services
from ...conf import settings as app_settings
from ...filters import STATUS_OPEN, TicketFilterSet, is_reference, queue_sort
from ...models import AgentStatus, Tag, Ticket
from ...staff_forms import BulkActionForm, QueueFilterForm, assignable_users
from ..errors import REFUSALS, error_text
from ..mixins import AgentRequiredMixin
from ._base import safe_next, staff_departments


def queue_tickets(request, now):
    """The staff queue of ``request.user`` as its query parameters filter and sort it, and the filters applied.

    The filters are the API's (:class:`~helpdesk_tickets.filters.TicketFilterSet`); an invalid value is left
    out rather than failing the page (a stale bookmark). The page, its export and its bulk form read this.
    """
    params = request.GET.copy()
    # "#vip" in the search box is the tag filter: the queue's own shorthand, the API's search is unchanged.
    words = params.get("q", "").split()
    hashtags = [word[1:] for word in words if word.startswith("#") and len(word) > 1]
    if hashtags:
        params.setlist("tag", [*params.getlist("tag"), *hashtags])
        params["q"] = " ".join(word for word in words if not word.startswith("#"))
    filterset = TicketFilterSet(
        params,
        queryset=Ticket.objects.in_queue_of(request.user).with_related(),
        request=request,
        default_status=STATUS_OPEN,
        ignore_unknown=True,
        now=now,
        search_people=True,
    )
    applied = filterset.applied()
    searched = bool(applied.get("search") or applied.get("q"))
    return filterset.qs.queue_order(queue_sort(request.GET), searched=searched), applied


class QueueView(AgentRequiredMixin, ListView):
    """Tickets of the agent's departments (all for a supervisor), filtered, searched, sorted and paginated."""

    template_name = "helpdesk_tickets/staff/queue.html"
    context_object_name = "tickets"
    section = "staff"

    def get_paginate_by(self, queryset):
        return app_settings.PAGE_SIZE

    def paginate_queryset(self, queryset, page_size):
        # A stale page number (the tickets moved on since the link was made) shows the nearest page, not a 404.
        paginator = self.get_paginator(queryset, page_size)
        if self.whole_queue:
            paginator.count = self.counts["open"]
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_queryset(self):
        user = self.request.user
        self.now = timezone.now()
        self.departments = staff_departments(user)
        dept_ids = self.departments.values("pk")
        # Read once, shown by both the filters and the bulk form.
        self.assignees = list(assignable_users(dept_ids))
        self.tags = list(Tag.objects.for_staff(user))
        # Shown, not validated: the filter set below reads the values.
        self.filter_form = QueueFilterForm(
            initial={**self.request.GET.dict(), "sort": queue_sort(self.request.GET)},
            departments=self.departments,
            assignees=self.assignees,
            tags=self.tags,
        )
        self.counts = self.summary_counts()
        queryset, applied = queue_tickets(self.request, self.now)
        # A search with the default status looks at open tickets only (a reference: at every status); say so.
        words = applied.get("q") or applied.get("search")
        self.searched_open_only = bool(words) and "status" not in applied and not is_reference(words)
        # The default queue is every open ticket of the agent's departments: the summary has counted it already.
        self.whole_queue = set(applied) <= {"status"} and applied.get("status", [STATUS_OPEN]) == [STATUS_OPEN]
        return queryset.with_tags()

    def summary_counts(self):
        """Open, mine, unassigned and breached tickets of the queue (one index-only pass on PostgreSQL)."""
        user = self.request.user
        return Ticket.objects.in_queue_of(user).open_counts(mine=user, now=self.now)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["counts"] = self.counts
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filter_form,
            filters_query=query.urlencode(),
            filtered=any(v for k, v in self.request.GET.items() if k not in ("page", "sort")),
            searched_open_only=self.searched_open_only,
            hdt_now=self.now,
            user_id=user.pk,
            bulk_form=BulkActionForm(
                initial={"next": self.request.get_full_path()}, user=user, assignees=self.assignees, tags=self.tags
            ),
            away=AgentStatus.objects.filter(user=user, away=True).exists(),
        )
        return context


class QueueExportView(AgentRequiredMixin, View):
    """The queue as filtered and sorted on screen, every page of it, as CSV or XLSX."""

    http_method_names = ["get", "head"]
    format = "csv"

    def get(self, request, *args, **kwargs):
        now = timezone.now()
        queryset, _applied = queue_tickets(request, now)
        tickets, name = exports.for_export(queryset, now), exports.filename(now)
        if self.format == "xlsx":
            return exports.xlsx_response(tickets, name)
        return exports.csv_response(tickets, name)


class BulkActionView(AgentRequiredMixin, View):
    """Apply the queue's bulk form to the ticked tickets, each on its own; show what was done and what was refused."""

    http_method_names = ["post"]
    template_name = "helpdesk_tickets/staff/bulk_result.html"

    def post(self, request, *args, **kwargs):
        user = request.user
        queue_url = reverse("helpdesk_tickets:staff_queue")
        dept_ids = staff_departments(user).values("pk")
        form = BulkActionForm(
            request.POST, user=user, assignees=assignable_users(dept_ids), tags=Tag.objects.for_staff(user)
        )
        back = safe_next(request, request.POST.get("next"), queue_url)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(back)
        try:
            tickets, missing = services.tickets_for_bulk(form.cleaned_data["tickets"], actor=user)
            results = services.bulk_update(tickets, actor=user, **form.changes())
        except REFUSALS as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(back)
        results += missing
        done = [result for result in results if result.ok]
        context = {
            "helpdesk_base_template": app_settings.BASE_TEMPLATE,
            "hdt_section": "staff",
            "results": results,
            "done": done,
            "refused": [result for result in results if not result.ok],
            "action": dict(form.fields["action"].choices)[form.cleaned_data["action"]],
            "back": back,
        }
        return TemplateResponse(request, self.template_name, context)


class AwayView(AgentRequiredMixin, View):
    """The agent pauses (or resumes) their automatic assignments."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        away = request.POST.get("away") == "1"
        services.set_away(request.user, away, actor=request.user)
        if away:
            messages.info(request, _("You are away: round robin and load balancing give you no new tickets."))
        else:
            messages.success(request, _("Welcome back: new tickets can be given to you again."))
        return HttpResponseRedirect(
            safe_next(request, request.POST.get("next"), reverse("helpdesk_tickets:staff_queue"))
        )
