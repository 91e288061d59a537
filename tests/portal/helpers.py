"""Helpers for the customer portal tests."""

from helpdesk_tickets import services
from tests.factories import DepartmentFactory, ProductFactory, TicketTypeFactory


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
