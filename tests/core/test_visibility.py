"""Who sees what (SPEC §4): the querysets and predicates every view and endpoint relies on."""

import pytest
from django.contrib.auth.models import AnonymousUser

from helpdesk_tickets import permissions, services
from helpdesk_tickets.models import Message, Status, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_supervisor

pytestmark = pytest.mark.django_db


class World:
    """Two departments, a ticket in each, and one person of every kind."""

    def __init__(self):
        self.dept_a, self.dept_b = DepartmentFactory(), DepartmentFactory()
        ticket_type = TicketTypeFactory()
        self.customer, self.other_customer = UserFactory(), UserFactory()
        self.agent_a = make_agent(self.dept_a)
        self.supervisor = make_supervisor()
        self.superuser = UserFactory(is_superuser=True, is_staff=True)
        self.ticket_a = services.create_ticket(
            requester=self.customer, department=self.dept_a, ticket_type=ticket_type, subject="A", description="in A"
        )
        self.ticket_b = services.create_ticket(
            requester=self.customer, department=self.dept_b, ticket_type=ticket_type, subject="B", description="in B"
        )
        self.other_ticket = services.create_ticket(
            requester=self.other_customer, department=self.dept_a, ticket_type=ticket_type, subject="O", description="O"
        )
        self.note = services.post_reply(ticket=self.ticket_a, actor=self.agent_a, body="internal", internal=True)
        self.reply = services.post_reply(ticket=self.ticket_a, actor=self.agent_a, body="public")

    def visible(self, user):
        return set(Ticket.objects.visible_to(user))


@pytest.fixture
def world():
    return World()


def test_anonymous_sees_nothing(world):
    assert world.visible(AnonymousUser()) == set()
    assert world.visible(None) == set()
    assert not Ticket.objects.requested_by(AnonymousUser()).exists()
    assert not permissions.can_view(AnonymousUser(), world.ticket_a)


def test_a_customer_sees_only_their_own_tickets(world):
    assert world.visible(world.customer) == {world.ticket_a, world.ticket_b}
    assert set(Ticket.objects.requested_by(world.customer)) == {world.ticket_a, world.ticket_b}
    assert not Ticket.objects.in_queue_of(world.customer).exists()


def test_another_customer_does_not_see_them(world):
    assert world.visible(world.other_customer) == {world.other_ticket}
    assert not permissions.can_view(world.other_customer, world.ticket_a)


def test_an_agent_sees_their_departments_queue_only(world):
    assert world.visible(world.agent_a) == {world.ticket_a, world.other_ticket}
    assert set(Ticket.objects.in_queue_of(world.agent_a)) == {world.ticket_a, world.other_ticket}
    assert permissions.can_view(world.agent_a, world.ticket_a)
    assert not permissions.can_view(world.agent_a, world.ticket_b)
    assert not permissions.can_manage(world.agent_a, world.ticket_b)


def test_an_agent_who_files_a_ticket_elsewhere_sees_it_as_its_requester(world):
    own = services.create_ticket(
        requester=world.agent_a, department=world.dept_b, ticket_type=TicketTypeFactory(), subject="x", description="y"
    )
    assert own in world.visible(world.agent_a)
    assert own not in set(Ticket.objects.in_queue_of(world.agent_a))
    assert not permissions.can_see_internal(world.agent_a, own)


@pytest.mark.parametrize("who", ["supervisor", "superuser"])
def test_supervisors_and_superusers_see_everything(world, who):
    user = getattr(world, who)
    everything = {world.ticket_a, world.ticket_b, world.other_ticket}
    assert world.visible(user) == everything
    assert set(Ticket.objects.in_queue_of(user)) == everything
    assert all(permissions.can_manage(user, t) for t in everything)


@pytest.mark.parametrize("who", ["customer", "agent_a", "supervisor", "superuser"])
def test_an_inactive_user_sees_nothing(world, who):
    user = getattr(world, who)
    user.is_active = False
    user.save()
    permissions.forget_departments(user)
    assert world.visible(user) == set()
    assert not permissions.is_staff_for(user, world.ticket_a)


def test_leaving_a_department_takes_its_queue_away(world):
    assert world.ticket_a in world.visible(world.agent_a)
    world.dept_a.agents.remove(world.agent_a)
    permissions.forget_departments(world.agent_a)
    assert world.visible(world.agent_a) == set()


def test_customers_never_get_internal_notes(world):
    thread = list(Message.objects.visible_to(world.customer, world.ticket_a))
    assert world.note not in thread
    assert [m.body for m in thread] == ["in A", "public"]
    assert not permissions.can_see_internal(world.customer, world.ticket_a)


@pytest.mark.parametrize("who", ["other_customer", "anonymous", "agent_of_b"])
def test_strangers_get_no_thread_at_all(world, who):
    user = {
        "other_customer": world.other_customer,
        "anonymous": AnonymousUser(),
        "agent_of_b": make_agent(world.dept_b),
    }[who]
    assert not Message.objects.visible_to(user, world.ticket_a).exists()


def test_staff_read_the_whole_thread(world):
    for user in (world.agent_a, world.supervisor):
        assert list(Message.objects.visible_to(user, world.ticket_a).values_list("body", flat=True)) == [
            "in A",
            "internal",
            "public",
        ]


def test_a_thread_never_mixes_tickets(world):
    assert set(Message.objects.visible_to(world.supervisor, world.ticket_b).values_list("ticket", flat=True)) == {
        world.ticket_b.pk
    }
    assert world.note not in set(Message.objects.public())


def test_reply_and_note_predicates(world):
    ticket = world.ticket_a
    assert permissions.can_reply(world.customer, ticket) and permissions.can_reply(world.agent_a, ticket)
    assert not permissions.can_reply(world.other_customer, ticket)
    assert permissions.can_post_internal(world.agent_a, ticket)
    assert not permissions.can_post_internal(world.customer, ticket)
    assert permissions.can_close(world.customer, ticket) and not permissions.can_reopen(world.customer, ticket)

    services.resolve(ticket, actor=world.agent_a)
    assert permissions.can_reopen(world.customer, ticket)
    assert not permissions.can_reopen(world.other_customer, ticket)

    services.close(ticket, actor=world.customer)
    assert ticket.status == Status.CLOSED
    for user in (world.customer, world.agent_a):
        assert not permissions.can_reply(user, ticket)
        assert not permissions.can_close(user, ticket)
        assert permissions.can_view(user, ticket)
    assert not permissions.can_post_internal(world.agent_a, ticket)


def test_who_can_be_assigned(world):
    assert permissions.can_be_assigned(world.agent_a, world.dept_a)
    assert not permissions.can_be_assigned(world.agent_a, world.dept_b)
    assert permissions.can_be_assigned(world.supervisor, world.dept_b)
    assert not permissions.can_be_assigned(world.customer, world.dept_a)


def test_workspace_access(world):
    assert permissions.is_agent(world.agent_a) and permissions.is_agent(world.supervisor)
    assert not permissions.is_agent(world.customer) and not permissions.is_agent(AnonymousUser())


def test_visibility_costs_the_same_queries_whatever_the_number_of_tickets(world, django_assert_num_queries):
    agent = make_agent(world.dept_a)
    fresh = type(agent).objects.get(pk=agent.pk)
    # Cold: the user's and their groups' permissions (is this a supervisor?),
    # their departments, then the list itself; all but the list are cached on the user.
    with django_assert_num_queries(4):
        assert len(Ticket.objects.visible_to(fresh).with_related()) == 2
    for i in range(5):
        services.create_ticket(
            requester=UserFactory(),
            department=world.dept_a,
            ticket_type=TicketTypeFactory(),
            subject=f"{i}",
            description="d",
        )
    with django_assert_num_queries(1):
        tickets = list(Ticket.objects.visible_to(fresh).with_related())
        assert len(tickets) == 7
        assert all(t.requester.get_username() and t.department.name and t.ticket_type.name for t in tickets)
