"""``GET tickets/export/``: the queue as CSV or XLSX, with the list's filters, staff only, in fixed queries."""

import csv
import io

import pytest
from openpyxl import load_workbook

from helpdesk_tickets import services
from tests.agents.helpers import tag
from tests.factories import make_ticket, token_client

pytestmark = pytest.mark.django_db

URL = "/api/tickets/export/"


def _csv(response):
    assert response.status_code == 200, getattr(response, "content", b"")
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_csv_of_the_queue_with_the_lists_filters(world):
    vip = tag("VIP")
    tagged = world.new_ticket(subject="=HYPERLINK(1) tagged")
    services.add_tags(tagged, [vip], actor=world.users["agent"])
    elsewhere = make_ticket(world.users["customer"], world.other_department, world.ticket_type)
    client = world.client("agent")
    response = client.get(URL)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    rows = _csv(response)
    assert rows[0][0] == "Reference"
    references = {row[0] for row in rows[1:]}
    assert references == {world.ticket.reference, tagged.reference}
    assert elsewhere.reference not in references
    rows = _csv(client.get(URL, {"tag": "vip", "format": "csv"}))
    assert [row[0] for row in rows[1:]] == [tagged.reference]
    assert rows[1][1] == "'=HYPERLINK(1) tagged" and "VIP" in rows[1]
    rows = _csv(client.get(URL, {"status": "closed"}))
    assert rows[1:] == []


def test_the_lists_order(world):
    older = world.new_ticket()
    newer = world.new_ticket()
    rows = _csv(world.client("supervisor").get(URL, {"ordering": "created_at"}))
    assert [row[0] for row in rows[1:]] == [world.ticket.reference, older.reference, newer.reference]


def test_xlsx(world):
    response = world.client("supervisor").get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and rows[1][0] == world.ticket.reference


@pytest.mark.parametrize(
    ("params", "field"),
    [({"format": "pdf"}, "format"), ({"status": "nope"}, "status"), ({"ordering": "x"}, "ordering")],
)
def test_invalid_parameters_are_a_json_400_naming_them(world, params, field):
    response = world.client("agent").get(URL, params, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json" and field in response.json()


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("customer", 403)])
def test_staff_only(world, role, status):
    response = world.client(role).get(URL)
    assert response.status_code == status and response["Content-Type"] == "application/json"


# Authentication (4), the tickets, their tags, the names of departments, types and products (3 queries),
# the ticket types' fields (a column each).
@pytest.mark.parametrize(("kind", "expected"), [("csv", 10), ("xlsx", 10)])
def test_a_fixed_number_of_queries(world, django_assert_num_queries, kind, expected):
    vip = tag("VIP")
    client = token_client(world.users["agent"])
    for count in (1, 12):
        while world.department.tickets.count() < count:
            ticket = world.new_ticket()
            services.add_tags(ticket, [vip], actor=world.users["agent"])
            services.assign(ticket, world.users["agent"], actor=world.users["agent"])
        with django_assert_num_queries(expected):
            response = client.get(URL, {"format": kind})
            content = b"".join(response.streaming_content)
        assert response.status_code == 200 and content
