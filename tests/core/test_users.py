"""users.py: the one place that knows the host's user model.

These run under both test settings: Django's own ``auth.User`` and
``tests/custom_user``'s ``Member`` (e-mail login, UUID key, no names).
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.checks import run_checks
from django.test import override_settings

from helpdesk_tickets import permissions, users
from tests.factories import DepartmentFactory, UserFactory, make_agent, make_supervisor, make_ticket

pytestmark = pytest.mark.django_db


def shout(user):
    """A host's own way of naming people (``USER_DISPLAY``)."""
    return user.get_username().upper()


def test_display_name_is_the_full_name_if_any_else_the_username():
    named = UserFactory(username="sara", first_name="Sara", last_name="Ahmadi")
    nameless = UserFactory(username="omid", first_name="", last_name="")
    if users.name_fields():
        assert users.display_name(named) == "Sara Ahmadi"
        assert users.staff_label(named) == f"Sara Ahmadi ({named.get_username()})"
    else:
        assert users.display_name(named) == named.get_username()
    assert users.display_name(nameless) == nameless.get_username()
    assert users.staff_label(nameless) == nameless.get_username()
    assert users.display_name(None) == "" and users.staff_label(None) == ""


@override_settings(HELPDESK_TICKETS={"USER_DISPLAY": "tests.core.test_users.shout"})
def test_user_display_setting_names_people_everywhere(client):
    customer = UserFactory(username="sara")
    agent = make_agent(DepartmentFactory(), username="reza")
    ticket = make_ticket(customer, agent.helpdesk_departments.get())
    assert users.display_name(customer) == customer.get_username().upper()
    client.force_login(agent)
    page = client.get(ticket.get_staff_url()).content.decode()
    assert customer.get_username().upper() in page


def test_a_bad_user_display_path_is_reported_by_check():
    with override_settings(HELPDESK_TICKETS={"USER_DISPLAY": "no.such.function"}):
        assert "helpdesk_tickets.E016" in {message.id for message in run_checks()}
    with override_settings(HELPDESK_TICKETS={"USER_DISPLAY": "tests.core.test_users.shout"}):
        assert "helpdesk_tickets.E016" not in {message.id for message in run_checks()}


def test_customers_are_never_shown_an_address_as_a_staff_name():
    @override_settings(HELPDESK_TICKETS={"USER_DISPLAY": "tests.core.test_users.address"})
    def check():
        assert users.public_name(agent) == ""
        assert users.display_name(agent) == users.email_address(agent)

    agent = make_agent(DepartmentFactory(), username="reza")
    check()


def address(user):
    return users.email_address(user)


def test_email_address_reads_the_models_email_field():
    user = UserFactory(username="sara", email="sara@example.org")
    assert users.email_address(user) == "sara@example.org"
    assert users.email_address(None) == ""


def test_find_customers_by_whole_address_and_active_only():
    sara = UserFactory(username="sara", email="sara@example.org")
    gone = UserFactory(username="gone", email="gone@example.org", is_active=False)

    def find(query):
        return list(users.find_customers(query, limit=10, min_length=3))

    assert find("SARA@example.org") == [sara]
    assert find(sara.get_username()) == [sara]
    assert find("example.org") == []  # addresses match whole only: no listing a domain
    assert find("gone@example.org") == []
    assert find("sa") == []  # too short
    assert gone.pk  # made, just not found


def test_create_customer_works_whatever_the_username_field():
    customer = users.create_customer("new.person@example.net", name="New Person")
    assert users.email_address(customer) == "new.person@example.net"
    assert not customer.has_usable_password()
    assert users.is_active(customer)
    # A second one with the same local part gets a username of its own.
    if users.username_field() != users.email_field():
        other = users.create_customer("new.person@example.org")
        assert other.get_username() != customer.get_username()
    if users.name_fields():
        assert users.display_name(customer) == "New Person"


def test_membership_is_read_through_the_related_name(django_assert_num_queries):
    department, other = DepartmentFactory(), DepartmentFactory()
    agent = make_agent(department, other)
    fresh = type(agent)._default_manager.get(pk=agent.pk)
    with django_assert_num_queries(1):
        assert permissions.agent_department_ids(fresh) == {department.pk, other.pk}
        assert permissions.agent_department_ids(fresh) == {department.pk, other.pk}  # cached


def test_supervisors_listed_are_those_has_perm_agrees_with():
    supervisor = make_supervisor(username="boss")
    group_member = UserFactory(username="grouped")
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Leads")
    group.permissions.add(Permission.objects.get(codename="view_all_tickets"))
    group_member.groups.add(group)
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    inactive = make_supervisor(username="retired", is_active=False)
    customer = UserFactory(username="plain")
    listed = set(users.holders_of("helpdesk_tickets.view_all_tickets"))
    assert listed == {supervisor, group_member, superuser}
    for user in (supervisor, group_member, superuser, inactive, customer):
        fresh = type(user)._default_manager.get(pk=user.pk)
        assert (fresh in listed) == permissions.is_supervisor(fresh)


def test_admin_search_finds_a_requester_by_address(admin_client):
    customer = UserFactory(username="sara", email="sara.search@example.org")
    ticket = make_ticket(customer)
    page = admin_client.get("/admin/helpdesk_tickets/ticket/", {"q": "sara.search@example.org"})
    assert page.status_code == 200 and ticket.reference in page.content.decode()
