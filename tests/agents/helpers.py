"""Helpers for the agents-at-scale tests: a department with several agents and a customer."""

from helpdesk_tickets.models import AgentStatus, Tag
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_ticket


class Team:
    """A department with ``size`` agents (``agents``, in primary-key order), a customer and a ticket type."""

    def __init__(self, size=4, assignment="manual", name="support"):
        self.department = DepartmentFactory(name=name.title(), slug=name, assignment=assignment)
        self.agents = sorted(
            (make_agent(self.department, username=f"{name}-agent{i}") for i in range(size)), key=lambda u: u.pk
        )
        self.customer = UserFactory(username=f"{name}-customer")
        self.ticket_type = TicketTypeFactory()

    def ticket(self, requester=None, **kwargs):
        return make_ticket(requester or self.customer, self.department, self.ticket_type, **kwargs)


def capacity(agent, value, away=False):
    AgentStatus.objects.update_or_create(user=agent, defaults={"capacity": value, "away": away})


def tag(name, department=None, colour="grey"):
    return Tag.objects.create(name=name, slug=name.lower().replace(" ", "-"), department=department, colour=colour)
