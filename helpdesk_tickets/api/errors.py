"""The API's one mapping of errors to answers (SPEC §6).

A field error is DRF's ``{field: [messages]}``; every other error is
``{"detail": ..., "code": ...}`` (plus, for a duplicate, ``duplicate_of``).
The service layer's errors carry their own ``code``, ``field`` and
``http_status`` (:mod:`helpdesk_tickets.exceptions`), read here and nowhere
else in the API.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import HelpdeskError


class ServiceRefusal(exceptions.APIException):
    """A :class:`~helpdesk_tickets.exceptions.HelpdeskError` that is not about one field."""

    def __init__(self, error):
        self.status_code = error.http_status
        super().__init__({"detail": str(error), "code": error.code, **error.extra()}, code=error.code)


def as_api_exception(exc):
    """``exc`` as DRF would raise it: service errors and Django's ``ValidationError`` translated."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, HelpdeskError):
        if exc.field and exc.http_status == 400:
            return exceptions.ValidationError({exc.field: [str(exc)]}, code=exc.code)
        return ServiceRefusal(exc)
    return exc


def _code(exc):
    if isinstance(exc, Http404):
        return exceptions.NotFound.default_code
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied.default_code
    detail = getattr(exc, "detail", None)
    return getattr(detail, "code", None) or getattr(exc, "default_code", "error")


def exception_handler(exc, context):
    """DRF's handler, after translating the services' errors; every ``detail`` answer gets its ``code``."""
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", _code(exc))
    return response
