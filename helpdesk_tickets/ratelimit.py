"""Per-user rate limits on new tickets and replies, shared by the web portal and the API.

The limits are the ``HELPDESK_TICKETS["API_THROTTLE_RATES"]`` scopes
(``"ticket_create"``, ``"reply"``): one setting for both ways in, counted in
one budget per user (one cache entry per user and scope, which the API's
throttle reads too), so a client cannot double its allowance by switching
from the API to the web form. A scope set to ``None`` is not limited.

The counting lives here, in the core, so that the portal works without the
API; :mod:`helpdesk_tickets.api.throttling` wraps it in a DRF throttle.
"""

import math
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.utils.translation import ngettext

from .conf import DEFAULTS
from .conf import settings as app_settings
from .exceptions import HelpdeskError

#: The cache key of one user's count in one scope (kept from the API throttle's, so counts survive an upgrade).
CACHE_KEY = "helpdesk_tickets:throttle:%(scope)s:%(ident)s"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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


def throttle_rate(scope):
    """The configured rate of ``scope`` (e.g. ``"30/hour"``), or None for no limit."""
    rates = {**DEFAULTS["API_THROTTLE_RATES"], **(app_settings.API_THROTTLE_RATES or {})}
    return rates.get(scope)


def parse_rate(rate):
    """``"30/hour"`` → ``(30, 3600)``: requests allowed, window in seconds (DRF's notation)."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period[0]]


def counter_cache():
    """The cache backend the counts are kept in (Django's default cache, as DRF's throttles use)."""
    return caches[DEFAULT_CACHE_ALIAS]


class RateCounter:
    """One scope's count of a user's done writes, in a sliding window.

    The rate is read when the counter is made (on every request), so
    ``override_settings`` works in tests and a changed setting needs no restart.
    """

    def __init__(self, scope):
        self.scope = scope
        self.rate = throttle_rate(scope)
        self.allowed, self.window = parse_rate(self.rate) if self.rate else (None, None)

    def _key(self, user):
        if self.rate is None or not (user and user.is_authenticated):
            return None  # not limited, or left to authentication
        return CACHE_KEY % {"scope": self.scope, "ident": user.pk}

    def _history(self, key, now):
        return [moment for moment in counter_cache().get(key, []) if moment > now - self.window]

    def wait(self, user):
        """Seconds ``user`` should wait before the next write of this scope; None when they may write now."""
        key = self._key(user)
        if key is None:
            return None
        now = time.time()
        history = self._history(key, now)
        if len(history) < self.allowed:
            return None
        remaining = self.window - (now - history[-1]) if history else self.window
        return max(remaining / max(self.allowed - len(history) + 1, 1), 0)

    def charge(self, user):
        """Count one done write of ``user``."""
        key = self._key(user)
        if key is None:
            return
        now = time.time()
        counter_cache().set(key, [now, *self._history(key, now)], self.window)


def check_rate(request, scope):
    """Raise :class:`RateLimited` when ``request.user`` has no allowance of ``scope`` left.

    Nothing is counted here: call :func:`charge` once the write is done, so
    that a form with errors, a refused duplicate or a storage failure spends
    nothing. Anonymous requests are not counted (the views require a login anyway).
    """
    wait = RateCounter(scope).wait(request.user)
    if wait is not None:
        raise RateLimited(wait)


def charge(request, scope):
    """Count one done write of ``scope`` (a ticket opened, a reply posted) for ``request.user``."""
    RateCounter(scope).charge(request.user)


def limited_scopes():
    """The scopes that have a rate (a scope set to ``None`` has none)."""
    return [scope for scope in DEFAULTS["API_THROTTLE_RATES"] if throttle_rate(scope)]
