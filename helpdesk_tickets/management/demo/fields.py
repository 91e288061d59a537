"""The demo ticket types' own fields: a billing issue asks for its invoice number, a problem for the domain.

Found by type and key: running the demo again adds nothing and keeps what an admin changed.
"""

from ...models import TicketField, TicketType

# "type": the slug of the ticket type asking it.
FIELDS = [
    {
        "type": "billing-issue",
        "key": "invoice_number",
        "label": "Invoice number",
        "help_text": "It is at the top of the invoice, e.g. INV-1042.",
        "fa": {"label": "شماره فاکتور", "help_text": "بالای فاکتور نوشته شده است، مثلاً INV-1042."},
        "kind": "text",
        "required": True,
        "ordering": 10,
    },
    {
        "type": "billing-issue",
        "key": "payment_date",
        "label": "Payment date",
        "help_text": "When you paid, if you did.",
        "fa": {"label": "تاریخ پرداخت", "help_text": "اگر پرداخت کرده‌اید، چه روزی."},
        "kind": "date",
        "required": False,
        "ordering": 20,
    },
    {
        "type": "problem",
        "key": "domain",
        "label": "Domain",
        "help_text": "The website or service address concerned, e.g. example.com.",
        "fa": {"label": "دامنه", "help_text": "نشانی وب‌سایت یا سرویسی که مشکل دارد، مثلاً example.com."},
        "kind": "text",
        "required": False,
        "ordering": 10,
    },
]


def load():
    """The demo fields of the demo ticket types (a type an admin deleted gets none)."""
    types = {row.slug: row for row in TicketType.objects.filter(slug__in={spec["type"] for spec in FIELDS})}
    for spec in FIELDS:
        ticket_type = types.get(spec["type"])
        if ticket_type is None:
            continue
        TicketField.objects.get_or_create(
            ticket_type=ticket_type,
            key=spec["key"],
            defaults={
                "label": spec["label"],
                "help_text": spec["help_text"],
                "translations": {"fa": spec["fa"]},
                "kind": spec["kind"],
                "required": spec["required"],
                "ordering": spec["ordering"],
            },
        )


DOMAINS = ("shop.example.com", "example.org", "mail.example.net", "blog.example.com")


def sample_values(ticket_type, number):
    """Answers to ``ticket_type``'s demo fields for the ``number``-th generated demo ticket (the history's)."""
    if ticket_type.slug == "billing-issue":
        return {"invoice_number": f"INV-{1100 + number}"}
    if ticket_type.slug == "problem":
        return {"domain": DOMAINS[number % len(DOMAINS)]}
    return None
