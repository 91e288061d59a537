"""Staff figures: tickets by status, response times and satisfaction ratings."""

from rest_framework.response import Response
from rest_framework.views import APIView

from ... import permissions, satisfaction_stats, stats
from ...models import Department
from .. import serializers as s
from ..permissions import IsHelpdeskStaff
from ..schema import api_schema
from ._base import HelpdeskAPIMixin


class StatsView(HelpdeskAPIMixin, APIView):
    """Staff only: tickets by status, response times and satisfaction, per department and overall.

    A supervisor gets every department, an agent their own.
    """

    permission_classes = [IsHelpdeskStaff]
    schema_tags = ["staff"]

    @api_schema(
        summary="Figures: tickets by status, response times, satisfaction",
        operation_id="get_stats",
        responses={200: s.StatsSerializer},
    )
    def get(self, request):
        user = request.user
        if permissions.is_supervisor(user):
            departments = None
        else:
            departments = Department.objects.filter(pk__in=permissions.agent_department_ids(user))
        result = stats.figures(departments=departments)
        data = {
            "since": result["since"],
            "until": result["until"],
            "overall": s.stats_row(result["overall"]),
            "departments": [
                {
                    "department": row["department"].slug,
                    "department_name": row["department"].display_name,
                    **s.stats_row(row),
                }
                for row in result["departments"]
            ],
            "satisfaction": None,
        }
        if satisfaction_stats.enabled():
            # The same departments and period as the figures above.
            csat = satisfaction_stats.figures(
                [row["department"] for row in result["departments"]],
                result["until"] - result["since"],
                now=result["until"],
            )
            data["satisfaction"] = s.satisfaction_data(csat)
        return Response(s.StatsSerializer(data, context={"request": request}).data)
