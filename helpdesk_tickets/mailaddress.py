"""Addresses and Message-IDs of the e-mail channel (a leaf: settings and the standard library only).

- :func:`reply_address` / :func:`reference_from_address`: the signed reply
  address, ``reply+HD-7K3M9QXA.1a2b3c4d5e6f@example.com``; the tag carries the
  ticket's reference and an HMAC of it, so a forged tag is not believed.
- :func:`new_message_id` / :func:`thread_root_id`: our Message-IDs.
- :func:`normalise` / :func:`normalise_message_id`: how addresses and ids are
  compared.
"""

import hmac
import uuid
from email.utils import getaddresses, parseaddr

from django.conf import settings as django_settings
from django.utils.crypto import salted_hmac

from .conf import settings as app_settings

_SALT = "helpdesk_tickets.mailaddress.reply"
#: Hex digits of the signature in the tag: 48 bits, lower-case (mail systems may fold case).
SIGNATURE_LENGTH = 12


def normalise(address):
    """``address`` (possibly ``"Name <a@b>"``) as compared: the bare address, lower-case; '' if none."""
    _name, bare = parseaddr(address or "")
    bare = bare.strip().lower()
    return bare if "@" in bare else ""


def addresses(*header_values):
    """The bare, normalised addresses in header values such as To and Cc, in order, without repeats."""
    seen = {}
    for _name, bare in getaddresses([value for value in header_values if value]):
        bare = normalise(bare)
        if bare:
            seen.setdefault(bare, None)
    return list(seen)


def _signature(reference):
    return salted_hmac(_SALT, reference.upper(), algorithm="sha256").hexdigest()[:SIGNATURE_LENGTH]


def reply_address(reference):
    """The address replies about ticket ``reference`` go to, or None when ``REPLY_ADDRESS`` is unset."""
    base = normalise(app_settings.REPLY_ADDRESS)
    if not base:
        return None
    local, _at, domain = base.partition("@")
    return f"{local}+{reference.lower()}.{_signature(reference)}@{domain}"


def _reply_tag(address):
    """The ``+`` tag of ``address`` when it is ``REPLY_ADDRESS`` or a tagged form of it ('' untagged), else None."""
    base = normalise(app_settings.REPLY_ADDRESS)
    bare = normalise(address)
    if not base or not bare:
        return None
    base_local, _at, base_domain = base.partition("@")
    local, _at, domain = bare.partition("@")
    if domain != base_domain:
        return None
    if local == base_local:
        return ""
    prefix = f"{base_local}+"
    return local[len(prefix) :] if local.startswith(prefix) else None


def reference_from_address(address):
    """The ticket reference a signed reply address names, or None (not ours, no tag, bad signature)."""
    tag = _reply_tag(address)
    if not tag:
        return None
    reference, _dot, signature = tag.rpartition(".")
    if not reference or not hmac.compare_digest(signature, _signature(reference)):
        return None
    return reference.upper()


def is_reply_address(address):
    """Whether ``address`` is ``REPLY_ADDRESS`` itself or one of its tagged forms."""
    return _reply_tag(address) is not None


def from_address():
    """The From address of our notifications."""
    return app_settings.FROM_EMAIL or django_settings.DEFAULT_FROM_EMAIL


def message_id_domain():
    configured = app_settings.MESSAGE_ID_DOMAIN
    if configured:
        return configured
    for candidate in (app_settings.REPLY_ADDRESS, from_address()):
        bare = normalise(candidate)
        if bare:
            return bare.partition("@")[2]
    return "helpdesk.invalid"


def normalise_message_id(value):
    """A Message-ID as stored and compared: without angle brackets or spaces, at most 255 characters."""
    value = (value or "").strip().strip("<>").strip()
    return value[:255]


def message_ids(*header_values):
    """The Message-IDs in In-Reply-To / References values, in order, normalised, without repeats."""
    found = []
    for value in header_values:
        for part in (value or "").replace(">", "> ").split():
            if "@" not in part:
                continue
            ident = normalise_message_id(part)
            if ident and ident not in found:
                found.append(ident)
    return found


def new_message_id():
    """A fresh Message-ID of ours, without angle brackets."""
    return f"{uuid.uuid4().hex}@{message_id_domain()}"


def thread_root_id(reference):
    """The Message-ID every notification of ticket ``reference`` refers to, so mail clients keep one thread."""
    return f"ticket.{reference.lower()}@{message_id_domain()}"
