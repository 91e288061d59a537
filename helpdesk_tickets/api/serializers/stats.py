"""Response-time figures, overall and per department."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from ..fields import _seconds


class StatsRowSerializer(serializers.Serializer):
    tickets = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField(), help_text=gettext_lazy("Count per status."))
    answered = serializers.IntegerField()
    avg_first_response_seconds = serializers.IntegerField(allow_null=True)
    median_first_response_seconds = serializers.IntegerField(allow_null=True)
    resolved = serializers.IntegerField()
    avg_resolution_seconds = serializers.IntegerField(allow_null=True)
    breached = serializers.IntegerField()


class StatsDepartmentSerializer(StatsRowSerializer):
    department = serializers.CharField(help_text=gettext_lazy("Department slug."))
    department_name = serializers.CharField()


class StatsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    overall = StatsRowSerializer()
    departments = StatsDepartmentSerializer(many=True)


def stats_row(row):
    """A row of :func:`helpdesk_tickets.stats.figures` with durations as whole seconds."""
    return {
        "tickets": row["tickets"],
        "by_status": dict(row["by_status"]),
        "answered": row["answered"],
        "avg_first_response_seconds": _seconds(row["avg_first_response"]),
        "median_first_response_seconds": _seconds(row["median_first_response"]),
        "resolved": row["resolved"],
        "avg_resolution_seconds": _seconds(row["avg_resolution"]),
        "breached": row["breached"],
    }
