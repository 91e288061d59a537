"""Posting to a URL someone typed into the admin, without letting it reach inside our network (SSRF).

A webhook URL is chosen by a site's staff, and the request is made from our
servers: aimed at ``http://169.254.169.254/`` (a cloud's metadata service),
``http://localhost:6379/`` or ``http://10.0.0.5/admin/`` it would let whoever
edits endpoints talk to services only our network can reach. So

- :func:`resolve` looks the host up and refuses the URL if any of its
  addresses is loopback, private, link-local, shared (CGNAT), multicast,
  reserved, unspecified or a cloud metadata address, IPv4 and IPv6 alike (an
  IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address is judged by the IPv4
  address inside it), unless ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` allows it;
- :func:`post` connects to the very address that was checked (no second
  lookup, so no DNS-rebinding window), sends the host name in ``Host`` and,
  for https, in SNI, and verifies the certificate against it;
- redirects are never followed (``http.client`` does not; a 3xx is reported
  as a failed attempt by the caller), no proxy from the environment is used,
  and the whole exchange has a deadline (``WEBHOOK_TIMEOUT``).
"""

import dataclasses
import functools
import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .conf import settings as app_settings
from .exceptions import WebhookTargetRefused

#: Cloud metadata services: refused even when private targets are allowed, unless listed by network.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean …
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
#: Bytes of the receiver's answer that are read (and kept as its excerpt).
MAX_RESPONSE_BYTES = 4096


@dataclasses.dataclass
class Response:
    status: int
    body: bytes
    address: str
    location: str = ""


class DeliveryFailed(Exception):
    """The receiver could not be reached or did not answer in time (the text says why)."""


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo), or None."""
    if address.version != 6:
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.ip_address(int(address) & 0xFFFFFFFF)
    return None


def _allowed_networks():
    allowed = app_settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    if allowed is True or not allowed:
        return bool(allowed), ()
    return False, tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


def refusal(address):
    """Why ``address`` (an IP address, text or object) may not be posted to; None when it may."""
    address = ipaddress.ip_address(address)
    inner = _embedded_ipv4(address)
    allow_all, networks = _allowed_networks()
    # The IPv4 address inside comes first: it says what the address really reaches.
    candidates = [address] if inner is None else [inner, address]
    listed = (c in network for c in candidates for network in networks if c.version == network.version)
    if any(listed):
        return None
    for candidate in candidates:
        if candidate in METADATA_ADDRESSES:
            return _("a cloud metadata address")
    if allow_all:
        return None
    for candidate in candidates:
        if candidate.is_loopback:
            return _("a loopback address")
        if candidate.is_link_local:
            return _("a link-local address")
        if candidate.is_multicast:
            return _("a multicast address")
        if candidate.is_unspecified or candidate.is_reserved:
            return _("a reserved address")
        if candidate.is_private or not candidate.is_global:
            return _("a private address")
    return None


def check_url(url):
    """Refuse (:class:`WebhookTargetRefused`) a URL that is not plain http(s) with a host; returns its parts."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookTargetRefused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookTargetRefused(_("The URL must start with https:// or http:// and name a host."))
    if parts.username is not None or parts.password is not None:
        raise WebhookTargetRefused(_("The URL must not carry a user name or password."))
    return parts, port or (443 if parts.scheme == "https" else 80)


def resolve(url):
    """The addresses to connect to for ``url``, every one of them allowed; raises :class:`WebhookTargetRefused`."""
    parts, port = check_url(url)
    host = parts.hostname
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise WebhookTargetRefused(_("The host %(host)s could not be found.") % {"host": host}) from None
    addresses = list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in found))
    if not addresses:
        raise WebhookTargetRefused(_("The host %(host)s could not be found.") % {"host": host})
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise WebhookTargetRefused(
                _(
                    "The host %(host)s is %(reason)s (%(address)s): webhooks are not sent inside the network "
                    "(see the WEBHOOK_ALLOW_PRIVATE_TARGETS setting)."
                )
                % {"host": host, "reason": reason, "address": address}
            )
    return parts, port, addresses


class _PinnedMixin:
    """An ``http.client`` connection that reaches the checked address, whatever the host name resolves to now."""

    def __init__(self, *args, address, **kwargs):
        super().__init__(*args, **kwargs)
        # http.client opens its socket through this attribute (set in its __init__).
        self._create_connection = lambda target, timeout, source=None: socket.create_connection(
            (address, target[1]), timeout, source
        )


class _PinnedHTTPConnection(_PinnedMixin, http.client.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, http.client.HTTPSConnection):
    pass


@functools.cache
def _tls_context():
    """The system's CAs, certificates and host names verified (read once per process)."""
    return ssl.create_default_context()


def post(url, body, headers, *, timeout=None):
    """POST ``body`` to ``url`` (checked by :func:`resolve`); returns a :class:`Response`.

    Raises :class:`WebhookTargetRefused` for a forbidden target and
    :class:`DeliveryFailed` when no address answered within the deadline.
    """
    timeout = timeout or app_settings.WEBHOOK_TIMEOUT
    parts, port, addresses = resolve(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    deadline = time.monotonic() + timeout
    errors = []
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            if parts.scheme == "https":
                connection = _PinnedHTTPSConnection(
                    parts.hostname, port, timeout=left, context=_tls_context(), address=address
                )
            else:
                connection = _PinnedHTTPConnection(parts.hostname, port, timeout=left, address=address)
        except http.client.InvalidURL as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        try:
            connection.connect()
        except OSError as exc:
            errors.append(f"{address}: {type(exc).__name__}: {exc}")
            connection.close()
            continue
        try:
            return _exchange(connection, path, body, headers, deadline, address)
        finally:
            connection.close()
    raise DeliveryFailed("; ".join(errors) or f"no answer within {timeout} s")


def _exchange(connection, path, body, headers, deadline, address):
    try:
        connection.request("POST", path, body=body, headers={**headers, "Connection": "close"})
        answer = connection.getresponse()
        chunks, size = [], 0
        while size < MAX_RESPONSE_BYTES:
            if time.monotonic() > deadline:
                raise TimeoutError("the answer took too long")
            chunk = answer.read1(MAX_RESPONSE_BYTES - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a path http.client refuses
        raise DeliveryFailed(f"{address}: {type(exc).__name__}: {exc}") from exc
    return Response(answer.status, b"".join(chunks), address, answer.getheader("Location", "") or "")
