"""Merged tickets: ``POST tickets/{reference}/merge/``, and the 301 from a merged ticket's addresses.

A merged ticket is closed and points to the ticket it was merged into
(``services.merge_tickets``); its thread moved there. Reading it, its
messages or one of its files answers 301 with the same address of the
ticket it ended up in (:func:`services.final_ticket`, following a chain of
merges), for staff and its requester alike.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from ... import permissions, services
from ...models import Ticket
from .. import serializers as s
from ..schema import api_schema
from ..serializers import agents
from ._base import BAD_REQUEST, NOT_FOUND, REFERENCE_PARAMETER, error

#: The ``code`` of the 301 of a merged ticket's addresses.
MERGED = "merged"

MOVED = OpenApiResponse(
    agents.MovedSerializer,
    description=(
        "The ticket was merged into another (`merged`): Location is the same address of the ticket it is in now, "
        "and `merged_into` names it."
    ),
)


def moved(request, ticket, view_name, **kwargs):
    """The 301 from ``ticket``'s ``view_name`` address to the ticket it was merged into; None if not merged."""
    if not ticket.is_merged:
        return None
    target = services.final_ticket(ticket)
    url = reverse(
        f"helpdesk_tickets_api:{view_name}", kwargs={"reference": target.reference, **kwargs}, request=request
    )
    body = {
        "detail": _("Ticket %(source)s was merged into %(into)s.")
        % {"source": ticket.reference, "into": target.reference},
        "code": MERGED,
        "merged_into": target.reference,
    }
    return Response(body, status=status.HTTP_301_MOVED_PERMANENTLY, headers={"Location": url})


class MergeActionMixin:
    """``POST tickets/{reference}/merge/`` on the tickets' viewset."""

    @api_schema(
        summary="Merge a ticket into another (staff)",
        operation_id="merge_ticket",
        description=(
            "The ticket's thread (messages, files, tags usable there) moves to `into`; the ticket is closed and "
            "its addresses answer 301 with those of `into`. The answer is the ticket merged into."
        ),
        parameters=[REFERENCE_PARAMETER],
        request={"application/json": agents.MergeSerializer},
        responses={
            200: s.TicketSerializer,
            400: BAD_REQUEST,
            403: error("Not staff for this ticket (`permission_denied`), e.g. its requester."),
            404: NOT_FOUND,
            409: error(
                "Refused, nothing changed: this ticket is closed or merged already (`merge_of_closed`), `into` is "
                "closed (`merge_into_closed`), or is another customer's and `across_requesters` was not sent "
                "(`merge_across_requesters`)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, *args, **kwargs):
        source = self.get_object()
        if not permissions.can_manage(request.user, source):
            raise PermissionDenied
        serializer = agents.MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        into = Ticket.objects.in_queue_of(request.user).select_related("department").filter(reference=data["into"])
        into = into.first()
        if into is None:
            raise ValidationError({"into": [str(services.TicketNotFound(data["into"]))]})
        services.merge_tickets(source, into, actor=request.user, across_requesters=data["across_requesters"])
        return self._render(into)
