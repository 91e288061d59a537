import pytest

from helpdesk_tickets import services
from helpdesk_tickets.models import Status, Ticket

from .factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_ticket

pytestmark = pytest.mark.django_db


def test_lifecycle():
    dept = DepartmentFactory()
    agent = make_agent(dept)
    customer = UserFactory()
    t = make_ticket(customer, dept, subject="Hi", description="Help")
    assert t.reference.startswith("HD-") and t.status == Status.NEW
    with pytest.raises(services.DuplicateTicket):
        make_ticket(customer, dept, ticket_type=TicketTypeFactory(), subject=" hi ", description="help")
    services.post_reply(ticket=t, author=agent, body="On it")
    assert t.status == Status.AWAITING_CUSTOMER and t.first_response_at and t.first_response_seconds is not None
    services.post_reply(ticket=t, author=customer, body="Thanks")
    assert t.status == Status.IN_PROGRESS
    services.resolve(t, by=agent)
    assert t.status == Status.RESOLVED and t.resolution_seconds is not None
    services.reopen(t, by=customer)
    services.close(t, by=customer)
    assert Ticket.objects.get().status == Status.CLOSED
    with pytest.raises(services.TicketClosed):
        services.post_reply(ticket=t, author=customer, body="again")


def test_figures_smoke():
    from helpdesk_tickets import stats

    dept = DepartmentFactory()
    agent = make_agent(dept)
    for i in range(3):
        t = make_ticket(UserFactory(), dept)
        if i:
            services.post_reply(ticket=t, author=agent, body="ok")
    f = stats.figures(departments=[dept])
    assert f["overall"]["tickets"] == 3 and f["overall"]["answered"] == 2
    assert f["departments"][0]["by_status"]["awaiting_customer"] == 2
    assert f["overall"]["median_first_response"] is not None
