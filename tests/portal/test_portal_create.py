"""Send ticket: the three-step wizard, the response-time promise, duplicates and look-alikes."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.models import Attachment, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, upload
from tests.portal.helpers import make_catalogue, open_ticket

pytestmark = [pytest.mark.django_db]


def form_url(department, ticket_type):
    return reverse("helpdesk_tickets:ticket_create_form", args=[department.slug, ticket_type.slug])


@pytest.fixture
def customer(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_steps_require_login(client):
    department, types, _ = make_catalogue()
    for url in (
        reverse("helpdesk_tickets:ticket_create"),
        reverse("helpdesk_tickets:ticket_create_type", args=[department.slug]),
        form_url(department, types[0]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_step_one_lists_active_departments_with_descriptions(client, customer):
    billing, _, _ = make_catalogue(name="Billing", description="Invoices and payments")
    make_catalogue(name="Technical")
    DepartmentFactory(name="Retired", active=False)
    response = client.get(reverse("helpdesk_tickets:ticket_create"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Billing" in html and "Invoices and payments" in html and "Technical" in html
    assert "Retired" not in html
    assert reverse("helpdesk_tickets:ticket_create_type", args=[billing.slug]) in html


def test_department_names_follow_the_active_language(client, customer):
    make_catalogue(name="Billing", translations={"fa": {"name": "مالی", "description": "صورتحساب"}})
    make_catalogue()
    english = client.get(reverse("helpdesk_tickets:ticket_create"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    persian = client.get(reverse("helpdesk_tickets:ticket_create"), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "Billing" in english and "مالی" not in english
    assert "مالی" in persian and "صورتحساب" in persian


def test_single_department_and_single_type_are_skipped(client, customer):
    department, types, _ = make_catalogue(types=1)
    response = client.get(reverse("helpdesk_tickets:ticket_create"))
    assert response.url == reverse("helpdesk_tickets:ticket_create_type", args=[department.slug])
    response = client.get(response.url)
    assert response.url == form_url(department, types[0])
    page = client.get(response.url).content.decode()
    # Neither skipped step is offered as a way back.
    assert f'href="{reverse("helpdesk_tickets:ticket_create_type", args=[department.slug])}"' not in page
    assert f'href="{reverse("helpdesk_tickets:ticket_create")}"' in page  # the navigation only
    assert "hdt-back" not in page


def test_step_two_offers_only_the_departments_types(client, customer):
    department, types, _ = make_catalogue(types=2)
    make_catalogue()
    elsewhere = TicketTypeFactory(name="Only elsewhere")
    elsewhere.departments.add(DepartmentFactory())
    everywhere = TicketTypeFactory(name="Offered everywhere")
    TicketTypeFactory(name="Switched off", active=False)
    html = client.get(reverse("helpdesk_tickets:ticket_create_type", args=[department.slug])).content.decode()
    assert types[0].name in html and types[1].name in html and everywhere.name in html
    assert "Only elsewhere" not in html and "Switched off" not in html


def test_unknown_inactive_or_unoffered_choices_are_404(client, customer):
    department, types, _ = make_catalogue()
    other, other_types, _ = make_catalogue()
    inactive = DepartmentFactory(active=False)
    assert client.get(reverse("helpdesk_tickets:ticket_create_type", args=["nope"])).status_code == 404
    assert client.get(reverse("helpdesk_tickets:ticket_create_type", args=[inactive.slug])).status_code == 404
    assert client.get(form_url(department, other_types[0])).status_code == 404
    assert client.post(form_url(department, other_types[0]), {"subject": "a", "description": "b"}).status_code == 404


def test_form_offers_the_departments_products_and_shows_the_limits(client, customer, settings):
    settings.HELPDESK_TICKETS = {
        **settings.HELPDESK_TICKETS,
        "MAX_ATTACHMENT_SIZE": 2 * 1024 * 1024,
        "MAX_ATTACHMENTS_PER_MESSAGE": 3,
        "ALLOWED_ATTACHMENT_EXTENSIONS": ["png", "pdf"],
    }
    department, types, products = make_catalogue()
    _, _, foreign = make_catalogue()
    response = client.get(form_url(department, types[0]))
    html = response.content.decode()
    form = response.context["form"]
    assert set(form.fields) == {"product", "subject", "description", "attachments"}
    assert list(form.fields["product"].queryset) == products
    assert foreign[0].name not in html
    assert 'name="attachments"' in html and "multiple" in html
    assert "Up to 3 files" in html and "2 MB" in html and "pdf, png" in html
    assert 'enctype="multipart/form-data"' in html


def test_form_states_the_measured_average_first_response(client, customer, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "RESPONSE_TIME_MIN_SAMPLE": 1}
    department, types, _ = make_catalogue(first_response_target=timedelta(hours=4))
    html = client.get(form_url(department, types[0])).content.decode()
    assert "aim to answer within <strong>4 hours</strong>" in html
    agent = make_agent(department)
    ticket = open_ticket(UserFactory(), department, types[0])
    services.post_reply(ticket=ticket, actor=agent, body="Looking into it")
    Ticket.objects.filter(pk=ticket.pk).update(first_response_seconds=25 * 60)
    from django.core.cache import cache

    cache.clear()
    html = client.get(form_url(department, types[0])).content.decode()
    assert "usually answer within <strong>25 minutes</strong>" in html


def test_sending_creates_the_ticket_and_shows_it(client, customer):
    department, types, products = make_catalogue()
    response = client.post(
        form_url(department, types[0]),
        {
            "product": products[1].pk,
            "subject": "Invoice is wrong",
            "description": "The VAT line is doubled.",
            "attachments": [upload("screenshot.png"), upload("notes.txt", b"line one\n", "text/plain")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == ticket.get_absolute_url()
    assert (ticket.requester, ticket.department, ticket.ticket_type, ticket.product) == (
        customer,
        department,
        types[0],
        products[1],
    )
    assert ticket.channel == "web"
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == ["notes.txt", "screenshot.png"]
    page = client.get(response.url)
    html = page.content.decode()
    assert ticket.reference in html and "Invoice is wrong" in html and products[1].name in html
    assert f"Your ticket {ticket.reference} was sent" in html


def test_product_is_optional_and_hidden_when_none_is_offered(client, customer):
    department, types, _ = make_catalogue(products=0)
    response = client.get(form_url(department, types[0]))
    assert "product" not in response.context["form"].fields
    response = client.post(form_url(department, types[0]), {"subject": "Hi", "description": "There"})
    assert response.status_code == 302 and Ticket.objects.get().product is None


def test_second_identical_submission_lands_on_the_first_ticket(client, customer):
    department, types, _ = make_catalogue()
    data = {"subject": "Site is down", "description": "Nothing loads."}
    first = client.post(form_url(department, types[0]), data)
    list(get_messages(first.wsgi_request))
    again = client.post(form_url(department, types[0]), {**data, "subject": "  site IS down "}, follow=True)
    ticket = Ticket.objects.get()
    assert again.redirect_chain == [(ticket.get_absolute_url(), 302)]
    assert again.status_code == 200
    html = again.content.decode()
    assert f"You already sent this request as ticket {ticket.reference}" in html


def test_resubmission_is_answered_even_past_the_rate_limit(client, customer, settings):
    settings.HELPDESK_TICKETS = {
        **settings.HELPDESK_TICKETS,
        "API_THROTTLE_RATES": {"ticket_create": "1/hour", "reply": None},
    }
    from django.core.cache import cache

    cache.clear()
    department, types, _ = make_catalogue()
    data = {"subject": "Site is down", "description": "Nothing loads."}
    client.post(form_url(department, types[0]), data)
    again = client.post(form_url(department, types[0]), data)
    ticket = Ticket.objects.get()
    assert again.status_code == 302 and again.url == ticket.get_absolute_url()
    # Something new is still limited, with the text kept.
    other = client.post(form_url(department, types[0]), {"subject": "Another", "description": "thing"})
    assert other.status_code == 429 and 'value="Another"' in other.content.decode()
    cache.clear()


def test_duplicate_under_another_type_is_still_refused(client, customer):
    department, types, _ = make_catalogue()
    data = {"subject": "Site is down", "description": "Nothing loads."}
    client.post(form_url(department, types[0]), data)
    response = client.post(form_url(department, types[1]), data)
    assert Ticket.objects.count() == 1 and response.url == Ticket.objects.get().get_absolute_url()


def test_refused_attachment_keeps_what_was_typed(client, customer, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "ALLOWED_ATTACHMENT_EXTENSIONS": ["png"]}
    department, types, products = make_catalogue()
    response = client.post(
        form_url(department, types[0]),
        {
            "product": products[0].pk,
            "subject": "Keep me",
            "description": "And me too",
            "attachments": [upload("evil.html", b"<script>", "text/html")],
        },
    )
    assert response.status_code == 200 and not Ticket.objects.exists()
    form = response.context["form"]
    assert "attachments" in form.errors and "evil.html" in form.errors["attachments"][0]
    html = response.content.decode()
    assert 'value="Keep me"' in html and "And me too</textarea>" in html
    assert "please choose them again" in html
    assert f'value="{products[0].pk}" selected' in html


def test_missing_fields_are_reported_on_their_fields(client, customer):
    department, types, _ = make_catalogue()
    response = client.post(form_url(department, types[0]), {"subject": "  ", "description": ""})
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert set(response.context["form"].errors) == {"subject", "description"}
    assert 'aria-invalid="true"' in response.content.decode()


def test_open_ticket_cap_is_explained(client, customer, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "MAX_OPEN_TICKETS_PER_CUSTOMER": 1}
    department, types, _ = make_catalogue()
    open_ticket(customer, department, types[0])
    response = client.post(form_url(department, types[0]), {"subject": "Another", "description": "Thing"})
    assert response.status_code == 200 and Ticket.objects.count() == 1
    assert "You have 1 open ticket;" in response.content.decode()


def similar(client, department, query):
    url = reverse("helpdesk_tickets:ticket_similar", args=[department.slug])
    response = client.get(url, {"q": query})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()["results"]


def test_similar_lists_only_own_open_tickets_of_that_department(client, customer):
    department, types, _ = make_catalogue()
    other_department, other_types, _ = make_catalogue()
    mine = open_ticket(customer, department, types[0], subject="Cannot log in to the panel")
    closed = open_ticket(customer, department, types[0], subject="Cannot log in again", description="x")
    services.close(closed, actor=customer)
    open_ticket(customer, other_department, other_types[0], subject="Cannot log in elsewhere")
    open_ticket(UserFactory(), department, types[0], subject="Cannot log in either")
    open_ticket(customer, department, types[0], subject="Invoice question", description="unrelated")
    results = similar(client, department, "log in problem")
    assert results == [{"reference": mine.reference, "subject": mine.subject, "url": mine.get_absolute_url()}]


def test_similar_matches_persian_despite_keyboard_variants(client, customer):
    department, types, _ = make_catalogue()
    mine = open_ticket(customer, department, types[0], subject="مشکل ورود به پنل کاربری")
    # Arabic yeh and kaf, as typed on an Arabic keyboard.
    assert [r["reference"] for r in similar(client, department, "مشكل ورود")] == [mine.reference]


def test_similar_ignores_common_words(client, customer):
    department, types, _ = make_catalogue()
    open_ticket(customer, department, types[0], subject="The invoice is in the mail", description="x")
    assert similar(client, department, "the password is in the") == []
    assert len(similar(client, department, "the invoice")) == 1


def test_similar_needs_a_few_characters_and_login(client, customer):
    department, types, _ = make_catalogue()
    open_ticket(customer, department, types[0], subject="ab cd")
    assert similar(client, department, "a") == []
    client.logout()
    response = client.get(reverse("helpdesk_tickets:ticket_similar", args=[department.slug]), {"q": "cannot"})
    assert response.status_code == 302
