"""``POST tickets/bulk/``: one change to many tickets of the staff's queue, with a result for each.

Each ticket is changed through :func:`services.bulk_update` on its own: a
refusal (a move the workflow forbids, a tag of another department, another
customer's ticket to merge) is that ticket's result, and the others go
ahead. What the request names (the assignee, the tags, the ticket to merge
into) is looked up once, whatever the number of tickets.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import services
from ...models import Tag, Ticket
from ..parsers import JSONParser
from ..permissions import IsHelpdeskStaff
from ..schema import api_schema
from ..serializers import agents
from ._base import BAD_REQUEST, HelpdeskAPIMixin


def _tags(user, data):
    """The tags named by ``add_tags`` and ``remove_tags``, among those ``user`` works with, in one query."""
    wanted = {name: data[name] for name in ("add_tags", "remove_tags") if name in data}
    slugs = {slug for names in wanted.values() for slug in names}
    found = {tag.slug: tag for tag in Tag.objects.for_staff(user).filter(slug__in=slugs)} if slugs else {}
    changes, errors = {}, {}
    for name, names in wanted.items():
        unknown = [slug for slug in names if slug not in found]
        if unknown:
            errors[name] = [_("No such tag: %(slugs)s.") % {"slugs": ", ".join(unknown)}]
        changes[name] = [found[slug] for slug in dict.fromkeys(names) if slug in found]
    if errors:
        raise ValidationError(errors)
    return changes


def _changes(user, data):
    """The keyword arguments of :func:`services.bulk_update` for the validated request ``data``."""
    changes = {name: data[name] for name in ("assignee", "status", "priority") if name in data}
    changes.update(_tags(user, data))
    if "merge_into" in data:
        reference = data["merge_into"]
        into = Ticket.objects.in_queue_of(user).select_related("department").filter(reference=reference).first()
        if into is None:
            raise ValidationError({"merge_into": [str(services.TicketNotFound(reference))]})
        changes.update(merge_into=into, merge_across_requesters=data["merge_across_requesters"])
    return changes


class TicketBulkView(HelpdeskAPIMixin, APIView):
    """Staff only: the same change to each of up to ``MAX_BULK_TICKETS`` tickets of the caller's queue."""

    permission_classes = [IsHelpdeskStaff]
    parser_classes = [JSONParser]
    schema_tags = ["staff"]

    @api_schema(
        summary="Change many tickets at once (staff)",
        operation_id="bulk_update_tickets",
        description=(
            "Name the tickets and one or more changes: `assignee` (username or null), `status`, `priority`, "
            "`add_tags` / `remove_tags` (slugs), `merge_into` (a reference). Each ticket is changed on its own, "
            "all of its changes or none; a refused ticket is reported with a code and the others go ahead. "
            "A ticket that is not in your queue is `not_found` in the results. More tickets than the limit is "
            "a 400 with the code `too_many_tickets`."
        ),
        request={"application/json": agents.BulkActionSerializer},
        responses={200: agents.BulkResponseSerializer, 400: BAD_REQUEST},
    )
    def post(self, request):
        user = request.user
        serializer = agents.BulkActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = _changes(user, data)
        tickets, missing = services.tickets_for_bulk(data["tickets"], actor=user)
        results = services.bulk_update(tickets, actor=user, **changes) + missing
        by_reference = {result.reference: result for result in results}
        ordered = [by_reference[reference] for reference in dict.fromkeys(data["tickets"])]
        done = sum(result.ok for result in ordered)
        return Response(
            {"done": done, "refused": len(ordered) - done, "results": [agents.bulk_result(r) for r in ordered]}
        )
