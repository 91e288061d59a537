"""``me/``: the caller, as the API knows them."""

from django.utils.translation import get_language
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import permissions, users
from ...models import Department
from .. import serializers as s
from ..schema import api_schema
from ._base import HelpdeskAPIMixin


class MeView(HelpdeskAPIMixin, APIView):
    """Who you are: username, display name, whether you are staff, your departments, the answers' language."""

    schema_tags = ["account"]

    @api_schema(summary="Who you are", operation_id="get_me", responses={200: s.MeSerializer})
    def get(self, request):
        user = request.user
        department_ids = permissions.agent_department_ids(user)
        departments = Department.objects.filter(pk__in=department_ids) if department_ids else Department.objects.none()
        data = {
            "username": user.get_username(),
            "display_name": users.display_name(user),
            "is_agent": permissions.is_agent(user),
            "is_supervisor": permissions.is_supervisor(user),
            "departments": departments,
            "language": get_language() or "",
        }
        return Response(s.MeSerializer(data, context=self.get_serializer_context()).data)

    def get_serializer_context(self):
        return {"request": self.request, "view": self}
