"""Helpers of the security, fault and storage tests: a catalogue, logged-in clients, hostile files."""

from django.urls import reverse

from helpdesk_tickets import services
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent


class Desk:
    """A department with one offered ticket type, an agent and two customers."""

    def __init__(self):
        self.department = DepartmentFactory(slug="billing")
        self.ticket_type = TicketTypeFactory(slug="question")
        self.ticket_type.departments.add(self.department)
        self.agent = make_agent(self.department, username="agent")
        self.customer = UserFactory(username="customer")
        self.other = UserFactory(username="intruder")

    def open(self, requester=None, subject="Cannot log in", description="The page says error 500.", **kwargs):
        return services.create_ticket(
            requester=requester or self.customer,
            department=self.department,
            ticket_type=self.ticket_type,
            subject=subject,
            description=description,
            **kwargs,
        )

    def form_url(self):
        return reverse("helpdesk_tickets:ticket_create_form", args=[self.department.slug, self.ticket_type.slug])

    def api_payload(self, **kwargs):
        return {
            "department": self.department.slug,
            "ticket_type": self.ticket_type.slug,
            "subject": "Printer on fire",
            "description": "Smoke everywhere.",
            **kwargs,
        }
