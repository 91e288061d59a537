"""Staff workspace: the queue, the agent's ticket view, phone tickets and the dashboard.

Views parse input, call one service and render; visibility comes from
``Ticket.objects.in_queue_of(user)`` so a ticket outside the agent's
departments is a 404.
"""

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView, View

from .. import permissions, services, stats, users
from ..conf import settings as app_settings
from ..downloads import raw_email_response
from ..filters import STATUS_OPEN, TicketFilterSet, queue_sort
from ..models import OPEN_STATUSES, CannedReply, Department, InboundEmail, Message, Status, Ticket
from ..staff_forms import (
    DashboardForm,
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


class StaffTicketMixin(AgentRequiredMixin):
    """Loads the ticket from the agent's queue; anything else is a 404."""

    def get_ticket(self):
        try:
            return Ticket.objects.in_queue_of(self.request.user).with_related().get(reference=self.kwargs["reference"])
        except Ticket.DoesNotExist:
            raise Http404 from None


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
        # Shown, not validated: the filter set below reads the values.
        self.filter_form = QueueFilterForm(
            initial={**self.request.GET.dict(), "sort": queue_sort(self.request.GET)},
            departments=self.departments,
            assignees=assignable_users(dept_ids),
        )
        self.counts = self.summary_counts()
        # The API's filters; an invalid value is left out rather than failing the page (a stale bookmark).
        filterset = TicketFilterSet(
            self.request.GET,
            queryset=Ticket.objects.in_queue_of(user).with_related(),
            request=self.request,
            default_status=STATUS_OPEN,
            ignore_unknown=True,
            now=self.now,
        )
        applied = filterset.applied()
        # The default queue is every open ticket of the agent's departments: the summary has counted it already.
        self.whole_queue = set(applied) <= {"status"} and applied.get("status", [STATUS_OPEN]) == [STATUS_OPEN]
        searched = bool(applied.get("search") or applied.get("q"))
        return filterset.qs.queue_order(queue_sort(self.request.GET), searched=searched)

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
            hdt_now=self.now,
            user_id=user.pk,
        )
        return context


class StaffTicketDetailView(StaffTicketMixin, TemplateView):
    """The thread with internal notes, the reply form, the ticket's settings and its history."""

    template_name = "helpdesk_tickets/staff/ticket_detail.html"
    section = "staff"

    def get(self, request, *args, **kwargs):
        self.ticket = self.get_ticket()
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
        return CannedReply.objects.filter(active=True).filter(
            Q(department_id=self.ticket.department_id) | Q(department__isnull=True)
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
        return context


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

    def get(self, request, *args, **kwargs):
        find = request.GET.get("find", "").strip()
        candidates = list(find_customers(find))
        initial = {}
        if len(candidates) == 1:
            initial["requester"] = candidates[0].pk
        if request.GET.get("department"):
            initial["department"] = request.GET["department"]
        form = PhoneTicketForm(initial=initial, departments=self.departments(), candidates=candidates)
        context = self.get_context_data(form=form, find=find, candidates=candidates)
        if len(candidates) == 1:
            # Before typing the request in, the agent checks whether it is already open.
            context["open_tickets"] = (
                Ticket.objects.in_queue_of(request.user)
                .filter(requester=candidates[0], status__in=OPEN_STATUSES)
                .select_related("department")
                .order_by("-last_activity_at")[:10]
            )
        return self.render_to_response(context)

    def post(self, request, *args, **kwargs):
        find = request.POST.get("find", "").strip()
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
        )
        return context
