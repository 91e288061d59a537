"""A resolved ticket and its rating link, for the satisfaction tests."""

from helpdesk_tickets import ratinglink, services
from tests.factories import DepartmentFactory, UserFactory, make_agent, make_ticket


class Cast:
    """A department with an agent, a customer and one of their tickets, resolved by the agent."""

    def __init__(self):
        self.department = DepartmentFactory(name="Support")
        self.agent = make_agent(self.department, username="rezaagent", first_name="Reza")
        self.customer = UserFactory(username="saracust", first_name="Sara")
        self.ticket = make_ticket(requester=self.customer, department=self.department)
        services.assign(self.ticket, self.agent, actor=self.agent)
        services.post_reply(ticket=self.ticket, actor=self.agent, body="Fixed it.")
        services.resolve(self.ticket, actor=self.agent)

    def url(self, ticket=None):
        return ratinglink.rating_path(ticket or self.ticket)
