"""A billing desk whose ticket type asks for an invoice number (required), a plan, a date and a checkbox."""

from tests.factories import DepartmentFactory, TicketFieldFactory, TicketTypeFactory, UserFactory, make_agent

PLANS = [
    {"value": "basic", "label": "Basic", "translations": {"fa": {"label": "پایه"}}},
    {"value": "pro", "label": "Pro", "translations": {"fa": {"label": "حرفه‌ای"}}},
]


class Billing:
    def __init__(self):
        self.department = DepartmentFactory(name="Billing", slug="billing")
        self.ticket_type = TicketTypeFactory(name="Invoice question", slug="invoice")
        self.ticket_type.departments.add(self.department)
        field = TicketFieldFactory
        self.invoice = field(
            ticket_type=self.ticket_type,
            key="invoice_number",
            label="Invoice number",
            help_text="At the top of the invoice.",
            translations={"fa": {"label": "شماره فاکتور", "help_text": "بالای فاکتور"}},
            required=True,
            ordering=1,
        )
        self.plan = field(
            ticket_type=self.ticket_type, key="plan", label="Plan", kind="choice", choices=PLANS, ordering=2
        )
        self.paid_on = field(
            ticket_type=self.ticket_type,
            key="paid_on",
            label="Paid on",
            translations={"fa": {"label": "تاریخ پرداخت"}},
            kind="date",
            ordering=3,
        )
        self.amount = field(ticket_type=self.ticket_type, key="amount", label="Amount", kind="number", ordering=4)
        self.urgent = field(ticket_type=self.ticket_type, key="urgent", label="Urgent", kind="checkbox", ordering=5)
        self.agent = make_agent(self.department, username="billing-agent")
        self.customer = UserFactory(username="billing-customer")
