"""The schema class of every API view, the filters' parameters and ``api_schema`` for the view methods."""

from drf_spectacular import plumbing
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny

from ...field_filters import MAX_FIELD_FILTERS, MAX_VALUE_LENGTH, FieldValueFilter
from ...filters import MAX_TAGS, TagFilter
from ..filters import DATETIME_NOTE, QUERY_PARAMETER_SCHEMAS
from .config import COMMON_ERRORS, HEADERS, SUCCESS, _serializers


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
        schema = None
        if isinstance(filter_field, TagFilter):
            slug = {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 60}
            schema = {"type": "array", "items": slug, "maxItems": MAX_TAGS}
        elif isinstance(filter_field, FieldValueFilter):
            pair = {"type": "string", "pattern": "^[a-z][a-z0-9_]*:.+$", "maxLength": MAX_VALUE_LENGTH + 41}
            schema = {"type": "array", "items": pair, "maxItems": MAX_FIELD_FILTERS}
        if schema is not None:
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
