"""The demo customers' satisfaction ratings of some of their resolved tickets.

Given through the service, on the demo clock, a while after the resolution;
a ticket that already has its rating is left alone, so running the demo again
changes nothing.
"""

from datetime import timedelta

from django.utils import timezone

from ... import notifications, ratinglink, services
from ...models import SatisfactionRating, Ticket
from .clock import demo_clock

# Subject of a demo ticket (tickets.CONVERSATIONS): score, comment, minutes after its resolution.
RATINGS = {
    "فاکتور تمدید دو بار پرداخت شد": (5, "بازگشت وجه خیلی سریع انجام شد، ممنون.", 40),
    "چطور دامنه خودم را به فروشگاه وصل کنم؟": (4, "راهنمایی دقیق بود.", 30),
    "تخفیف برای ثبت چند دامنه": (5, "", 90),
    "پرداخت ناموفق ولی مبلغ کسر شد": (3, "مشکل حل شد ولی پاسخ دیر آمد.", 300),
    "Nightly backups fail": (4, "Clear answer, backups run again.", 120),
    "Prices in several currencies": (2, "I hoped for a date.", 60),
    "Invoice with our VAT number": (5, "", 20),
}


def load():
    """Rate the demo tickets of :data:`RATINGS` that are resolved and not rated yet; returns how many."""
    given = 0
    now = timezone.now()
    tickets = Ticket.objects.filter(subject__in=RATINGS, resolved_at__isnull=False).exclude(
        pk__in=SatisfactionRating.objects.values("ticket")
    )
    with notifications.muted():
        for ticket in tickets.order_by("pk"):
            if not ratinglink.is_rateable(ticket):
                continue
            score, comment, minutes = RATINGS[ticket.subject]
            with demo_clock(min(ticket.resolved_at + timedelta(minutes=minutes), now)):
                services.rate_ticket(
                    ticket,
                    resolution=ratinglink.resolution_marker(ticket.resolved_at),
                    score=score,
                    comment=comment,
                    actor=ticket.requester,
                )
            given += 1
    return given
