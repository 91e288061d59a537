"""Satisfaction (CSAT) figures of ``GET stats/``: per department, per agent and overall."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from .account import UserSerializer


class SatisfactionRowSerializer(serializers.Serializer):
    ratings = serializers.IntegerField(help_text=gettext_lazy("Ratings given in the period."))
    average = serializers.FloatField(allow_null=True, help_text=gettext_lazy("Average score, 1 to 5."))
    satisfied = serializers.IntegerField(help_text=gettext_lazy("Ratings of 4 or 5."))
    satisfied_share = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Satisfied ratings in percent of all ratings.")
    )


class SatisfactionDepartmentSerializer(SatisfactionRowSerializer):
    department = serializers.CharField(help_text=gettext_lazy("Department slug."))
    department_name = serializers.CharField()


class SatisfactionAgentSerializer(SatisfactionRowSerializer):
    agent = UserSerializer(help_text=gettext_lazy("The ticket's assignee when it was rated."))


class SatisfactionSerializer(SatisfactionRowSerializer):
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text=gettext_lazy('Ratings per score, keyed "1" to "5".')
    )
    departments = SatisfactionDepartmentSerializer(many=True)
    agents = SatisfactionAgentSerializer(many=True)


def satisfaction_data(figures):
    """:func:`helpdesk_tickets.satisfaction_stats.figures` as :class:`SatisfactionSerializer` reads it."""
    return {
        **figures["overall"],
        "distribution": {str(score): count for score, count in figures["distribution"].items()},
        "departments": [
            {
                "department": row["department"].slug,
                "department_name": row["department"].display_name,
                **{key: row[key] for key in ("ratings", "average", "satisfied", "satisfied_share")},
            }
            for row in figures["departments"]
        ],
        "agents": [
            {"agent": row["agent"], **{key: row[key] for key in ("ratings", "average", "satisfied", "satisfied_share")}}
            for row in figures["agents"]
        ],
    }
