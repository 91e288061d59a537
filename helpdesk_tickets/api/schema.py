"""OpenAPI schema (drf-spectacular) and the interactive docs page.

Neither needs ``drf_spectacular`` nor ``drf_spectacular_sidecar`` in
``INSTALLED_APPS``, nor drf-spectacular as the host's
``DEFAULT_SCHEMA_CLASS``: every view of the API names its schema class, and
the Swagger UI files are read from the installed sidecar package and served
by :class:`DocsAssetView` (nothing is loaded from a CDN).
"""

import importlib.util
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from .. import __version__

#: drf-spectacular settings of this API's schema, whatever the host's SPECTACULAR_SETTINGS say.
SCHEMA_SETTINGS = {
    "TITLE": "helpdesk_tickets API",
    "DESCRIPTION": (
        "Support tickets: departments, ticket types and products; tickets, their thread and attachments; "
        "staff changes and figures. Authenticate the way the host site does (session, token, …)."
    ),
    "VERSION": __version__,
    # Separate request and response components: uploads are binary in requests only.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": None,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "helpdesk_tickets.models.Status",
        "TicketPriorityEnum": "helpdesk_tickets.models.Priority",
        "TicketChannelEnum": "helpdesk_tickets.models.Channel",
    },
}


class HelpdeskAutoSchema(AutoSchema):
    """The schema class of every API view (independent of ``DEFAULT_SCHEMA_CLASS``)."""

    def get_tags(self):
        return getattr(self.view, "schema_tags", None) or super().get_tags()


def api_schema(**kwargs):
    """``extend_schema`` for the API's view methods, based on :class:`HelpdeskAutoSchema`.

    drf-spectacular builds the schema class of a decorated method on the
    host's ``DEFAULT_SCHEMA_CLASS`` unless the method names one; naming ours
    keeps the schema right on hosts that never configured drf-spectacular.
    """

    def decorator(function):
        function.schema = HelpdeskAutoSchema
        return extend_schema(**kwargs)(function)

    return decorator


class SchemaView(SpectacularAPIView):
    """``GET schema/``: the OpenAPI 3 document (YAML; ``?format=json`` for JSON)."""

    schema = HelpdeskAutoSchema()
    permission_classes = [AllowAny]
    custom_settings = SCHEMA_SETTINGS
    urlconf = None

    @api_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Swagger UI files taken from drf-spectacular-sidecar: only these names are served.
_SIDECAR_FILES = {
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
}

# Starts Swagger UI on the schema named by the page, sending the CSRF token
# with unsafe requests so that "Try it out" works with session auth too.
_INIT_JS = """\
(function () {
  var root = document.getElementById("swagger-ui");
  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    requestInterceptor: function (request) {
      var token = cookie(root.dataset.csrfCookie);
      if (token && !/^(GET|HEAD|OPTIONS)$/i.test(request.method)) {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    }
  });
})();
"""


def sidecar_directory():
    """The Swagger UI distribution inside the installed drf-spectacular-sidecar, or None."""
    spec = importlib.util.find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "drf_spectacular_sidecar"


class DocsAssetView(View):
    """Serves the whitelisted Swagger UI files and the page's start-up script."""

    def get(self, request, name):
        if name == "init.js":
            response = HttpResponse(_INIT_JS, content_type="text/javascript; charset=utf-8")
        else:
            relative = _SIDECAR_FILES.get(name)
            directory = sidecar_directory()
            if relative is None or directory is None or not (directory / relative).is_file():
                raise Http404
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            response = FileResponse((directory / relative).open("rb"), content_type=content_type)
        response["Cache-Control"] = "public, max-age=86400"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DocsView(View):
    """``docs/``: Swagger UI over ``schema/``, everything served by this app."""

    def get(self, request):
        namespace = request.resolver_match.namespace

        def asset(name):
            return reverse(f"{namespace}:docs-asset", kwargs={"name": name})

        schema_url = reverse(f"{namespace}:schema") + "?format=json"
        html = format_html(
            '<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>{title}</title>\n"
            '<link rel="icon" href="{favicon}">\n<link rel="stylesheet" href="{css}">\n</head>\n'
            '<body>\n<div id="swagger-ui" dir="ltr" data-schema-url="{schema}" data-csrf-cookie="{csrf}">'
            '<noscript><p><a href="{schema}">{schema_text}</a></p></noscript></div>\n'
            '<script src="{bundle}"></script>\n<script src="{init}"></script>\n</body>\n</html>\n',
            lang=get_language() or "en",
            title=SCHEMA_SETTINGS["TITLE"],
            favicon=asset("favicon-32x32.png"),
            css=asset("swagger-ui.css"),
            schema=schema_url,
            csrf=settings.CSRF_COOKIE_NAME,
            schema_text=_("OpenAPI schema"),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("init.js"),
        )
        response = HttpResponse(html)
        # Swagger UI sets inline styles and shows data: images; scripts come from here only.
        response["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
