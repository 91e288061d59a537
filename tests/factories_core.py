"""Helpers for the core (service layer) tests, on top of :mod:`tests.factories`."""

from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk_tickets import services

from .factories import DepartmentFactory, TicketTypeFactory, UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def upload(name="notes.txt", content=b"hello", content_type="text/plain"):
    """An uploaded file as Django's request parsing would hand it over."""
    return SimpleUploadedFile(name, content, content_type=content_type)


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
