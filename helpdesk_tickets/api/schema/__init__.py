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

- :mod:`.config`: tags, settings, the host's keys, headers and common errors;
- :mod:`.autoschema`: the schema class, the filters' parameters, ``api_schema``;
- :mod:`.hooks`: the post-processing hook (``postprocess_schema``);
- :mod:`.views`: the schema document and the docs page.
"""

from .autoschema import HelpdeskAutoSchema, HelpdeskFilterExtension, api_schema
from .config import COMMON_ERRORS, HEADERS, HOST_KEYS, SCHEMA_SETTINGS, SUCCESS, TAGS, schema_settings
from .hooks import NULL, postprocess_schema
from .views import DocsAssetView, DocsView, SchemaView, sidecar_directory

__all__ = [
    "COMMON_ERRORS",
    "HEADERS",
    "HOST_KEYS",
    "NULL",
    "SCHEMA_SETTINGS",
    "SUCCESS",
    "TAGS",
    "DocsAssetView",
    "DocsView",
    "HelpdeskAutoSchema",
    "HelpdeskFilterExtension",
    "SchemaView",
    "api_schema",
    "postprocess_schema",
    "schema_settings",
    "sidecar_directory",
]
