"""Issue 15 in the customer portal, without a browser: what a phone ticket looks like to the customer."""

import pytest
from django.urls import reverse
from django.utils import translation

from helpdesk_tickets import services, users
from tests.factories import UserFactory, make_agent
from tests.portal.helpers import make_catalogue, open_ticket

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def phone(client):
    department, types, _products = make_catalogue()
    customer = UserFactory(first_name="Sara")
    agent = make_agent(department, first_name="Reza", last_name="Karimi")
    ticket = services.create_ticket(
        requester=customer,
        department=department,
        ticket_type=types[0],
        subject="Renewal",
        description="The customer called and asked to renew for two years.",
        channel="phone",
        actor=agent,
    )
    web = open_ticket(customer, department, types[0], subject="Printer", description="It jams.")
    client.force_login(customer)
    return ticket, web, customer, agent


def test_a_phone_ticket_says_it_was_opened_for_the_customer_by_phone(client, phone):
    ticket, web, customer, agent = phone
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Opened for you by phone" in page
    # The agent's note of the call is not the customer's bubble, nor signed "You".
    assert "hdt-msg hdt-msg-noted" in page and "hdt-msg hdt-msg-customer" not in page
    assert "Your request, as the support team noted it during your call" in page
    head = page[page.index('class="hdt-msg hdt-msg-noted"') : page.index("hdt-msg-body")]
    assert ">You<" not in head and users.public_name(agent) in head  # "" on a model without names
    # The customer's own reply afterwards is theirs again.
    services.post_reply(ticket=ticket, actor=customer, body="Also the domain, please.")
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert page.count("hdt-msg hdt-msg-customer") == 1
    # A ticket the customer sent on the web has no such badge.
    assert "Opened for you by phone" not in client.get(web.get_absolute_url()).content.decode()


def test_the_ticket_list_marks_phone_tickets_in_persian_too(client, phone):
    page = client.get(reverse("helpdesk_tickets:ticket_list")).content.decode()
    assert page.count("Opened for you by phone") == 1
    with translation.override("fa"):
        page = client.get(reverse("helpdesk_tickets:ticket_list"), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert page.count("ثبت‌شده برای شما در تماس تلفنی") == 1


# --------------------------------------------------------------------------
# Digits, units and direction in Persian (issue 15, item 8)


def test_the_size_error_speaks_persian_digits_and_units(settings):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from helpdesk_tickets import attachments

    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "MAX_ATTACHMENT_SIZE": 10 * 1024 * 1024}
    big = SimpleUploadedFile("big.zip", b"0" * (10 * 1024 * 1024 + 512 * 1024), content_type="application/zip")
    with translation.override("fa"), pytest.raises(ValidationError) as caught:
        attachments.validate_files([big])
    message = caught.value.message_dict["attachments"][0]
    assert "۱۰٫۵ مگابایت" in message and "۱۰ مگابایت" in message
    assert "MB" not in message and not any(digit in message for digit in "0123456789")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        attachments.validate_files([big])
    assert "10.5 MB" in caught.value.message_dict["attachments"][0]


def test_staff_and_customer_show_a_file_size_alike_in_persian(client, phone):
    from tests.factories import upload

    ticket, _web, customer, agent = phone
    services.post_reply(ticket=ticket, actor=customer, body="See the log.", attachments=[upload("log.txt", b"x" * 99)])
    client.cookies["django_language"] = "fa"
    customer_page = client.get(ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    client.force_login(agent)
    staff_page = client.get(ticket.get_staff_url(), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    for page in (customer_page, staff_page):
        assert "۹۹ بایت" in page and "99 bytes" not in page and "99 بایت" not in page


def test_each_paragraph_of_a_message_has_its_own_direction(client, phone):
    ticket, _web, customer, _agent = phone
    services.post_reply(
        ticket=ticket, actor=customer, body="سلام، این خطا را می‌بینم:\n\nError 502: <Bad gateway>\nat line 3"
    )
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert (
        '<p dir="auto">سلام، این خطا را می‌بینم:</p><p dir="auto">Error 502: &lt;Bad gateway&gt;<br>at line 3</p>'
        in page
    )


def test_the_page_title_isolates_reference_and_subject(client, phone):
    ticket, *_ = phone
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f"<title>\u2068{ticket.reference}\u2069 · \u2068Renewal\u2069</title>" in page


# --------------------------------------------------------------------------
# The response time promised on the form (item 5)


def _answered(department, ticket_type, agent, count, minutes):
    from helpdesk_tickets.models import Ticket

    for _n in range(count):
        ticket = open_ticket(UserFactory(), department, ticket_type, subject=f"Old {_n}", description=f"Old {_n}")
        services.post_reply(ticket=ticket, actor=agent, body="Done")
        Ticket.objects.filter(pk=ticket.pk).update(first_response_seconds=minutes * 60)


def test_a_handful_of_tickets_is_no_measured_response_time(client, settings):
    from datetime import timedelta

    from django.core.cache import cache

    department, types, _ = make_catalogue(first_response_target=timedelta(hours=4))
    agent = make_agent(department)
    client.force_login(UserFactory())
    url = reverse("helpdesk_tickets:ticket_create_form", args=[department.slug, types[0].slug])
    _answered(department, types[0], agent, 9, 1)
    html = client.get(url).content.decode()
    assert "aim to answer within <strong>4 hours</strong>" in html and "usually" not in html
    _answered(department, types[0], agent, 1, 1)
    cache.clear()
    html = client.get(url).content.decode()
    assert "usually answer within <strong>1 minute</strong>" in html


def test_the_form_says_the_times_are_counted_in_working_hours(client, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "BUSINESS_HOURS": ("09:00", "17:00"), "WEEKEND_DAYS": [4]}
    department, types, _ = make_catalogue()
    client.force_login(UserFactory())
    url = reverse("helpdesk_tickets:ticket_create_form", args=[department.slug, types[0].slug])
    html = client.get(url).content.decode()
    assert "Counted in working hours: 09:00–17:00, closed on Friday." in html
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "بر پایهٔ ساعت‌های کاری: ۰۹:۰۰ تا ۱۷:۰۰، تعطیل در جمعه." in html
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "BUSINESS_HOURS": None, "WEEKEND_DAYS": []}
    assert "working hours" not in client.get(url).content.decode()
