"""Issue 15, the rest, on the server: the caller lookup (Latin query, Persian name; files), the admin list's SLA."""

import re

import pytest
from django.urls import reverse

from helpdesk_tickets import users
from helpdesk_tickets.transliteration import persian_name_pattern
from tests.factories import PNG, UserFactory, client_for, make_ticket, upload
from tests.staff.helpers import make_desk

pytestmark = pytest.mark.django_db

NEW = "/support/staff/new/"


@pytest.fixture
def desk():
    return make_desk()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("sara", "سارا احمدی"),
        ("ahmadi", "سارا احمدی"),
        ("mohammad", "محمد رضایی"),
        ("rezaei", "محمد رضایی"),
        ("hosseini", "مریم حسینی"),
        ("maryam", "مریم حسینی"),
        ("zahra", "زهرا"),
        ("fatemeh", "فاطمه كريمي"),  # Arabic kaf and yeh, as some keyboards type them
        ("karimi", "فاطمه كريمي"),
        ("ali", "علی"),
    ],
)
def test_a_latin_word_matches_the_persian_spellings_of_a_name(query, name):
    assert re.search(persian_name_pattern(query), name), (query, name, persian_name_pattern(query))


@pytest.mark.parametrize(("query", "name"), [("reza", "علیرضا"), ("sara", "مریم"), ("karimi", "رحیمی")])
def test_it_matches_at_the_start_of_a_word_and_by_the_sounds(query, name):
    assert not re.search(persian_name_pattern(query), name)


@pytest.mark.parametrize("query", ["", "ab", "سارا", "sara1", "o'neil", "aia", "a" * 31])
def test_anything_but_a_plain_latin_word_gives_no_pattern(query):
    assert persian_name_pattern(query) == ""


def needs_names():
    if not users.name_fields():
        pytest.skip("the user model has no name fields to search")


def test_the_phone_lookup_finds_a_persian_name_typed_in_latin_letters(desk):
    """No part of the username or address helps here: the name alone is found."""
    needs_names()
    sara = UserFactory(username="cust-77", first_name="سارا", last_name="احمدی", email="s.a.1358@example.com")
    mina = UserFactory(username="cust-78", first_name="مینا", last_name="احمدی", email="m.1360@example.com")
    client = client_for(desk.agent)
    assert set(client.get(NEW, {"find": "sara ahmadi"}).context["candidates"]) == {sara}
    assert set(client.get(NEW, {"find": "Ahmadi"}).context["candidates"]) == {sara, mina}
    assert client.get(NEW, {"find": "rahimi"}).context["candidates"] == [desk.customer]  # Latin names as before
    # An agent is never offered as the caller, whatever the spelling.
    assert desk.agent not in client.get(NEW, {"find": "ava"}).context["candidates"]


def test_the_queue_search_stays_on_its_columns(desk):
    """The spelling patterns are for the caller lookup; the queue's requester search is unchanged."""
    needs_names()
    query = users.model()._default_manager.filter(users.search_q("sara", prefix="")).query
    assert "REGEXP" not in str(query).upper() and "~" not in str(query)
    lookup = users.find_customers("sara", limit=5, min_length=2).query
    assert "REGEX" in str(lookup).upper() or "~" in str(lookup)


def test_a_lookup_with_chosen_files_says_they_must_be_chosen_again(desk):
    """Without the script, the browser cannot keep them: the page says so, next to the button."""
    client = client_for(desk.agent)
    data = {"find": "cyrus@example.com", "lookup": "1", "subject": "Renewal", "description": "Price?"}
    page = client.post(NEW, {**data, "attachments": [upload("shot.png", PNG)]}).content.decode()
    assert "data-hdt-files-lost" in page and "please choose them again" in page
    assert 'value="Renewal"' in page
    page = client.post(NEW, data).content.decode()
    assert "data-hdt-files-lost" not in page
    # The Find button asks the script to keep the files (and not to upload them for a lookup).
    assert re.search(r'<button[^>]*name="lookup"[^>]*data-hdt-keeps-files', page)


def test_the_admin_ticket_list_shows_the_sla_right_after_the_subject(desk, admin_client):
    make_ticket(requester=desk.customer, department=desk.sales, ticket_type=desk.ticket_type)
    response = admin_client.get(reverse("admin:helpdesk_tickets_ticket_changelist"))
    page = response.content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert columns[:3] == ["reference", "subject", "sla_due"], columns
    assert "helpdesk_tickets/admin.css" in page
    assert 'style="' not in page.split('id="result_list"', 1)[1].split("</table>", 1)[0]
