"""Content-Security-Policy of the app's pages, and a middleware for the host's other pages.

Every page of the portal and the staff workspace sends the policy of
``HELPDESK_TICKETS["CONTENT_SECURITY_POLICY"]`` (strict by default: scripts,
styles, fonts and connections from the site itself only; no inline script
without the page's nonce, no inline style, no plug-ins, no framing, forms
posting to the site only). The app's templates need nothing more: their
scripts are static files and they have no inline handlers or styles.

The app stands back when the host already has a policy: a view or
middleware that set the header first, Django's own
``ContentSecurityPolicyMiddleware`` (Django 6.0+) with ``SECURE_CSP``, or
django-csp's middleware. ``None`` turns the app's policy off.

A host without a policy of its own can put
:class:`ContentSecurityPolicyMiddleware` in ``MIDDLEWARE`` to send the same
policy on its other HTML pages (the admin included), as the example project does.
"""

import secrets

from django.conf import settings as django_settings

from .conf import settings as app_settings

HEADER = "Content-Security-Policy"
#: Stands for the request's nonce in a source list: the value of Django 6's
#: ``django.utils.csp.CSP.NONCE``, so that a ``SECURE_CSP`` dict works here unchanged.
NONCE = "<CSP_NONCE_SENTINEL>"

#: Middleware that send a policy of their own: with one of them the host decides.
HOST_POLICY_MIDDLEWARE = {
    "django.middleware.csp.ContentSecurityPolicyMiddleware": "SECURE_CSP",
    "csp.middleware.CSPMiddleware": None,
}


def request_nonce(request):
    """The request's nonce, made on first use; templates read it as ``{{ request.csp_nonce }}``."""
    nonce = getattr(request, "csp_nonce", None)
    if not nonce:
        nonce = request.csp_nonce = secrets.token_urlsafe(18)
    return str(nonce)


def build_policy(config, nonce=""):
    """The header value of ``config``: a string (as it is), or ``{directive: sources}``.

    Sources are a list (or one string); ``True`` writes the directive alone
    (``upgrade-insecure-requests``), ``False``/``None``/empty leaves it out;
    :data:`NONCE` becomes ``'nonce-…'``.
    """
    if isinstance(config, str):
        return config.replace(NONCE, f"'nonce-{nonce}'")
    parts = []
    for directive, sources in config.items():
        if sources is True:
            parts.append(directive)
            continue
        if not sources:
            continue
        if isinstance(sources, str):
            sources = [sources]
        values = [f"'nonce-{nonce}'" if source == NONCE else source for source in sources]
        parts.append(" ".join([directive, *dict.fromkeys(values)]))
    return "; ".join(parts)


def host_has_policy():
    """Whether a middleware of the host sends its own policy (the app then sends none)."""
    middleware = getattr(django_settings, "MIDDLEWARE", None) or []
    for path, setting in HOST_POLICY_MIDDLEWARE.items():
        if path in middleware and (setting is None or getattr(django_settings, setting, None)):
            return True
    return False


def active_policy():
    """The configured policy, or None when it is off or the host has one."""
    config = app_settings.CONTENT_SECURITY_POLICY
    if not config or host_has_policy():
        return None
    return config


def _uses_nonce(config):
    if isinstance(config, str):
        return NONCE in config
    return any(NONCE == s or (isinstance(s, (list, tuple)) and NONCE in s) for s in config.values())


def add_policy(request, response, config=None):
    """Set the policy on ``response`` unless it has one already (or the app's policy is off)."""
    config = config if config is not None else active_policy()
    if config is None or HEADER in response:
        return response
    response[HEADER] = build_policy(config, request_nonce(request) if _uses_nonce(config) else "")
    return response


class ContentSecurityPolicyMixin:
    """For views: the response carries the app's policy; ``request.csp_nonce`` is set before rendering."""

    def dispatch(self, request, *args, **kwargs):
        config = active_policy()
        if config is not None and _uses_nonce(config):
            request_nonce(request)
        response = super().dispatch(request, *args, **kwargs)
        if config is not None:
            add_policy(request, response, config)
        return response


class ContentSecurityPolicyMiddleware:
    """Sends the app's policy on every HTML response of the host that has none.

    Put it in ``MIDDLEWARE`` to cover the admin and the host's own pages;
    pages whose view set a policy (the API docs, for one) keep theirs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        config = active_policy()
        if config is not None and _uses_nonce(config):
            request_nonce(request)
        response = self.get_response(request)
        if config is not None and response.get("Content-Type", "").startswith("text/html"):
            add_policy(request, response, config)
        return response
