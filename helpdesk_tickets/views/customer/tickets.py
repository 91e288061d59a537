"""Support → Ticket list and a ticket's page: the thread, the reply form, close and reopen."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView, View

from ... import permissions, ratelimit, services
from ...conf import settings as app_settings
from ...forms import ReplyForm, StatusFilterForm, attachment_limits
from ...models import Attachment, Message, Ticket
from ..errors import REFUSALS, add_service_error
from ..mixins import HelpdeskPageMixin


class TicketListView(HelpdeskPageMixin, ListView):
    """Support → Ticket list: the customer's tickets, newest activity first."""

    template_name = "helpdesk_tickets/ticket_list.html"
    context_object_name = "tickets"
    section = "list"

    def get_paginate_by(self, queryset):
        return app_settings.PAGE_SIZE

    def get_queryset(self):
        self.filter_form = StatusFilterForm(self.request.GET or None)
        tickets = (
            Ticket.objects.requested_by(self.request.user)
            .select_related("department", "ticket_type", "product")
            .order_by("-last_activity_at", "-id")
        )
        if self.filter_form.is_valid():
            status = self.filter_form.cleaned_data["status"]
            if status == StatusFilterForm.OPEN:
                tickets = tickets.open()
            elif status:
                tickets = tickets.filter(status=status)
        return tickets

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["status_filter"] = self.filter_form.cleaned_data.get("status", "") if self.filter_form.is_bound else ""
        # Keep the filter when moving between pages.
        query = self.request.GET.copy()
        query.pop("page", None)
        context["page_query"] = query.urlencode()
        return context


class CustomerTicketMixin:
    """The requester's own ticket named in the URL; anything else is a 404."""

    def get_ticket(self):
        user = self.request.user
        reference = self.kwargs["reference"]
        ticket = Ticket.objects.requested_by(user).with_related().filter(reference=reference).first()
        if ticket is None:
            raise Http404
        return ticket


class TicketDetailView(CustomerTicketMixin, HelpdeskPageMixin, TemplateView):
    """The thread, oldest first, with the reply form and close / reopen buttons."""

    template_name = "helpdesk_tickets/ticket_detail.html"
    section = "list"

    def get(self, request, *args, **kwargs):
        try:
            self.ticket = self.get_ticket()
        except Http404:
            # An agent following a customer link lands on the staff view of the same ticket.
            staff_ticket = Ticket.objects.in_queue_of(request.user).filter(reference=kwargs["reference"]).first()
            if staff_ticket is None:
                raise
            return HttpResponseRedirect(services.final_ticket(staff_ticket).get_staff_url())
        if self.ticket.is_merged:
            # Merged: the conversation goes on in the ticket it was merged into (every old link leads there).
            return HttpResponseRedirect(services.final_ticket(self.ticket).get_absolute_url())
        self.form = ReplyForm()
        response = super().get(request, *args, **kwargs)
        services.mark_read(self.ticket, request.user)
        return response

    def post(self, request, *args, **kwargs):
        self.ticket = self.get_ticket()
        self.form = ReplyForm(request.POST, request.FILES)
        status = 400
        if self.form.is_valid():
            try:
                ratelimit.check_rate(request, "reply")
                message = services.post_reply(
                    ticket=self.ticket,
                    actor=request.user,
                    body=self.form.cleaned_data["body"],
                    attachments=self.form.cleaned_data["attachments"],
                )
            except services.TicketClosed as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(self.ticket.get_absolute_url())
            except PermissionDenied:
                raise Http404 from None
            except REFUSALS as exc:
                status = add_service_error(self.form, exc)
            else:
                ratelimit.charge(request, "reply")
                messages.success(request, _("Your reply was added to the ticket."))
                return HttpResponseRedirect(f"{self.ticket.get_absolute_url()}#message-{message.pk}")
        return self.render_to_response(self.get_context_data(**kwargs), status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ticket = self.ticket
        user = self.request.user
        thread = (
            Message.objects.filter(ticket=ticket)
            .public()
            .select_related("author")
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
            .order_by("created_at", "id")
        )
        context.update(
            ticket=ticket,
            thread=thread,
            form=self.form,
            limits=attachment_limits(),
            # Read before mark_read clears it, so the new replies can be highlighted.
            unread_since=ticket.requester_last_read_at if ticket.has_unread_staff_reply else None,
            can_reply=permissions.can_reply(user, ticket),
            can_close=permissions.can_close(user, ticket),
            can_reopen=permissions.can_reopen(user, ticket),
        )
        return context


class _TicketActionView(CustomerTicketMixin, HelpdeskPageMixin, View):
    """A POST-only button on the thread page (CSRF-protected like every POST)."""

    http_method_names = ["post"]

    def act(self, ticket):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        try:
            self.act(ticket)
        except (services.InvalidTransition, services.TicketClosed) as exc:
            messages.error(request, str(exc))
        except PermissionDenied:
            raise Http404 from None
        return HttpResponseRedirect(ticket.get_absolute_url())


class TicketCloseView(_TicketActionView):
    """Close the ticket: the customer's problem is solved or no longer matters."""

    def act(self, ticket):
        if ticket.status == "closed":
            messages.info(self.request, _("This ticket is already closed."))
            return
        services.close(ticket, actor=self.request.user)
        messages.success(self.request, _("The ticket is closed. Thank you!"))


class TicketReopenView(_TicketActionView):
    """Reopen a resolved ticket whose problem came back."""

    def act(self, ticket):
        services.reopen(ticket, actor=self.request.user)
        messages.success(self.request, _("The ticket is open again; our team will follow up."))
