"""Helpers of the REST API tests: a small world of roles, token clients, uploads."""

from helpdesk_tickets import services
from tests.factories import (
    DepartmentFactory,
    ProductFactory,
    TicketTypeFactory,
    UserFactory,
    make_agent,
    make_supervisor,
    make_ticket,
    token_client,
    upload,
)

ROLES = ("anonymous", "customer", "other_customer", "other_agent", "agent", "supervisor")


class World:
    """Two departments, their agents, a supervisor, two customers and a ticket with files."""

    def __init__(self):
        self.department = DepartmentFactory(slug="billing")
        self.other_department = DepartmentFactory(slug="sales")
        self.ticket_type = TicketTypeFactory(slug="question")
        self.product = ProductFactory(slug="hosting")
        self.product.departments.add(self.department)
        self.users = {
            "anonymous": None,
            "customer": UserFactory(username="customer"),
            "other_customer": UserFactory(username="customer2"),
            "other_agent": make_agent(self.other_department, username="agent_sales"),
            "agent": make_agent(self.department, username="agent"),
            "supervisor": make_supervisor(username="supervisor"),
        }
        self.ticket = self.new_ticket(attachments=[upload("public.png")])
        self.public_attachment = self.ticket.messages.get().attachments.get()
        note = services.post_reply(
            ticket=self.ticket,
            actor=self.users["agent"],
            body="Internal note",
            internal=True,
            attachments=[upload("internal.png")],
        )
        self.internal_attachment = note.attachments.get()

    def new_ticket(self, **kwargs):
        kwargs.setdefault("product", self.product)
        return make_ticket(self.users["customer"], self.department, self.ticket_type, **kwargs)

    def client(self, role):
        return token_client(self.users[role])
