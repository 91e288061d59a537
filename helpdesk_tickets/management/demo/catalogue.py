"""The demo's catalogue: departments, ticket types and products, in English and Persian.

Rows are found by slug: running the demo again adds nothing, and what an admin
changed since (a department's address, the departments offering a type) is kept.
"""

from datetime import timedelta

from ...models import Department, Product, TicketType

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


def load():
    """The demo departments, ticket types and products; returns the departments by slug."""
    departments = {spec["slug"]: _department(spec) for spec in DEPARTMENTS}
    for spec in TICKET_TYPES:
        _offered_row(TicketType, spec, departments)
    for spec in PRODUCTS:
        _offered_row(Product, spec, departments)
    return departments


def _catalogue_row(model, spec):
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


def _department(spec):
    department, created = _catalogue_row(Department, spec)
    if not created and not department.email and not Department.objects.filter(email=spec["email"]).exists():
        # A demo loaded before departments had addresses gets them; an address set in the admin is kept.
        department.email = spec["email"]
        department.save(update_fields=["email"])
    return department


def _offered_row(model, spec, departments):
    row, created = _catalogue_row(model, spec)
    if created:  # an admin's later choice of departments is kept
        row.departments.set([departments[slug] for slug in spec["departments"]])
    return row
