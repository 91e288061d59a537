"""The agent's ticket page and what its forms post: tags, merge, settings; the e-mails that came in."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from ... import permissions, services
from ...downloads import raw_email_response
from ...field_forms import fields_context
from ...models import CannedReply, InboundEmail, Status, Tag, Ticket
from ...services.presence import COLLEAGUE, CUSTOMER
from ...staff_forms import MergeForm, ReplyForm, TicketUpdateForm
from .. import satisfaction
from ..errors import REFUSALS, add_service_error, error_text
from ._base import StaffTicketMixin


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
                from ...templatetags.helpdesk_staff import render_canned

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
        written = services.written_since(self.ticket, self.request.user, seen, excluding=message)
        if written == CUSTOMER:
            return _("The customer wrote again while you were replying: read their message.")
        if written == COLLEAGUE:
            return _("A colleague added to this ticket while you were replying.")
        return ""

    def warn_about_crossed_messages(self, seen, message):
        """Tell the agent when the customer or a colleague wrote while they were typing."""
        warning = self.crossed_warning(seen, message)
        if warning:
            messages.warning(self.request, warning)

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
        context.update(satisfaction.thread_context(ticket))
        context.update(fields_context(ticket, self.request.user))
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
