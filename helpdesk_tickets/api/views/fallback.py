"""Whatever no route of the API matches: a JSON 404, never the host's HTML page (SPEC §6)."""

from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from ..schema import HelpdeskAutoSchema
from ._base import HelpdeskAPIMixin

#: The URL name of the catch-all route (the last of the API's URLconf).
NOT_FOUND_NAME = "not-found"


def _with_slash(request):
    """The path with a slash appended, if the API has a route there (a client that dropped the slash)."""
    path = request.path_info
    if path.endswith("/"):
        return None
    try:
        match = resolve(f"{path}/", urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return f"{request.path}/" if match.url_name != NOT_FOUND_NAME else None


class _NotInTheSchema(HelpdeskAutoSchema):
    def is_excluded(self):
        return True


class NotFoundView(HelpdeskAPIMixin, APIView):
    """Any method on a path below the API root that no route takes (an unknown path, a malformed reference)."""

    permission_classes = [AllowAny]
    schema = _NotInTheSchema()

    def initial(self, request, *args, **kwargs):
        # No authentication, throttling or content checks: there is nothing here to protect.
        pass

    def http_method_not_allowed(self, request, *args, **kwargs):
        slashed = _with_slash(request)
        if slashed:
            raise NotFound(_("Not found. The paths of this API end with a slash: %(path)s") % {"path": slashed})
        raise NotFound()

    def options(self, request, *args, **kwargs):
        return self.http_method_not_allowed(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # No resource here, so no methods it allows (DRF would list this view's own).
        del response["Allow"]
        return response
