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
    """Counts a user's requests per ``scope``; anonymous requests are left to authentication.

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


def throttles_for(scope):
    """The throttle instances a view returns from ``get_throttles()`` for ``scope``."""
    return [HelpdeskScopedRateThrottle(scope)]
