"""``manage.py helpdesk_demo [--password P]``: demo departments, types, products, accounts and tickets.

Safe to run again: catalogue rows are found by slug and accounts by user
name (only their password is set again); demo tickets are opened only for a
customer who has none. Tickets and replies go through the services, like
everything else.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from ... import services
from ...conf import settings as app_settings
from ...models import CannedReply, Channel, Department, Priority, Product, Ticket, TicketType

# The published password of the demo accounts (printed by the command), not a secret.
DEFAULT_PASSWORD = "demo-pass-1234"  # nosec B105
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

DEPARTMENTS = [
    {
        "slug": "sales",
        "name": "Sales",
        "description": "Plans, prices, discounts and buying a new service.",
        "fa": {"name": "فروش", "description": "پلن‌ها، قیمت‌ها، تخفیف‌ها و خرید سرویس جدید."},
        "ordering": 10,
        "first_response_target": timedelta(hours=1),
    },
    {
        "slug": "technical-support",
        "name": "Technical support",
        "description": "Something does not work, or you need help setting it up.",
        "fa": {"name": "پشتیبانی فنی", "description": "چیزی کار نمی‌کند یا برای راه‌اندازی کمک لازم دارید."},
        "ordering": 20,
        "first_response_target": timedelta(minutes=30),
        "resolution_target": timedelta(hours=8),
    },
    {
        "slug": "billing",
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
    "supervisor": ("Maryam", "Hosseini", "supervisor@example.com"),
    "admin": ("Site", "Admin", "admin@example.com"),
}
#: The agent answers for these departments only, so the demo shows department queues.
AGENT_DEPARTMENTS = ["technical-support", "billing"]

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


def no_notifications(kind, ticket_id, message_id=None):
    """Dispatcher used while demo tickets are created: demo accounts get no e-mail."""


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
            departments = {spec["slug"]: self._catalogue_row(Department, spec)[0] for spec in DEPARTMENTS}
            for spec in TICKET_TYPES:
                self._offered_row(TicketType, spec, departments)
            for spec in PRODUCTS:
                self._offered_row(Product, spec, departments)
            users = {username: self._account(username, password) for username in ACCOUNTS}
            for slug in AGENT_DEPARTMENTS:
                departments[slug].agents.add(users["agent"])
            users["supervisor"].user_permissions.add(
                Permission.objects.get(content_type__app_label="helpdesk_tickets", codename="view_all_tickets")
            )
            for slug, title, body in CANNED_REPLIES:
                CannedReply.objects.get_or_create(
                    title=title, defaults={"body": body, "department": departments[slug] if slug else None}
                )
        # Reload so that the supervisor's fresh permission is seen.
        users = {name: get_user_model().objects.get(pk=user.pk) for name, user in users.items()}
        created = self._demo_tickets(users)
        self._summary(created, password)

    def _catalogue_row(self, model, spec):
        defaults = {
            "name": spec["name"],
            "description": spec["description"],
            "translations": {"fa": spec["fa"]},
            "ordering": spec["ordering"],
        }
        for target in ("first_response_target", "resolution_target"):
            if target in spec:
                defaults[target] = spec[target]
        return model.objects.get_or_create(slug=spec["slug"], defaults=defaults)

    def _offered_row(self, model, spec, departments):
        row, created = self._catalogue_row(model, spec)
        if created:  # an admin's later choice of departments is kept
            row.departments.set([departments[slug] for slug in spec["departments"]])
        return row

    def _account(self, username, password):
        first_name, last_name, email = ACCOUNTS[username]
        is_admin = username == "admin"
        user, _created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "is_staff": is_admin,
                "is_superuser": is_admin,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        return user

    def _demo_tickets(self, users):
        """Open the demo conversations, for each customer who has no ticket yet; returns how many."""
        created = 0
        # The demo accounts have example.com addresses: send them nothing.
        quiet = {**app_settings.user_settings, "NOTIFICATION_DISPATCHER": f"{__name__}.no_notifications"}
        with override_settings(HELPDESK_TICKETS=quiet):
            if not Ticket.objects.filter(requester=users["customer"]).exists():
                created += self._customer_tickets(users)
            if not Ticket.objects.filter(requester=users["customer2"]).exists():
                created += self._customer2_tickets(users)
        return created

    def _customer_tickets(self, users):
        customer, agent = users["customer"], users["agent"]
        support = Department.objects.get(slug="technical-support")
        billing = Department.objects.get(slug="billing")
        sales = Department.objects.get(slug="sales")

        # Answered, now waiting for the customer.
        down = services.create_ticket(
            requester=customer,
            department=support,
            ticket_type=TicketType.objects.get(slug="problem"),
            product=Product.objects.get(slug="cloud-hosting"),
            subject="سایت بعد از ارتقای پلن بالا نمی‌آید",
            description="سلام، از دیروز که پلن میزبانی را ارتقا دادم سایتم خطای ۵۰۲ می‌دهد. لطفاً بررسی کنید.",
            priority=Priority.HIGH,
            language="fa",
        )
        services.post_reply(
            ticket=down,
            author=agent,
            body="سلام، سرور جدید شما راه‌اندازی شد ولی DNS هنوز به سرور قبلی اشاره می‌کند. "
            "لطفاً بعد از به‌روزرسانی رکورد A خبر دهید.",
        )

        # Answered, then resolved.
        invoice = services.create_ticket(
            requester=customer,
            department=billing,
            ticket_type=TicketType.objects.get(slug="billing-issue"),
            product=Product.objects.get(slug="accounting-app"),
            subject="فاکتور تمدید دو بار پرداخت شد",
            description="مبلغ تمدید اشتراک نرم‌افزار حسابداری دو بار از کارت من کسر شده است.",
            language="fa",
        )
        services.post_reply(ticket=invoice, author=agent, body="پرداخت تکراری پیدا شد و بازگشت وجه ثبت شد.")
        services.post_reply(ticket=invoice, author=customer, body="ممنون، مبلغ برگشت.")
        services.resolve(invoice, by=agent)

        # Not answered yet (the agent does not work in Sales; the supervisor sees it).
        services.create_ticket(
            requester=customer,
            department=sales,
            ticket_type=TicketType.objects.get(slug="question"),
            product=Product.objects.get(slug="shop-builder"),
            subject="Yearly plan discount?",
            description="Do you offer a discount on the online shop builder if I pay for a whole year?",
            language="en",
        )
        return 3

    def _customer2_tickets(self, users):
        customer, agent = users["customer2"], users["agent"]
        support = Department.objects.get(slug="technical-support")
        billing = Department.objects.get(slug="billing")

        # A back-and-forth with an internal note: in progress again.
        export = services.create_ticket(
            requester=customer,
            department=support,
            ticket_type=TicketType.objects.get(slug="feature-request"),
            product=Product.objects.get(slug="accounting-app"),
            subject="Export invoices to CSV",
            description="Could the accounting app export all invoices of a year as one CSV file?",
            priority=Priority.LOW,
            language="en",
        )
        services.post_reply(ticket=export, author=agent, body="Internal: already on the roadmap.", internal=True)
        services.post_reply(
            ticket=export,
            author=agent,
            body="Thanks for the idea! Which columns do you need in the export?",
        )
        services.post_reply(ticket=export, author=customer, body="Date, number, customer, total and tax, please.")
        services.assign(export, agent, by=agent)

        # Taken on the phone by the agent.
        services.create_ticket(
            requester=customer,
            department=billing,
            ticket_type=TicketType.objects.get(slug="question"),
            product=Product.objects.get(slug="domain-registration"),
            subject="Renewal price of my domain",
            description="Customer called: how much will renewing example-shop.com cost next year?",
            channel=Channel.PHONE,
            created_by=agent,
            language="en",
        )
        return 2

    def _summary(self, created, password):
        site = (app_settings.SITE_URL or DEFAULT_SITE_URL).rstrip("/")
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data ready ({created} new demo tickets)."))
        out.write("")
        out.write(f"Accounts (password for all: {password}):")
        out.write("  customer, customer2  customers")
        out.write("  agent                agent of " + ", ".join(AGENT_DEPARTMENTS))
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
