"""Tampered input that used to crash a request: cursors, deeply nested JSON, ``?canned=``.

SPEC §6: invalid input is a 4xx, never a 500 — whatever the body or the
query string. A broken cursor is DRF's "Invalid cursor" 404.
"""

import json
import re
from base64 import b64encode
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_tickets.api.filters import ordering_choices
from helpdesk_tickets.api.parsers import MAX_JSON_DEPTH, nesting_exceeds
from tests.factories import client_for
from tests.staff.helpers import make_canned, make_desk

pytestmark = pytest.mark.django_db


def cursor(**tokens):
    """A cursor encoded as DRF encodes one: base64 of ``p=…&r=…&o=…``."""
    return b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


TAMPERED = {
    "word": {"p": "abc"},
    "impossible date": {"p": "2026-99-99"},
    "nul": {"p": "\x00"},
    "nul inside a date": {"p": "2026-01-01 10:00:00\x00"},
    "reversed, word": {"r": "1", "p": "x"},
    "naive date": {"p": "2026-01-01 10:00:00"},
    "date beyond year 9999 in UTC": {"p": "9999-12-31 23:59:59-10:00"},
    "huge number": {"p": "9" * 40},
    "negative huge number": {"p": "-" + "9" * 40},
    "non-ASCII digits": {"p": "²"},
    "float": {"p": "1.5"},
    "empty": {"p": ""},
}


@pytest.mark.parametrize("ordering", ordering_choices())
@pytest.mark.parametrize("tampered", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_ticket_cursor_is_a_404(world, ordering, tampered):  # noqa: F811
    response = world.client("supervisor").get("/api/tickets/", {"ordering": ordering, "cursor": cursor(**tampered)})
    assert response.status_code == 404, response.content
    assert response.json()["detail"] == "Invalid cursor"


@pytest.mark.parametrize("tampered", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_message_cursor_is_a_404(world, tampered):  # noqa: F811
    response = world.client("customer").get(
        f"/api/tickets/{world.ticket.reference}/messages/", {"cursor": cursor(**tampered)}
    )
    assert response.status_code == 404, response.content
    assert response.json()["detail"] == "Invalid cursor"


@given(
    ordering=st.sampled_from(ordering_choices()),
    reverse=st.sampled_from(["0", "1"]),
    position=st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
        st.integers().map(str),
        st.datetimes(timezones=st.timezones()).map(str),
    ),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_cursor_position_is_a_page_or_a_404(world, ordering, reverse, position):  # noqa: F811
    # Schemathesis sends random cursor strings, which rarely decode at all: here every cursor does.
    response = world.client("agent").get(
        "/api/tickets/", {"ordering": ordering, "cursor": cursor(p=position, r=reverse)}
    )
    assert response.status_code in (200, 404), response.content
    messages = world.client("agent").get(
        f"/api/tickets/{world.ticket.reference}/messages/", {"cursor": cursor(p=position, r=reverse)}
    )
    assert messages.status_code in (200, 404), messages.content


@pytest.mark.parametrize("ordering", ordering_choices())
def test_cursors_the_api_hands_out_still_work(world, ordering):  # noqa: F811
    for n in range(3):
        world.new_ticket(subject=f"Page {n}", description=f"Ticket number {n} of the walk.")
    client, seen = world.client("supervisor"), []
    url = f"/api/tickets/?page_size=1&ordering={ordering}"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        seen += [t["reference"] for t in page.json()["results"]]
        previous, url = page.json()["previous"], page.json()["next"]
    assert len(seen) == len(set(seen)) == 4
    # And back again from the last page.
    assert client.get(previous).status_code == 200


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/tickets/"),
        ("post", "/api/tickets/{reference}/messages/"),
        ("patch", "/api/tickets/{reference}/"),
    ],
)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 100_000])
def test_deeply_nested_json_is_a_400(world, method, path, depth):  # noqa: F811
    body = '{"subject": ' + nested(depth - 1) + "}"
    response = getattr(world.client("supervisor"), method)(
        path.format(reference=world.ticket.reference), body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "parse_error" and response.json()["detail"]


def test_json_as_deep_as_allowed_is_parsed(world):  # noqa: F811
    # Parsed, then refused by the serializer as an ordinary field error.
    body = json.dumps({"status": json.loads(nested(MAX_JSON_DEPTH - 1))})
    response = world.client("supervisor").patch(
        f"/api/tickets/{world.ticket.reference}/", body, content_type="application/json"
    )
    assert response.status_code == 400 and "status" in response.json()


def test_broken_json_is_still_a_parse_error(world):  # noqa: F811
    response = world.client("customer").post(
        f"/api/tickets/{world.ticket.reference}/messages/", '{"body": ', content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_brackets_inside_strings_do_not_count_as_nesting(world):  # noqa: F811
    body = json.dumps({"body": "[{" * 5000})
    response = world.client("customer").post(
        f"/api/tickets/{world.ticket.reference}/messages/", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content[:300]


@pytest.mark.urls("tests.staff.helpers")
@pytest.mark.parametrize("value", ["²", "①", "٣", "۳", "9" * 40, "-1", "x"])
def test_a_strange_canned_parameter_is_ignored(value):
    desk = make_desk()
    ticket = desk.ticket(subject="Card declined", description="My card was declined twice.")
    make_canned(desk.sales, title="Greeting", body="Hello {customer_name}")
    response = client_for(desk.agent).get(f"/support/staff/tickets/{ticket.reference}/", {"canned": value})
    assert response.status_code == 200
    reply_box = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    assert reply_box and not reply_box.group(1).strip()


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_the_nesting_check_measures_what_the_parser_builds(value):
    def depth(v):
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max(map(depth, children), default=0)

    text = json.dumps(value)
    assert nesting_exceeds(text, depth(value)) is False
    assert nesting_exceeds(text, depth(value) - 1) is (depth(value) > 0)
