"""Per-user rate limits on new tickets and replies, shared by the web portal and the API.

The limits are the ``HELPDESK_TICKETS["API_THROTTLE_RATES"]`` scopes
(``"ticket_create"``, ``"reply"``): one setting for both ways in, counted in
one budget per user (the same cache entry the API's throttle uses), so a
client cannot double its allowance by switching from the API to the web
form. A scope set to ``None`` is not limited.
"""

import math

from django.utils.translation import ngettext

from .services import HelpdeskError


class RateLimited(HelpdeskError):
    """The user sent more than their allowance in the scope's window."""

    def __init__(self, wait_seconds):
        self.wait_seconds = max(1, math.ceil(wait_seconds or 1))
        minutes = max(1, math.ceil(self.wait_seconds / 60))
        super().__init__(
            ngettext(
                "You are sending messages too quickly. Please wait %(minutes)d minute and send again; "
                "your text has been kept.",
                "You are sending messages too quickly. Please wait %(minutes)d minutes and send again; "
                "your text has been kept.",
                minutes,
            )
            % {"minutes": minutes}
        )


def check_rate(request, scope):
    """Count one write of ``scope`` for ``request.user``; raise :class:`RateLimited` when over the limit.

    Anonymous requests are not counted (the views require a login anyway).
    """
    # Imported here: the API package loads DRF's settings, which the core
    # modules otherwise never need at import time.
    from .api.throttling import HelpdeskScopedRateThrottle

    throttle = HelpdeskScopedRateThrottle(scope)
    if not throttle.allow_request(request, None):
        raise RateLimited(throttle.wait())
