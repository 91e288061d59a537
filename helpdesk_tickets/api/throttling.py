"""Throttles of the REST API, with rates from ``HELPDESK_TICKETS["API_THROTTLE_RATES"]``.

The host's ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` is deliberately not
consulted: installing the app must not require touching the host's DRF
settings, and the host's own throttles keep working alongside ours. The
counting is the portal's own (:mod:`helpdesk_tickets.ratelimit`): one
budget per user for both ways in.
"""

from rest_framework.throttling import BaseThrottle

from ..ratelimit import RateCounter, charge, throttle_rate

__all__ = ["HelpdeskScopedRateThrottle", "charge", "throttle_rate", "throttles_for"]


class HelpdeskScopedRateThrottle(BaseThrottle):
    """Checks a user's writes per ``scope``; anonymous requests are left to authentication.

    :meth:`allow_request` only checks the allowance; :func:`charge` counts a
    write once it has been done, so that a refused request (invalid,
    duplicate, a replayed answer) spends nothing. Between the two,
    concurrent requests of one user may each pass the check: the limit can
    be exceeded by the requests in flight, never by retries.
    """

    def __init__(self, scope):
        self.scope = scope
        self.counter = RateCounter(scope)
        self._wait = None

    def allow_request(self, request, view):
        self._wait = self.counter.wait(request.user)
        return self._wait is None

    def wait(self):
        return self._wait


def throttles_for(scope):
    """The throttle instances a view returns from ``get_throttles()`` for ``scope``."""
    return [HelpdeskScopedRateThrottle(scope)]
