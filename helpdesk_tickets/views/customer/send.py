"""Support → Send ticket: department, type, the form, and the look-alike tickets it suggests.

Each step is a real URL, so the back button and bookmarks work; a step with a
single choice redirects to the next one.
"""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View
from django.views.generic.edit import FormView

from ... import ratelimit, services, stats
from ...conf import settings as app_settings
from ...field_forms import add_ticket_fields, ticket_field_values
from ...forms import TicketForm, attachment_limits
from ...models import Department, Ticket, TicketType
from ...text import STOPWORDS, normalize_text, overlap_score
from ..errors import REFUSALS, add_service_error
from ..mixins import HelpdeskPageMixin

#: How many look-alike tickets the form page suggests.
SIMILAR_LIMIT = 5
#: How many of the customer's open tickets in a department are compared at most.
SIMILAR_CANDIDATES = 200
#: Words too common to make two requests look alike (the knowledge base's search drops them too).
SIMILAR_STOPWORDS = STOPWORDS


def _active_departments():
    return Department.objects.active().order_by("ordering", "name")


def _offered_types(department):
    return TicketType.objects.active().offered_in(department).order_by("ordering", "name")


def _response_time(department, averages=None):
    """``(timedelta, measured)``: the measured average first response, or the target when nothing was measured."""
    if averages is None:
        averages = stats.average_first_response_by_department(min_sample=app_settings.RESPONSE_TIME_MIN_SAMPLE)
    measured = averages.get(department.pk)
    if measured is not None:
        return measured, True
    return department.effective_first_response_target, False


def _working_hours():
    """The working hours the response times are counted in ("09:00–17:00, closed on Friday"), or "" for
    round the clock."""
    from django.utils.dates import WEEKDAYS

    from ...sla import calendar

    cal = calendar()
    if cal.hours is None and not cal.weekend_days:
        return ""
    parts = []
    if cal.hours is not None:
        start, end = cal.hours
        parts.append(_("%(start)s–%(end)s") % {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    if cal.weekend_days:
        days = _(", ").join(str(WEEKDAYS[day]) for day in sorted(cal.weekend_days))
        parts.append(_("closed on %(days)s") % {"days": days})
    return _(", ").join(parts)


class ChooseDepartmentView(HelpdeskPageMixin, TemplateView):
    """Send ticket, step 1: which department should receive the ticket."""

    template_name = "helpdesk_tickets/ticket_create_department.html"
    section = "new"

    def get(self, request, *args, **kwargs):
        self.departments = list(_active_departments())
        if len(self.departments) == 1:
            return HttpResponseRedirect(
                reverse("helpdesk_tickets:ticket_create_type", kwargs={"department": self.departments[0].slug})
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        averages = stats.average_first_response_by_department(min_sample=app_settings.RESPONSE_TIME_MIN_SAMPLE)
        context["departments"] = [(d, *_response_time(d, averages)) for d in self.departments]
        context["step"] = 1
        return context


class DepartmentStepMixin:
    """Steps 2 and 3 and the look-alike lookup: the department named in the URL."""

    def get_department(self):
        return get_object_or_404(_active_departments(), slug=self.kwargs["department"])

    def step_context(self, department, types):
        """Where "back" goes and which steps are shown, given the skipped ones."""
        single_department = _active_departments().count() == 1
        return {
            "department": department,
            "skip_department_step": single_department,
            "skip_type_step": len(types) == 1,
        }


class ChooseTypeView(DepartmentStepMixin, HelpdeskPageMixin, TemplateView):
    """Send ticket, step 2: the ticket type, among those the department offers."""

    template_name = "helpdesk_tickets/ticket_create_type.html"
    section = "new"

    def get(self, request, *args, **kwargs):
        self.department = self.get_department()
        self.types = list(_offered_types(self.department))
        if len(self.types) == 1:
            return HttpResponseRedirect(
                reverse(
                    "helpdesk_tickets:ticket_create_form",
                    kwargs={"department": self.department.slug, "ticket_type": self.types[0].slug},
                )
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.step_context(self.department, self.types))
        context["ticket_types"] = self.types
        context["step"] = 2
        return context


class TicketCreateView(DepartmentStepMixin, HelpdeskPageMixin, FormView):
    """Send ticket, step 3: product, subject, description, attachments → Send."""

    template_name = "helpdesk_tickets/ticket_create_form.html"
    form_class = TicketForm
    section = "new"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.department = self.get_department()
        self.types = list(_offered_types(self.department))
        self.ticket_type = next((t for t in self.types if t.slug == kwargs["ticket_type"]), None)
        if self.ticket_type is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["department"] = self.department
        return kwargs

    def get_form(self, form_class=None):
        # The type's own fields (invoice number, domain, …), named fields.<key> like the service's errors.
        return add_ticket_fields(super().get_form(form_class), services.asked_fields(self.ticket_type))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.step_context(self.department, self.types))
        context["products"] = context["form"].hide_product_if_pointless()
        context["ticket_type"] = self.ticket_type
        context["response_time"], context["response_time_measured"] = _response_time(self.department)
        context["working_hours"] = _working_hours()
        context["limits"] = attachment_limits()
        context["step"] = 3
        # Help articles for the subject, shown after the first Send (the script shows them while typing).
        context["article_suggestions"] = getattr(self, "article_suggestions", [])
        return context

    def already_sent(self, existing):
        """The customer's identical open ticket: shown instead of a second one (or an error)."""
        messages.info(
            self.request,
            _(
                "You already sent this request as ticket %(reference)s, so no new ticket was opened. "
                "Please add anything new as a reply below."
            )
            % {"reference": existing.reference},
        )
        return HttpResponseRedirect(existing.get_absolute_url())

    def form_valid(self, form):
        data = form.cleaned_data
        # A resubmission (double click, refresh, back and Send) is answered with
        # the first ticket before the rate limit counts it; the service's guard
        # below still decides under concurrency.
        existing = services.find_duplicate(self.request.user, self.department, data["subject"], data["description"])
        if existing is not None:
            return self.already_sent(existing)
        if not self.request.POST.get("kb_seen"):
            # Not sent yet: first the help articles that may answer it (the form keeps what was typed).
            self.article_suggestions = services.suggest_articles(
                data["subject"], department=self.department, user=self.request.user
            )
            if self.article_suggestions:
                return self.render_to_response(self.get_context_data(form=form))
        try:
            ratelimit.check_rate(self.request, "ticket_create")
        except ratelimit.RateLimited as exc:
            # The bound form is shown again, so the typed text is not lost.
            form.add_error(None, str(exc))
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        try:
            ticket = services.create_ticket(
                requester=self.request.user,
                department=self.department,
                ticket_type=self.ticket_type,
                product=data.get("product"),
                subject=data["subject"],
                description=data["description"],
                attachments=data["attachments"],
                channel="web",
                fields=ticket_field_values(form),
            )
        except services.DuplicateTicket as exc:
            return self.already_sent(exc.existing)
        except REFUSALS as exc:
            # Shown again with what was typed. After a storage failure only the
            # files must be chosen again, and the page says 503: nothing was sent.
            status = add_service_error(form, exc)
            response = self.form_invalid(form)
            if status == 503:
                response.status_code = status
            return response
        ratelimit.charge(self.request, "ticket_create")
        messages.success(
            self.request,
            _("Your ticket %(reference)s was sent. We will answer here, in this thread.")
            % {"reference": ticket.reference},
        )
        return HttpResponseRedirect(ticket.get_absolute_url())


class SimilarTicketsView(DepartmentStepMixin, HelpdeskPageMixin, View):
    """JSON: the customer's own open tickets in the department whose subject looks like ``?q=``.

    A hint while typing; the service's duplicate guard still decides.
    """

    http_method_names = ["get"]
    min_query_length = 3

    def get(self, request, *args, **kwargs):
        department = self.get_department()
        terms = {
            t for t in normalize_text(request.GET.get("q", "")).split() if len(t) >= 2 and t not in SIMILAR_STOPWORDS
        }
        if sum(len(t) for t in terms) < self.min_query_length:
            return JsonResponse({"results": []})
        candidates = (
            Ticket.objects.requested_by(request.user)
            .open()
            .filter(department=department)
            .order_by("-last_activity_at", "-id")
            .values_list("reference", "subject", "search_text")[:SIMILAR_CANDIDATES]
        )
        scored = []
        for reference, subject, search_text in candidates:
            # Subject words count double: that is what the customer is typing.
            score = overlap_score(terms, set(normalize_text(subject).split()), set(search_text.split()))
            # One subject word in common, or two from the description.
            if score >= 2:
                scored.append((score, reference, subject))
        scored.sort(key=lambda row: -row[0])
        results = [
            {
                "reference": reference,
                "subject": subject,
                "url": reverse("helpdesk_tickets:ticket_detail", kwargs={"reference": reference}),
            }
            for _score, reference, subject in scored[:SIMILAR_LIMIT]
        ]
        return JsonResponse({"results": results})
