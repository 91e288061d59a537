"""A month and a half of everyday tickets from a few more customers, so the dashboard's charts have a history.

Generated from a fixed seed (the same demo every time), played through the
services on the demo clock like the hand-written conversations: one to three
tickets per working day, first responses in the spirit of each department
(Technical support within half an hour, Sales within the hour, Billing in an
hour or two; some late), most resolved the same day or the next, and many
rated by their customer afterwards. The customers have no password (they
write by e-mail); they are opened tickets only while they have none.
"""

import itertools
import random
from datetime import timedelta

from django.utils import timezone

from ... import notifications, ratinglink, services, sla, users
from ...models import Department, Product, Ticket, TicketType
from . import fields as demo_fields
from .clock import demo_clock, demo_moment

SEED = 1405
WORKING_DAYS = 36

# (e-mail address, name, language): customers of the history only, no password.
CUSTOMERS = (
    ("maryam.rezaei@example.com", "مریم رضایی", "fa"),
    ("ali.mohammadi@example.com", "علی محمدی", "fa"),
    ("emma.wilson@example.com", "Emma Wilson", "en"),
    ("david.chen@example.com", "David Chen", "en"),
)

# department: (share of the tickets, ticket types, products, who answers, first response minutes (low, high))
DEPARTMENTS = {
    "technical-support": (5, ("problem", "question"), ("cloud-hosting", "shop-builder"), "agent", (6, 34)),
    "billing": (3, ("billing-issue", "question"), ("accounting-app", "cloud-hosting"), "agent", (40, 115)),
    "sales": (2, ("question",), ("domain-registration", "shop-builder"), "agent2", (25, 80)),
}

SUBJECTS = {
    ("technical-support", "fa"): (
        ("ایمیل‌های فروشگاه به پوشهٔ هرزنامه می‌روند", "ایمیل‌های تأیید سفارش مشتریان به هرزنامه می‌رود."),
        ("گواهی SSL سایت منقضی شده است", "مرورگر هشدار امنیتی می‌دهد و می‌گوید گواهی منقضی شده است."),
        ("سایت در ساعات شلوغی کند است", "عصرها صفحه‌ها چند ثانیه طول می‌کشد تا باز شوند."),
        ("خطای ۵۰۰ در صفحهٔ پرداخت", "مشتریان هنگام پرداخت خطای ۵۰۰ می‌بینند."),
    ),
    ("technical-support", "en"): (
        ("Shop e-mails land in spam", "Order confirmations to my customers end up in their spam folders."),
        ("SSL certificate expired", "Browsers warn that my site's certificate has expired."),
        ("Site slow at peak hours", "Pages take several seconds to load in the evening."),
        ("Error 500 on checkout", "Customers get an error 500 when they pay."),
    ),
    ("billing", "fa"): (
        ("فاکتور این ماه دو بار صادر شده", "برای اشتراک این ماه دو فاکتور یکسان دریافت کرده‌ام."),
        ("تغییر روش پرداخت", "می‌خواهم پرداخت خودکار را به کارت دیگری منتقل کنم."),
        ("مبلغ تمدید با پلن من نمی‌خواند", "مبلغ فاکتور تمدید بیشتر از قیمت پلن من است."),
    ),
    ("billing", "en"): (
        ("Invoice issued twice this month", "I received two identical invoices for this month's subscription."),
        ("Change of payment method", "I would like the automatic payment to use another card."),
        ("Renewal amount does not match my plan", "The renewal invoice is higher than my plan's price."),
    ),
    ("sales", "fa"): (
        ("قیمت پلن سالانه", "اگر سالانه پرداخت کنم تخفیف دارد؟"),
        ("ثبت دامنهٔ .ir", "امکان ثبت دامنهٔ ملی برای فروشگاه هست؟"),
    ),
    ("sales", "en"): (
        ("Price of the yearly plan", "Is there a discount if I pay for a whole year?"),
        ("Registering several domains", "Can I register three domains at once for my brands?"),
    ),
}

REPLIES = {
    "fa": ("بررسی شد و مشکل برطرف شد؛ لطفاً دوباره امتحان کنید.", "تغییر را انجام دادیم؛ از این پس درست کار می‌کند."),
    "en": ("We looked into it and fixed it; please try again.", "Done: it works as it should from now on."),
}

# Scores as customers give them, taken in turn: mostly satisfied (about three in four), a few not.
SCORES = (5, 4, 5, 5, 3, 4, 5, 2, 5, 4, 5, 1, 4, 5, 3, 5, 4, 5)
COMMENTS = {
    "fa": {5: "سریع و دقیق، ممنون.", 4: "خوب بود.", 3: "حل شد ولی کمی طول کشید.", 2: "دیر پاسخ دادید.", 1: ""},
    "en": {5: "Quick and precise, thanks!", 4: "Good.", 3: "Fixed, but it took a while.", 2: "Slow answer.", 1: ""},
}


def _customers():
    people = []
    for email, name, language in CUSTOMERS:
        person = users.by_email(email) or users.create_customer(email, name=name)
        people.append((person, language))
    return people


def load(accounts):
    """Play the history for the history customers who have no ticket yet; returns how many tickets."""
    people = _customers()
    if Ticket.objects.filter(requester__in=[person for person, _language in people]).exists():
        return 0
    rng = random.Random(SEED)  # nosec B311 - demo data, not a secret
    cal, now = sla.calendar(), timezone.now()
    catalogue = {
        "departments": {d.slug: d for d in Department.objects.all()},
        "types": {t.slug: t for t in TicketType.objects.all()},
        "products": {p.slug: p for p in Product.objects.all()},
    }
    slugs = [slug for slug, spec in DEPARTMENTS.items() for _share in range(spec[0])]
    created = 0
    scores = itertools.cycle(SCORES)
    with notifications.muted():
        for days_back in range(WORKING_DAYS, 0, -1):
            for _ticket in range(rng.randint(1, 3)):
                clock = f"{rng.randint(9, 16):02d}:{rng.choice((0, 10, 20, 30, 40, 50)):02d}"
                opened = demo_moment(cal, (days_back, clock), now)
                person, language = rng.choice(people)
                _play(rng, cal, now, opened, rng.choice(slugs), person, language, accounts, catalogue, created, scores)
                created += 1
    return created


def _play(rng, cal, now, opened, slug, person, language, accounts, catalogue, number, scores):
    _share, types, products, answerer, (low, high) = DEPARTMENTS[slug]
    subject, description = rng.choice(SUBJECTS[slug, language])
    agent = accounts["supervisor"] if rng.random() < 0.15 else accounts[answerer]
    ticket_type = catalogue["types"][rng.choice(types)]
    with demo_clock(opened):
        ticket = services.create_ticket(
            requester=person,
            department=catalogue["departments"][slug],
            ticket_type=ticket_type,
            fields=demo_fields.sample_values(ticket_type, number),
            product=catalogue["products"][rng.choice(products)],
            subject=subject,
            # The number keeps two customers' alike requests from being each other's duplicates.
            description=f"{description} (#{1000 + number})",
            language=language,
        )
    answered = cal.add(opened, timedelta(minutes=rng.uniform(low, high)))
    if answered > now:
        return
    with demo_clock(answered):
        services.assign(ticket, agent, actor=agent)
        services.post_reply(ticket=ticket, actor=agent, body=rng.choice(REPLIES[language]))
    resolved = cal.add(answered, timedelta(minutes=rng.uniform(20, 600)))
    if resolved > now or rng.random() < 0.1:
        return  # still waiting for the customer
    with demo_clock(resolved):
        services.resolve(ticket, actor=agent)
    if rng.random() < 0.65:
        rated = resolved + timedelta(minutes=rng.uniform(15, 24 * 60))
        if rated < now:
            score = next(scores)
            with demo_clock(rated):
                ticket.refresh_from_db()
                services.rate_ticket(
                    ticket,
                    resolution=ratinglink.resolution_marker(ticket.resolved_at),
                    score=score,
                    comment=COMMENTS[language][score],
                    actor=person,
                )
