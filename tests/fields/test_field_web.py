"""The fields on the web: step 3 of Send ticket, the staff ticket page and its edit, the phone ticket."""

import pytest
from django.utils import translation

from helpdesk_tickets.models import Ticket, TicketEvent, TicketField
from tests.factories import client_for, make_ticket
from tests.fields.helpers import Billing

pytestmark = pytest.mark.django_db

STEP3 = "/support/new/billing/invoice/"
#: The staff queue's page without a field filter (session, user, departments, tickets, counts, choices…).
QUEUE_QUERIES = 14
API_QUERIES = 7


@pytest.fixture
def billing():
    return Billing()


def form_data(**fields):
    data = {"subject": "Wrong amount", "description": "The invoice says 120."}
    data.update({f"fields.{key}": value for key, value in fields.items()})
    return data


def test_step_3_asks_the_types_fields_in_english(billing):
    page = client_for(billing.customer).get(STEP3, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="fields.invoice_number"' in page and "Invoice number" in page and "At the top of the invoice." in page
    assert 'name="fields.paid_on"' in page and 'type="date"' in page
    assert '<option value="pro">Pro</option>' in page
    assert 'type="checkbox" name="fields.urgent"' in page
    # Required on the page too: the browser asks before sending.
    assert (
        'name="fields.invoice_number" maxlength="500" required' in page
        or "required" in page.split('name="fields.invoice_number"')[1].split(">")[0]
    )


def test_step_3_in_persian_asks_the_date_in_jalali(billing):
    client = client_for(billing.customer)
    client.cookies["django_language"] = "fa"
    page = client.get(STEP3, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "شماره فاکتور" in page and "بالای فاکتور" in page and "حرفه‌ای" in page
    date_input = page.split('name="fields.paid_on"')[1].split(">")[0]
    assert 'type="date"' not in page.split('name="fields.paid_on"')[0][-200:]
    assert "۱۴۰۳/۰۵/۱۲" in date_input and 'dir="ltr"' in date_input


def test_step_3_refuses_the_form_without_the_required_field_and_keeps_what_was_typed(billing):
    client = client_for(billing.customer)
    response = client.post(STEP3, form_data(plan="pro", amount="12"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # the form again
    assert not Ticket.objects.exists()
    form = response.context["form"]
    assert "fields.invoice_number" in form.errors
    page = response.content.decode()
    assert 'value="Wrong amount"' in page and '<option value="pro" selected>Pro</option>' in page


def test_step_3_names_a_refused_value_on_its_field(billing):
    response = client_for(billing.customer).post(STEP3, form_data(invoice_number="INV-1", amount="lots"))
    assert response.status_code == 200 and list(response.context["form"].errors) == ["fields.amount"]
    assert not Ticket.objects.exists()


def test_step_3_stores_the_values_with_a_jalali_date_in_persian_digits(billing):
    client = client_for(billing.customer)
    client.cookies["django_language"] = "fa"
    response = client.post(
        STEP3,
        form_data(invoice_number="INV-1001", plan="basic", paid_on="۱۴۰۵/۰۱/۰۱", amount="۱۲٫۵", urgent="on"),
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    ticket = Ticket.objects.get()
    assert ticket.field_values == {
        "invoice_number": "INV-1001",
        "plan": "basic",
        "paid_on": "2026-03-21",
        "amount": 12.5,
        "urgent": True,
    }


def staff_page(billing, ticket, language="en"):
    client = client_for(billing.agent)
    client.cookies["django_language"] = language
    return client, client.get(ticket.get_staff_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_staff_see_the_values_and_a_removed_fields_value(billing):
    ticket = make_ticket(
        billing.customer,
        billing.department,
        billing.ticket_type,
        fields={"invoice_number": "INV-1001", "plan": "pro", "paid_on": "2026-03-21", "urgent": True},
    )
    TicketField.objects.filter(key="urgent").delete()
    TicketField.objects.filter(key="plan").update(active=False)
    _client, page = staff_page(billing, ticket)
    fields = page.split('id="fields"')[1].split("</section>")[0]
    assert "INV-1001" in fields and "?field=invoice_number%3AINV-1001&amp;status=all" in fields
    assert "Pro" in fields and "(no longer asked)" in fields
    assert "urgent" in fields and "yes" in fields
    _client, persian = staff_page(billing, ticket, "fa")
    assert "۱ فروردین ۱۴۰۵" in persian.split('id="fields"')[1].split("</section>")[0]


def test_staff_see_a_required_field_missing_on_an_e_mailed_ticket(billing):
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type, channel="email")
    _client, page = staff_page(billing, ticket)
    fields = page.split('id="fields"')[1].split("</section>")[0]
    assert "A required field has no answer yet" in fields and "missing" in fields
    assert '<details class="hdt-staff-fields-edit" open>' in fields


def test_staff_edit_the_fields_and_each_change_is_an_event(billing):
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type, channel="email")
    client = client_for(billing.agent)
    url = f"/support/staff/tickets/{ticket.reference}/fields/"
    refused = client.post(url, {"fields.invoice_number": "INV-1", "fields.amount": "lots"}, follow=True)
    assert "Enter a number." in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.field_values == {}
    response = client.post(url, {"fields.invoice_number": "INV-1", "fields.paid_on": "2026-03-21", "fields.plan": ""})
    assert response.status_code == 302 and response["Location"].endswith("#fields")
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "INV-1", "paid_on": "2026-03-21"}
    events = ticket.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED)
    assert sorted(e.new_value for e in events) == ["invoice_number: INV-1", "paid_on: 2026-03-21"]
    # The same values again (the unticked checkbox, a date as typed in Jalali) change nothing.
    client.cookies["django_language"] = "fa"
    again = {"fields.invoice_number": "INV-1", "fields.paid_on": "1405/01/01"}
    client.post(url, again, HTTP_ACCEPT_LANGUAGE="fa")
    assert ticket.events.filter(kind=TicketEvent.Kind.FIELD_CHANGED).count() == 2


def test_the_customer_cannot_post_the_staff_edit(billing):
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type, fields={"invoice_number": "A"})
    response = client_for(billing.customer).post(
        f"/support/staff/tickets/{ticket.reference}/fields/", {"fields.invoice_number": "B"}
    )
    assert response.status_code in (302, 403, 404)
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "A"}


def test_a_ticket_type_without_fields_shows_no_fields_card(billing):
    TicketField.objects.all().delete()
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type)
    _client, page = staff_page(billing, ticket)
    assert 'id="fields"' not in page
    with translation.override("en"):
        assert "fields." not in client_for(billing.customer).get(STEP3).content.decode()


def phone_data(billing, **fields):
    return {
        "requester": billing.customer.pk,
        "department": billing.department.pk,
        "ticket_type": billing.ticket_type.pk,
        "priority": "normal",
        "subject": "Called about an invoice",
        "description": "The amount is wrong.",
        "find": "billing-customer",
        **{f"fields.{key}": value for key, value in fields.items()},
    }


def test_a_phone_ticket_asks_the_chosen_types_fields(billing):
    client = client_for(billing.agent)
    refused = client.post("/support/staff/new/", phone_data(billing))
    assert refused.status_code == 400 and not Ticket.objects.exists()
    page = refused.content.decode()
    field = page.split('name="fields.invoice_number"')[1].split("</div>")[0]
    assert "required" in field and "This field is required." in field
    assert "At the top of the invoice." in page
    response = client.post("/support/staff/new/", phone_data(billing, invoice_number="INV-77", urgent="on"))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.field_values) == ("phone", {"invoice_number": "INV-77", "urgent": True})


def test_a_caller_search_keeps_the_typed_field_values(billing):
    data = {**phone_data(billing, invoice_number="INV-9"), "lookup": "1"}
    page = client_for(billing.agent).post("/support/staff/new/", data).content.decode()
    assert 'value="INV-9"' in page


def test_the_queue_offers_the_field_filter_and_keeps_its_value(billing):
    make_ticket(billing.customer, billing.department, billing.ticket_type, fields={"invoice_number": "INV-1001"})
    page = client_for(billing.agent).get("/support/staff/", {"field": "invoice_number:1001"}).content.decode()
    assert 'name="field" value="invoice_number:1001"' in page


@pytest.mark.parametrize("count", [1, 12])
def test_the_queue_filtered_by_a_field_costs_the_same_queries(billing, count, django_assert_num_queries):
    for i in range(count):
        make_ticket(billing.customer, billing.department, billing.ticket_type, fields={"invoice_number": f"INV-{i}"})
    client = client_for(billing.agent)
    client.get("/support/staff/")  # the session's first request
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get("/support/staff/")
    # The keys' kinds, and the paginator's count (the unfiltered queue reads it from its summary).
    with django_assert_num_queries(QUEUE_QUERIES + 2):
        page = client.get("/support/staff/", {"field": "invoice_number:INV"}).content.decode()
    assert page.count("/support/staff/tickets/") >= count


@pytest.mark.parametrize("count", [1, 12])
def test_the_api_list_filtered_by_a_field_costs_the_same_queries(billing, count, django_assert_num_queries):
    from tests.factories import token_client

    for i in range(count):
        make_ticket(billing.customer, billing.department, billing.ticket_type, fields={"invoice_number": f"INV-{i}"})
    client = token_client(billing.agent)
    # Token and user, the agent's departments, the keys' kinds, the page of tickets and their tags.
    with django_assert_num_queries(API_QUERIES):
        rows = client.get("/api/tickets/", {"field": "invoice_number:INV", "page_size": 50}).json()["results"]
    assert len(rows) == count and all(row["fields"]["invoice_number"].startswith("INV-") for row in rows)


def test_the_customer_reads_their_answers_on_the_ticket_page(billing):
    ticket = make_ticket(
        billing.customer,
        billing.department,
        billing.ticket_type,
        fields={"invoice_number": "INV-1001", "plan": "pro", "urgent": True},
    )
    TicketField.objects.filter(key="urgent").update(active=False)
    client = client_for(billing.customer)
    client.cookies["django_language"] = "fa"
    page = client.get(ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    facts = page.split('class="hdt-summary hdt-ticket-facts"')[1].split("</dl>")[0]
    assert "شماره فاکتور" in facts and "INV-1001" in facts and "حرفه‌ای" in facts
    assert "Urgent" not in facts  # no longer asked: for staff only


@pytest.mark.parametrize("with_values", [False, True])
def test_the_customer_ticket_page_reads_the_fields_only_when_the_ticket_has_values(billing, with_values):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fields = {"invoice_number": "INV-1"} if with_values else {}
    ticket = make_ticket(billing.customer, billing.department, billing.ticket_type, channel="email", fields=fields)
    client = client_for(billing.customer)
    client.get(ticket.get_absolute_url())
    with CaptureQueriesContext(connection) as captured:
        assert client.get(ticket.get_absolute_url()).status_code == 200
    read = sum("helpdesk_tickets_ticketfield" in query["sql"] for query in captured.captured_queries)
    assert read == (1 if with_values else 0)


def test_a_refused_phone_ticket_says_so_at_the_top_and_asks_the_fields_before_the_files(billing):
    # The agent saw the page come back with the invoice number asked below the files, out of sight.
    page = client_for(billing.agent).post("/support/staff/new/", phone_data(billing)).content.decode()
    alert = page.split("data-hdt-focus")[0].rsplit("<div", 1)[1]
    assert 'role="alert"' in alert and 'tabindex="-1"' in alert
    assert page.index("data-hdt-focus") < page.index('name="subject"')
    order = [page.index(f'name="{name}"') for name in ("description", "fields.invoice_number", "attachments")]
    assert order == sorted(order)
