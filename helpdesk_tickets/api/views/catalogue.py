"""The API root and the catalogue: departments, ticket types, products."""

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from ... import permissions, stats
from ...models import Department, Product, TicketField, TicketType
from .. import serializers as s
from ..filters import OfferedFilterSet
from ..schema import api_schema
from ._base import BAD_REQUEST, HelpdeskAPIMixin


class RootView(HelpdeskAPIMixin, APIView):
    """Where everything is: the addresses of the API's collections, the schema and the docs."""

    permission_classes = [AllowAny]
    schema_tags = ["catalogue"]

    @api_schema(summary="Where everything is", operation_id="get_api_root", responses={200: s.RootSerializer})
    def get(self, request):
        namespace = request.resolver_match.namespace
        names = {
            "departments": "department-list",
            "ticket_types": "tickettype-list",
            "products": "product-list",
            "articles": "article-list",
            "tickets": "ticket-list",
            "me": "me",
            "stats": "stats",
            "schema": "schema",
            "docs": "docs",
        }
        return Response({key: reverse(f"{namespace}:{name}", request=request) for key, name in names.items()})


class DepartmentListView(HelpdeskAPIMixin, ListAPIView):
    """Active departments, their response-time targets and the measured average first response."""

    serializer_class = s.DepartmentSerializer
    pagination_class = None
    filter_backends = []
    schema_tags = ["catalogue"]

    def get_queryset(self):
        queryset = Department.objects.active()
        if permissions.is_agent(self.request.user):
            queryset = queryset.prefetch_related("agents")
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["averages"] = stats.average_first_response_by_department()
        # Agents see the colleagues of their own departments, supervisors everyone's.
        user = self.request.user
        context["show_agents"] = "all" if permissions.is_supervisor(user) else permissions.agent_department_ids(user)
        return context

    @api_schema(
        summary="List departments",
        operation_id="list_departments",
        responses={200: s.DepartmentSerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _OfferedListView(HelpdeskAPIMixin, ListAPIView):
    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    filterset_class = OfferedFilterSet
    schema_tags = ["catalogue"]

    def get_queryset(self):
        return self.model.objects.active()


class TicketTypeListView(_OfferedListView):
    """Active ticket types, each with the fields it asks for; with `?department=<slug>`, those offered in that
    department."""

    model = TicketType
    serializer_class = s.TicketTypeSerializer

    def get_queryset(self):
        asked = TicketField.objects.filter(active=True).order_by("ordering", "id")
        return super().get_queryset().prefetch_related(Prefetch("ticket_fields", queryset=asked, to_attr="asked"))

    @api_schema(
        summary="List ticket types",
        operation_id="list_ticket_types",
        responses={200: s.TicketTypeSerializer(many=True), 400: BAD_REQUEST},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProductListView(_OfferedListView):
    """Active products; with `?department=<slug>`, those offered in that department."""

    model = Product
    serializer_class = s.ProductSerializer

    @api_schema(
        summary="List products",
        operation_id="list_products",
        responses={200: s.ProductSerializer(many=True), 400: BAD_REQUEST},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
