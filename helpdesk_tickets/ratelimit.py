"""Per-user rate limits on new tickets and replies, shared by the web portal and the API.

The limits are the ``HELPDESK_TICKETS["API_THROTTLE_RATES"]`` scopes
(``"ticket_create"``, ``"reply"``): one setting for both ways in, counted in
one budget per user (the same cache entry the API's throttle uses), so a
client cannot double its allowance by switching from the API to the web
form. A scope set to ``None`` is not limited.
"""

import math

from django.utils.translation import ngettext

from .exceptions import HelpdeskError


class RateLimited(HelpdeskError):
    """The user sent more than their allowance in the scope's window."""

    code = "throttled"
    http_status = 429

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
    """Raise :class:`RateLimited` when ``request.user`` has no allowance of ``scope`` left.

    Nothing is counted here: call :func:`charge` once the write is done, so
    that a form with errors, a refused duplicate or a storage failure spends
    nothing. Anonymous requests are not counted (the views require a login anyway).
    """
    # Imported here: the API package loads DRF's settings, which the core
    # modules otherwise never need at import time.
    from .api.throttling import HelpdeskScopedRateThrottle

    throttle = HelpdeskScopedRateThrottle(scope)
    if not throttle.allow_request(request, None):
        raise RateLimited(throttle.wait())


def charge(request, scope):
    """Count one done write of ``scope`` (a ticket opened, a reply posted) for ``request.user``."""
    from .api.throttling import charge

    charge(request, scope)


def limited_scopes():
    """The scopes that have a rate (a scope set to ``None`` has none)."""
    from .api.throttling import throttle_rate
    from .conf import DEFAULTS

    return [scope for scope in DEFAULTS["API_THROTTLE_RATES"] if throttle_rate(scope)]


def counter_cache():
    """The cache backend the counts are kept in (DRF's throttles use Django's default cache)."""
    from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches

    from .api.throttling import HelpdeskScopedRateThrottle

    used = HelpdeskScopedRateThrottle.cache
    # django.core.cache.cache stands for the default alias; the backend is behind it.
    return caches[DEFAULT_CACHE_ALIAS] if used is cache else used
