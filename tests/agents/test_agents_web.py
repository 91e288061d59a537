"""The staff pages for tags, merge, bulk actions, away and exports; merged tickets' links."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk_tickets import services
from helpdesk_tickets.models import Ticket, TicketEvent
from tests.agents.helpers import Team, tag
from tests.factories import UserFactory, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]

QUEUE = "/support/staff/"


@pytest.fixture
def team():
    return Team(size=2)


@pytest.fixture
def agent(team):
    return team.agents[0]


@pytest.fixture
def client(agent):
    return client_for(agent)


def staff_url(ticket):
    return f"/support/staff/tickets/{ticket.reference}/"


# --------------------------------------------------------------------------
# tags


def test_tags_are_added_and_removed_on_the_ticket_page_and_never_shown_to_the_customer(team, agent, client):
    ticket = team.ticket(subject="Card declined")
    vip = tag("VIP", colour="red")
    tag("Other department", Team(size=0, name="billing").department)
    page = client.get(staff_url(ticket)).content.decode()
    assert '<option value="vip">VIP</option>' in page and "other-department" not in page

    response = client.post(f"{staff_url(ticket)}tags/", {"add": "vip"})
    assert response.status_code == 302 and response["Location"].endswith("#tags")
    assert list(ticket.tags.all()) == [vip]
    page = client.get(staff_url(ticket)).content.decode()
    assert 'class="hdt-staff-tag hdt-staff-tag-red">VIP</span>' in page and "Tag added" in page

    customer_page = client_for(team.customer).get(f"/support/tickets/{ticket.reference}/").content.decode()
    assert "VIP" not in customer_page
    assert "VIP" not in client_for(team.customer).get("/support/").content.decode()

    client.post(f"{staff_url(ticket)}tags/", {"remove": "vip"})
    assert not ticket.tags.exists()
    # Another department's tag is refused, with a message, and changes nothing.
    client.post(f"{staff_url(ticket)}tags/", {"add": "other-department"})
    assert not ticket.tags.exists()


def test_queue_filters_and_searches_by_tag_and_shows_the_tags(team, agent, client):
    tagged, plain = team.ticket(subject="Tagged one"), team.ticket(subject="Plain one")
    services.add_tags(tagged, [tag("VIP")], actor=agent)
    response = client.get(QUEUE, {"tag": "vip"})
    assert [t.reference for t in response.context["tickets"]] == [tagged.reference]
    assert "hdt-staff-tag-grey" in response.content.decode()
    # "#vip" in the search box means the same.
    assert [t.reference for t in client.get(QUEUE, {"q": "#vip"}).context["tickets"]] == [tagged.reference]
    assert [t.reference for t in client.get(QUEUE, {"q": "#vip one"}).context["tickets"]] == [tagged.reference]
    # A tag nobody has is no filter at all (a stale bookmark).
    assert len(client.get(QUEUE, {"tag": "gone"}).context["tickets"]) == 2
    assert plain


@pytest.mark.parametrize("rows", [2, 12])
def test_queue_rows_tags_cost_one_query_for_the_page(team, agent, client, rows, django_assert_num_queries):
    from tests.staff.test_staff_queue import QUEUE_QUERIES

    labels = [tag(f"Label {i}") for i in range(3)]
    for i in range(rows):
        services.add_tags(team.ticket(), labels[: i % 4], actor=agent)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)
    assert len(response.context["tickets"]) == rows


# --------------------------------------------------------------------------
# away


def test_the_away_toggle(team, agent, client):
    team.department.assignment = "round_robin"
    team.department.save()
    assert "Set me away" in client.get(QUEUE).content.decode()
    response = client.post("/support/staff/away/", {"away": "1", "next": "/support/staff/?sort=created"})
    assert response["Location"] == "/support/staff/?sort=created"
    assert services.is_away(agent)
    assert "I am back" in client.get(QUEUE).content.decode()
    assert team.ticket().assignee == team.agents[1]
    # Only paths of this site are followed back.
    assert client.post("/support/staff/away/", {"away": "0", "next": "https://evil.example/"})["Location"] == QUEUE
    assert not services.is_away(agent)


# --------------------------------------------------------------------------
# bulk


def test_bulk_form_changes_the_ticked_tickets_and_lists_what_was_refused(team, agent, client):
    first, second, closed = team.ticket(), team.ticket(), team.ticket()
    services.close(closed, actor=agent)
    page = client.get(QUEUE).content.decode()
    assert f'name="tickets" value="{first.reference}"' in page and 'action="/support/staff/bulk/"' in page

    response = client.post(
        "/support/staff/bulk/",
        {
            "tickets": [first.reference, second.reference, closed.reference, "HD-NOTMINE"],
            "action": "status",
            "status": "in_progress",
            "priority": "urgent",  # not the chosen action: ignored
            "next": "/support/staff/?sort=created",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Done: 2. Refused: 2." in page
    assert "cannot move from" in page and "No ticket HD-NOTMINE in your queue." in page
    assert 'href="/support/staff/?sort=created"' in page
    assert set(Ticket.objects.filter(status="in_progress").values_list("reference", flat=True)) == {
        first.reference,
        second.reference,
    }
    assert not Ticket.objects.filter(priority="urgent").exists()


@pytest.mark.parametrize(
    "data, check",
    [
        ({"action": "assign", "assignee": "AGENT"}, lambda t, team: t.assignee == team.agents[1]),
        ({"action": "priority", "priority": "high"}, lambda t, team: t.priority == "high"),
        ({"action": "add_tag", "tag": "vip"}, lambda t, team: [x.slug for x in t.tags.all()] == ["vip"]),
        ({"action": "merge", "into": "TARGET"}, lambda t, team: t.merged_into_id is not None),
    ],
)
def test_each_bulk_action(team, agent, client, data, check):
    tag("VIP")
    target = team.ticket(subject="target")
    tickets = [team.ticket(), team.ticket()]
    data = {**data, "tickets": [t.reference for t in tickets]}
    if data.get("assignee") == "AGENT":
        data["assignee"] = str(team.agents[1].pk)
    if data.get("into") == "TARGET":
        data["into"] = target.reference.lower()  # references are read case-insensitively
    response = client.post("/support/staff/bulk/", data)
    assert "Refused: 0." in response.content.decode()
    for ticket in tickets:
        assert check(Ticket.objects.get(pk=ticket.pk), team)


def test_bulk_form_without_a_value_or_ticks_changes_nothing(team, agent, client):
    ticket = team.ticket()
    response = client.post("/support/staff/bulk/", {"tickets": [ticket.reference], "action": "priority"})
    assert response.status_code == 302
    assert client.post("/support/staff/bulk/", {"action": "priority", "priority": "high"}).status_code == 302
    assert client.post("/support/staff/bulk/", {"tickets": ["<script>"], "action": "priority", "priority": "high"})
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"
    assert not TicketEvent.objects.filter(kind="priority_changed").exists()


def test_customers_get_404_on_the_new_staff_pages(team):
    ticket = team.ticket()
    customer = client_for(team.customer)
    for url in (
        "/support/staff/bulk/",
        "/support/staff/away/",
        f"{staff_url(ticket)}tags/",
        f"{staff_url(ticket)}merge/",
    ):
        assert (
            customer.post(url, {"tickets": [ticket.reference], "action": "priority", "priority": "high"}).status_code
            == 404
        )
    for url in ("/support/staff/export.csv", "/support/staff/export.xlsx"):
        assert customer.get(url).status_code == 404


# --------------------------------------------------------------------------
# merge and the links of a merged ticket


def test_merge_from_the_ticket_page_and_every_link_of_the_source_leads_to_the_target(team, agent, client):
    into = team.ticket(subject="Keep this one")
    source = team.ticket(subject="Same thing again")
    message = services.post_reply(
        ticket=source,
        actor=team.customer,
        body="with a file",
        attachments=[SimpleUploadedFile("log.txt", b"log", content_type="text/plain")],
    )
    # The duplicate hint: the customer's other open ticket offers "merge into".
    page = client.get(staff_url(source)).content.decode()
    assert f"Merge into {into.reference}" in page

    response = client.post(f"{staff_url(source)}merge/", {"into": into.reference})
    assert response.status_code == 302 and response["Location"] == staff_url(into)
    assert Ticket.objects.get(pk=source.pk).merged_into_id == into.pk

    # Staff and customer pages of the source redirect; so do its files.
    assert client.get(staff_url(source))["Location"] == staff_url(into)
    customer = client_for(team.customer)
    assert customer.get(f"/support/tickets/{source.reference}/")["Location"] == f"/support/tickets/{into.reference}/"
    attachment = message.attachments.get()
    old_link = f"/support/tickets/{source.reference}/attachments/{attachment.pk}/"
    response = customer.get(old_link)
    assert response["Location"] == f"/support/tickets/{into.reference}/attachments/{attachment.pk}/"
    assert customer.get(response["Location"]).status_code == 200
    # The target's thread has the source's messages; its history the merge.
    page = client.get(staff_url(into)).content.decode()
    assert "with a file" in page and "Merged" in page
    # Someone else's ticket's source still answers 404.
    assert client_for(UserFactory(username="nosy")).get(f"/support/tickets/{source.reference}/").status_code == 404


def test_merge_refusals_are_shown_on_the_page(team, agent, client):
    ticket = team.ticket()
    stranger_ticket = team.ticket(requester=UserFactory(username="stranger"))
    response = client.post(f"{staff_url(ticket)}merge/", {"into": stranger_ticket.reference}, follow=True)
    assert "belong to different customers" in response.content.decode()
    response = client.post(f"{staff_url(ticket)}merge/", {"into": "HD-ZZZZZZZZ"}, follow=True)
    assert "No ticket HD-ZZZZZZZZ in your queue." in response.content.decode()
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    client.post(f"{staff_url(ticket)}merge/", {"into": stranger_ticket.reference, "across_requesters": "on"})
    assert Ticket.objects.get(pk=ticket.pk).merged_into_id == stranger_ticket.pk


# --------------------------------------------------------------------------
# exports


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_of_the_filtered_queue(team, agent, client):
    formula = team.ticket(subject='=HYPERLINK("http://evil.example","x")')
    plain = team.ticket(subject="Printer on fire")
    team.ticket(subject="-2+3")
    services.add_tags(plain, [tag("VIP"), tag("Hardware")], actor=agent)
    services.assign(plain, agent, actor=agent)
    other = Team(size=1, name="billing").ticket(subject="Not in my queue")

    response = client.get("/support/staff/export.csv", {"sort": "created"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    rows = read_csv(response)
    heading, *data = rows
    assert heading[:4] == ["Reference", "Subject", "Status", "Priority"] and len(heading) == 20
    by_ref = {row[0]: dict(zip(heading, row, strict=True)) for row in data}
    assert set(by_ref) == {formula.reference, plain.reference, Ticket.objects.get(subject="-2+3").reference}
    assert other.reference not in by_ref
    assert by_ref[formula.reference]["Subject"].startswith("'=HYPERLINK")
    assert by_ref[Ticket.objects.get(subject="-2+3").reference]["Subject"] == "'-2+3"
    row = by_ref[plain.reference]
    assert row["Status"] == "New" and row["Department"] == "Support" and row["Channel"] == "Web"
    assert row["Tags"] == "Hardware, VIP" and agent.get_username() in row["Assignee"]
    assert row["SLA breached"] == "no" and row["Closed"] == "" and row["Created"][:2] == "20"
    # The queue's filters apply.
    assert [r[0] for r in read_csv(client.get("/support/staff/export.csv", {"tag": "vip"}))[1:]] == [plain.reference]


def test_csv_export_in_persian_has_jalali_dates_and_persian_labels(team, agent, client):
    team.ticket(subject="سلام")
    client.cookies["django_language"] = "fa"
    heading, row = read_csv(client.get("/support/staff/export.csv", HTTP_ACCEPT_LANGUAGE="fa"))
    created = row[heading.index("ایجاد")] if "ایجاد" in heading else row[11]
    assert created[0] == "۱"  # the Jalali year, in Persian digits (۱۴۰۵…)
    assert row[1] == "سلام"
    assert heading[0] != "Reference"


@pytest.mark.parametrize("rows", [3, 15])
def test_export_runs_a_fixed_number_of_queries(team, agent, client, rows, django_assert_num_queries):
    labels = [tag("A"), tag("B")]
    for i in range(rows):
        ticket = team.ticket()
        services.add_tags(ticket, labels[: i % 3], actor=agent)
        if i % 2:
            services.assign(ticket, agent, actor=agent)
    # session, user, supervisor check (2), agent's departments, then the departments, types and products
    # named, the ticket types' fields, the tickets with their people, and their tags.
    with django_assert_num_queries(11):
        assert len(read_csv(client.get("/support/staff/export.csv"))) == rows + 1


def test_xlsx_export(team, agent, client):
    openpyxl = pytest.importorskip("openpyxl")
    ticket = team.ticket(subject="=1+1")
    services.add_tags(ticket, [tag("VIP")], actor=agent)
    response = client.get("/support/staff/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and rows[1][0] == ticket.reference
    # Text, never a formula; dates are dates.
    assert rows[1][1] == "=1+1" and sheet.cell(row=2, column=2).data_type == "s"
    assert rows[1][10] == "VIP"
    assert rows[1][11].year >= 2020
