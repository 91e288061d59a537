"""Issue 15 in the staff workspace, without a browser: the phone-ticket lookup, the staff search."""

import re

import pytest

from helpdesk_tickets import users
from helpdesk_tickets.models import Status, Ticket
from tests.factories import UserFactory, client_for, make_ticket
from tests.staff.helpers import make_desk

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.staff.helpers")]

NEW = "/support/staff/new/"


@pytest.fixture
def desk():
    return make_desk()


def test_finding_the_caller_keeps_what_the_agent_typed(desk):
    """Agents type while the customer talks: "Find" is part of the form and gives the text back."""
    client = client_for(desk.agent)
    response = client.post(
        NEW,
        {
            "find": "cyrus@example.com",
            "lookup": "1",
            "department": desk.sales.pk,
            "ticket_type": desk.ticket_type.pk,
            "priority": "high",
            "subject": "Renewal <for> two years",
            "description": "Wants to renew.\nAsks about the price.",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_bound  # a lookup shows no "this field is required"
    page = response.content.decode()
    assert 'value="Renewal &lt;for&gt; two years"' in page
    assert "Wants to renew.\nAsks about the price.</textarea>" in page
    assert re.search(r'<option value="high" selected>', page)
    # The single match is chosen, and nothing was created.
    radio = re.search(r'<input type="radio" name="requester"[^>]*>', page).group(0)
    assert f'value="{desk.customer.pk}"' in radio and "checked" in radio
    assert not Ticket.objects.exists()


def test_the_caller_search_is_inside_the_ticket_form(desk):
    page = client_for(desk.agent).get(NEW).content.decode()
    start = page.index('<form method="post" enctype')
    form = page[start : page.index("</form>", start)]
    assert 'name="find"' in form and 'name="lookup"' in form and 'name="subject"' in form


@pytest.mark.parametrize("query", ["sara", "sara.ahm", "SARA"])
def test_a_latin_query_finds_a_customer_with_a_persian_name_by_the_start_of_the_address(desk, query):
    sara = UserFactory(username="cust-77", first_name="سارا", last_name="احمدی", email="sara.ahmadi@example.com")
    page = client_for(desk.agent).get(NEW, {"find": query}).content.decode()
    assert f'value="{sara.pk}"' in page


def test_the_domain_of_an_address_finds_no_one(desk):
    """The start of an address, never its domain: a search cannot list everyone at example.com."""
    for query in ("example", "example.com", "ample"):
        assert client_for(desk.agent).get(NEW, {"find": query}).context["candidates"] == [], query


def test_search_q_by_the_start_of_the_address():
    sara = UserFactory(username="u-1", first_name="سارا", email="sara.ahmadi@example.com")
    found = users.model()._default_manager.filter(users.search_q("sara"))
    assert sara in found


@pytest.mark.urls("example_project.urls")
def test_the_site_root_sends_an_agent_to_the_queue_and_a_customer_to_their_tickets(desk):
    assert client_for(desk.agent).get("/")["Location"] == "/support/staff/"
    assert client_for(desk.customer).get("/")["Location"] == "/support/"


QUEUE = "/support/staff/"


def queue_refs(client, **params):
    return [ticket.reference for ticket in client.get(QUEUE, params).context["tickets"]]


def test_a_reference_finds_the_ticket_whatever_its_status(desk):
    resolved = make_ticket(desk.customer, desk.sales, desk.ticket_type, subject="Refund")
    Ticket.objects.filter(pk=resolved.pk).update(status=Status.RESOLVED)
    client = client_for(desk.agent)
    assert queue_refs(client, q=resolved.reference) == [resolved.reference]
    assert queue_refs(client, q=resolved.reference.lower()) == [resolved.reference]
    # Words still search the open tickets only, and the empty page says so with a link to every status.
    response = client.get(QUEUE, {"q": "Refund"})
    assert list(response.context["tickets"]) == []
    page = response.content.decode()
    assert "No open ticket matches this search." in page and "q=Refund&amp;status=all" in page
    assert queue_refs(client, q="Refund", status="all") == [resolved.reference]
    # An explicit status is still applied to a reference.
    assert queue_refs(client, q=resolved.reference, status="open") == []


@pytest.mark.parametrize("query", ["Cyrus", "rahimi", "Cyrus Rahimi"])
def test_the_queue_search_finds_tickets_by_the_customer_name(desk, query):
    if not users.name_fields():
        pytest.skip("this user model has no names")
    mine = make_ticket(desk.customer, desk.sales, desk.ticket_type, subject="Printer")
    make_ticket(desk.customer2, desk.sales, desk.ticket_type, subject="Scanner")
    assert queue_refs(client_for(desk.agent), q=query) == [mine.reference]


def test_a_persian_customer_name_finds_their_tickets(desk):
    if not users.name_fields():
        pytest.skip("this user model has no names")
    sara = UserFactory(username="u-sara", first_name="سارا", last_name="احمدی", email="sara@example.com")
    hers = make_ticket(sara, desk.sales, desk.ticket_type, subject="Invoice")
    assert queue_refs(client_for(desk.agent), q="سارا") == [hers.reference]
    # Other departments' tickets stay out, even when the name matches.
    make_ticket(sara, desk.billing, desk.ticket_type, subject="Payment")
    assert queue_refs(client_for(desk.agent), q="سارا احمدی") == [hers.reference]


# --------------------------------------------------------------------------
# A department nobody staffs (item 12)


def test_check_warns_about_an_active_department_without_an_active_agent(desk):
    from django.core import checks

    from helpdesk_tickets.checks import check_departments_have_agents
    from tests.factories import DepartmentFactory, make_agent

    assert check_departments_have_agents(databases=["default"]) == []
    lonely = DepartmentFactory(name="Warranty", slug="warranty")
    DepartmentFactory(name="Closed shop", slug="closed-shop", active=False)
    former = make_agent(DepartmentFactory(name="Legal", slug="legal"))
    users.model()._default_manager.filter(pk=former.pk).update(is_active=False)
    (warning,) = check_departments_have_agents(databases=["default"])
    assert warning.id == "helpdesk_tickets.W004" and warning.level == checks.WARNING
    assert "Warranty" in warning.msg and "Legal" in warning.msg and "Closed shop" not in warning.msg
    # Without databases (a plain `check` in a build step) it reads nothing.
    assert check_departments_have_agents(databases=None) == []
    lonely.agents.add(desk.agent)
    (warning,) = check_departments_have_agents(databases=["default"])
    assert "Warranty" not in warning.msg


def test_the_dashboard_tells_a_supervisor_about_an_unstaffed_department(desk):
    from tests.factories import DepartmentFactory

    DepartmentFactory(name="Warranty", slug="warranty")
    page = client_for(desk.supervisor).get("/support/staff/dashboard/").content.decode()
    assert "have no active agent" in page and "<bdi>Warranty</bdi>" in page
    assert "have no active agent" not in client_for(desk.agent).get("/support/staff/dashboard/").content.decode()


@pytest.mark.urls("example_project.urls")
def test_the_admin_department_list_names_an_unstaffed_department(desk, admin_client):
    from tests.factories import DepartmentFactory

    DepartmentFactory(name="Warranty", slug="warranty")
    page = admin_client.get("/admin/helpdesk_tickets/department/").content.decode()
    assert "without an active agent" in page and "Warranty" in page


# --------------------------------------------------------------------------
# Item 14: the sidebar's address, the example site's error pages


def test_the_sidebar_address_wraps_at_the_at_sign_and_dots(desk):
    from helpdesk_tickets.templatetags.helpdesk_staff import hdt_staff_breakable_email

    assert hdt_staff_breakable_email("a.<b>@example.com") == "a.<wbr>&lt;b&gt;<wbr>@example.<wbr>com"
    customer = UserFactory(username="long", email="verylongfirstname.verylonglastname@subdomain.example.com")
    ticket = make_ticket(customer, desk.sales, desk.ticket_type)
    page = client_for(desk.agent).get(ticket.get_staff_url()).content.decode()
    assert "verylongfirstname.<wbr>verylonglastname<wbr>@subdomain.<wbr>example.<wbr>com</a>" in page


@pytest.mark.urls("example_project.urls")
def test_the_example_site_has_its_own_404_and_500_pages(desk, settings, client, rf):
    from django.views.defaults import server_error

    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "site-header" in page
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="fa")
    assert "بازگشت به صفحهٔ نخست" in response.content.decode()
    from django.utils import translation

    with translation.override("en"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


# --------------------------------------------------------------------------
# Item 1: canned replies per language, placeholders documented, no doubled greeting


def test_the_staff_page_offers_the_canned_replies_of_the_ticket_language(desk):
    from helpdesk_tickets.models import CannedReply

    persian = make_ticket(desk.customer, desk.sales, desk.ticket_type, subject="پرداخت", language="fa")
    english = make_ticket(desk.customer2, desk.sales, desk.ticket_type, subject="Payment", language="en-us")
    CannedReply.objects.create(
        department=desk.sales, title="Checking (fa)", body="در حال بررسی {reference} هستیم.", language="fa"
    )
    CannedReply.objects.create(
        department=desk.sales, title="Checking (en)", body="We are checking {reference}.", language="en"
    )
    CannedReply.objects.create(department=None, title="Any language", body="{reference}")
    client = client_for(desk.agent)
    page = client.get(persian.get_staff_url()).content.decode()
    assert "Checking (fa)" in page and "Checking (en)" not in page and "Any language" in page
    page = client.get(english.get_staff_url()).content.decode()
    assert "Checking (en)" in page and "Checking (fa)" not in page and "Any language" in page


def test_a_canned_reply_refuses_the_greeting_and_signature_the_email_adds():
    from django.core.exceptions import ValidationError

    from helpdesk_tickets.models import CannedReply

    with pytest.raises(ValidationError, match="greeting"):
        CannedReply(title="t", body="سلام {customer_name}،\n\nدر حال بررسی هستیم.").full_clean()
    with pytest.raises(ValidationError, match="signature"):
        CannedReply(title="t", body="We are checking.\n\nRegards,\n{agent_name}").full_clean()
    CannedReply(title="t", body="We are checking {reference} for you, {customer_name}.").full_clean()
    help_text = str(CannedReply._meta.get_field("body").help_text)
    for name in ("{customer_name}", "{reference}", "{subject}", "{agent_name}"):
        assert name in help_text
    assert "No greeting" in help_text


# --------------------------------------------------------------------------
# Item 10: the collision warning comes before sending


def test_a_reply_is_held_when_the_customer_wrote_since_the_page_was_opened(desk):
    import re as regex

    from helpdesk_tickets import services
    from helpdesk_tickets.models import Message

    ticket = make_ticket(desk.customer, desk.sales, desk.ticket_type, subject="Card declined")
    client = client_for(desk.agent)
    page = client.get(ticket.get_staff_url()).content.decode()
    seen = regex.search(r'name="seen" value="([^"]+)"', page).group(1)
    services.post_reply(ticket=ticket, actor=desk.customer, body="Also, the card is a Visa.")
    response = client.post(
        ticket.get_staff_url(), {"body": "Please try again", "seen": seen, "then_status": "resolved"}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not sent yet." in page and "The customer wrote again" in page
    assert "Please try again</textarea>" in page  # the text is kept
    assert not Message.objects.filter(body="Please try again").exists()
    ticket.refresh_from_db()
    assert ticket.status != "resolved"  # nor the status changed
    # Sending again from that page goes through.
    seen = regex.search(r'name="seen" value="([^"]+)"', page).group(1)
    response = client.post(ticket.get_staff_url(), {"body": "Please try again", "seen": seen})
    assert response.status_code == 302 and Message.objects.filter(body="Please try again").exists()


def test_an_internal_note_is_not_held(desk):
    from helpdesk_tickets import services

    ticket = make_ticket(desk.customer, desk.sales, desk.ticket_type)
    seen = "2000-01-01T00:00:00+00:00"
    services.post_reply(ticket=ticket, actor=desk.customer, body="More")
    response = client_for(desk.agent).post(ticket.get_staff_url(), {"body": "note", "internal": "on", "seen": seen})
    assert response.status_code == 302
