"""``GET tickets/export/``: the caller's queue as CSV (streamed) or XLSX, filtered and ordered as the list.

The rows, columns and formats are :mod:`helpdesk_tickets.exports`' (the
staff queue's export): requester, assignee and tags fetched per chunk,
never per row; memory flat whatever the number of tickets.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import mixins, viewsets
from rest_framework.negotiation import DefaultContentNegotiation

from ... import exports
from ...models import Ticket
from ..filters import OnDemandFilterBackend, TicketFilterSet, TicketOrderingFilter
from ..permissions import IsHelpdeskStaff
from ..schema import api_schema
from ..serializers import agents
from ._base import BAD_REQUEST, HelpdeskAPIMixin

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"},
    OpenApiParameter.QUERY,
    description="The file: `csv` (UTF-8 with a byte-order mark, streamed) or `xlsx`.",
)


class ErrorsAsJSON(DefaultContentNegotiation):
    """The answer is a file or, for an error, JSON: ``format`` names the file here, not one of DRF's renderers."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class TicketExportViewSet(HelpdeskAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Staff only: every ticket of the caller's queue that the list's filters keep, in the list's order."""

    permission_classes = [IsHelpdeskStaff]
    filter_backends = [OnDemandFilterBackend, TicketOrderingFilter]
    filterset_class = TicketFilterSet
    content_negotiation_class = ErrorsAsJSON
    pagination_class = None
    schema_tags = ["staff"]

    def get_queryset(self):
        return Ticket.objects.in_queue_of(self.request.user)

    @api_schema(
        summary="Export tickets as CSV or XLSX (staff)",
        operation_id="export_tickets",
        description=(
            "Every ticket of your queue the filters keep (the list's filters and `ordering`, every page), as a "
            "spreadsheet: reference, subject, status, priority, department, type, product, requester, "
            "assignee, channel, tags, dates and SLA figures. Dates are in the current time zone (the Jalali "
            "calendar in Persian); text a spreadsheet would run as a formula is neutralised."
        ),
        parameters=[FORMAT_PARAMETER],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=(
                    "The file's bytes, as application/octet-stream whatever the format (as downloads are): its "
                    "name in Content-Disposition ends with .csv or .xlsx."
                ),
            ),
            400: BAD_REQUEST,
        },
        headers={200: ["Content-Disposition"]},
    )
    def list(self, request, *args, **kwargs):
        query = agents.ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        tickets = exports.for_export(self.filter_queryset(self.get_queryset()), now)
        name = exports.filename(now)
        if query.validated_data["format"] == "xlsx":
            response = exports.xlsx_response(tickets, name)
        else:
            response = exports.csv_response(tickets, name)
        # One type for either file, as the schema says and as downloads are: a generated client then reads
        # the bytes (openapi-python-client reads a text/csv answer as text, and knows no XLSX type).
        response["Content-Type"] = "application/octet-stream"
        return response
