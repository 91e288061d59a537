"""Security round 2, hardening: one-line subjects, no account enumeration by agents,
rate limits that only count what was done, and the settings and checks around them."""

import uuid

import pytest
from django.urls import reverse

from helpdesk_tickets import users
from helpdesk_tickets.models import Ticket
from tests.factories import token_client, web_client

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


def partial_search():
    """Whether usernames match in part: not where the username is the e-mail address (those match whole)."""
    return users.username_field() != users.email_field()


def test_the_customer_search_never_shows_a_whole_e_mail_address(client, desk):
    from tests.factories import UserFactory

    for n in range(5):
        UserFactory(username=f"shopper{n}", email=f"shopper{n}@corp.example")
    for query in ("corp.example", "@corp", "shopper", "example.com"):
        page = search(client, desk, query)
        assert "@corp.example" not in page.replace("\u2022\u2022\u2022@corp.example", "")
        assert "customer@example.com" not in page
    # By name, the results carry the masked address to tell namesakes apart.
    query = "shopper" if partial_search() else "shopper1@corp.example"
    page = search(client, desk, query)
    assert "s\u2022\u2022\u2022@corp.example" in page
    if partial_search():
        assert "shopper1" in page


def test_e_mail_addresses_match_only_whole(client, desk):
    assert f'value="{desk.customer.pk}"' in search(client, desk, "customer@example.com")
    assert f'value="{desk.customer.pk}"' not in search(client, desk, "r@example.com")
    assert f'value="{desk.customer.pk}"' not in search(client, desk, "@example.com")


def test_the_customer_search_finds_active_customers_only(client, desk):
    from tests.factories import DepartmentFactory, UserFactory, make_agent

    staff = UserFactory(username="kim-staff", is_staff=True)
    admin = UserFactory(username="kim-admin", is_superuser=True)
    agent = make_agent(DepartmentFactory(), username="kim-agent")
    gone = UserFactory(username="kim-gone", is_active=False)
    customer = UserFactory(username="kim-customer")

    def find(user):
        return search(client, desk, "kim" if partial_search() else user.get_username())

    assert f'value="{customer.pk}"' in find(customer)
    for hidden in (staff, admin, agent, gone):
        page = find(hidden)
        assert f'value="{hidden.pk}"' not in page


def test_the_customer_search_needs_three_characters_and_answers_ten_at_most(client, desk):
    from tests.factories import UserFactory

    for n in range(15):
        UserFactory(username=f"buyer{n:02d}")
    assert search(client, desk, "bu").count('name="requester"') == 0
    assert "at least 3 characters" in search(client, desk, "bu")
    if partial_search():
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
    unknown = uuid.uuid4() if isinstance(desk.agent.pk, uuid.UUID) else 987654
    for requester in (desk.agent.pk, unknown):
        response = client.post(SEARCH, {**data, "requester": requester})
        assert response.status_code == 400
        answers.append(response.context["form"].errors["requester"])
    assert answers[0] == answers[1]
    assert not Ticket.objects.exists()


def test_patch_assignee_answers_alike_for_an_unknown_user_and_a_non_agent(desk):
    from tests.factories import UserFactory

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
    from tests.factories import DepartmentFactory, make_agent, make_supervisor

    sales = DepartmentFactory(slug="sales")
    seller = make_agent(sales, username="seller").get_username()

    def agents(user):
        body = token_client(user).get("/api/departments/").json()
        return {d["slug"]: [a["username"] for a in d["agents"]] for d in body}

    agent = desk.agent.get_username()
    assert agents(desk.customer) == {"billing": [], "sales": []}
    assert agents(desk.agent) == {"billing": [agent], "sales": []}
    assert agents(make_supervisor(username="boss")) == {"billing": [agent], "sales": [seller]}


# -- rate limits count what was done, in a cache every process shares --------


def limits(create="1/hour", reply="1/hour", **extra):
    from django.conf import settings
    from django.test import override_settings

    rates = {"ticket_create": create, "reply": reply}
    return override_settings(HELPDESK_TICKETS={**settings.HELPDESK_TICKETS, "API_THROTTLE_RATES": rates, **extra})


def test_web_forms_with_errors_do_not_spend_the_allowance(client, desk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    web_client(client, desk.customer)
    with limits(create="1/hour"):
        for _ in range(3):
            # A field error (the form), then a refused file (the service).
            assert client.post(desk.form_url(), {"subject": "No description"}).status_code == 200
            refused = SimpleUploadedFile("tool.exe", b"MZ" + b"\0" * 20, content_type="application/octet-stream")
            bad_file = client.post(desk.form_url(), {"subject": "S", "description": "D", "attachments": [refused]})
            assert bad_file.status_code == 200 and not Ticket.objects.exists()
        assert client.post(desk.form_url(), {"subject": "Sent at last", "description": "D"}).status_code == 302
        # A resubmission of it is answered with the ticket, and costs nothing either.
        assert client.post(desk.form_url(), {"subject": "Sent at last", "description": "D"}).status_code == 302
        assert client.post(desk.form_url(), {"subject": "Another", "description": "D"}).status_code == 429


def test_an_empty_web_reply_does_not_spend_the_allowance(client, desk):
    ticket = desk.open()
    web_client(client, desk.customer)
    url = reverse("helpdesk_tickets:ticket_detail", args=[ticket.reference])
    with limits(reply="1/hour"):
        for _ in range(3):
            assert client.post(url, {"body": "   "}).status_code == 400
        assert client.post(url, {"body": "the real reply"}).status_code == 302
        assert client.post(url, {"body": "one more"}).status_code == 429


def test_api_requests_refused_with_400_409_or_replayed_do_not_spend_the_allowance(desk):
    api = token_client(desk.customer)
    with limits(create="2/hour", reply="1/hour"):
        for _ in range(3):
            assert api.post("/api/tickets/", desk.api_payload(subject=""), format="json").status_code == 400
            assert api.post("/api/tickets/", desk.api_payload(department="nowhere"), format="json").status_code == 400
        keyed = {"HTTP_IDEMPOTENCY_KEY": "order-1"}
        assert api.post("/api/tickets/", desk.api_payload(), format="json", **keyed).status_code == 201
        replayed = api.post("/api/tickets/", desk.api_payload(), format="json", **keyed)
        assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
        assert api.post("/api/tickets/", desk.api_payload(), format="json").status_code == 409  # duplicate
        assert api.post("/api/tickets/", desk.api_payload(subject="Second"), format="json").status_code == 201
        assert api.post("/api/tickets/", desk.api_payload(subject="Third"), format="json").status_code == 429
        url = f"/api/tickets/{Ticket.objects.earliest('created_at').reference}/messages/"
        for _ in range(3):
            assert api.post(url, {"body": ""}, format="json").status_code == 400
        assert api.post(url, {"body": "a reply"}, format="json").status_code == 201
        assert api.post(url, {"body": "another"}, format="json").status_code == 429


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def rate_limit_warnings(caches, **rates):
    from django.test import override_settings

    from helpdesk_tickets.checks import check_rate_limit_cache

    with override_settings(CACHES=caches), limits(**rates):
        return [(w.id, w.level) for w in check_rate_limit_cache()]


def test_a_per_process_cache_with_rate_limits_on_is_a_warning(tmp_path):
    from django.core.checks import WARNING

    assert rate_limit_warnings(LOCMEM) == [("helpdesk_tickets.W002", WARNING)]
    assert rate_limit_warnings(DUMMY) == [("helpdesk_tickets.W003", WARNING)]
    # One scope still limited is enough; none limited, nothing to warn about.
    assert rate_limit_warnings(LOCMEM, create=None) == [("helpdesk_tickets.W002", WARNING)]
    assert rate_limit_warnings(LOCMEM, create=None, reply=None) == []
    shared = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}
    assert rate_limit_warnings(shared) == []


def test_the_warning_is_part_of_manage_py_check():
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(CACHES=LOCMEM, SILENCED_SYSTEM_CHECKS=[]), pytest.raises(Exception, match="W002"):
        call_command("check", fail_level="WARNING")


# -- the example project trusts X-Forwarded-Proto only behind a proxy --------


@pytest.mark.parametrize(("behind_proxy", "expected"), [(None, "None"), ("0", "None"), ("1", "HTTP_X_FORWARDED_PROTO")])
def test_the_example_trusts_x_forwarded_proto_only_when_told_it_is_behind_a_proxy(behind_proxy, expected):
    import secrets

    from .test_security_deploy import run_example

    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(60)}
    if behind_proxy is not None:
        env["DJANGO_BEHIND_PROXY"] = behind_proxy
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER, settings.CACHES['default'])"
    result = run_example("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()[-1]
    assert printed.startswith(expected if expected == "None" else f"('{expected}', 'https')")
    # And the rate limits count in a cache every worker shares.
    assert "FileBasedCache" in printed


def test_the_short_search_hint_is_translated(client, desk):
    from django.utils import translation

    web_client(client, desk.agent)
    with translation.override("fa"):
        page = client.get(SEARCH, {"find": "cu"}, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "دست‌کم 3 حرف" in page or "دست‌کم ۳ حرف" in page
