"""Headers: encoded words, addresses, Message-IDs and dates, read without ever raising."""

import base64
import binascii
import email.utils
import re
from datetime import UTC, datetime

from .. import mailaddress
from .charsets import _UNSAFE_CHARS, _one_line, _safe, decode_bytes

# Headers longer than this skip policy.default, whose parser takes quadratic time on them.
_LONG_HEADER = 2000


# --------------------------------------------------------------------------
# Headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# policy.default reads these correctly but keeps the Arabic Yeh Windows writes for the Persian one.
_WINDOWS_1256_WORD = re.compile(r"=\?(windows-1256|cp1256)[?*]", re.I)


def _raw_bytes(value):
    """The bytes behind a header value as the parser stored it (undecodable bytes are surrogates)."""
    return value.encode("utf-8", "surrogateescape")


def _decode_raw(value):
    """A raw header value with its 8-bit bytes (non-standard, but common) read as text."""
    value = value or ""
    if value.isascii():
        return value
    try:
        return decode_bytes(_raw_bytes(value))
    except UnicodeEncodeError:
        return _safe(value)


def _decode_word(match):
    charset, encoding, payload = match.group(1), match.group(2).lower(), match.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 adds *language
    try:
        if encoding == "b":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "surrogateescape"), header=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return decode_bytes(data, charset)


def decode_words(value):
    """A header text with its RFC 2047 encoded words (``=?utf-8?b?…?=``) and raw 8-bit bytes decoded."""
    value = value or ""
    out = []
    pos = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        decoded = _decode_word(match)
        # Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        if not (after_word and decoded is not None and not between.strip()):
            out.append(_decode_raw(between))
        out.append(match.group(0) if decoded is None else decoded)
        after_word = decoded is not None
        pos = match.end()
    out.append(_decode_raw(value[pos:]))
    return "".join(out)


def _unfold(value):
    return re.sub(r"\r?\n[ \t]*", " ", value or "").strip()


class _Headers:
    """The headers of one message part, read defensively: policy.default first, our own decoding when it fails."""

    def __init__(self, message):
        self.message = message
        self.raw = {}
        try:
            items = list(message.raw_items())
        except Exception:
            items = []
        for name, value in items:
            if isinstance(name, str) and isinstance(value, str):
                self.raw.setdefault(name.strip().lower(), []).append(_unfold(value))

    def has(self, name):
        return name.lower() in self.raw

    def first(self, name):
        """The raw (unfolded, undecoded) value of the first ``name`` header, or None."""
        values = self.raw.get(name.lower())
        return values[0] if values else None

    def all(self, name):
        return list(self.raw.get(name.lower(), ()))

    def text(self, name):
        """The decoded text of an unstructured header such as Subject; '' when absent."""
        raw = self.first(name)
        if raw is None:
            return ""
        value = None
        if len(raw) <= _LONG_HEADER:
            try:
                value = str(self.message[name] or "")
            except Exception:  # nosec B110: parse() never raises; the fallback reading stands
                pass
        if value is None or "\ufffd" in value or _UNSAFE_CHARS.search(value) or _ENCODED_WORD.search(value):
            value = decode_words(raw)
        elif _WINDOWS_1256_WORD.search(raw):
            value = decode_words(raw)
        return _one_line(value)

    def token(self, name):
        """The first word of a header such as Auto-Submitted or Precedence, lower-case ('' if absent)."""
        raw = self.first(name) or ""
        return raw.split(";", 1)[0].strip().strip("\"'").lower()


_BARE_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+\.[^\s<>()\[\],;:\"@]+")


def _plausible(address):
    local, _at, domain = address.rpartition("@")
    return bool(local) and "." in domain and not domain.startswith(".") and "@" not in domain


def _pairs_of(value):
    """(display name, bare address) pairs of one address header value, names decoded.

    When the value does not parse (Python 3.13 rejects a whole header for one
    broken address), each comma-separated piece is tried, then bare addresses.
    """
    text = _decode_raw(value)
    for pieces in ([text], text.split(",")):
        pairs = []
        for piece in pieces:
            try:
                parsed = email.utils.getaddresses([piece])
            except Exception:  # nosec B112: a piece the parser refuses is skipped, the others kept
                continue
            for name, address in parsed:
                bare = mailaddress.normalise(address)
                if bare and _plausible(bare):
                    pairs.append((_one_line(decode_words(name)), _safe(bare)))
        if pairs or "@" not in text:
            return pairs
    return [("", _safe(match.group().lower())) for match in _BARE_ADDRESS.finditer(text)]


def _address_pairs(values):
    return [pair for value in values for pair in _pairs_of(value)]


def _addresses(*values):
    """The bare addresses of address headers (mailaddress.addresses), in order, without repeats."""
    found = {}
    for value in values:
        try:
            addresses = [_safe(bare) for bare in mailaddress.addresses(_decode_raw(value)) if _plausible(bare)]
        except Exception:
            addresses = []
        if not addresses:
            addresses = [bare for _name, bare in _pairs_of(value)]
        found.update(dict.fromkeys(addresses))
    return list(found)


def _message_id(value):
    value = _safe(value or "").strip()
    match = re.search(r"<([^<>\s]+)>", value)
    if match:
        return mailaddress.normalise_message_id(match.group(1))
    return mailaddress.normalise_message_id(value.split()[0]) if value.split() else ""


def _message_ids(*values):
    return mailaddress.message_ids(*[_safe(value) for value in values if value])


def _date(value):
    if not value:
        return None
    value = _safe(value).strip()
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
