"""What every endpoint shares: the mixin that fixes the app's DRF policies, idempotent writes, schema parts.

The schema's texts are English on purpose: the schema is one document
whatever the caller's language (see :mod:`helpdesk_tickets.api.schema`).
"""

import re

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ...models import Ticket
from .. import serializers as s
from ..errors import exception_handler
from ..fields import REFERENCE_PATTERN
from ..idempotency import request_fingerprint, run_idempotent
from ..parsers import JSONParser
from ..permissions import IsHelpdeskUser
from ..schema import HelpdeskAutoSchema
from ..throttling import charge, throttles_for

#: An Idempotency-Key: 1–255 visible ASCII characters.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotent(request, fingerprint_data, operation):
    """Run `operation() -> (status, body)`, once per `Idempotency-Key` when the request has one."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status_code, body = operation()
        return Response(body, status=status_code)
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationError({"Idempotency-Key": [_("Use 1 to 255 visible ASCII characters.")]})
    fingerprint = request_fingerprint({"path": request.path, **fingerprint_data})
    status_code, body, replayed = run_idempotent(
        user=request.user, key=key, fingerprint=fingerprint, operation=operation
    )
    response = Response(body, status=status_code)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def slug_of(obj):
    return obj.slug if obj is not None else None


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    pattern=IDEMPOTENCY_KEY_PATTERN,
    description=(
        "Optional: 1–255 visible ASCII characters of your choosing (a UUID). A repeated key (same user, same "
        "request) replays the first answer with the header Idempotent-Replayed: true and changes nothing; "
        "the key with a different request is a 422."
    ),
)
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    pattern=f"^{REFERENCE_PATTERN}$",
    description="Ticket reference (e.g. HD-7K3M9QXA).",
)


def error(description, serializer=s.ErrorSerializer):
    return OpenApiResponse(serializer, description=description)


#: 400: field errors ``{field: [messages]}``, or ``{detail, code}`` when the request as a whole is refused.
BAD_REQUEST = OpenApiResponse(
    {"$ref": "#/components/schemas/ValidationError"},
    description=(
        'Invalid input: `{"<field>": ["message", …]}` naming each field at fault, or `{"detail": …, "code": …}` '
        "for a body that cannot be read (`parse_error`, `too_many_files`, …)."
    ),
)
NOT_FOUND = error("No such thing for you (`not_found`): another user's is a 404 too, never a 403.")
LIST_NOT_FOUND = error("A cursor that was not made by the API, or a ticket that is not yours to see (`not_found`).")
STORAGE_DOWN = {
    503: error(
        "The attachment storage is unavailable (`attachments_unavailable`); nothing was written: send the same "
        "request again (with the same Idempotency-Key) after Retry-After seconds."
    )
}
THROTTLED = {429: error("Too many of these requests (`throttled`); wait Retry-After seconds.")}
KEY_REUSED = {422: error("This Idempotency-Key was used for a different request (`idempotency_key_reused`).")}
TOO_LARGE = {413: error("The request body is too large (`request_too_large`).")}


class HelpdeskAPIMixin:
    """What every endpoint of the app fixes for itself, whatever the host's DRF defaults."""

    schema = HelpdeskAutoSchema()
    permission_classes = [IsHelpdeskUser]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    #: Rate-limit scope of the view's writes (see HELPDESK_TICKETS["API_THROTTLE_RATES"]).
    throttle_scope_for_post = None

    def get_exception_handler(self):
        # The app's own mapping (service errors, a `code` on every `detail`), whatever the host's DRF settings.
        return exception_handler

    def get_authenticators(self):
        # The host's authentication classes, read when the request comes in
        # (not frozen at import), so the API follows the host's settings.
        return [authenticator() for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get_write_throttle_scope(self):
        return self.throttle_scope_for_post if self.request.method == "POST" else None

    def get_throttles(self):
        throttles = super().get_throttles()
        scope = self.get_write_throttle_scope()
        return throttles + throttles_for(scope) if scope else throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The throttle above only checked: what was done counts, not a 4xx or a replayed answer.
        scope = self.get_write_throttle_scope()
        if scope and 200 <= response.status_code < 300 and not response.has_header("Idempotent-Replayed"):
            charge(request, scope)
        return response


def visible_ticket(request, reference, queryset=None):
    """The ticket `reference` if `request.user` may see it; 404 otherwise."""
    queryset = queryset if queryset is not None else Ticket.objects.with_related()
    return get_object_or_404(queryset.visible_to(request.user), reference=reference)
