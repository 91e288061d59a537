"""SPEC §6: every answer under the API root is JSON, and every error that is not a field error is
``{"detail", "code"}`` with a stable code — whatever the path, the method, the body or the headers."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from helpdesk_tickets.api.errors import CODES
from helpdesk_tickets.models import Ticket
from tests.factories import token_client

pytestmark = pytest.mark.django_db

NEW = {"department": "billing", "ticket_type": "question", "subject": "Cannot log in", "description": "Error 500"}


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert body["code"] == code and body["detail"], body
    assert code in CODES and CODES[code] == status
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/no-such-thing/",
        "/api/tickets/HD-NOSUCH00/nothing/",
        "/api/tickets/bad!reference/",
        "/api/tickets/" + "A" * 33 + "/",
        "/api/tickets/HD-X/attachments/abc/",
        "/api/tickets/HD-X/attachments/" + "9" * 19 + "/",
        "/api/%E2%80%8F/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete", "options"])
def test_an_unknown_path_is_a_json_404(world, path, method):
    response = getattr(world.client("customer"), method)(path)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/assets/swagger-ui.css", "/api/docs/assets/not-there.js"])
def test_the_docs_pages_take_get_only_and_refuse_in_json(world, path):
    client = world.client("customer")
    for method in ("post", "put", "patch", "delete", "options"):
        response = getattr(client, method)(path)
        assert_error(response, 405, "method_not_allowed")
        assert response["Allow"] == "GET, HEAD"
    if "not-there" in path:
        assert_error(client.get(path), 404, "not_found")


def test_an_unknown_path_is_a_404_for_anyone_and_needs_no_credentials():
    assert_error(APIClient(HTTP_HOST="localhost").get("/api/nothing/"), 404, "not_found")


def test_a_dropped_trailing_slash_is_a_404_that_says_where_to_go(world):
    body = assert_error(world.client("customer").post("/api/tickets", NEW, format="json"), 404, "not_found")
    assert "/api/tickets/" in body["detail"]
    body = assert_error(world.client("customer").get(f"/api/tickets/{world.ticket.reference}"), 404, "not_found")
    assert f"/api/tickets/{world.ticket.reference}/" in body["detail"]
    assert not Ticket.objects.filter(subject=NEW["subject"]).exists()


def test_the_method_not_offered_is_a_405_with_allow(world):
    response = world.client("agent").delete(f"/api/tickets/{world.ticket.reference}/")
    assert_error(response, 405, "method_not_allowed")
    assert "PATCH" in response["Allow"]


def test_an_answer_in_no_acceptable_type_is_a_406_in_json(world):
    assert_error(world.client("customer").get("/api/tickets/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


def test_a_body_of_another_type_is_a_415(world):
    response = world.client("customer").generic("POST", "/api/tickets/", "subject=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_a_change_is_json_only(world):
    # A form body a client mislabels must not read as "no change" (a silent 200).
    url = f"/api/tickets/{world.ticket.reference}/"
    response = world.client("agent").generic(
        "PATCH", url, "priority=high", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")
    response = world.client("agent").patch(url, {"priority": "high"}, format="multipart")
    assert_error(response, 415, "unsupported_media_type")
    world.ticket.refresh_from_db()
    assert world.ticket.priority == "normal"


@pytest.mark.parametrize("body", ['{"prority": "high"}', '{"priority": "high", "Priority": "low"}', '{"": 1}'])
def test_a_change_naming_an_unknown_field_is_a_400_naming_it(world, body):
    response = world.client("agent").patch(
        f"/api/tickets/{world.ticket.reference}/", body, content_type="application/json"
    )
    assert response.status_code == 400
    unknown = set(json.loads(body)) - {"priority"}
    assert unknown <= set(response.json())
    world.ticket.refresh_from_db()
    assert world.ticket.priority == "normal"


def test_files_in_a_json_body_are_a_400_not_dropped(world):
    response = world.client("customer").post("/api/tickets/", {**NEW, "attachments": ["aGVsbG8="]}, format="json")
    assert response.status_code == 400 and "attachments" in response.json()
    reply = world.client("customer").post(
        f"/api/tickets/{world.ticket.reference}/messages/", {"body": "x", "attachments": []}, format="json"
    )
    assert reply.status_code == 400 and "attachments" in reply.json()
    assert not Ticket.objects.filter(subject=NEW["subject"]).exists()


def test_in_a_form_no_product_is_an_empty_part(world):
    response = world.client("customer").post("/api/tickets/", {**NEW, "product": ""}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["product"] is None


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=3)
def test_too_many_files_for_django_is_a_json_400(world):
    files = [SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(5)]
    response = world.client("customer").post("/api/tickets/", {**NEW, "attachments": files}, format="multipart")
    assert_error(response, 400, "too_many_files")


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_fields_is_a_json_400(world):
    fields = {f"field{n}": "x" for n in range(10)}
    response = world.client("customer").post("/api/tickets/", {**NEW, **fields}, format="multipart")
    assert_error(response, 400, "too_many_fields")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_for_django_is_a_json_413(world):
    response = world.client("customer").post("/api/tickets/", {**NEW, "description": "x" * 5000}, format="multipart")
    assert_error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    "body",
    [
        '{"subject": ' + "9" * 5000 + "}",
        '{"subject": -' + "9" * 5000 + "}",
        '{"subject": 1e99999}',
        '{"subject": NaN}',
        '{"subject": Infinity}',
    ],
    ids=["huge integer", "huge negative integer", "huge float", "NaN", "Infinity"],
)
def test_huge_numbers_are_a_400(world, body):
    response = world.client("customer").post("/api/tickets/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "sys.set_int_max_str_digits" not in response.content.decode()


@pytest.mark.parametrize(
    "change",
    [{"priority": 1e308}, {"status": -(10**30)}, {"assignee": 10**30}, {"department": 1.5e300}],
)
def test_huge_numbers_in_a_change_are_a_400_on_the_field(world, change):
    response = world.client("agent").patch(f"/api/tickets/{world.ticket.reference}/", change, format="json")
    assert response.status_code == 400 and set(change) <= set(response.json())


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0",
        "page_size=-1",
        "page_size=101",
        "page_size=" + "9" * 5000,
        "page_size=1e3",
        "page_size=abc",
        "page_size=%EF%BC%91",  # a fullwidth digit one
    ],
)
def test_a_page_size_out_of_bounds_is_a_400_naming_it(world, query):
    response = world.client("customer").get(f"/api/tickets/?{query}")
    assert response.status_code == 400 and "page_size" in response.json()


def test_page_sizes_within_bounds(world):
    client = world.client("customer")
    assert client.get("/api/tickets/?page_size=100").status_code == 200
    assert client.get(f"/api/tickets/{world.ticket.reference}/messages/?page_size=200").status_code == 200
    assert client.get(f"/api/tickets/{world.ticket.reference}/messages/?page_size=201").status_code == 400


@pytest.mark.parametrize("path", ["tickets/", "tickets/{ref}/messages/", "tickets/{ref}/events/"])
@pytest.mark.parametrize("cursor", ["garbage", "cD0=", "bz05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==", "%00", "!!!!"])
def test_a_cursor_not_made_by_the_api_is_a_json_404(world, path, cursor):
    url = "/api/" + path.format(ref=world.ticket.reference)
    response = world.client("agent").get(f"{url}?cursor={cursor}")
    assert response.status_code in (200, 404), response.content[:300]
    if response.status_code == 404:
        assert_error(response, 404, "not_found")


def test_reopening_an_open_ticket_names_status_and_says_invalid_transition(world):
    body = world.client("customer").post(f"/api/tickets/{world.ticket.reference}/reopen/").json()
    assert body["code"] == "invalid_transition" and body["status"] == [body["detail"]]


def test_the_storage_down_is_a_503_with_retry_after(world, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "save", broken)
    files = [SimpleUploadedFile("note.txt", b"hello")]
    response = world.client("customer").post("/api/tickets/", {**NEW, "attachments": files}, format="multipart")
    assert_error(response, 503, "attachments_unavailable")
    assert int(response["Retry-After"]) > 0


def test_the_throttled_answer_has_its_code_and_retry_after(world, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "API_THROTTLE_RATES": {"ticket_create": "1/hour"}}
    client = world.client("other_customer")
    assert client.post("/api/tickets/", NEW, format="json").status_code == 201
    response = client.post("/api/tickets/", {**NEW, "subject": "Again"}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_the_messages_follow_the_callers_language(world):
    client = token_client(world.users["customer"])
    english = client.get("/api/nothing/", HTTP_ACCEPT_LANGUAGE="en").json()
    persian = client.get("/api/nothing/", HTTP_ACCEPT_LANGUAGE="fa").json()
    assert english["code"] == persian["code"] == "not_found"
    assert english["detail"] != persian["detail"]
