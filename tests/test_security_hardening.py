"""Security round 2, hardening: one-line subjects, no account enumeration by agents,
rate limits that only count what was done, and the settings and checks around them."""

import pytest
from django.urls import reverse

from helpdesk_tickets.models import Ticket

from .factories_security import _fresh_cache, desk_fixture, token_client, web_client  # noqa: F401

pytestmark = pytest.mark.django_db

MULTI_LINE = "Cannot log in\r\nBcc: victim@example.com\u2028second\u2029third\x85fourth\x0bfifth\tsixth"
ONE_LINE = "Cannot log in Bcc: victim@example.com second third fourth fifth sixth"


# -- subjects are one line, whichever way they arrive ------------------------


def test_the_service_collapses_line_breaks_and_controls_in_a_subject(desk):
    ticket = desk.open(subject=MULTI_LINE, description="line one\nline two")
    assert ticket.subject == ONE_LINE
    # The description is a text: its lines are kept.
    assert ticket.messages.get().body == "line one\nline two"


def test_a_subject_of_line_breaks_only_is_refused_as_empty(desk):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        desk.open(subject="\r\n\u2028\x0b")
    assert "subject" in caught.value.message_dict


def test_web_api_and_phone_store_the_same_one_line_subject(client, desk):
    web_client(client, desk.customer)
    response = client.post(desk.form_url(), {"subject": MULTI_LINE, "description": "From the web."})
    assert response.status_code == 302
    api = token_client(desk.customer)
    assert api.post("/api/tickets/", desk.api_payload(subject=MULTI_LINE), format="json").status_code == 201
    web_client(client, desk.agent)
    phone = client.post(
        reverse("helpdesk_tickets:staff_ticket_create"),
        {
            "find": "customer",
            "requester": desk.customer.pk,
            "department": desk.department.pk,
            "ticket_type": desk.ticket_type.pk,
            "priority": "normal",
            "subject": MULTI_LINE,
            "description": "From the phone.",
        },
    )
    assert phone.status_code == 302, phone.content.decode()
    assert set(Ticket.objects.values_list("subject", flat=True)) == {ONE_LINE}
    assert Ticket.objects.count() == 3


# -- agents cannot enumerate accounts ----------------------------------------

SEARCH = "/support/staff/new/"


def search(client, desk, query):
    web_client(client, desk.agent)
    return client.get(SEARCH, {"find": query}).content.decode()


def test_the_customer_search_never_shows_a_whole_e_mail_address(client, desk):
    from .factories import UserFactory

    for n in range(5):
        UserFactory(username=f"shopper{n}", email=f"shopper{n}@corp.example")
    for query in ("corp.example", "@corp", "shopper", "example.com"):
        page = search(client, desk, query)
        assert "@corp.example" not in page.replace("\u2022\u2022\u2022@corp.example", "")
        assert "customer@example.com" not in page
    # By name, the results carry the masked address to tell namesakes apart.
    page = search(client, desk, "shopper")
    assert "shopper1" in page and "s\u2022\u2022\u2022@corp.example" in page


def test_e_mail_addresses_match_only_whole(client, desk):
    assert f'value="{desk.customer.pk}"' in search(client, desk, "customer@example.com")
    assert f'value="{desk.customer.pk}"' not in search(client, desk, "r@example.com")
    assert f'value="{desk.customer.pk}"' not in search(client, desk, "@example.com")


def test_the_customer_search_finds_active_customers_only(client, desk):
    from .factories import DepartmentFactory, UserFactory, make_agent

    staff = UserFactory(username="kim-staff", is_staff=True)
    admin = UserFactory(username="kim-admin", is_superuser=True)
    agent = make_agent(DepartmentFactory(), username="kim-agent")
    gone = UserFactory(username="kim-gone", is_active=False)
    customer = UserFactory(username="kim-customer")
    page = search(client, desk, "kim")
    assert f'value="{customer.pk}"' in page
    for hidden in (staff, admin, agent, gone):
        assert f'value="{hidden.pk}"' not in page and hidden.username not in page


def test_the_customer_search_needs_three_characters_and_answers_ten_at_most(client, desk):
    from .factories import UserFactory

    for n in range(15):
        UserFactory(username=f"buyer{n:02d}")
    assert search(client, desk, "bu").count('name="requester"') == 0
    assert "at least 3 characters" in search(client, desk, "bu")
    assert search(client, desk, "buyer").count('name="requester"') == 10


def test_a_phone_ticket_cannot_be_opened_for_staff_and_says_so_like_an_unknown_id(client, desk):
    web_client(client, desk.agent)
    data = {
        "department": desk.department.pk,
        "ticket_type": desk.ticket_type.pk,
        "priority": "normal",
        "subject": "Called",
        "description": "About something.",
    }
    answers = []
    for requester in (desk.agent.pk, 987654):
        response = client.post(SEARCH, {**data, "requester": requester})
        assert response.status_code == 400
        answers.append(response.context["form"].errors["requester"])
    assert answers[0] == answers[1]
    assert not Ticket.objects.exists()


def test_patch_assignee_answers_alike_for_an_unknown_user_and_a_non_agent(desk):
    from .factories import UserFactory

    ticket = desk.open()
    UserFactory(username="former", is_active=False)
    api = token_client(desk.agent)
    url = f"/api/tickets/{ticket.reference}/"
    answers = {}
    for username in ("nobody-by-this-name", desk.other.get_username(), "former"):
        response = api.patch(url, {"assignee": username}, format="json")
        assert response.status_code == 400, response.content
        answers[username] = response.json()
    assert len({str(answer) for answer in answers.values()}) == 1, answers
    assert list(answers["nobody-by-this-name"]) == ["assignee"]


def test_departments_list_agents_to_their_own_agents_and_supervisors_only(desk):
    from .factories import DepartmentFactory, make_agent, make_supervisor

    sales = DepartmentFactory(slug="sales")
    make_agent(sales, username="seller")

    def agents(user):
        body = token_client(user).get("/api/departments/").json()
        return {d["slug"]: [a["username"] for a in d["agents"]] for d in body}

    assert agents(desk.customer) == {"billing": [], "sales": []}
    assert agents(desk.agent) == {"billing": ["agent"], "sales": []}
    assert agents(make_supervisor(username="boss")) == {"billing": ["agent"], "sales": ["seller"]}
