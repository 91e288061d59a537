"""The demo's canned replies: one for every department, one for billing (found by title)."""

from ...models import CannedReply

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


def load(departments):
    """The demo canned replies, ``departments`` by slug."""
    for slug, title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(
            title=title, defaults={"body": body, "department": departments[slug] if slug else None}
        )
