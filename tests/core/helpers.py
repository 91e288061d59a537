"""Helpers for the core (service layer) tests, on top of :mod:`tests.factories`."""

from helpdesk_tickets import services
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory


class Desk:
    """A department with a ticket type, an agent and a customer: the usual cast of a test."""

    def __init__(self, **department):
        self.department = DepartmentFactory(**department)
        self.ticket_type = TicketTypeFactory()
        self.agent = UserFactory()
        self.department.agents.add(self.agent)
        self.customer = UserFactory()

    def ticket(self, requester=None, **kwargs):
        """Open a ticket through the service, as the customer unless told otherwise."""
        kwargs.setdefault("subject", "Cannot log in")
        kwargs.setdefault("description", "The login page says my password is wrong.")
        return services.create_ticket(
            requester=requester or self.customer,
            department=kwargs.pop("department", self.department),
            ticket_type=kwargs.pop("ticket_type", self.ticket_type),
            **kwargs,
        )
