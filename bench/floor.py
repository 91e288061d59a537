"""The floor: hand-written views returning the same rows as the staff queue and the API list.

No templates, no serializers, no pagination counts: ``values()`` and
``JsonResponse`` over the same visibility, filters and ordering. Whatever
our views spend above this is the price of the framework and the features.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from rest_framework.authtoken.models import Token

from helpdesk_tickets.models import OPEN_STATUSES, Ticket

QUEUE_COLUMNS = (
    "reference",
    "subject",
    "status",
    "priority",
    "department__name",
    "ticket_type__name",
    "product__name",
    "requester__username",
    "assignee__username",
    "last_activity_at",
    "sla_due",
)
API_COLUMNS = (
    "reference",
    "subject",
    "status",
    "priority",
    "channel",
    "department__slug",
    "department__name",
    "ticket_type__slug",
    "ticket_type__name",
    "product__slug",
    "product__name",
    "requester__username",
    "assignee__username",
    "message_count",
    "created_at",
    "updated_at",
    "last_activity_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_response_due",
    "resolution_due",
)
PAGE = 25


@login_required
def queue(request):
    """The staff queue's first page: open tickets (or ``?status=``), ``priority``, ``q``; by SLA due."""
    tickets = Ticket.objects.in_queue_of(request.user)
    status = request.GET.get("status")
    tickets = tickets.filter(status=status) if status else tickets.filter(status__in=OPEN_STATUSES)
    if request.GET.get("priority"):
        tickets = tickets.filter(priority=request.GET["priority"])
    if request.GET.get("q"):
        tickets = tickets.search(request.GET["q"])
    rows = tickets.by_sla_due(searched=bool(request.GET.get("q")))
    return JsonResponse({"results": list(rows.values(*QUEUE_COLUMNS)[:PAGE])})


def api_tickets(request):
    """The API list's first page (token auth, as the API is called): newest activity first."""
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    user = Token.objects.select_related("user").get(key=key).user
    rows = Ticket.objects.visible_to(user).order_by("-last_activity_at", "-id")
    return JsonResponse({"results": list(rows.values(*API_COLUMNS)[: PAGE + 1])})
