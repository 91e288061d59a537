"""``manage.py helpdesk_demo [--password P]``: demo departments, types, products, accounts and tickets.

Safe to run again: catalogue rows are found by slug and accounts by user
name (only their password is set again); demo tickets are opened only for a
customer who has none. Tickets and replies go through the services, like
everything else, on a clock set back to the moments of a few weeks of
history (business hours), so the measured response times look like a
working help desk's rather than all "under 1 minute".
"""

from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ... import notifications, services, sla, users
from ...conf import settings as app_settings
from ...models import CannedReply, Channel, Department, Priority, Product, Ticket, TicketEvent, TicketType

# The published password of the demo accounts (printed by the command), not a secret.
DEFAULT_PASSWORD = "demo-pass-1234"  # nosec B105
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

DEPARTMENTS = [
    {
        "slug": "sales",
        "email": "sales@example.com",
        "name": "Sales",
        "description": "Plans, prices, discounts and buying a new service.",
        "fa": {"name": "فروش", "description": "پلن‌ها، قیمت‌ها، تخفیف‌ها و خرید سرویس جدید."},
        "ordering": 10,
        "first_response_target": timedelta(hours=1),
    },
    {
        "slug": "technical-support",
        "email": "support@example.com",
        "name": "Technical support",
        "description": "Something does not work, or you need help setting it up.",
        "fa": {"name": "پشتیبانی فنی", "description": "چیزی کار نمی‌کند یا برای راه‌اندازی کمک لازم دارید."},
        "ordering": 20,
        "first_response_target": timedelta(minutes=30),
        "resolution_target": timedelta(hours=8),
    },
    {
        "slug": "billing",
        "email": "billing@example.com",
        "name": "Billing",
        "description": "Invoices, payments, refunds and renewals.",
        "fa": {"name": "مالی", "description": "فاکتورها، پرداخت‌ها، بازگشت وجه و تمدید."},
        "ordering": 30,
        "first_response_target": timedelta(hours=2),
    },
]

# "departments": the slugs of the departments offering it; empty = all.
TICKET_TYPES = [
    {
        "slug": "question",
        "name": "Question",
        "description": "Ask us anything about our services.",
        "fa": {"name": "سؤال", "description": "هر سؤالی درباره سرویس‌های ما دارید بپرسید."},
        "ordering": 10,
        "departments": [],
    },
    {
        "slug": "problem",
        "name": "Problem / bug",
        "description": "Something is broken or behaves unexpectedly.",
        "fa": {"name": "مشکل / خطا", "description": "چیزی خراب است یا درست کار نمی‌کند."},
        "ordering": 20,
        "departments": ["technical-support"],
    },
    {
        "slug": "feature-request",
        "name": "Feature request",
        "description": "Tell us what you would like us to build.",
        "fa": {"name": "درخواست قابلیت", "description": "بگویید دوست دارید چه چیزی اضافه کنیم."},
        "ordering": 30,
        "departments": ["technical-support", "sales"],
    },
    {
        "slug": "billing-issue",
        "name": "Billing issue",
        "description": "A wrong invoice, a failed payment or a refund.",
        "fa": {"name": "مشکل مالی", "description": "فاکتور اشتباه، پرداخت ناموفق یا بازگشت وجه."},
        "ordering": 40,
        "departments": ["billing"],
    },
]

PRODUCTS = [
    {
        "slug": "cloud-hosting",
        "name": "Cloud hosting",
        "description": "Virtual servers and managed hosting.",
        "fa": {"name": "میزبانی ابری", "description": "سرورهای مجازی و میزبانی مدیریت‌شده."},
        "ordering": 10,
        "departments": [],
    },
    {
        "slug": "shop-builder",
        "name": "Online shop builder",
        "description": "Build and run an online shop without code.",
        "fa": {"name": "فروشگاه‌ساز آنلاین", "description": "ساخت و اداره فروشگاه اینترنتی بدون کدنویسی."},
        "ordering": 20,
        "departments": [],
    },
    {
        "slug": "accounting-app",
        "name": "Accounting app",
        "description": "Invoices, expenses and reports for small businesses.",
        "fa": {"name": "نرم‌افزار حسابداری", "description": "فاکتور، هزینه‌ها و گزارش برای کسب‌وکارهای کوچک."},
        "ordering": 30,
        "departments": [],
    },
    {
        "slug": "domain-registration",
        "name": "Domain registration",
        "description": "Register, renew and transfer domain names.",
        "fa": {"name": "ثبت دامنه", "description": "ثبت، تمدید و انتقال دامنه."},
        "ordering": 40,
        "departments": ["sales", "billing"],
    },
]

# role → (first name, last name, e-mail)
ACCOUNTS = {
    "customer": ("سارا", "احمدی", "customer@example.com"),
    "customer2": ("John", "Smith", "customer2@example.com"),
    "agent": ("Reza", "Karimi", "agent@example.com"),
    "agent2": ("Neda", "Rahimi", "agent2@example.com"),
    "supervisor": ("Maryam", "Hosseini", "supervisor@example.com"),
    "admin": ("Site", "Admin", "admin@example.com"),
}
#: The agent answers for these departments only, so the demo shows department queues.
AGENT_DEPARTMENTS = ["technical-support", "billing"]
#: Sales has an agent of its own.
AGENT2_DEPARTMENTS = ["sales"]

CANNED_REPLIES = [
    (
        None,
        "Thanks, we are on it",
        "Hello {customer_name},\n\nThank you for your message about {reference}. "
        "We are looking into it and will update this ticket.\n\n{agent_name}",
    ),
    (
        "billing",
        "Refund started",
        "Hello {customer_name},\n\nThe refund has been started and reaches your account "
        "within three working days.\n\n{agent_name}",
    ),
]

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


def demo_login(username):
    """What a demo account logs in with: its username, or its e-mail address where the user model logs in by e-mail."""
    return ACCOUNTS[username][2] if users.username_field() == users.email_field() else username


def demo_moment(cal, opened, now):
    """``opened`` is (working days before today, local "HH:MM"), or None for ``now``."""
    if opened is None:
        return now
    days_back, clock = opened
    day = now.astimezone(cal.tz).date()
    for _day in range(366):  # a calendar without working days ends the search
        if not days_back:
            break
        day -= timedelta(days=1)
        days_back -= cal.is_working_day(day)
    return datetime.combine(day, time.fromisoformat(clock), cal.tz)


@contextmanager
def demo_clock(moment):
    """Run the services as if it were ``moment`` (never later than now): the demo gets a history.

    The services read the time through ``timezone.now()``; the audit rows,
    whose field default holds the real clock, are dated afterwards.
    """
    moment = min(moment, timezone.now())
    last_event = TicketEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
    TicketEvent.objects.filter(pk__gt=last_event).update(created_at=moment)


class Command(BaseCommand):
    help = "Load demo departments, ticket types, products, accounts and tickets (running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of every demo account (default: {DEFAULT_PASSWORD}).",
        )

    def handle(self, *args, password, **options):
        with transaction.atomic():
            departments = {spec["slug"]: self._department(spec) for spec in DEPARTMENTS}
            for spec in TICKET_TYPES:
                self._offered_row(TicketType, spec, departments)
            for spec in PRODUCTS:
                self._offered_row(Product, spec, departments)
            accounts = {username: self._account(username, password) for username in ACCOUNTS}
            for slug in AGENT_DEPARTMENTS:
                departments[slug].agents.add(accounts["agent"])
            for slug in AGENT2_DEPARTMENTS:
                departments[slug].agents.add(accounts["agent2"])
            accounts["supervisor"].user_permissions.add(
                Permission.objects.get(content_type__app_label="helpdesk_tickets", codename="view_all_tickets")
            )
            for slug, title, body in CANNED_REPLIES:
                CannedReply.objects.get_or_create(
                    title=title, defaults={"body": body, "department": departments[slug] if slug else None}
                )
        # Reload so that the supervisor's fresh permission is seen.
        accounts = {name: type(user)._default_manager.get(pk=user.pk) for name, user in accounts.items()}
        created = self._demo_tickets(accounts)
        self._summary(created, password)

    def _catalogue_row(self, model, spec):
        defaults = {
            "name": spec["name"],
            "description": spec["description"],
            "translations": {"fa": spec["fa"]},
            "ordering": spec["ordering"],
        }
        for target in ("first_response_target", "resolution_target", "email"):
            if target in spec:
                defaults[target] = spec[target]
        return model.objects.get_or_create(slug=spec["slug"], defaults=defaults)

    def _department(self, spec):
        department, created = self._catalogue_row(Department, spec)
        if not created and not department.email and not Department.objects.filter(email=spec["email"]).exists():
            # A demo loaded before departments had addresses gets them; an address set in the admin is kept.
            department.email = spec["email"]
            department.save(update_fields=["email"])
        return department

    def _offered_row(self, model, spec, departments):
        row, created = self._catalogue_row(model, spec)
        if created:  # an admin's later choice of departments is kept
            row.departments.set([departments[slug] for slug in spec["departments"]])
        return row

    def _account(self, username, password):
        first_name, last_name, email = ACCOUNTS[username]
        login = demo_login(username)
        user = users.by_username(login)
        if user is None:
            is_admin = username == "admin"
            name = f"{first_name} {last_name}"
            return users.create_user(
                login, email=email, name=name, password=password, is_staff=is_admin, is_superuser=is_admin
            )
        user.set_password(password)
        user.save(update_fields=["password"])
        return user

    def _demo_tickets(self, users):
        """Play the demo conversations, for each customer who has no ticket yet; returns how many."""
        created = 0
        cal, now = sla.calendar(), timezone.now()
        # The history is played, not happening: nobody is e-mailed about it.
        with notifications.muted():
            for username, conversations in CONVERSATIONS.items():
                if Ticket.objects.filter(requester=users[username]).exists():
                    continue
                for conversation in conversations:
                    self._play(conversation, users[username], users, cal, now)
                created += len(conversations)
        return created

    def _play(self, conversation, requester, users, cal, now):
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
                actor=users[conversation["created_by"]] if "created_by" in conversation else None,
                language=conversation["language"],
            )
        for minutes, role, action, body in conversation.get("steps", ()):
            actor = requester if role == "customer" else users[role]
            with demo_clock(cal.add(opened, timedelta(minutes=minutes))):
                if action in ("reply", "note"):
                    services.post_reply(ticket=ticket, actor=actor, body=body, internal=action == "note")
                elif action == "assign":
                    services.assign(ticket, actor, actor=actor)
                else:
                    STATUS_ACTIONS[action](ticket, actor=actor)

    def _summary(self, created, password):
        site = (app_settings.SITE_URL or DEFAULT_SITE_URL).rstrip("/")
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data ready ({created} new demo tickets)."))
        out.write("")
        out.write(f"Accounts (password for all: {password}):")
        out.write("  customer, customer2  customers")
        out.write("  agent                agent of " + ", ".join(AGENT_DEPARTMENTS))
        out.write("  agent2               agent of " + ", ".join(AGENT2_DEPARTMENTS))
        out.write("  supervisor           sees every department")
        out.write("  admin                superuser")
        out.write("")
        for label, path in (
            ("Log in", "/accounts/login/"),
            ("Support (ticket list)", "/support/"),
            ("Staff queue", "/support/staff/"),
            ("Admin", "/admin/"),
            ("API", "/api/"),
            ("API docs", "/api/docs/"),
        ):
            out.write(f"  {label:<22} {site}{path}")
