"""The OpenAPI schema as a product: complete, valid, typed, one document in every language, what a generated
client needs (a component per media type, binary downloads, told-apart 409s, the headers), and the
interactive docs served without a CDN.

The linters and the client generators themselves run in the ``clients`` tox env (scripts/client_journey.py).
"""

import json
import os
import re
import subprocess
import sys

import pytest
import schemathesis
from drf_spectacular.drainage import GENERATOR_STATS

from tests.factories import token_client
from tests.paths import ROOT

pytestmark = pytest.mark.django_db


SPEC_OPERATIONS = {
    ("get", "/api/"),
    ("get", "/api/departments/"),
    ("get", "/api/ticket-types/"),
    ("get", "/api/products/"),
    ("get", "/api/articles/"),
    ("get", "/api/articles/{slug}/"),
    ("get", "/api/me/"),
    ("get", "/api/tickets/"),
    ("post", "/api/tickets/"),
    ("get", "/api/tickets/{reference}/"),
    ("patch", "/api/tickets/{reference}/"),
    ("post", "/api/tickets/{reference}/close/"),
    ("post", "/api/tickets/{reference}/reopen/"),
    ("get", "/api/tickets/{reference}/messages/"),
    ("post", "/api/tickets/{reference}/messages/"),
    ("get", "/api/tickets/{reference}/events/"),
    ("get", "/api/tickets/{reference}/attachments/{id}/"),
    ("post", "/api/tickets/{reference}/merge/"),
    ("post", "/api/tickets/bulk/"),
    ("get", "/api/tickets/export/"),
    ("get", "/api/stats/"),
}
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def load_schema(**headers):
    response = token_client().get("/api/schema/?format=json", **headers)
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_schema_is_valid_openapi_3_with_every_endpoint():
    schema = load_schema()
    assert schema["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(schema).validate()
    assert {(method, path) for method, path, _op in operations(schema)} == SPEC_OPERATIONS


def test_drf_spectacular_generates_it_without_a_warning():
    GENERATOR_STATS.reset()
    load_schema()
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ACCEPT_LANGUAGE": "fa"}, {"HTTP_ACCEPT_LANGUAGE": "fa-IR,fa;q=0.9"}, {"HTTP_COOKIE": "django_language=fa"}],
)
def test_one_document_whatever_the_language(headers):
    english = token_client().get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en")
    other = token_client().get("/api/schema/?format=json", **headers)
    assert other.content == english.content
    assert other["Content-Language"] == "en"
    assert token_client().get("/api/schema/?format=json&lang=fa").content == english.content


def test_identifiers_are_stable_english_names():
    schema = load_schema()
    operation_ids = [operation["operationId"] for _method, _path, operation in operations(schema)]
    assert len(set(operation_ids)) == len(operation_ids)
    assert all(IDENTIFIER.match(name) for name in operation_ids), operation_ids
    assert all(IDENTIFIER.match(name) for name in schema["components"]["schemas"])
    assert {"TicketStatusEnum", "TicketPriorityEnum", "TicketChannelEnum", "TicketEventKindEnum"} <= set(
        schema["components"]["schemas"]
    )
    text = json.dumps(schema, ensure_ascii=False)
    assert not re.search("[\u0600-\u06ff]", text), "Persian text in the schema"


def test_every_operation_has_a_summary_a_defined_tag_and_typed_answers():
    schema = load_schema()
    tags = {tag["name"] for tag in schema["tags"]}
    for method, path, operation in operations(schema):
        assert operation.get("summary"), (method, path)
        assert operation.get("tags") and set(operation["tags"]) <= tags, (method, path)
        assert operation["responses"], (method, path)
        for code, response in operation["responses"].items():
            assert response.get("description"), (method, path, code)
            for media in response.get("content", {}).values():
                assert media["schema"], (method, path, code)
    for name, component in schema["components"]["schemas"].items():
        for field, definition in component.get("properties", {}).items():
            assert definition.get("type") or {"$ref", "allOf", "anyOf", "oneOf"} & set(definition), (name, field)


def test_every_operation_describes_its_errors():
    for method, path, operation in operations(load_schema()):
        codes = set(operation["responses"])
        assert {"405", "406"} <= codes, (method, path)
        if path != "/api/":
            assert {"401", "403"} <= codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= codes, (method, path)
        if "{reference}" in path:
            assert "404" in codes, (method, path)
        for code in codes - {"200", "201", "304"}:
            assert operation["responses"][code]["content"]["application/json"]["schema"], (method, path, code)


def test_the_nullable_objects_are_said_the_openapi_3_0_way():
    schema = load_schema()
    for node in walk(schema):
        if isinstance(node, dict) and node.get("nullable"):
            assert "type" in node, node  # what "nullable" applies to
            assert "allOf" not in node, node
    assignee = schema["components"]["schemas"]["Ticket"]["properties"]["assignee"]
    assert assignee["anyOf"][0] == {"$ref": "#/components/schemas/User"}
    assert assignee["anyOf"][1]["enum"] == [None]


def test_json_and_multipart_requests_have_their_own_components():
    schema = load_schema()
    components = schema["components"]["schemas"]
    for path, json_name, form_name in [
        ("/api/tickets/", "TicketCreateRequest", "TicketCreateMultipartRequest"),
        ("/api/tickets/{reference}/messages/", "MessageCreateRequest", "MessageCreateMultipartRequest"),
    ]:
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{json_name}"}
        assert content["multipart/form-data"]["schema"] == {"$ref": f"#/components/schemas/{form_name}"}
        assert "attachments" not in components[json_name]["properties"]
        files = components[form_name]["properties"]["attachments"]
        assert files["type"] == "array" and files["items"]["format"] == "binary"
    # In a form, "no product" is leaving the part out: null would travel as the text "None".
    assert "nullable" not in components["TicketCreateMultipartRequest"]["properties"]["product"]
    assert components["TicketCreateRequest"]["properties"]["product"]["nullable"] is True
    patch = schema["paths"]["/api/tickets/{reference}/"]["patch"]["requestBody"]["content"]
    assert list(patch) == ["application/json"]


def test_what_a_customer_may_write_on_create_per_the_schema():
    request = load_schema()["components"]["schemas"]["TicketCreateRequest"]
    assert set(request["properties"]) == {
        "department",
        "ticket_type",
        "product",
        "subject",
        "description",
        "requester",
        "channel",
        "fields",
    }
    assert set(request["required"]) == {"department", "ticket_type", "subject", "description"}
    assert "Staff only" in request["properties"]["requester"]["description"]


def test_create_documents_examples_and_conflicts_told_apart_by_code():
    schema = load_schema()
    create = schema["paths"]["/api/tickets/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert {"201", "400", "409", "413", "422", "429", "503"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    conflict = create["responses"]["409"]["content"]["application/json"]
    assert conflict["schema"] == {"$ref": "#/components/schemas/TicketCreateConflict"}
    assert {example["value"]["code"] for example in conflict["examples"].values()} == {"duplicate", "open_ticket_limit"}
    components = schema["components"]["schemas"]
    union = components["TicketCreateConflict"]
    assert union["discriminator"]["propertyName"] == "code"
    assert set(union["discriminator"]["mapping"]) == {"duplicate", "open_ticket_limit"}
    assert "duplicate_of" in components["Duplicate"]["required"]
    assert "duplicate_of" not in components["OpenTicketLimit"]["properties"]
    closed = schema["paths"]["/api/tickets/{reference}/messages/"]["post"]["responses"]["409"]
    assert closed["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TicketClosed"}


def test_the_headers_are_declared():
    paths = load_schema()["paths"]
    create = paths["/api/tickets/"]["post"]["responses"]
    assert "Idempotent-Replayed" in create["201"]["headers"]
    assert "Retry-After" in create["429"]["headers"] and "Retry-After" in create["503"]["headers"]
    assert "Idempotent-Replayed" in paths["/api/tickets/{reference}/messages/"]["post"]["responses"]["201"]["headers"]
    detail = paths["/api/tickets/{reference}/"]["get"]
    assert "ETag" in detail["responses"]["200"]["headers"] and "ETag" in detail["responses"]["304"]["headers"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in detail["parameters"])
    download = paths["/api/tickets/{reference}/attachments/{id}/"]["get"]["responses"]["200"]
    assert download["content"] == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert "Content-Disposition" in download["headers"]


def test_servers_licence_and_the_error_codes():
    schema = load_schema()
    assert schema["servers"] == [{"url": "http://localhost", "description": "This site."}]
    assert schema["info"]["license"]["name"] == "BSD-3-Clause"
    assert schema["info"]["contact"]["email"] == "support@example.com"  # the example project's own
    codes = schema["components"]["schemas"]["Error"]["properties"]["code"]["description"]
    for code in ("duplicate", "open_ticket_limit", "ticket_closed", "invalid_transition", "throttled", "not_found"):
        assert f"`{code}`" in codes


def test_pagination_examples_are_urls_and_page_sizes_have_bounds():
    schema = load_schema()
    for name in ("PaginatedTicketList", "PaginatedMessageList", "PaginatedTicketEventList"):
        page = schema["components"]["schemas"][name]
        for link in ("next", "previous"):
            assert re.fullmatch(
                r"https://support\.example\.com/api/tickets/[^\s\"]*\?cursor=[A-Za-z0-9%]+",
                page["properties"][link]["example"],
            )
        assert set(page["required"]) == {"next", "previous", "results"}
    sizes = {
        path: next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size")["schema"]
        for path in ("/api/tickets/", "/api/tickets/{reference}/messages/", "/api/tickets/{reference}/events/")
    }
    assert sizes["/api/tickets/"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
    assert sizes["/api/tickets/{reference}/messages/"]["maximum"] == 200


def test_schema_lists_filters_and_ordering_choices():
    parameters = {p["name"]: p for p in load_schema()["paths"]["/api/tickets/"]["get"]["parameters"]}
    assert {
        "status",
        "department",
        "ticket_type",
        "product",
        "priority",
        "assignee",
        "search",
        "q",
        "sla",
        "sort",
        "tag",
        "created_after",
        "created_before",
        "activity_after",
        "ordering",
        "cursor",
        "page_size",
    } <= set(parameters)
    assert "-priority" in parameters["ordering"]["schema"]["enum"]
    assert parameters["tag"]["schema"]["type"] == "array" and parameters["tag"]["explode"] is True


def test_docs_page_loads_only_local_files():
    client = token_client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/") for s in sources), sources
    assert 'data-schema-url="/api/schema/?format=json"' in html
    for source in sources:
        if "/docs/assets/" in source:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert asset["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/docs/assets/swagger-ui-bundle.js")["Content-Type"].startswith("text/javascript")


@pytest.mark.parametrize("name", ["swagger-ui-bundle.js.map", "LICENSE", "..", "oauth2-redirect.html"])
def test_only_whitelisted_assets_are_served(name):
    response = token_client().get(f"/api/docs/assets/{name}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_error_of_the_schema_view_is_json():
    response = token_client().get("/api/schema/?format=xml")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


HOST_SETTINGS = """
from tests.settings import *  # noqa
INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("drf_spectacular")]
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
# What a host's own drf-spectacular settings could change, and must not change in this API's schema.
SPECTACULAR_SETTINGS = {
    "COMPONENT_SPLIT_REQUEST": False,
    "ENUM_NAME_OVERRIDES": {"HostEnum": ["a", "b"]},
    "CAMELIZE_NAMES": True,
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [],
    "TITLE": "The host's own API",
}
"""

HOST_CHECK = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
schema = json.loads(client.get("/api/schema/?format=json").content)
print(json.dumps({
    "openapi": schema["openapi"],
    "title": schema["info"]["title"],
    "operations": sorted(f"{m} {p}" for p, item in schema["paths"].items() for m, o in item.items()),
    "operation_ids": sorted(o["operationId"] for item in schema["paths"].values() for o in item.values()),
    "components": sorted(schema["components"]["schemas"]),
    "docs": client.get("/api/docs/").status_code,
    "css": client.get("/api/docs/assets/swagger-ui.css").status_code,
}))
"""


def test_schema_and_docs_need_nothing_from_the_host_but_the_spec_wiring(tmp_path):
    # A fresh process, so that the API modules are imported under a host that
    # has neither drf_spectacular apps nor its DEFAULT_SCHEMA_CLASS, and
    # drf-spectacular settings of its own.
    (tmp_path / "host_settings.py").write_text(HOST_SETTINGS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "host_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT), str(ROOT / "example_project")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", HOST_CHECK], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(outcome["operations"]) == {f"{m} {p}" for m, p in SPEC_OPERATIONS}
    expected = load_schema()
    assert outcome["openapi"] == expected["openapi"] and outcome["title"] == expected["info"]["title"]
    assert outcome["operation_ids"] == sorted(o["operationId"] for _m, _p, o in operations(expected))
    assert outcome["components"] == sorted(expected["components"]["schemas"])
    assert outcome["docs"] == outcome["css"] == 200
