"""The API's one mapping of errors to answers (SPEC §6).

A field error is DRF's ``{field: [messages]}``; every other error is
``{"detail": ..., "code": ...}`` (plus, for a duplicate, ``duplicate_of``).
The service layer's errors carry their own ``code``, ``field`` and
``http_status`` (:mod:`helpdesk_tickets.exceptions`), read here and nowhere
else in the API. Django's own refusals of a request body (too many files or
fields, too big, otherwise suspicious), which would otherwise be the host's
HTML 400 page, are answered here too.
"""

import logging

from django.core import exceptions as django_exceptions
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import HelpdeskError

#: Seconds a client is asked to wait (``Retry-After``) before sending again a
#: request refused because the attachment storage failed (503).
UNAVAILABLE_RETRY_AFTER = 10

#: Every ``code`` the API sends with a ``detail`` (those of DRF's exceptions and
#: of the services'); the documentation's table and the schema list these.
CODES = {
    "merged": 301,
    "parse_error": 400,
    "too_many_files": 400,
    "too_many_fields": 400,
    "bad_request": 400,
    "invalid_transition": 400,
    "merge_into_itself": 400,
    "too_many_tickets": 400,
    "not_authenticated": 401,
    "authentication_failed": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "duplicate": 409,
    "open_ticket_limit": 409,
    "ticket_closed": 409,
    "merge_of_closed": 409,
    "merge_into_closed": 409,
    "merge_across_requesters": 409,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "idempotency_key_reused": 422,
    "throttled": 429,
    "attachments_unavailable": 503,
}


class ServiceRefusal(exceptions.APIException):
    """A :class:`~helpdesk_tickets.exceptions.HelpdeskError` that is not about one field."""

    def __init__(self, error):
        self.status_code = error.http_status
        if error.http_status == status.HTTP_503_SERVICE_UNAVAILABLE:
            self.wait = UNAVAILABLE_RETRY_AFTER
        super().__init__({"detail": str(error), "code": error.code, **error.extra()}, code=error.code)


class RequestRefused(exceptions.APIException):
    """A request body Django itself refused to read (see :func:`as_api_exception`)."""

    def __init__(self, detail, code, status_code=status.HTTP_400_BAD_REQUEST):
        self.status_code = status_code
        super().__init__(detail, code=code)


def _request_refused(exc):
    if isinstance(exc, django_exceptions.TooManyFilesSent):
        return RequestRefused(_("The request carries too many files."), "too_many_files")
    if isinstance(exc, django_exceptions.TooManyFieldsSent):
        return RequestRefused(_("The request carries too many fields."), "too_many_fields")
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return RequestRefused(
            _("The request body is too large."), "request_too_large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    return RequestRefused(_("The request could not be understood."), "bad_request")


def as_api_exception(exc):
    """``exc`` as DRF would raise it: service errors and Django's refusals translated."""
    if isinstance(exc, django_exceptions.ValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, HelpdeskError):
        if exc.field and exc.http_status == 400:
            # A field error that also says what happened, like every error that is not DRF's validation.
            message = str(exc)
            return exceptions.ValidationError(
                {exc.field: [message], "detail": message, "code": exc.code}, code=exc.code
            )
        return ServiceRefusal(exc)
    if isinstance(exc, django_exceptions.SuspiciousOperation | django_exceptions.BadRequest):
        if isinstance(exc, django_exceptions.SuspiciousOperation):
            # Logged where Django's own handler would have logged it.
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
        return _request_refused(exc)
    return exc


def _code(exc):
    if isinstance(exc, Http404):
        return exceptions.NotFound.default_code
    if isinstance(exc, django_exceptions.PermissionDenied):
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
