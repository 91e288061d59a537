"""Inbound e-mail, read: who wrote, what sort of sender, the new text, the files (a leaf, no database).

:func:`parse` turns one raw RFC 5322 message into a :class:`ParsedEmail`; the
inbound service (``services/email_in.py``) decides what to do with it. Parsing
never raises: a broken header, part or charset degrades to the best reading
we can make, so a message is always recorded and never bounced for its shape.

- Classification (SPEC §9, RFC 3834), in this order: our own mail coming back
  (``LOOP``), a delivery report (``BOUNCE``), an automatic reply
  (``AUTO_REPLY``), a mailing list (``LIST``), else a person (``HUMAN``).
- The body: the text part, else the HTML turned into text
  (:func:`html_to_text`); the declared charset, then UTF-8, windows-1256
  (common for Persian mail) and Latin-1.
- :func:`trim_quoted`: the part of a reply the sender wrote now, cut at our
  :data:`REPLY_MARKER` or a recognised reply header, without the signature.
"""

import base64
import binascii
import codecs
import email
import email.charset
import email.message
import email.parser
import email.utils
import html as html_lib
import logging
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import HeaderParser
from html.parser import HTMLParser
from urllib.parse import unquote

from . import mailaddress
from .choices import MailKind

logger = logging.getLogger(__name__)

#: The line our outgoing e-mails put above the quoted thread; a reply is cut there.
REPLY_MARKER = "—— Reply above this line · لطفاً بالای این خط پاسخ دهید ——"
#: The same marker for HTML e-mails (the Persian half marked right-to-left).
REPLY_MARKER_HTML = (
    '<div style="color:#888888;font-size:12px;margin:0 0 12px" dir="ltr">'
    '—— Reply above this line · <span dir="rtl" lang="fa">لطفاً بالای این خط پاسخ دهید</span> ——</div>'
)
#: A header our outgoing e-mails carry; a message that has it is our own mail coming back.
LOOP_HEADER = "X-Helpdesk-Tickets-Loop"

#: The reasons :attr:`ParsedEmail.kind_reason` holds, by kind (the service prints ``ignored: <reason>``).
KIND_REASONS = {
    MailKind.HUMAN: "",
    MailKind.AUTO_REPLY: "auto-reply",
    MailKind.BOUNCE: "bounce",
    MailKind.LIST: "mailing list",
    MailKind.LOOP: "loop",
}

# Nested MIME deeper than this is read as opaque (no real client nests so deep).
_MAX_DEPTH = 40
# Headers longer than this skip policy.default, whose parser takes quadratic time on them.
_LONG_HEADER = 2000


@dataclass(frozen=True)
class MailAttachment:
    #: Decoded, a bare name (never a path); made up when the message gives none.
    filename: str
    #: Lower-case, e.g. ``image/png``.
    content_type: str
    content: bytes
    #: Shown in the body: Content-Disposition inline, or referenced by Content-ID from the HTML.
    inline: bool = False
    #: Without the angle brackets; '' when none.
    content_id: str = ""


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    #: The bare, lower-case address of From (else Sender, else Return-Path); '' if none.
    sender: str = ""
    sender_name: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    #: Delivered-To and X-Original-To (the addresses the receiving servers delivered to).
    delivered_to: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    kind: MailKind = MailKind.HUMAN
    kind_reason: str = ""
    #: What the sender wrote now: quoted history, signature and mobile footer trimmed.
    text: str = ""
    #: The whole body text, untrimmed (with the text of forwarded messages attached to it).
    full_text: str = ""
    attachments: list[MailAttachment] = field(default_factory=list)
    bounced_message_ids: list[str] = field(default_factory=list)
    #: The recipients a bounce reports as failed (not merely delayed).
    bounced_recipients: list[str] = field(default_factory=list)
    bounce_status: str = ""
    #: "fa" when the text has Persian/Arabic letters, else "en" when it has Latin ones, else ''.
    language: str = ""


# --------------------------------------------------------------------------
# Text hygiene


# Lone surrogates (bytes nothing could decode) and the C0 controls but tab and
# newline: neither a database nor a template should ever see them.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _safe(value):
    return _UNSAFE_CHARS.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", value or "")


def _one_line(value):
    return " ".join(_safe(value).split())


def _tidy(text):
    """CRLF to LF, no trailing whitespace on a line, no blank lines at either end."""
    text = _safe(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Charsets

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d]")
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
# Letters only Persian uses: a windows-1256 text with them is Persian, whose
# Yeh and Kaf Windows writes with the Arabic code points.
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")


def _codec(name):
    """The Python codec of a declared charset, or None (missing, unknown, or not a text encoding)."""
    if not name or not isinstance(name, str):
        return None
    name = name.strip().strip("\"'").lower()
    name = email.charset.ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _single_byte(codec):
    return codec.startswith(("ascii", "iso8859", "latin", "cp125", "cp437", "cp850", "koi8", "mac-"))


def _latin(codec):
    return codec is None or codec.startswith(("ascii", "iso8859-1", "latin", "cp1252", "cp1256"))


def _looks_arabic(text):
    """Whether the non-ASCII characters of ``text`` are nearly all Arabic script (a clean windows-1256 reading)."""
    high = [ch for ch in text if ord(ch) > 127 and not ch.isspace()]
    if not high:
        return False
    arabic = sum(1 for ch in high if _ARABIC_SCRIPT.match(ch))
    return arabic / len(high) >= 0.8


def _persianise(text):
    if _PERSIAN_ONLY.search(text):
        return text.replace("\u064a", "\u06cc").replace("\u0649", "\u06cc").replace("\u0643", "\u06a9")
    return text


def _windows_1256(data):
    """``data`` read as windows-1256 when that gives Arabic-script text, else None."""
    text = data.decode("cp1256", "replace")
    return _persianise(text) if _looks_arabic(text) else None


def decode_bytes(data, charset=None):
    """``data`` as text: the declared ``charset`` when it reads cleanly, else UTF-8, windows-1256, Latin-1.

    A body declared as a Latin charset (or as us-ascii, the default) whose
    bytes are really windows-1256 Persian is read as Persian.
    """
    if not data:
        return ""
    codec = _codec(charset)
    if codec is not None and not _single_byte(codec):
        # UTF-8, and the multi-byte or 7-bit stateful charsets (ISO-2022-JP,
        # UTF-7, UTF-16) whose bytes mean nothing read any other way.
        try:
            return _persianise(data.decode(codec)) if codec == "cp1256" else data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        # 8-bit bytes that are valid UTF-8 are UTF-8 whatever a single-byte
        # label says: no real Latin or Arabic text is valid UTF-8 by chance.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _latin(codec):
        latin = data.decode("latin-1")
        letters = [ch for ch in latin if ch.isalpha()]
        high = sum(1 for ch in letters if ord(ch) > 127)
        # Persian read as Latin-1 is nearly all accented letters; French or German is not.
        if codec == "cp1256" or codec is None or (letters and high / len(letters) > 0.3):
            persian = _windows_1256(data)
            if persian is not None:
                return persian
    if codec is not None and codec != "ascii":
        text = data.decode(codec, "replace")
        if _single_byte(codec) or text.count("\ufffd") * 20 <= len(text):
            return _persianise(text) if codec == "cp1256" else text
    return data.decode("latin-1")


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


# --------------------------------------------------------------------------
# MIME structure


def _content_type(part):
    try:
        return (part.get_content_type() or "text/plain").lower()
    except Exception:
        return "application/octet-stream"


def _disposition(part):
    try:
        value = part.get_content_disposition()
    except Exception:
        value = None
    return (value or "").lower()


def _param(part, name, header="content-type"):
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):
        value = email.utils.collapse_rfc2231_value(value)
    return str(value or "").strip().lower()


def _children(part):
    """The sub-parts of a multipart; message/* parts are not entered (a forwarded mail is one attachment)."""
    if _content_type(part).startswith("message/"):
        return []
    try:
        payload = part.get_payload()
    except Exception:
        return []
    if isinstance(payload, list):
        return [sub for sub in payload if isinstance(sub, email.message.Message)]
    return []


def _walk(part, parent=None, depth=0):
    """(part, parent) for ``part`` and everything inside it, depth first."""
    yield part, parent
    if depth >= _MAX_DEPTH:
        return
    for sub in _children(part):
        yield from _walk(sub, part, depth + 1)


def _payload_bytes(part):
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    try:
        raw = part.get_payload()
    except Exception:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _unflow(text, delsp):
    """Join the soft line breaks of a format=flowed text (RFC 3676)."""
    out = []
    pending = None
    pending_depth = 0

    def flush():
        nonlocal pending
        if pending is not None:
            out.append((">" * pending_depth + " " if pending_depth else "") + pending)
        pending = None

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        if pending is not None and depth == pending_depth:
            pending += content
        else:
            flush()
            pending, pending_depth = content, depth
        if not soft:
            flush()
    flush()
    return "\n".join(out)


_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)


def _part_text(part):
    data = _payload_bytes(part)
    charset = _param(part, "charset")
    if not charset and _content_type(part) == "text/html":
        match = _META_CHARSET.search(data[:4096])
        charset = match.group(1).decode("ascii") if match else ""
    text = decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")
    if _content_type(part) == "text/plain" and _param(part, "format") == "flowed":
        text = _unflow(text, _param(part, "delsp") == "yes")
    return text


_QUOTED_NAME = {
    "content-disposition": re.compile(r"(?:^|[;\s])filename\s*=\s*\"([^\"]*)\"", re.I),
    "content-type": re.compile(r"(?:^|[;\s])name\s*=\s*\"([^\"]*)\"", re.I),
}


def _filename_param(part):
    """The file name a part declares (Content-Disposition filename, else Content-Type name), decoded; '' if none."""
    headers = _Headers(part)
    for header, pattern in _QUOTED_NAME.items():
        # Two things clients do that the standard parser undoes: Windows paths
        # in a quoted name (the backslashes are not escapes), and encoded words
        # inside the quotes (RFC 2047 forbids them; Outlook and Gmail use them).
        match = pattern.search(headers.first(header) or "")
        if match and (re.search(r"\\[^\\\"]", match.group(1)) or _WINDOWS_1256_WORD.search(match.group(1))):
            return decode_words(match.group(1))
    name = None
    if all(len(headers.first(header) or "") <= _LONG_HEADER for header in _QUOTED_NAME):
        try:
            name = part.get_filename()
        except Exception:  # nosec B110: parse() never raises; the fallback reading stands
            pass
    if name is None or "\ufffd" in name or _UNSAFE_CHARS.search(name):
        # Read the raw header the compat32 way, then the 8-bit bytes ourselves.
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            raw = headers.first(header)
            if raw is None:
                continue
            legacy = email.message.Message()
            try:
                legacy[header] = raw
                value = legacy.get_param(param, header=header)
                if isinstance(value, tuple):
                    charset, _lang, text = value
                    value = decode_bytes(text.encode("latin-1", "surrogateescape"), charset)
                elif value is not None:
                    value = _decode_raw(email.utils.unquote(value))
            except Exception:
                value = None
            if value:
                name = value
                break
    if not name:
        return ""
    if "=?" in name:
        name = decode_words(name)
    return name


def clean_filename(name):
    """A bare file name: no path, no NUL, control or bidi-override characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", _safe(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    # Format characters go (bidi overrides make "gpj.exe" look like "exe.jpg"),
    # but the zero-width non-joiner is a letter of Persian words.
    name = "".join(
        ch
        for ch in name
        if ch in "\u200c\u200d" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
    )
    name = re.sub(r"^[\s.]+|[\s.]+$", "", name)
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: 254 - len(ext)].rstrip(" .") + "." + ext
        else:
            name = name[:255].rstrip(" .")
    return name


_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/ms-tnef": "dat",
    "application/vnd.ms-tnef": "dat",
    "text/plain": "txt",
    "text/html": "html",
    "text/csv": "csv",
    "text/calendar": "ics",
    "text/vcard": "vcf",
    "text/x-vcard": "vcf",
    "message/rfc822": "eml",
}
# Parts that are the machinery of a report or a signature, not a file the sender attached.
_NOT_FILES = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/global-disposition-notification",
    "text/rfc822-headers",
    "message/global-headers",
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}
_CID_REFERENCE = re.compile(r"cid:([^\"'\s<>)]+)", re.I)


def _content_id(part):
    raw = _Headers(part).first("content-id") or ""
    return _safe(raw).strip().strip("<>").strip()


def _embedded_message(part):
    """The bytes and the parsed message of a message/rfc822 part."""
    inner = None
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        inner = payload[0]
    cte = (_Headers(part).first("content-transfer-encoding") or "").strip().lower()
    if inner is not None and cte in ("base64", "quoted-printable"):
        # Not allowed by RFC 2046, but some clients encode the forwarded message:
        # the parser then read the encoded text as a header-less message.
        try:
            encoded = inner.get_payload()
            if isinstance(encoded, str):
                data = encoded.encode("ascii", "surrogateescape")
                data = base64.b64decode(data) if cte == "base64" else quopri.decodestring(data)
                return data, email.message_from_bytes(data, policy=policy.default)
        except Exception:  # nosec B110: parse() never raises; the fallback reading stands
            pass
    if inner is None:
        data = _payload_bytes(part)
        try:
            return data, email.message_from_bytes(data, policy=policy.default)
        except Exception:
            return data, None
    try:
        data = inner.as_bytes(policy=policy.compat32)
    except Exception:
        try:
            data = str(inner).encode("utf-8", "surrogateescape")
        except Exception:
            data = b""
    return data, inner


# --------------------------------------------------------------------------
# HTML to text

_BLOCKS = frozenset(
    "address article aside center dd details dialog div dl dt fieldset figcaption figure footer form header"
    " main nav section summary table tbody thead tfoot tr".split()
)
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre"}
_SKIPPED = {"script", "style", "title", "template", "noscript", "xml"}
_LINK_SCHEMES = ("http:", "https:", "mailto:", "ftp:", "tel:")


class _HTMLText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        # One buffer per open <blockquote>: [chunks, pending newlines, whether anything was written].
        self.buffers = [[[], 0, False]]
        self.skipping = 0
        self.pre = 0
        self.lists = []
        self.links = []
        self.row_cells = []
        self.line_paragraph = None

    # The buffer machinery -------------------------------------------------
    @property
    def buffer(self):
        return self.buffers[-1]

    def _break(self, count):
        buffer = self.buffer
        buffer[1] = max(buffer[1], count)

    def _write(self, text, *, raw=False):
        buffer = self.buffer
        if not raw:
            text = re.sub(r"[ \t\r\n\f\v\xa0]+", " ", text)
            if buffer[1] or not buffer[2]:
                text = text.lstrip(" ")
            if not text:
                return
        if buffer[2] and buffer[1]:
            chunks = buffer[0]
            if chunks:
                chunks[-1] = chunks[-1].rstrip(" ")
            chunks.append("\n" * buffer[1])
        buffer[1] = 0
        buffer[0].append(text)
        buffer[2] = True

    # Parser callbacks -------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "br":
            if self.buffer[2]:
                self.buffer[1] += 1
        elif tag == "hr":
            self._break(1)
            self._write("________________________________", raw=True)
            self._break(1)
        elif tag == "blockquote":
            self._break(1)
            self.buffers.append([[], 0, False])
        elif tag in ("ul", "ol"):
            self._break(1 if self.lists else 2)
            self.lists.append([tag, 0])
        elif tag == "li":
            self._break(1)
            depth = max(len(self.lists), 1)
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            bullet = f"{kind[1]}. " if kind[0] == "ol" else "- "
            self._write("  " * (depth - 1) + bullet, raw=True)
        elif tag == "pre":
            self._break(2)
            self.pre += 1
        elif tag == "p" and "mso" in (dict(attrs).get("class") or "").lower():
            # Word's paragraphs have no margin: each is one line, and an empty
            # one (&nbsp;) is the blank line between paragraphs.
            self._break(1)
            self.line_paragraph = (self.buffer, len(self.buffer[0]))
        elif tag in _PARAGRAPHS:
            self._break(2)
        elif tag in _BLOCKS:
            self._break(1)
            if tag == "tr":
                self.row_cells.append(0)
        elif tag in ("td", "th"):
            if self.row_cells:
                if self.row_cells[-1]:
                    self._write(" ", raw=True)
                self.row_cells[-1] += 1
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            buffer = self.buffer
            self.links.append((href, buffer, len(buffer[0])))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr", "source"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping:
            return
        if tag == "blockquote" and len(self.buffers) > 1:
            self._close_quote()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self._break(2)
        elif tag == "p" and self.line_paragraph is not None:
            buffer, start = self.line_paragraph
            self.line_paragraph = None
            self._break(2 if buffer is self.buffer and len(buffer[0]) == start else 1)
        elif tag in _PARAGRAPHS:
            self._break(2)
        elif tag in _BLOCKS or tag == "li":
            self._break(1)
            if tag == "tr" and self.row_cells:
                self.row_cells.pop()
        elif tag == "a" and self.links:
            href, buffer, start = self.links.pop()
            if buffer is not self.buffer or not href.lower().startswith(_LINK_SCHEMES):
                return
            label = " ".join("".join(buffer[0][start:]).split())
            target = href[7:] if href.lower().startswith("mailto:") else href
            target = unquote(target.split("?", 1)[0]) if href.lower().startswith("mailto:") else target
            if not label:
                self._write(target)
            elif _bare_url(label) != _bare_url(target):
                self._write(f" ({target})", raw=True)

    def handle_data(self, data):
        if self.skipping:
            return
        if self.pre:
            self._write(data.replace("\xa0", " "), raw=True)
        else:
            self._write(data)

    # Output -----------------------------------------------------------------
    def _close_quote(self):
        chunks, _pending, _written = self.buffers.pop()
        inner = _tidy("".join(chunks))
        self._break(1)
        if inner:
            quoted = "\n".join("> " + line if line else ">" for line in inner.split("\n"))
            quoted = re.sub(r"^> >", ">>", quoted, flags=re.M)
            self._write(quoted, raw=True)
        self._break(1)

    def text(self):
        while len(self.buffers) > 1:
            self._close_quote()
        text = "".join(self.buffer[0]).replace("\xa0", " ")
        return re.sub(r"\n{3,}", "\n\n", _tidy(text))


def _bare_url(value):
    value = value.strip().lower()
    for prefix in ("mailto:", "tel:", "https://", "http://", "ftp://"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if value.startswith("www."):
        value = value[4:]
    return value.rstrip("/")


def html_to_text(html):
    """Readable text of an HTML e-mail: paragraphs and line breaks as newlines, lists as "- item",
    links as "text (url)", quotes as "> " lines; scripts, styles and comments dropped, entities unescaped."""
    parser = _HTMLText()
    try:
        parser.feed(html or "")
        parser.close()
        return parser.text()
    except Exception:
        # HTMLParser is forgiving; should it still give up, strip the tags by hand.
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html or "")
        text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>", "\n", text)
        text = html_lib.unescape(re.sub(r"<[^>]*>", " ", text))
        return re.sub(r"\n{3,}", "\n\n", _tidy(re.sub(r"[ \t\xa0]+", " ", text)))


# --------------------------------------------------------------------------
# Trimming the quoted history


def _fa_normal(value):
    """Persian text as compared: no diacritics or bidi marks, one Yeh and Kaf, ZWNJ as a space."""
    value = _BIDI_CONTROLS.sub("", value)
    value = re.sub("[\u064b-\u065f\u0670]", "", value)
    value = value.replace("\u064a", "\u06cc").replace("\u0649", "\u06cc").replace("\u0643", "\u06a9")
    return " ".join(value.replace("\u200c", " ").split())


def _unquoted(line):
    return re.sub(r"^(\s*>)+ ?", "", line)


def _is_quoted(line):
    return line.lstrip().startswith(">")


_MARKER_EN = re.compile(r"reply\s+above\s+this\s+line", re.I)
_MARKER_FA = _fa_normal("بالای این خط پاسخ")


def _is_marker(line):
    text = _unquoted(line)
    return bool(_MARKER_EN.search(text)) or _MARKER_FA in _fa_normal(text)


_ON_WROTE = re.compile(r"On\s.{4,400}\swrote\s?:", re.S)
_NAME_WROTE = re.compile(r".{0,300}@.{0,300}\swrote\s?:", re.S)
_FA_WROTE = re.compile(r"(در تاریخ\s.{2,400}|.{0,400}[@0-9\u06f0-\u06f9\u0660-\u0669].{0,400})\sنوشت\s?:", re.S)
_ORIGINAL_MESSAGE = re.compile(r"-{2,}\s*(Original Message|پیام اصلی|پیغام اصلی|نامه اصلی)\s*-{2,}", re.I)
_FORWARD_MARKERS = re.compile(
    r"-{2,}\s*Forwarded message\s*-{2,}"
    r"|Begin forwarded message\s*:"
    r"|-{2,}\s*(پیام|نامه|پیغام)\s+(بازارسال|هدایت|ارسال|فوروارد)\S*(\s+شده)?\s*-{2,}",
    re.I,
)
_FROM_LABEL = re.compile(r"\*?(From|از|فرستنده)\s*:\*?\s*\S", re.I)
_BLOCK_LABEL = re.compile(r"\*?(Sent|Date|To|Cc|Subject|ارسال شده|ارسال|تاریخ|به|رونوشت|موضوع)\s*:\*?", re.I)
_SEPARATOR = re.compile(r"[_\-=~*]{4,}")
_MOBILE_FOOTER = re.compile(
    r"(Sent from my |Sent from Mail for |Sent from Outlook|Sent from Yahoo Mail|Sent from Samsung|"
    r"Sent with Proton Mail|Get Outlook for |Envoyé de mon |"
    r"ارسال شده از |ارسال‌شده از |فرستاده شده از ).{0,60}",
    re.I,
)
_FORWARD_SUBJECT = re.compile(r"\s*(fwd?|fw|tr|wg|ارسال مجدد|بازارسال|فوروارد)\s*:", re.I)


def _plain(line):
    return _BIDI_CONTROLS.sub("", line).strip()


def _joined(lines, start, count):
    """``count`` lines from ``start`` as one line, or None when one is blank or quoted (a header is unquoted)."""
    part = lines[start : start + count]
    if len(part) < count or any(not _plain(line) or _is_quoted(line) for line in part):
        return None
    return " ".join(_plain(line) for line in part)


def _quote_follows(lines, index):
    following = next((line for line in lines[index : index + 3] if line.strip()), "")
    return _is_quoted(following)


def _reply_header(lines, index):
    """How many lines the reply header starting at ``lines[index]`` spans, or 0 when there is none."""
    line = _plain(lines[index])
    if not line or _is_quoted(line):
        return 0
    if _ORIGINAL_MESSAGE.fullmatch(line):
        return 1
    for count in (1, 2, 3):
        joined = _joined(lines, index, count)
        # A reply header is short; the length check also keeps the patterns below from backtracking long.
        if joined is None or len(joined) > 800:
            break
        if "wrote" in joined:
            # "On Monday I tried again and a colleague wrote:" is prose; a header
            # has a date or an address, or the quote follows it at once.
            if joined.startswith("On ") and _ON_WROTE.fullmatch(joined):
                if re.search(r"[0-9@]", joined) or _quote_follows(lines, index + count):
                    return count
            if count == 1 and _NAME_WROTE.fullmatch(joined):
                return 1
        if "نوشت" in joined and _FA_WROTE.fullmatch(_fa_normal(joined)):
            return count
    if _FROM_LABEL.match(_fa_normal(line)):
        labels = 0
        end = index
        for offset in range(1, 8):
            if index + offset >= len(lines):
                break
            following = _fa_normal(lines[index + offset])
            if not following:
                break
            if _BLOCK_LABEL.match(following):
                labels += 1
                end = index + offset
        back = index - 1
        while back >= 0 and not _plain(lines[back]):
            back -= 1
        after_rule = back >= 0 and bool(re.fullmatch(r"_{10,}", _plain(lines[back])))
        if labels >= 2 or (labels >= 1 and after_rule):
            return end - index + 1
    return 0


def _find_cut(lines, forwarded):
    """(index, span, kind) of the first place the sender's new text ends; kind is marker, header or forward."""
    for index, line in enumerate(lines):
        if _is_marker(line):
            return index, 1, "marker"
        if _is_quoted(line):
            continue
        if _FORWARD_MARKERS.fullmatch(_plain(line)):
            return index, 0, "forward"
        span = _reply_header(lines, index)
        if span and forwarded:
            # "FW:" mail from Outlook announces the forwarded message with the
            # same From/Sent block as a reply: that block is the content.
            if index and re.fullmatch(r"_{10,}", _plain(lines[index - 1])):
                index -= 1
            return index, 0, "forward"
        if span:
            return index, span, "header"
    return None


def _drop_quoted_tail(lines):
    lines = list(lines)
    while lines and (not lines[-1].strip() or _is_quoted(lines[-1]) or _SEPARATOR.fullmatch(_plain(lines[-1]))):
        lines.pop()
    return lines


def _drop_signature(lines):
    for index, line in enumerate(lines):
        if line.rstrip() == "--":
            lines = lines[:index]
            break
    lines = list(lines)
    while True:
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and _MOBILE_FOOTER.fullmatch(_plain(lines[-1])):
            lines.pop()
            continue
        return lines


def _written_below(lines):
    """What a sender wrote below or between '>'-quoted history (bottom posting, inline answers).

    Bottom posting keeps the sender's lines only; inline answers keep the
    quoted lines they answer too, or the answers would make no sense.
    """
    first = next((line for line in lines if line.strip()), None)
    if first is None or not _is_quoted(first):
        return []
    rows = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_marker(line):
            index += 1
            continue
        if _is_quoted(line):
            rows.append(("quote", line) if _unquoted(line).strip() else ("blank", ""))
        elif not line.strip():
            rows.append(("blank", ""))
        else:
            span = _reply_header(lines, index)
            if span:
                index += span
                continue
            rows.append(("own", line))
        index += 1
    own = [position for position, (kind, _line) in enumerate(rows) if kind == "own"]
    if not own:
        return []
    if any(kind == "quote" for kind, _line in rows[own[0] : own[-1]]):
        kept = [line for _kind, line in rows[: own[-1] + 1]]
    else:
        kept = [line for kind, line in rows[own[0] :] if kind != "quote"]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(_drop_signature(kept))).strip("\n")
    return text.split("\n") if text.strip() else []


def _drop_attribution(head, lines):
    """Drop an unrecognised attribution ("03.02.2025, 10:12, "Helpdesk" <reply@…>:") left above the quote."""
    last = len(head) - 1
    while last >= 0 and not head[last].strip():
        last -= 1
    if last >= 0 and len(head[last]) <= 300 and re.fullmatch(r"[^@]{0,300}@.{0,300}:", _plain(head[last])):
        following = next((line for line in lines[last + 1 :] if line.strip()), None)
        if following is not None and (_is_quoted(following) or _is_marker(following)):
            return head[:last]
    return head


def trim_quoted(text, *, forwarded=False):
    """The part of a reply its sender wrote now.

    Cut at our :data:`REPLY_MARKER` (either half of it will do), else at the
    first reply header ("On … wrote:", "در تاریخ … نوشت:", Outlook's
    "-----Original Message-----" and From/Sent/To/Subject block); trailing
    '>' lines, the signature after "-- " and a mobile footer go. A sender who
    wrote below or between the quoted lines keeps that text. A forwarded
    message ("---------- Forwarded message ---------", or anything after the
    From block when ``forwarded``, e.g. for a "Fw:" subject) is kept whole.
    When trimming would leave nothing, the whole text is returned.
    """
    full = _tidy(text)
    if not full:
        return ""
    lines = full.split("\n")
    cut = _find_cut(lines, forwarded)
    below, tail = [], []
    if cut is None:
        head = lines
    else:
        index, span, kind = cut
        head = lines[:index]
        if kind == "forward":
            tail = lines[index:]
        else:
            below = _written_below(lines[index + span :])
    head = _drop_signature(_drop_attribution(_drop_quoted_tail(head), lines))
    result = "\n".join(head).strip("\n")
    if below:
        result = (result + "\n\n" if result else "") + "\n".join(below)
    if tail:
        result = (result + "\n\n" if result.strip() else "") + "\n".join(tail).strip("\n")
    return result if result.strip() else full


# --------------------------------------------------------------------------
# Classification

_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_AUTO_SUBJECT = re.compile(
    r"\s*(Automatic reply|Auto[- ]?reply|Autoreply|Auto[- ]?response|Out of (the )?office( auto ?reply)?|"
    r"Abwesenheitsnotiz|Réponse automatique|Respuesta automática|پاسخ خودکار|پاسخ خودکار خارج از دفتر)\s*:",
    re.I,
)
_DSN_SUBJECT = re.compile(
    r"\s*(Undeliverable|Undelivered Mail Returned to Sender|Delivery Status Notification|Mail delivery failed|"
    r"Delivery Failure|Returned mail|Failure Notice|Mail System Error|Non remis|Unzustellbar|"
    r"Delivery has failed|Message not delivered)\b",
    re.I,
)
_DSN_BODY = re.compile(
    r"^\s*(This is the mail system at host |Delivery to the following recipients? failed"
    r"|Your message wasn't delivered to |Your message to .{1,200} couldn't be delivered"
    r"|Delivery has failed to these recipients or groups"
    r"|This message was created automatically by mail delivery software"
    r"|Your message did not reach some or all of the intended recipients"
    r"|I'm sorry to have to inform you that your message could not"
    r"|The following message to .{1,200} was undeliverable|Final-Recipient:\s*\S+;)",
    re.I | re.M,
)


def _auto_reply(headers, content_type, report_type, subject):
    auto_submitted = headers.token("auto-submitted")
    if headers.has("auto-submitted") and auto_submitted != "no":
        return True
    if any(headers.has(name) for name in ("x-autoreply", "x-autorespond", "x-autoresponder")):
        return True
    if headers.token("x-autogenerated") in ("reply", "forward", "group", "mirror"):
        return True
    if headers.token("precedence") in ("bulk", "junk", "auto_reply"):
        # Many lists send "Precedence: bulk" too: with a List-Id the mail is the list's.
        return not headers.has("list-id")
    if content_type == "multipart/report" and report_type == "disposition-notification":
        return True  # a read receipt
    # Outlook sets X-Auto-Response-Suppress on ordinary mail too, and people
    # write "Out of office" subjects: only both together mean an auto-reply.
    return headers.has("x-auto-response-suppress") and bool(_AUTO_SUBJECT.match(subject))


def _classify(headers, content_type, report_type, sender, subject, body):
    ours = set()
    try:
        ours.add(mailaddress.normalise(mailaddress.from_address()))
    except Exception:  # nosec B110: parse() never raises; the fallback reading stands
        pass
    ours.discard("")
    try:
        from_us = bool(sender) and (sender in ours or mailaddress.is_reply_address(sender))
    except Exception:
        from_us = sender in ours
    if headers.has(LOOP_HEADER) or from_us:
        return MailKind.LOOP
    auto = _auto_reply(headers, content_type, report_type, subject)
    if content_type == "multipart/report" and report_type != "disposition-notification":
        return MailKind.BOUNCE
    if headers.has("x-failed-recipients") or sender.partition("@")[0] in _DAEMONS:
        return MailKind.BOUNCE
    if not _FORWARD_SUBJECT.match(subject) and not re.match(r"\s*re\s*:", subject, re.I):
        if _DSN_SUBJECT.match(subject) and _DSN_BODY.search(body[:20000]):
            return MailKind.BOUNCE
        if re.search(r"^Final-Recipient:", body, re.M) and re.search(r"^Action:\s*failed", body, re.M | re.I):
            return MailKind.BOUNCE
    # The null return path is what bounces use, but RFC 3834 auto-replies use
    # it as well; an out-of-office must not mark its sender's address as failing.
    if (headers.first("return-path") or "").strip() == "<>" and not auto:
        return MailKind.BOUNCE
    if auto:
        return MailKind.AUTO_REPLY
    if headers.has("list-id") or headers.token("precedence") == "list":
        return MailKind.LIST
    return MailKind.HUMAN


# --------------------------------------------------------------------------
# Bounces

_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_BODY_RECIPIENTS = (
    re.compile(r"wasn't delivered to\s+<?([^\s<>]+@[^\s<>]+?)>?\s+because", re.I),
    re.compile(
        r"Delivery to the following recipients? failed permanently:\s*\n\s*\n?\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$",
        re.I | re.M,
    ),
    re.compile(r"Your message to\s+<?([^\s<>]+@[^\s<>]+?)>?\s+couldn't be delivered", re.I),
    re.compile(r"^\s*<([^\s<>]+@[^\s<>]+)>:\s", re.M),
    re.compile(r"following address\(es\) failed:\s*\n\s*\n?\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$", re.I | re.M),
    re.compile(r"^\s*Final-Recipient:\s*[\w.-]+\s*;\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$", re.I | re.M),
)
_BODY_MESSAGE_ID = re.compile(r"^[ \t>]*Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)


def _status_fields(block):
    """Header-like fields of one delivery-status block, names lower-case."""
    fields = {}
    if isinstance(block, email.message.Message):
        for name, value in _Headers(block).raw.items():
            fields[name] = value[0]
    return fields


def _recipient_of(value):
    address = (value or "").split(";", 1)[-1].strip()
    return _safe(mailaddress.normalise(address.strip("<>") if "<" not in address else address))


def _bounce_details(parts, headers, body):
    """(Message-IDs of the returned message, failed recipients, status) of a delivery report."""
    ids, recipients, statuses = [], [], []

    def add(target, value):
        if value and value not in target:
            target.append(value)

    for part, _parent in parts:
        content_type = _content_type(part)
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            try:
                blocks = part.get_payload()
            except Exception:
                blocks = None
            if not isinstance(blocks, list):
                text = decode_bytes(_payload_bytes(part))
                blocks = [HeaderParser(policy=policy.compat32).parsestr(chunk) for chunk in re.split(r"\n\s*\n", text)]
            for block in blocks:
                fields = _status_fields(block)
                status = _STATUS.search(fields.get("status", ""))
                action = fields.get("action", "").strip().lower()
                failed = action == "failed" or (not action and bool(status) and status.group(1).startswith("5"))
                if status and failed:
                    statuses.insert(0, status.group(1))
                elif status:
                    statuses.append(status.group(1))
                if failed:
                    for name in ("final-recipient", "original-recipient"):
                        add(recipients, _recipient_of(fields.get(name)))
        elif content_type in ("message/rfc822", "message/global"):
            _data, inner = _embedded_message(part)
            if inner is not None:
                add(ids, _message_id(_Headers(inner).first("message-id")))
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            try:
                returned = HeaderParser(policy=policy.compat32).parsestr(decode_bytes(_payload_bytes(part)))
                add(ids, _message_id(returned.get("Message-ID", "")))
            except Exception:  # nosec B110: parse() never raises; the fallback reading stands
                pass
    for value in headers.all("x-failed-recipients"):
        for address in _addresses(value):
            add(recipients, address)
    if not ids:
        for match in _BODY_MESSAGE_ID.finditer(body):
            add(ids, _message_id(match.group(1)))
    if not ids:
        for ident in _message_ids(headers.first("in-reply-to"), headers.first("references")):
            add(ids, ident)
    if not statuses:
        for match in re.finditer(
            r"(?:Status:|#\d{3})\s*([245]\.\d{1,3}\.\d{1,3})|\b\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b", body
        ):
            statuses.append(match.group(1) or match.group(2))
            break
    if not statuses:
        match = _STATUS.search(body)
        if match:
            statuses.append(match.group(1))
    if not recipients and not (statuses and statuses[0].startswith("4")):
        for pattern in _BODY_RECIPIENTS:
            for match in pattern.finditer(body[:20000]):
                add(recipients, _safe(mailaddress.normalise(match.group(1).rstrip(".,;:"))))
    ids = [ident for ident in ids if ident]
    return ids, [address for address in recipients if address], statuses[0] if statuses else ""


# --------------------------------------------------------------------------
# Parsing


def _is_attachment(part):
    return _disposition(part) == "attachment" or bool(_filename_param(part))


def _body_parts(parts):
    """(the text parts to read as the body, the HTML part or None, every body part) of a message."""
    plain, html = None, None
    body = []
    for part, parent in parts:
        content_type = _content_type(part)
        if content_type not in ("text/plain", "text/html") or _is_attachment(part):
            continue
        body.append(part)
        if content_type == "text/plain" and plain is None:
            plain = (part, parent)
        elif content_type == "text/html" and html is None:
            html = part
    texts = []
    if plain is not None:
        first, parent = plain
        texts = [first]
        # Mobile clients send "text, photo, text" as siblings of a multipart/mixed.
        if parent is not None and _content_type(parent) == "multipart/mixed":
            siblings = _children(parent)
            start = next((i for i, sub in enumerate(siblings) if sub is first), len(siblings))
            texts += [
                sub for sub in siblings[start + 1 :] if _content_type(sub) == "text/plain" and not _is_attachment(sub)
            ]
    return texts, html, body


def _made_up_name(content_type, counters):
    prefix = "image" if content_type.startswith("image/") else "attachment"
    counters[prefix] = counters.get(prefix, 0) + 1
    return f"{prefix}-{counters[prefix]}.{_EXTENSIONS.get(content_type, 'bin')}"


def _collect_attachments(parts, body, html_source):
    referenced = {unquote(ref).strip("<>").lower() for ref in _CID_REFERENCE.findall(html_source or "")}
    counters = {}
    found = []
    forwarded = []
    for part, _parent in parts:
        content_type = _content_type(part)
        if content_type.startswith("multipart/") or content_type in _NOT_FILES or any(part is b for b in body):
            continue
        content_id = _content_id(part)
        disposition = _disposition(part)
        inline = disposition == "inline" or (bool(content_id) and content_id.lower() in referenced)
        if content_type in ("message/rfc822", "message/global"):
            content, inner = _embedded_message(part)
            inner_subject = _Headers(inner).text("subject") if inner is not None else ""
            name = clean_filename(inner_subject) or clean_filename(_filename_param(part))
            if not name:
                name = _made_up_name("message/rfc822", counters)
            elif not name.lower().endswith(".eml"):
                name = clean_filename(name[:250] + ".eml")
            found.append(MailAttachment(name, "message/rfc822", content, inline, _safe(content_id)))
            if inner is not None:
                forwarded.append(inner)
            continue
        content = _payload_bytes(part)
        name = clean_filename(_filename_param(part))
        if not content and not name:
            continue
        if not name:
            name = _made_up_name(content_type, counters)
        found.append(MailAttachment(name, _safe(content_type), content, inline, _safe(content_id)))
    return found, forwarded


def _body_text(message):
    """(text, html source) of one message: its text part(s), else its HTML as text."""
    parts = list(_walk(message))
    texts, html, _body = _body_parts(parts)
    html_source = _part_text(html) if html is not None else ""
    text = "\n".join(_part_text(part) for part in texts)
    if not text.strip() and html_source:
        text = html_to_text(html_source)
    return _tidy(text), html_source


def _forwarded_block(inner):
    headers = _Headers(inner)
    lines = ["---------- Forwarded message ---------"]
    for label, name in (("From", "from"), ("Date", "date"), ("Subject", "subject"), ("To", "to")):
        value = headers.text(name) if name == "subject" else _one_line(decode_words(headers.first(name) or ""))
        if value:
            lines.append(f"{label}: {value}")
    try:
        text, _html = _body_text(inner)
    except Exception:
        text = ""
    return "\n".join(lines) + ("\n\n" + text if text else "")


def _language(*texts):
    for text in texts:
        if _ARABIC_LETTER.search(text or ""):
            return "fa"
        if _LATIN_LETTER.search(text or ""):
            return "en"
    return ""


def _message(raw):
    """The message parsed with policy.default; with compat32 when a MIME header is absurdly long
    (policy.default re-parses such a header on every read, in quadratic time: a few lines of a
    crafted message would hold a worker for minutes)."""
    legacy = email.message_from_bytes(raw, policy=policy.compat32)
    for part, _parent in _walk(legacy):
        for name, value in part.raw_items():
            if name.lower() in ("content-type", "content-disposition") and len(value) > _LONG_HEADER:
                return legacy
    return email.message_from_bytes(raw, policy=policy.default)


def _read_headers(headers):
    result = ParsedEmail()

    result.message_id = _message_id(headers.first("message-id"))
    result.in_reply_to = _message_ids(*headers.all("in-reply-to"))
    result.references = _message_ids(*headers.all("references"))
    from_pairs = _address_pairs(headers.all("from"))
    result.sender_name = from_pairs[0][0] if from_pairs else ""
    for name in ("sender", "return-path"):
        if from_pairs:
            break
        from_pairs = _address_pairs(headers.all(name))
    result.sender = from_pairs[0][1] if from_pairs else ""
    reply_to = _address_pairs(headers.all("reply-to"))
    result.reply_to = reply_to[0][1] if reply_to else ""
    result.to = _addresses(*headers.all("to"))
    result.cc = _addresses(*headers.all("cc"))
    result.delivered_to = _addresses(*headers.all("delivered-to"), *headers.all("x-original-to"))
    result.subject = headers.text("subject")
    result.date = _date(headers.first("date"))
    return result


def _classify_result(result, headers, content_type, report_type, body):
    result.kind = _classify(headers, content_type, report_type, result.sender, result.subject, body)
    result.kind_reason = KIND_REASONS[result.kind]


def _parse(raw):
    message = _message(raw)
    headers = _Headers(message)
    result = _read_headers(headers)

    parts = list(_walk(message))
    texts, html, body = _body_parts(parts)
    html_source = _part_text(html) if html is not None else ""
    own_text = "\n".join(_part_text(part) for part in texts)
    if not own_text.strip() and html_source:
        own_text = html_to_text(html_source)
    own_text = _tidy(own_text)

    _classify_result(result, headers, _content_type(message), _param(message, "report-type"), own_text)

    result.attachments, forwarded = _collect_attachments(parts, body, html_source)
    blocks = [] if result.kind == MailKind.BOUNCE else [_forwarded_block(inner) for inner in forwarded]
    result.full_text = _tidy("\n\n".join([own_text, *blocks]) if own_text else "\n\n".join(blocks))
    trimmed = trim_quoted(own_text, forwarded=bool(_FORWARD_SUBJECT.match(result.subject)))
    result.text = _tidy("\n\n".join([trimmed, *blocks]) if trimmed else "\n\n".join(blocks))

    if result.kind == MailKind.BOUNCE:
        ids, recipients, status = _bounce_details(parts, headers, own_text)
        result.bounced_message_ids, result.bounced_recipients, result.bounce_status = ids, recipients, status
    result.language = _language(result.text, result.full_text, result.subject)
    return result


def _parse_degraded(raw):
    """The headers, and the rest as plain text: for a message whose MIME structure defeats the parser."""
    try:
        message = email.parser.BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        headers = _Headers(message)
        result = _read_headers(headers)
        body = message.get_payload()
        body = _raw_bytes(body) if isinstance(body, str) else b""
    except Exception:
        headers, result, body = None, ParsedEmail(), raw
    result.full_text = result.text = _tidy(decode_bytes(body))
    if headers is not None:
        try:
            _classify_result(result, headers, _content_type(message), _param(message, "report-type"), result.text)
        except Exception:  # nosec B110: parse() never raises; the fallback reading stands
            pass
    result.language = _language(result.text, result.subject)
    return result


def parse(raw):
    """Read one raw RFC 5322 message (bytes) into a :class:`ParsedEmail`; never raises."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    try:
        return _parse(raw)
    except Exception:
        # Every step degrades on its own, so reaching this means the MIME
        # structure itself defeated the parser (say, thousands of nested
        # parts): worth a log line; the headers and the text are still read.
        logger.warning("Could not parse the MIME structure of an inbound e-mail; reading it as text", exc_info=True)
        return _parse_degraded(raw)
