"""OpenAPI schema (drf-spectacular) and the interactive docs page.

Neither needs ``drf_spectacular`` nor ``drf_spectacular_sidecar`` in
``INSTALLED_APPS``, nor drf-spectacular as the host's
``DEFAULT_SCHEMA_CLASS``: every view of the API names its schema class, and
the Swagger UI files are read from the installed sidecar package and served
by :class:`DocsAssetView` (nothing is loaded from a CDN).

The schema is a product (SPEC §6): one document whatever the request's
language (it is generated in English, so that operation ids, component and
enum names never change), every operation with a summary, a tag and the
errors and headers it may answer with, and none of the host's
``SPECTACULAR_SETTINGS`` but the contact, terms and servers changing it.
"""

import importlib.util
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse, JsonResponse
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from drf_spectacular import plumbing
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.settings import SPECTACULAR_DEFAULTS, patched_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from .. import __version__
from ..filters import MAX_TAGS, TagFilter
from .errors import CODES, exception_handler
from .filters import DATETIME_NOTE, QUERY_PARAMETER_SCHEMAS

#: The tags of the operations (a generated client's modules), in the order the docs show them.
TAGS = [
    {"name": "catalogue", "description": "Where a ticket can go: departments, ticket types and products."},
    {"name": "tickets", "description": "Tickets, their thread, files and audit trail."},
    {"name": "staff", "description": "What only agents and supervisors may do."},
    {"name": "account", "description": "The caller."},
]

#: The host's SPECTACULAR_SETTINGS this schema takes (what is the host's to say); everything else is fixed here.
HOST_KEYS = ("CONTACT", "TOS", "EXTERNAL_DOCS", "SERVERS")

#: drf-spectacular settings of this API's schema, whatever the host's SPECTACULAR_SETTINGS say.
SCHEMA_SETTINGS = {
    "TITLE": "helpdesk_tickets API",
    "DESCRIPTION": (
        "Support tickets: departments, ticket types and products; tickets, their thread, files and audit trail; "
        "staff changes and figures.\n\n"
        "Authenticate with `Authorization: Token <key>` (or the host site's session, sending the CSRF token with "
        'unsafe methods). Every error that is not about a field is `{"detail": …, "code": …}` with a stable '
        '`code`; field errors are `{"<field>": ["message", …]}`. Every path ends with a slash; a path '
        "that does not exist is a JSON 404, and a method a path does not offer a 405."
    ),
    "VERSION": __version__,
    "LICENSE": {"name": "BSD-3-Clause", "url": "https://opensource.org/license/bsd-3-clause"},
    "TAGS": TAGS,
    # Separate request and response components: uploads are binary in requests only.
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": True,
    "SCHEMA_PATH_PREFIX": None,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "helpdesk_tickets.models.Status",
        "TicketPriorityEnum": "helpdesk_tickets.models.Priority",
        "TicketChannelEnum": "helpdesk_tickets.models.Channel",
        "OnBehalfChannelEnum": lambda: [(value, str(label)) for value, label in _serializers().ON_BEHALF_CHANNELS],
        "TicketEventKindEnum": "helpdesk_tickets.models.TicketEvent.Kind",
    },
    "APPEND_COMPONENTS": {
        "schemas": {
            "ValidationError": {
                "type": "object",
                "description": (
                    'Field errors: `{"<field>": ["message", …]}` for each field at fault (`non_field_errors` for '
                    'the request as a whole; a list field\'s items by index), or `{"detail": …, "code": …}` '
                    "when the body as a whole cannot be read."
                ),
                "properties": {
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                    "non_field_errors": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": {},
            }
        }
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk_tickets.api.schema.postprocess_schema",
    ],
}


def schema_settings():
    """drf-spectacular's defaults, this API's settings, and the host's say on :data:`HOST_KEYS` only."""
    host = getattr(settings, "SPECTACULAR_SETTINGS", {}) or {}
    fixed = {
        key: value
        for key, value in SPECTACULAR_DEFAULTS.items()
        if not key.startswith("SERVE_") and key != "DEFAULT_GENERATOR_CLASS"
    }
    return {**fixed, **SCHEMA_SETTINGS, **{key: host[key] for key in HOST_KEYS if host.get(key)}}


def _header(description, schema):
    return {"description": description, "schema": schema}


#: Response headers the schema declares, by name.
HEADERS = {
    "Retry-After": _header("Seconds to wait before sending the request again.", {"type": "integer", "minimum": 0}),
    "Idempotent-Replayed": _header(
        "`true` when this is the stored answer to an earlier request with the same Idempotency-Key "
        "(nothing was done again); absent otherwise.",
        {"type": "string", "enum": ["true"]},
    ),
    "ETag": _header(
        "Version of the ticket as you see it; send it back in If-None-Match to get a 304 while nothing changed.",
        {"type": "string"},
    ),
    "Content-Disposition": _header(
        "`attachment; filename=\"…\"; filename*=UTF-8''…`: the file's name (ASCII fallback and the real name).",
        {"type": "string"},
    ),
}

#: What the errors every operation may answer with mean (the body is always the Error component).
COMMON_ERRORS = {
    "401": "Not authenticated: no credentials, or invalid ones (`not_authenticated`, `authentication_failed`); "
    "the `WWW-Authenticate` header names the scheme when the host's first authentication class has one.",
    "403": "Authenticated, but not allowed (`permission_denied`), e.g. a customer on a staff-only operation.",
    "405": "The method is not offered on this path (`method_not_allowed`).",
    "406": "No answer in a media type the Accept header allows (`not_acceptable`); the API answers JSON.",
    "415": "The body's Content-Type is not one the operation takes (`unsupported_media_type`).",
}


#: What a success without a description of its own says.
SUCCESS = {"200": "OK.", "201": "Created."}


class HelpdeskAutoSchema(AutoSchema):
    """The schema class of every API view (independent of ``DEFAULT_SCHEMA_CLASS``).

    Besides drf-spectacular's own work it adds to each operation the errors
    every operation may answer with (:data:`COMMON_ERRORS`, and 401/403 unless
    anyone may call it), 415 where it takes a body, and the headers its
    method's ``api_schema(headers=...)`` names, ``Retry-After`` on 429 and 503.
    """

    def get_tags(self):
        return getattr(self.view, "schema_tags", None) or super().get_tags()

    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _constrain(self, parameter):
        parameter["schema"].update(QUERY_PARAMETER_SCHEMAS.get(parameter["name"], {}))
        if parameter["schema"].get("format") == "date-time":
            parameter["description"] = f"{parameter.get('description', '')}. {DATETIME_NOTE}".lstrip(". ")
            # django-filter reads an empty value as no filter at all.
            parameter["allowEmptyValue"] = True

    def _error(self, description):
        return {
            "description": description,
            "content": {"application/json": {"schema": self.resolve_serializer(_error_serializer(), "response").ref}},
        }

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", ()):
            if parameter["in"] == "query":
                self._constrain(parameter)
        responses = operation["responses"]
        public = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        codes = [code for code in COMMON_ERRORS if code not in ("401", "403") or not public]
        if "requestBody" not in operation:
            codes.remove("415")
        for code in codes:
            responses.setdefault(code, self._error(COMMON_ERRORS[code]))
        headers = getattr(self._handler(), "_hdt_response_headers", {})
        for code, response in responses.items():
            if not response.get("description"):
                response["description"] = SUCCESS.get(code, "")
            names = list(headers.get(int(code), ()))
            if code in ("429", "503"):
                names.append("Retry-After")
            if names:
                response["headers"] = {name: HEADERS[name] for name in names}
        operation["responses"] = dict(sorted(responses.items()))
        return operation


class HelpdeskFilterExtension(DjangoFilterExtension):
    """django-filter's schema extension, for this API's backend, told what it cannot read from a filter."""

    target_class = "helpdesk_tickets.api.filters.OnDemandFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if isinstance(filter_field, TagFilter):
            slug = {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 60}
            schema = {"type": "array", "items": slug, "maxItems": MAX_TAGS}
            return [
                plumbing.build_parameter_type(
                    name=field_name,
                    location="query",
                    description=str(filter_field.label),
                    schema=schema,
                    explode=True,
                    style="form",
                )
            ]
        return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)


def _serializers():
    from . import serializers  # they import this module (api_schema, the fields' schemas)

    return serializers


def _error_serializer():
    return _serializers().ErrorSerializer


def api_schema(*, headers=None, **kwargs):
    """``extend_schema`` for the API's view methods, based on :class:`HelpdeskAutoSchema`.

    drf-spectacular builds the schema class of a decorated method on the
    host's ``DEFAULT_SCHEMA_CLASS`` unless the method names one; naming ours
    keeps the schema right on hosts that never configured drf-spectacular.
    ``headers`` maps a status code to the names of the :data:`HEADERS` its
    answer carries.
    """

    def decorator(function):
        function.schema = HelpdeskAutoSchema
        function._hdt_response_headers = headers or {}
        return extend_schema(**kwargs)(function)

    return decorator


#: "null" as OpenAPI 3.0 writes it (``nullable`` needs a ``type`` beside it, and null is no object).
NULL = {"type": "object", "nullable": True, "enum": [None]}


def _nullable_refs(node):
    """``{"allOf": [$ref], "nullable": true}`` as ``{"anyOf": [$ref, null]}``.

    drf-spectacular writes a nullable nested object as the former, which
    OpenAPI 3.0.3 leaves ambiguous (``nullable`` without a ``type`` beside it
    means nothing, and the object itself is not null); generators read the
    latter as "that object or null".
    """
    if isinstance(node, dict):
        if node.get("nullable") and len(node.get("allOf", ())) == 1 and "type" not in node:
            del node["nullable"]
            node["anyOf"] = [node.pop("allOf")[0], dict(NULL)]
        for value in node.values():
            _nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_refs(value)


def _servers(request):
    """The site's root (with the script prefix, not the API's own prefix: the paths hold that)."""
    if request is None:
        return [{"url": "/", "description": "This site."}]
    url = request.build_absolute_uri(get_script_prefix()).rstrip("/")
    return [{"url": url, "description": "This site."}]


def postprocess_schema(result, generator, request, public):
    """The finishing touches drf-spectacular has no setting for (see :class:`HelpdeskAutoSchema` for the rest)."""
    if not result.get("servers"):
        result["servers"] = _servers(request)
    _nullable_refs(result)
    error = result.get("components", {}).get("schemas", {}).get("Error")
    if error:
        codes = ", ".join(f"`{code}` ({status})" for code, status in CODES.items())
        error["properties"]["code"]["description"] = f"A stable machine code (for programs): {codes}."
    return result


def _forget_enum_overrides():
    # drf-spectacular caches ENUM_NAME_OVERRIDES per language, not per settings: a host's own schema
    # generated first in the same process would otherwise lend this one its enum names (and back).
    cached = getattr(plumbing, "_load_enum_name_overrides", None)
    if hasattr(cached, "cache_clear"):
        cached.cache_clear()


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
