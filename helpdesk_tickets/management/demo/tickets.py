"""The demo tickets: conversations played through the services, each step at its moment.

Opened only for a customer who has none, so running the demo again opens nothing.
"""

from datetime import timedelta

from django.utils import timezone

from ... import notifications, services, sla
from ...models import Channel, Department, Priority, Product, Ticket, TicketType
from .clock import demo_clock, demo_moment

# The demo tickets of each customer. "opened": (working days ago, local time)
# or None for now; each step is (minutes of working time after the opening,
# who, what, text). The first responses come minutes to hours after the
# tickets, some after their department's target, as in a real help desk.
CONVERSATIONS = {
    "customer": [
        {
            # Answered, now waiting for the customer.
            "department": "technical-support",
            "type": "problem",
            "product": "cloud-hosting",
            "priority": Priority.HIGH,
            "language": "fa",
            "opened": (1, "10:12"),
            "subject": "سایت بعد از ارتقای پلن بالا نمی‌آید",
            "fields": {"domain": "shop.example.com"},
            "description": "سلام، از دیروز که پلن میزبانی را ارتقا دادم سایتم خطای ۵۰۲ می‌دهد. لطفاً بررسی کنید.",
            "steps": [
                (
                    35,
                    "agent",
                    "reply",
                    "سلام، سرور جدید شما راه‌اندازی شد ولی DNS هنوز به سرور قبلی اشاره می‌کند. "
                    "لطفاً بعد از به‌روزرسانی رکورد A خبر دهید.",
                ),
            ],
        },
        {
            # Answered, then resolved.
            "department": "billing",
            "type": "billing-issue",
            "product": "accounting-app",
            "language": "fa",
            "opened": (2, "11:40"),
            "subject": "فاکتور تمدید دو بار پرداخت شد",
            "fields": {"invoice_number": "INV-1042", "payment_date": "2026-11-02"},
            "description": "مبلغ تمدید اشتراک نرم‌افزار حسابداری دو بار از کارت من کسر شده است.",
            "steps": [
                (80, "agent", "reply", "پرداخت تکراری پیدا شد و بازگشت وجه ثبت شد."),
                (185, "customer", "reply", "ممنون، مبلغ برگشت."),
                (210, "agent", "resolve", None),
            ],
        },
        {
            # Not answered yet, and past Sales' target: the agent does not
            # work in Sales; the supervisor sees it.
            "department": "sales",
            "type": "question",
            "product": "shop-builder",
            "language": "en",
            "opened": (1, "15:20"),
            "subject": "Yearly plan discount?",
            "description": "Do you offer a discount on the online shop builder if I pay for a whole year?",
        },
        {
            "department": "technical-support",
            "type": "question",
            "product": "shop-builder",
            "language": "fa",
            "opened": (9, "09:30"),
            "subject": "چطور دامنه خودم را به فروشگاه وصل کنم؟",
            "description": "دامنه را جای دیگری ثبت کرده‌ام. برای اتصال آن به فروشگاه چه رکوردهایی لازم است؟",
            "steps": [
                (18, "agent", "reply", "یک رکورد CNAME برای www به shops.example.com بسازید؛ تا یک ساعت فعال می‌شود."),
                (70, "customer", "reply", "انجام شد و فروشگاه باز می‌شود، ممنون."),
                (80, "agent", "resolve", None),
                (120, "customer", "close", None),
            ],
        },
        {
            "department": "sales",
            "type": "question",
            "product": "domain-registration",
            "language": "fa",
            "opened": (6, "13:05"),
            "subject": "تخفیف برای ثبت چند دامنه",
            "description": "می‌خواهم پنج دامنه با هم ثبت کنم. تخفیفی دارید؟",
            "steps": [
                (
                    50,
                    "supervisor",
                    "reply",
                    "برای پنج دامنه و بیشتر، سال اول ۲۰٪ تخفیف دارد؛ کد آن را برایتان فعال کردیم.",
                ),
                (120, "customer", "reply", "عالی، ثبت کردم."),
                (135, "supervisor", "resolve", None),
            ],
        },
        {
            "department": "billing",
            "type": "billing-issue",
            "product": "cloud-hosting",
            "language": "fa",
            "opened": (12, "10:45"),
            "subject": "پرداخت ناموفق ولی مبلغ کسر شد",
            "fields": {"invoice_number": "INV-0987"},
            "description": "هنگام تمدید سرور، پرداخت ناموفق اعلام شد ولی مبلغ از حسابم کم شده است.",
            "steps": [
                (95, "agent", "reply", "پرداخت به دست ما رسیده بود؛ سرور تمدید شد و فاکتور آن در حساب شماست."),
                (110, "agent", "resolve", None),
                (180, "customer", "close", None),
            ],
        },
    ],
    "customer2": [
        {
            # A back-and-forth with an internal note: in progress again.
            "department": "technical-support",
            "type": "feature-request",
            "product": "accounting-app",
            "priority": Priority.LOW,
            "language": "en",
            "opened": (3, "09:50"),
            "subject": "Export invoices to CSV",
            "description": "Could the accounting app export all invoices of a year as one CSV file?",
            "steps": [
                (10, "agent", "note", "Internal: already on the roadmap."),
                (25, "agent", "reply", "Thanks for the idea! Which columns do you need in the export?"),
                (160, "customer", "reply", "Date, number, customer, total and tax, please."),
                (165, "agent", "assign", None),
            ],
        },
        {
            # Taken on the phone by the agent, just now.
            "department": "billing",
            "type": "question",
            "product": "domain-registration",
            "channel": Channel.PHONE,
            "created_by": "agent",
            "language": "en",
            "opened": None,
            "subject": "Renewal price of my domain",
            "description": "Customer called: how much will renewing example-shop.com cost next year?",
        },
        {
            "department": "technical-support",
            "type": "problem",
            "product": "cloud-hosting",
            "priority": Priority.HIGH,
            "language": "en",
            "opened": (5, "14:10"),
            "subject": "Nightly backups fail",
            "description": "The backup job of my server has failed every night this week.",
            "steps": [
                (12, "agent", "reply", "Your backup disk is full. Free some space or add storage, and tell us."),
                (40, "customer", "reply", "Done, I removed the old snapshots."),
                (65, "agent", "reply", "Thanks: a backup started by hand has just finished fine."),
                (66, "agent", "resolve", None),
            ],
        },
        {
            "department": "sales",
            "type": "feature-request",
            "product": "shop-builder",
            "language": "en",
            "opened": (8, "11:00"),
            "subject": "Prices in several currencies",
            "description": "My customers are in Europe and the US. Can the shop show prices in EUR and USD?",
            "steps": [
                (85, "supervisor", "reply", "Not yet, but it is planned for the spring; we have noted your shop."),
                (90, "supervisor", "resolve", None),
            ],
        },
        {
            "department": "billing",
            "type": "question",
            "product": "accounting-app",
            "language": "en",
            "opened": (14, "16:00"),
            "subject": "Invoice with our VAT number",
            "description": "Can you send last month's invoice again with our company's VAT number on it?",
            "steps": [
                (55, "agent", "reply", "Done: the new invoice, with your VAT number, is in your account."),
                (60, "agent", "resolve", None),
                (90, "customer", "close", None),
            ],
        },
        {
            "department": "sales",
            "type": "question",
            "product": "cloud-hosting",
            "language": "en",
            "opened": (4, "10:20"),
            "subject": "Moving from shared hosting to a VPS",
            "description": "My shop outgrew shared hosting. Which VPS plan would you suggest, and is the move free?",
            "steps": [
                (22, "supervisor", "reply", "The 4 GB plan suits a shop of your size, and we move the site for free."),
                (45, "customer", "reply", "Great, please go ahead."),
                (60, "supervisor", "resolve", None),
            ],
        },
    ],
}

STATUS_ACTIONS = {"resolve": services.resolve, "close": services.close}


def load(accounts):
    """Play the demo conversations, for each customer who has no ticket yet; returns how many."""
    created = 0
    cal, now = sla.calendar(), timezone.now()
    # The history is played, not happening: nobody is e-mailed about it.
    with notifications.muted():
        for username, conversations in CONVERSATIONS.items():
            if Ticket.objects.filter(requester=accounts[username]).exists():
                continue
            for conversation in conversations:
                _play(conversation, accounts[username], accounts, cal, now)
            created += len(conversations)
    return created


def _play(conversation, requester, accounts, cal, now):
    """Open one demo ticket and play its steps, each at its moment."""
    opened = demo_moment(cal, conversation["opened"], now)
    with demo_clock(opened):
        ticket = services.create_ticket(
            requester=requester,
            department=Department.objects.get(slug=conversation["department"]),
            ticket_type=TicketType.objects.get(slug=conversation["type"]),
            product=Product.objects.get(slug=conversation["product"]),
            subject=conversation["subject"],
            description=conversation["description"],
            priority=conversation.get("priority", Priority.NORMAL),
            channel=conversation.get("channel", Channel.WEB),
            actor=accounts[conversation["created_by"]] if "created_by" in conversation else None,
            language=conversation["language"],
            fields=conversation.get("fields"),
        )
    for minutes, role, action, body in conversation.get("steps", ()):
        actor = requester if role == "customer" else accounts[role]
        with demo_clock(cal.add(opened, timedelta(minutes=minutes))):
            if action in ("reply", "note"):
                services.post_reply(ticket=ticket, actor=actor, body=body, internal=action == "note")
            elif action == "assign":
                services.assign(ticket, actor, actor=actor)
            else:
                STATUS_ACTIONS[action](ticket, actor=actor)
