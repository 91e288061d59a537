"""Helpers for the staff workspace tests: a department with its agent, a customer and tickets."""

from dataclasses import dataclass

from helpdesk_tickets.models import CannedReply
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_supervisor, make_ticket


@dataclass
class Desk:
    """Two departments, an agent of the first, a supervisor, two customers, one ticket type."""

    sales: object
    billing: object
    agent: object
    billing_agent: object
    supervisor: object
    customer: object
    customer2: object
    ticket_type: object

    def ticket(self, department=None, requester=None, ticket_type=None, **kwargs):
        return make_ticket(
            requester or self.customer, department or self.sales, ticket_type or self.ticket_type, **kwargs
        )


def make_desk():
    sales = DepartmentFactory(name="Sales", slug="sales")
    billing = DepartmentFactory(name="Billing", slug="billing")
    return Desk(
        sales=sales,
        billing=billing,
        agent=make_agent(sales, username="agent", first_name="Ava", last_name="Agent"),
        billing_agent=make_agent(billing, username="biller", first_name="Bill", last_name="Payne"),
        supervisor=make_supervisor(username="boss", first_name="Sue"),
        customer=UserFactory(username="cust", first_name="Cyrus", last_name="Rahimi", email="cyrus@example.com"),
        customer2=UserFactory(username="cust2", first_name="Dana", email="dana@example.com"),
        ticket_type=TicketTypeFactory(name="Question", slug="question"),
    )


def make_canned(department=None, title="Greeting", body="Hello {customer_name}, about {reference}: {agent_name}"):
    return CannedReply.objects.create(department=department, title=title, body=body)


# Host URLs for the staff tests, independent of the API URLconf:
# ``pytestmark = pytest.mark.urls("tests.staff.helpers")``.
from django.contrib.auth import views as auth_views  # noqa: E402
from django.urls import include, path  # noqa: E402

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("support/", include("helpdesk_tickets.urls")),
]
