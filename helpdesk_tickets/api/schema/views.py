"""The schema document and the interactive docs page (Swagger UI, served by this app)."""

import importlib.util
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from drf_spectacular.settings import patched_settings
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from ..errors import exception_handler
from .autoschema import HelpdeskAutoSchema, api_schema
from .config import SCHEMA_SETTINGS, schema_settings
from .hooks import _forget_enum_overrides


class SchemaView(SpectacularAPIView):
    """``GET schema/``: the OpenAPI 3 document (YAML; ``?format=json`` for JSON), the same in every language."""

    schema = HelpdeskAutoSchema()
    permission_classes = [AllowAny]
    urlconf = None

    @property
    def custom_settings(self):
        return schema_settings()

    def get_exception_handler(self):
        return exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is JSON like every other error of the API, not an OpenAPI document.
        if getattr(response, "exception", False):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @api_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        # English identifiers and text whatever the request's language, and
        # drf-spectacular's ?lang= ignored: one document. (drf-spectacular
        # resolves lazy strings while it builds the document.)
        with translation.override("en"), patched_settings(self.custom_settings):
            _forget_enum_overrides()
            try:
                response = self._get_schema_response(request)
            finally:
                _forget_enum_overrides()
        response["Content-Language"] = "en"
        return response


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


class _PageView(View):
    """A page of the docs: GET (and HEAD) only; any other method is the API's JSON 405."""

    http_method_names = ["get", "head"]

    def http_method_not_allowed(self, request, *args, **kwargs):
        refused = MethodNotAllowed(request.method)  # DRF's words, as on the API's other 405s
        response = JsonResponse({"detail": str(refused.detail), "code": refused.default_code}, status=405)
        response["Allow"] = "GET, HEAD"
        return response


class DocsAssetView(_PageView):
    """Serves the whitelisted Swagger UI files and the page's start-up script."""

    def get(self, request, name):
        if name == "init.js":
            response = HttpResponse(_INIT_JS, content_type="text/javascript; charset=utf-8")
        else:
            relative = _SIDECAR_FILES.get(name)
            directory = sidecar_directory()
            if relative is None or directory is None or not (directory / relative).is_file():
                return JsonResponse({"detail": str(NotFound.default_detail), "code": NotFound.default_code}, status=404)
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            response = FileResponse((directory / relative).open("rb"), content_type=content_type)
        response["Cache-Control"] = "public, max-age=86400"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DocsView(_PageView):
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
