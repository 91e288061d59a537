"""What the schema is built with: its tags, drf-spectacular settings, the host's say, headers and errors."""

from django.conf import settings
from drf_spectacular.settings import SPECTACULAR_DEFAULTS

from ... import __version__


def _serializers():
    from .. import serializers  # they import this module (api_schema, the fields' schemas)

    return serializers


#: The tags of the operations (a generated client's modules), in the order the docs show them.
TAGS = [
    {"name": "catalogue", "description": "Where a ticket can go: departments, ticket types and products."},
    {"name": "tickets", "description": "Tickets, their thread, files and audit trail."},
    {"name": "knowledge-base", "description": "Help articles that may answer a question before it is a ticket."},
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
        "TagColourEnum": "helpdesk_tickets.models.TagColour",
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
    "Location": _header(
        "The same address of the ticket this one was merged into.", {"type": "string", "format": "uri"}
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
