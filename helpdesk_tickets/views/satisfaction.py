"""The rating page of a resolved ticket, reached by its signed link (no log-in needed).

``GET`` only shows the form (a mail scanner that follows every link records
nothing; ``?score=N`` from the e-mail's buttons preselects a score). ``POST``
records the rating through :func:`helpdesk_tickets.services.rate_ticket`. The
signed token is the whole authority: it names the ticket and its resolution,
so the page shows that ticket's subject and reference and nothing of its thread.
"""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from .. import ratinglink, services
from ..conf import settings as app_settings
from ..csp import ContentSecurityPolicyMixin
from ..exceptions import HelpdeskError
from ..models import SatisfactionRating, Ticket
from ..rating_forms import RatingForm
from .errors import REFUSALS, add_service_error, error_text


class RatingView(ContentSecurityPolicyMixin, View):
    template_name = "helpdesk_tickets/rating.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not app_settings.CSAT_ENABLED:
            raise Http404
        reference, token = kwargs["reference"], kwargs["token"]
        try:
            self.resolution = ratinglink.read_token(token, reference)
        except ratinglink.BadRatingLink:
            raise Http404 from None
        try:
            self.ticket = Ticket.objects.select_related("requester").get(reference=reference)
        except Ticket.DoesNotExist:
            raise Http404 from None

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        # The token is in the URL: never hand it on to another site (same-origin still sends
        # the Origin header that CSRF checks), never keep the page in a shared cache.
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    def state(self):
        """What the page can offer: ``"open"`` (rate or change), ``"locked"`` (too late to change) or ``"gone"``."""
        ticket = self.ticket
        if not (ratinglink.is_rateable(ticket) and ratinglink.matches(ticket, self.resolution)):
            return "gone", None
        rating = services.current_rating(ticket)
        if rating is not None and not ratinglink.is_editable(rating, timezone.now()):
            return "locked", rating
        return "open", rating

    def render(self, form, state, rating, status=200, refusal=None):
        context = {
            "refusal": refusal,
            "helpdesk_base_template": app_settings.BASE_TEMPLATE,
            "ticket": self.ticket,
            "form": form,
            "state": state,
            "rating": rating,
            "edit_until": ratinglink.edit_until(rating) if rating is not None else None,
            "is_requester": self.request.user.is_authenticated and self.request.user.pk == self.ticket.requester_id,
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        state, rating = self.state()
        initial = {"score": rating.score, "comment": rating.comment} if rating is not None else {}
        asked = request.GET.get("score", "")
        if asked.isdigit() and int(asked) in SatisfactionRating.Score.values:
            initial["score"] = int(asked)
        return self.render(RatingForm(initial=initial), state, rating, status=410 if state == "gone" else 200)

    def post(self, request, *args, **kwargs):
        form = RatingForm(request.POST)
        state, rating = self.state()
        if not form.is_valid():
            return self.render(form, state, rating, status=400)
        try:
            rating, created = services.rate_ticket(
                self.ticket,
                resolution=self.resolution,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                actor=self.ticket.requester,
            )
        except REFUSALS as exc:
            state, rating = self.state()
            if isinstance(exc, HelpdeskError):
                # Not about the input: the rating can no longer be given or changed.
                return self.render(form, state, rating, status=exc.http_status, refusal=error_text(exc))
            return self.render(form, state, rating, status=add_service_error(form, exc))
        messages.success(
            request, _("Thank you for your rating.") if created else _("Your rating was changed. Thank you.")
        )
        return HttpResponseRedirect(request.path)


def thread_context(ticket):
    """What the ticket pages show of the rating (customer thread and staff view); one query when rateable.

    ``rating_url`` (the signed link, None when the ticket cannot be rated now), ``rating`` (the current
    one or None), ``rating_form`` (prefilled) and ``rating_editable``.
    """
    if not ratinglink.is_rateable(ticket):
        return {"rating_url": None, "rating": None, "rating_form": None, "rating_editable": False}
    rating = services.current_rating(ticket)
    initial = {"score": rating.score, "comment": rating.comment} if rating is not None else {}
    return {
        "rating_url": ratinglink.rating_path(ticket),
        "rating": rating,
        "rating_form": RatingForm(initial=initial),
        "rating_editable": rating is None or ratinglink.is_editable(rating, timezone.now()),
        "rating_edit_until": ratinglink.edit_until(rating) if rating is not None else None,
    }
