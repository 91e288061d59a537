"""Helpers for the customer portal tests."""

from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk_tickets import services

from .factories import DepartmentFactory, ProductFactory, TicketTypeFactory, UserFactory, make_agent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name="screenshot.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_catalogue(types=2, products=2, **department_kwargs):
    """A department offering ``types`` ticket types and ``products`` products (only there)."""
    department = DepartmentFactory(**department_kwargs)
    ticket_types = [TicketTypeFactory() for _ in range(types)]
    for ticket_type in ticket_types:
        ticket_type.departments.add(department)
    product_list = [ProductFactory() for _ in range(products)]
    for product in product_list:
        product.departments.add(department)
    return department, ticket_types, product_list


def open_ticket(
    requester, department, ticket_type, subject="Cannot log in", description="The page says error 500.", **kw
):
    return services.create_ticket(
        requester=requester,
        department=department,
        ticket_type=ticket_type,
        subject=subject,
        description=description,
        **kw,
    )


__all__ = ["PNG", "UserFactory", "make_agent", "make_catalogue", "open_ticket", "upload"]
