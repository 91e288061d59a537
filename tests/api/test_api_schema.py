"""The OpenAPI schema and the interactive docs: complete, valid, typed, and served without a CDN."""

import json
import os
import re
import subprocess
import sys

import pytest
import schemathesis

from tests.factories import token_client
from tests.paths import ROOT

pytestmark = pytest.mark.django_db


SPEC_OPERATIONS = {
    ("get", "/api/"),
    ("get", "/api/departments/"),
    ("get", "/api/ticket-types/"),
    ("get", "/api/products/"),
    ("get", "/api/tickets/"),
    ("post", "/api/tickets/"),
    ("get", "/api/tickets/{reference}/"),
    ("patch", "/api/tickets/{reference}/"),
    ("post", "/api/tickets/{reference}/close/"),
    ("post", "/api/tickets/{reference}/reopen/"),
    ("get", "/api/tickets/{reference}/messages/"),
    ("post", "/api/tickets/{reference}/messages/"),
    ("get", "/api/tickets/{reference}/attachments/{id}/"),
    ("get", "/api/stats/"),
}


def load_schema():
    response = token_client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi_3_with_every_endpoint():
    schema = load_schema()
    assert schema["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(schema).validate()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert operations == SPEC_OPERATIONS


def test_every_operation_and_field_is_typed():
    schema = load_schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation["responses"], (method, path)
            for code, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    assert media["schema"], (method, path, code)
    for name, component in schema["components"]["schemas"].items():
        for field, definition in component.get("properties", {}).items():
            assert definition.get("type") or "$ref" in definition or "allOf" in definition or "oneOf" in definition, (
                name,
                field,
            )


def test_create_documents_examples_duplicates_and_multipart():
    create = load_schema()["paths"]["/api/tickets/"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert create["requestBody"]["content"]["application/json"]["examples"]
    conflict = create["responses"]["409"]["content"]["application/json"]
    assert conflict["schema"] == {"$ref": "#/components/schemas/Duplicate"}
    assert next(iter(conflict["examples"].values()))["value"]["duplicate_of"]
    assert {"201", "400", "409", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])


def test_the_customer_cannot_write_read_only_fields_per_the_schema():
    request = load_schema()["components"]["schemas"]["TicketCreateRequest"]["properties"]
    assert set(request) == {"department", "ticket_type", "product", "subject", "description", "attachments"}
    assert request["attachments"]["items"]["format"] == "binary"


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
        "created_after",
        "created_before",
        "ordering",
        "cursor",
    } <= set(parameters)
    assert "-priority" in parameters["ordering"]["schema"]["enum"]


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
    assert token_client().get(f"/api/docs/assets/{name}").status_code == 404


HOST_SETTINGS = """
from tests.settings import *  # noqa
INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("drf_spectacular")]
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
SPECTACULAR_SETTINGS = {}
"""

HOST_CHECK = """
import json, django
django.setup()
from django.test import Client
from tests.paths import ROOT
client = Client(HTTP_HOST="localhost")
schema = json.loads(client.get("/api/schema/?format=json").content)
print(json.dumps({
    "operations": sorted(f"{m} {p}" for p, item in schema["paths"].items() for m in item),
    "conflict": schema["paths"]["/api/tickets/"]["post"]["responses"]["409"]["content"]["application/json"]["schema"],
    "docs": client.get("/api/docs/").status_code,
    "css": client.get("/api/docs/assets/swagger-ui.css").status_code,
}))
"""


def test_schema_and_docs_need_nothing_from_the_host_but_the_spec_wiring(tmp_path):
    # A fresh process, so that the API modules are imported under a host that
    # has neither drf_spectacular apps nor its DEFAULT_SCHEMA_CLASS.
    (tmp_path / "host_settings.py").write_text(HOST_SETTINGS)
    root = ROOT
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "host_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root), str(root / "example_project")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", HOST_CHECK], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(outcome["operations"]) == {f"{m} {p}" for m, p in SPEC_OPERATIONS}
    assert outcome["conflict"] == {"$ref": "#/components/schemas/Duplicate"}
    assert outcome["docs"] == outcome["css"] == 200
