"""Departments, ticket types and products (read-only; written elsewhere by slug)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ... import users
from ...models import Department, Product, TicketType
from ..fields import _seconds
from .account import UserSerializer
from .ticket_fields import TicketFieldSerializer


class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)
    first_response_target_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Promised business time to the first reply, in seconds.")
    )
    resolution_target_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Promised business time to resolution, in seconds.")
    )
    average_first_response_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Measured average first-response time over the recent window; null without data.")
    )
    agents = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The department's agents, for its own agents and for supervisors; empty for everyone else."
        )
    )

    class Meta:
        model = Department
        fields = [
            "slug",
            "name",
            "description",
            "first_response_target_seconds",
            "resolution_target_seconds",
            "average_first_response_seconds",
            "agents",
        ]

    def get_first_response_target_seconds(self, department) -> int:
        return _seconds(department.effective_first_response_target)

    def get_resolution_target_seconds(self, department) -> int:
        return _seconds(department.effective_resolution_target)

    def get_average_first_response_seconds(self, department) -> int | None:
        return _seconds(self.context.get("averages", {}).get(department.pk))

    @extend_schema_field(UserSerializer(many=True))
    def get_agents(self, department):
        # The view puts "all" (a supervisor) or the caller's own department ids here.
        shown = self.context.get("show_agents") or ()
        if shown != "all" and department.pk not in shown:
            return []
        agents = [agent for agent in department.agents.all() if users.is_active(agent)]
        return UserSerializer(agents, many=True, context=self.context).data


class OfferedSerializer(serializers.Serializer):
    """A ticket type or product."""

    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    description = serializers.CharField(source="display_description", read_only=True)


class TicketTypeSerializer(OfferedSerializer):
    # The view prefetches the active fields as ``asked``.
    fields = TicketFieldSerializer(
        source="asked", many=True, read_only=True, help_text=gettext_lazy("The fields a ticket of this type asks for.")
    )

    class Meta:
        model = TicketType


class ProductSerializer(OfferedSerializer):
    class Meta:
        model = Product
