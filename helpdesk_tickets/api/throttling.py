"""Throttles of the REST API, with rates from ``HELPDESK_TICKETS["API_THROTTLE_RATES"]``.

The host's ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` is deliberately not
consulted: installing the app must not require touching the host's DRF
settings, and the host's own throttles keep working alongside ours.
"""

from rest_framework.throttling import SimpleRateThrottle

from ..conf import DEFAULTS
from ..conf import settings as app_settings


def throttle_rate(scope):
    """The configured rate of ``scope`` (e.g. ``"30/hour"``), or None for no limit."""
    rates = {**DEFAULTS["API_THROTTLE_RATES"], **(app_settings.API_THROTTLE_RATES or {})}
    return rates.get(scope)


class HelpdeskScopedRateThrottle(SimpleRateThrottle):
    """Counts a user's writes per ``scope``; anonymous requests are left to authentication.

    :meth:`allow_request` only checks the allowance; :meth:`charge` counts a
    write once it has been done (see :func:`charge`), so that a refused
    request (invalid, duplicate, a replayed answer) spends nothing. Between
    the two, concurrent requests of one user may each pass the check: the
    limit can be exceeded by the requests in flight, never by retries.

    The rate is read on every request, so ``override_settings`` works in tests
    and a changed setting needs no restart.
    """

    cache_format = "helpdesk_tickets:throttle:%(scope)s:%(ident)s"

    def __init__(self, scope):
        self.scope = scope
        self.rate = throttle_rate(scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        return super().allow_request(request, view)

    def throttle_success(self):
        # Checked, not counted: charge() counts the write once it is done.
        return True

    def charge(self, request):
        """Count one write of ``request.user`` in this scope."""
        if self.rate is None:
            return
        self.key = self.get_cache_key(request, None)
        if self.key is None:
            return
        self.now = self.timer()
        history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        self.cache.set(self.key, [self.now, *history], self.duration)


def charge(request, scope):
    """Count a done write of ``scope`` (a ticket opened, a reply posted) against ``request.user``."""
    HelpdeskScopedRateThrottle(scope).charge(request)


def throttles_for(scope):
    """The throttle instances a view returns from ``get_throttles()`` for ``scope``."""
    return [HelpdeskScopedRateThrottle(scope)]
