"""Staff workspace: the queue, the agent's ticket view, phone tickets and the dashboard.

Views parse input, call one service and render; visibility comes from
``Ticket.objects.in_queue_of(user)`` so a ticket outside the agent's
departments is a 404.
"""

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView, View

from .. import exports, permissions, services, stats, users
from ..conf import settings as app_settings
from ..downloads import raw_email_response
from ..filters import STATUS_OPEN, TicketFilterSet, is_reference, queue_sort
from ..models import OPEN_STATUSES, AgentStatus, CannedReply, Department, InboundEmail, Message, Status, Tag, Ticket
from ..staff_forms import (
    BulkActionForm,
    DashboardForm,
    MergeForm,
    PhoneTicketForm,
    QueueFilterForm,
    ReplyForm,
    TicketUpdateForm,
    assignable_users,
    find_customers,
)
from .errors import REFUSALS, add_service_error, error_text
from .mixins import AgentRequiredMixin


def staff_departments(user):
    """The departments whose tickets ``user`` handles: all for a supervisor."""
    if permissions.is_supervisor(user):
        return Department.objects.all()
    return Department.objects.filter(pk__in=permissions.agent_department_ids(user))


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


def safe_next(request, value, default):
    """``value`` if it is a path on this site (where a form returns to), else ``default``."""
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return value
    return default


class StaffTicketMixin(AgentRequiredMixin):
    """Loads the ticket from the agent's queue; anything else is a 404."""

    def get_ticket(self):
        try:
            return Ticket.objects.in_queue_of(self.request.user).with_related().get(reference=self.kwargs["reference"])
        except Ticket.DoesNotExist:
            raise Http404 from None

    def redirect_if_merged(self, ticket):
        """The redirect to the ticket a merged ``ticket`` ended up in (its staff page), or None."""
        if not ticket.is_merged:
            return None
        target = services.final_ticket(ticket)
        messages.info(
            self.request,
            _("Ticket %(source)s was merged into %(into)s.") % {"source": ticket.reference, "into": target.reference},
        )
        return HttpResponseRedirect(target.get_staff_url())


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


class StaffTicketDetailView(StaffTicketMixin, TemplateView):
    """The thread with internal notes, the reply form, the ticket's settings and its history."""

    template_name = "helpdesk_tickets/staff/ticket_detail.html"
    section = "staff"

    def get(self, request, *args, **kwargs):
        self.ticket = self.get_ticket()
        redirect = self.redirect_if_merged(self.ticket)
        if redirect:
            return redirect
        canned_id = request.GET.get("canned")
        initial = {}
        # ASCII digits only: str.isdigit() is also true of "²" or "①", which int() refuses.
        if canned_id and canned_id.isascii() and canned_id.isdigit():
            canned = self.canned_replies().filter(pk=canned_id).first()
            if canned:
                from ..templatetags.helpdesk_staff import render_canned

                initial["body"] = render_canned(canned, self.ticket, request.user)
        return self.render_to_response(self.get_context_data(reply_form=ReplyForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        """Post a reply or an internal note, optionally changing the status in the same step."""
        self.ticket = ticket = self.get_ticket()
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid() and not form.cleaned_data["internal"]:
            # Before anything is sent: the customer or a colleague wrote since the page was opened.
            warning = self.crossed_warning(form.cleaned_data.get("seen"))
            if warning:
                data = request.POST.copy()
                data["seen"] = ""  # the page shown now is what the agent has seen; sending again goes through
                held = ReplyForm(data)
                held.is_valid()
                context = self.get_context_data(reply_form=held, held_warning=warning)
                return self.render_to_response(context, status=409)
        if form.is_valid():
            internal = form.cleaned_data["internal"]
            then_status = form.cleaned_data["then_status"]
            try:
                message = services.post_reply(
                    ticket=ticket,
                    actor=request.user,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                    internal=internal,
                )
            except REFUSALS as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Internal note added.") if internal else _("Reply sent to the customer."))
                self.warn_about_crossed_messages(form.cleaned_data.get("seen"), message)
                if then_status and not internal and then_status != ticket.status:
                    # A second step on purpose: the reply has gone out (and been e-mailed) whatever happens here.
                    try:
                        services.change_status(ticket, then_status, actor=request.user)
                    except REFUSALS as exc:
                        messages.error(request, error_text(exc))
                return HttpResponseRedirect(f"{ticket.get_staff_url()}#message-{message.pk}")
        return self.render_to_response(self.get_context_data(reply_form=form), status=400)

    def crossed_warning(self, seen, message=None):
        """What the customer or a colleague wrote after ``seen`` (besides ``message``), as a warning, or ""."""
        if not seen:
            return ""
        later = Message.objects.filter(ticket=self.ticket, created_at__gt=seen).exclude(author=self.request.user)
        if message is not None:
            later = later.exclude(pk=message.pk)
        crossed = set(later.values_list("from_staff", flat=True))
        if False in crossed:
            return _("The customer wrote again while you were replying: read their message.")
        if True in crossed:
            return _("A colleague added to this ticket while you were replying.")
        return ""

    def warn_about_crossed_messages(self, seen, message):
        """Tell the agent when the customer or a colleague wrote while they were typing."""
        if not seen:
            return
        crossed = set(
            Message.objects.filter(ticket=self.ticket, created_at__gt=seen)
            .exclude(pk=message.pk)
            .exclude(author=self.request.user)
            .values_list("from_staff", flat=True)
        )
        if False in crossed:
            messages.warning(self.request, _("The customer wrote again while you were replying: read their message."))
        elif True in crossed:
            messages.warning(self.request, _("A colleague added to this ticket while you were replying."))

    def canned_replies(self):
        """The department's and the global ones, in the ticket's language or for any language."""
        language = (self.ticket.language or "").split("-")[0]
        return (
            CannedReply.objects.filter(active=True)
            .filter(Q(department_id=self.ticket.department_id) | Q(department__isnull=True))
            .filter(Q(language="") | Q(language__iexact=language) | Q(language__iexact=self.ticket.language or ""))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ticket = self.ticket
        context.update(
            ticket=ticket,
            thread=ticket.messages.select_related("author").prefetch_related("attachments"),
            events=ticket.events.select_related("actor"),
            canned_replies=self.canned_replies(),
            update_form=TicketUpdateForm(ticket=ticket),
            other_tickets=Ticket.objects.in_queue_of(self.request.user)
            .filter(requester_id=ticket.requester_id)
            .exclude(pk=ticket.pk)
            .order_by("-last_activity_at")
            .only("reference", "subject", "status", "last_activity_at")[:5],
            next_ticket=Ticket.objects.in_queue_of(self.request.user)
            .filter(status__in=(Status.NEW, Status.IN_PROGRESS))
            .exclude(pk=ticket.pk)
            .by_sla_due()
            .only("reference", "subject")
            .first(),
            hdt_now=timezone.now(),
            can_take=ticket.assignee_id != self.request.user.pk
            and permissions.can_be_assigned(self.request.user, ticket.department),
        )
        tags = list(ticket.tags.all())
        context.update(
            tags=tags,
            addable_tags=Tag.objects.usable_in(ticket.department_id).exclude(pk__in=[tag.pk for tag in tags]),
            merge_form=MergeForm(),
        )
        return context


class StaffTicketTagsView(StaffTicketMixin, View):
    """Add (``add``) or remove (``remove``) a tag, by slug (POST only)."""

    http_method_names = ["post"]

    def post(self, request, reference):
        ticket = self.get_ticket()
        back = f"{ticket.get_staff_url()}#tags"
        try:
            if request.POST.get("add"):
                (tag,) = services.tags_by_slug([request.POST["add"]], ticket=ticket)
                services.add_tags(ticket, [tag], actor=request.user)
                messages.success(request, _("Tag “%(tag)s” added.") % {"tag": tag.name})
            elif request.POST.get("remove"):
                (tag,) = services.tags_by_slug([request.POST["remove"]], ticket=ticket)
                services.remove_tags(ticket, [tag], actor=request.user)
                messages.success(request, _("Tag “%(tag)s” removed.") % {"tag": tag.name})
        except REFUSALS as exc:
            messages.error(request, error_text(exc))
        return HttpResponseRedirect(back)


class StaffTicketMergeView(StaffTicketMixin, View):
    """Merge the ticket into another (POST ``into``: a reference; ``across_requesters``); then show that one."""

    http_method_names = ["post"]

    def post(self, request, reference):
        ticket = self.get_ticket()
        form = MergeForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(ticket.get_staff_url())
        into = (
            Ticket.objects.in_queue_of(request.user)
            .select_related("department")
            .filter(reference=form.cleaned_data["into"])
            .first()
        )
        try:
            if into is None:
                raise services.TicketNotFound(form.cleaned_data["into"])
            services.merge_tickets(
                ticket, into, actor=request.user, across_requesters=form.cleaned_data["across_requesters"]
            )
        except REFUSALS as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(ticket.get_staff_url())
        messages.success(
            request,
            _("Ticket %(source)s merged into %(into)s.") % {"source": ticket.reference, "into": into.reference},
        )
        return HttpResponseRedirect(into.get_staff_url())


class StaffInboundEmailView(StaffTicketMixin, TemplateView):
    """An e-mail that came into the ticket, untrimmed, with its headers; ``raw``: the message file itself."""

    template_name = "helpdesk_tickets/staff/inbound_email.html"
    section = "staff"
    raw = False

    def get(self, request, *args, **kwargs):
        self.ticket = self.get_ticket()
        email = InboundEmail.objects.filter(ticket=self.ticket, pk=kwargs["pk"]).first()
        if email is None:
            raise Http404
        if self.raw:
            return raw_email_response(email)
        return self.render_to_response(self.get_context_data(ticket=self.ticket, email=email))


class StaffTicketUpdateView(StaffTicketMixin, View):
    """Change status / priority / assignee / department (POST only)."""

    http_method_names = ["post"]

    def post(self, request, reference):
        ticket = self.get_ticket()
        detail_url = ticket.get_staff_url()
        form = TicketUpdateForm(request.POST, ticket=ticket)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(detail_url)
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing changed."))
            return HttpResponseRedirect(detail_url)
        try:
            services.update_ticket(ticket, actor=request.user, **changes)
        except REFUSALS as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(detail_url)
        messages.success(request, _("Ticket %(reference)s updated.") % {"reference": ticket.reference})
        if "department" in changes and not Ticket.objects.in_queue_of(request.user).filter(pk=ticket.pk).exists():
            # Moved out of the agent's departments: it now waits in the other team's queue.
            messages.info(
                request,
                _("The ticket is now in the %(department)s queue.") % {"department": ticket.department.display_name},
            )
            return HttpResponseRedirect(reverse("helpdesk_tickets:staff_queue"))
        return HttpResponseRedirect(detail_url)


class PhoneTicketCreateView(AgentRequiredMixin, TemplateView):
    """Open a ticket on a customer's behalf (channel ``phone``); they see it in their Ticket list."""

    template_name = "helpdesk_tickets/staff/ticket_create.html"
    section = "staff"

    def departments(self):
        return staff_departments(self.request.user).filter(active=True)

    #: What a caller lookup carries over: the agent types the request while the customer talks.
    KEPT_ON_LOOKUP = ("department", "ticket_type", "product", "priority", "subject", "description")

    def get(self, request, *args, **kwargs):
        initial = {}
        if request.GET.get("department"):
            initial["department"] = request.GET["department"]
        return self.lookup(request.GET.get("find", "").strip(), initial)

    def lookup(self, find, initial):
        """The page after a caller search, the form filled with ``initial`` (what was typed, unvalidated)."""
        candidates = list(find_customers(find))
        if len(candidates) == 1:
            initial["requester"] = candidates[0].pk
        form = PhoneTicketForm(initial=initial, departments=self.departments(), candidates=candidates)
        context = self.get_context_data(form=form, find=find, candidates=candidates)
        if len(candidates) == 1:
            # Before typing the request in, the agent checks whether it is already open.
            context["open_tickets"] = (
                Ticket.objects.in_queue_of(self.request.user)
                .filter(requester=candidates[0], status__in=OPEN_STATUSES)
                .select_related("department")
                .order_by("-last_activity_at")[:10]
            )
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        find = request.POST.get("find", "").strip()
        if "lookup" in request.POST:
            # "Find" inside the form: search again, keep whatever the agent typed (chosen files cannot be kept).
            return self.lookup(find, {name: request.POST[name] for name in self.KEPT_ON_LOOKUP if name in request.POST})
        candidates = list(find_customers(find))
        form = PhoneTicketForm(request.POST, request.FILES, departments=self.departments(), candidates=candidates)
        duplicate = None
        if form.is_valid():
            data = form.cleaned_data
            if data["requester"] not in candidates:
                candidates.append(data["requester"])
                form.set_candidates(candidates)
            try:
                ticket = services.create_ticket(
                    requester=data["requester"],
                    department=data["department"],
                    ticket_type=data["ticket_type"],
                    product=data["product"],
                    subject=data["subject"],
                    description=data["description"],
                    attachments=data["attachments"],
                    priority=data["priority"],
                    channel="phone",
                    actor=request.user,
                )
            except services.DuplicateTicket as exc:
                duplicate = exc.existing
            except REFUSALS as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Ticket %(reference)s opened for %(customer)s.")
                    % {"reference": ticket.reference, "customer": users.staff_label(ticket.requester)},
                )
                return HttpResponseRedirect(ticket.get_staff_url())
        context = self.get_context_data(form=form, find=find, candidates=candidates, duplicate=duplicate)
        return self.render_to_response(context, status=409 if duplicate else 400)


class DashboardView(AgentRequiredMixin, TemplateView):
    """Response-time figures per department and overall over a chosen window, and the queue right now."""

    template_name = "helpdesk_tickets/staff/dashboard.html"
    section = "dashboard"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = DashboardForm(self.request.GET or None)
        days = form.cleaned_data["days"] if form.is_valid() else 30
        departments = list(staff_departments(user))
        now = timezone.now()
        context.update(
            form=form,
            days=days,
            figures=stats.figures(departments=departments, window=timedelta(days=days)),
            statuses=Status.choices,
            right_now=Ticket.objects.in_queue_of(user).open_counts(now=now),
            # Only a supervisor sees departments beyond their own, so only they can see one nobody staffs.
            unstaffed=list(services.unstaffed_departments()) if permissions.is_supervisor(user) else [],
        )
        return context
