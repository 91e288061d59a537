"""The finishing touches on the generated document, and drf-spectacular's enum cache."""

from django.urls import get_script_prefix
from drf_spectacular import plumbing

from ..errors import CODES

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
