"""``manage.py helpdesk_demo``: a usable demo in one command, and running it again changes nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from helpdesk_tickets import permissions, stats, users
from helpdesk_tickets.management.commands.helpdesk_demo import DEFAULT_PASSWORD, demo_login
from helpdesk_tickets.models import (
    Department,
    Message,
    OutboundEmail,
    Product,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)

pytestmark = pytest.mark.django_db

ACCOUNTS = ["customer", "customer2", "agent", "agent2", "supervisor", "admin"]


def run(*args):
    out = StringIO()
    call_command("helpdesk_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    User = users.model()
    return {
        model.__name__: model.objects.count()
        for model in (User, Department, TicketType, Product, Ticket, Message, TicketEvent)
    } | {"agent memberships": Department.agents.through.objects.count()}


def user(username):
    return users.by_username(demo_login(username))


def test_running_twice_changes_nothing():
    run()
    first = counts()
    assert first["Department"] >= 3 and first["TicketType"] >= 4 and first["Product"] >= 4
    assert first["Ticket"] >= 3
    run()
    assert counts() == first


def test_every_account_logs_in_with_the_default_password(client):
    output = run()
    assert DEFAULT_PASSWORD == "demo-pass-1234" and DEFAULT_PASSWORD in output
    for username in ACCOUNTS:
        assert client.login(username=demo_login(username), password=DEFAULT_PASSWORD), username
        account = user(username)
        assert users.email_address(account) == f"{username}@example.com"
        assert users.full_name(account) or not users.name_fields()


def test_password_option_sets_every_password(client):
    run()
    run("--password", "another-secret-42")
    for username in ACCOUNTS:
        assert client.login(username=demo_login(username), password="another-secret-42"), username
        assert not client.login(username=demo_login(username), password=DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("account", "landing"),
    [
        ("customer", "/support/"),
        ("agent", "/support/staff/"),
        ("agent2", "/support/staff/"),
        ("supervisor", "/support/staff/"),
    ],
)
def test_each_role_lands_where_it_works_after_logging_in(client, account, landing):
    run()
    response = client.post("/accounts/login/", {"username": demo_login(account), "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == landing
    # An explicit destination still wins.
    client.logout()
    response = client.post(
        "/accounts/login/?next=/support/new/", {"username": demo_login(account), "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == "/support/new/"


def test_roles():
    run()
    agent, supervisor, admin = user("agent"), user("supervisor"), user("admin")
    agent_departments = set(agent.helpdesk_departments.all())
    assert agent_departments and agent_departments != set(Department.objects.all())
    assert permissions.is_agent(agent) and not permissions.is_supervisor(agent)
    assert supervisor.has_perm("helpdesk_tickets.view_all_tickets") and permissions.is_supervisor(supervisor)
    assert Ticket.objects.visible_to(supervisor).count() == Ticket.objects.count()
    assert Ticket.objects.in_queue_of(agent).count() < Ticket.objects.count()
    assert admin.is_superuser and admin.is_staff
    for username in ("customer", "customer2"):
        assert not permissions.is_agent(user(username))


def test_catalogue_is_bilingual_and_offered_per_department():
    run()
    for model in (Department, TicketType, Product):
        for row in model.objects.all():
            assert row.name and row.translations["fa"]["name"] != row.name
            assert row.description and row.translations["fa"]["description"]
    billing_only = TicketType.objects.get(slug="billing-issue")
    assert list(TicketType.objects.offered_in(Department.objects.get(slug="billing"))).count(billing_only) == 1
    assert billing_only not in TicketType.objects.offered_in(Department.objects.get(slug="sales"))


@pytest.mark.django_db(transaction=True)
def test_demo_conversations_show_the_workflow():
    # Run as from the shell (autocommit), where notifications leave on each commit.
    run()
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {Status.NEW, Status.AWAITING_CUSTOMER, Status.RESOLVED} <= statuses
    assert Ticket.objects.filter(first_response_at__isnull=False).count() >= 2
    assert Ticket.objects.filter(requester=user("customer")).exists()
    assert Ticket.objects.filter(requester=user("customer2")).exists()
    assert Ticket.objects.filter(language="fa").exists()
    # Written by the services: every ticket has its "created" event.
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED).count() == Ticket.objects.count()
    assert mail.outbox == []  # the demo accounts are sent no e-mail
    assert not OutboundEmail.objects.exists()  # nor queued any


def test_demo_departments_receive_mail_and_accounts_have_example_addresses():
    run()
    addresses = dict(Department.objects.values_list("slug", "email"))
    assert addresses == {
        "technical-support": "support@example.com",
        "billing": "billing@example.com",
        "sales": "sales@example.com",
    }
    for username in ACCOUNTS:
        assert users.email_address(users.by_username(demo_login(username))) == f"{username}@example.com"


def test_a_demo_loaded_before_departments_had_addresses_gets_them():
    run()
    Department.objects.update(email=None)
    Department.objects.filter(slug="sales").update(email="deals@example.com")  # set in the admin: kept
    run()
    assert dict(Department.objects.values_list("slug", "email")) == {
        "technical-support": "support@example.com",
        "billing": "billing@example.com",
        "sales": "deals@example.com",
    }


def test_demo_history_gives_realistic_response_times():
    run()
    averages = stats.average_first_response_by_department(now=timezone.now())
    # Every department has answered tickets, none of them all "under 1 minute".
    assert set(averages) == set(Department.objects.values_list("pk", flat=True))
    assert all(average.total_seconds() >= 10 * 60 for average in averages.values())
    assert len(set(averages.values())) == len(averages)
    assert Ticket.objects.filter(created_at__lt=timezone.now() - timedelta(days=7)).exists()
    # The audit trail is dated with the history, not with the moment the command ran.
    for ticket in Ticket.objects.all():
        created = ticket.events.get(kind=TicketEvent.Kind.CREATED)
        assert created.created_at == ticket.created_at
        assert all(ticket.created_at <= event.created_at <= timezone.now() for event in ticket.events.all())
    answered = Ticket.objects.filter(first_response_at__isnull=False)
    assert all(t.first_response_at > t.created_at for t in answered)


def test_summary_lists_urls_and_accounts():
    output = run()
    for path in ("/support/", "/support/staff/", "/admin/", "/api/docs/", "/accounts/login/"):
        assert path in output
    for username in ACCOUNTS:
        assert username in output


@pytest.mark.parametrize(
    "argv, url",
    [
        (["manage.py", "runserver"], "http://127.0.0.1:8000"),
        (["manage.py", "runserver", "8080"], "http://127.0.0.1:8080"),
        (["manage.py", "runserver", "--noreload", "0.0.0.0:9000"], "http://127.0.0.1:9000"),
        (["manage.py", "runserver", "localhost:8001"], "http://localhost:8001"),
        (["manage.py", "helpdesk_demo"], None),
    ],
)
def test_example_site_links_follow_the_runserver_port(argv, url):
    from example_project.settings import runserver_url

    assert runserver_url(argv) == url
