"""Which parts are the body and which are files: names, inline images, forwarded messages."""

import base64
import email
import email.message
import email.utils
import quopri
import re
import unicodedata
from email import policy
from urllib.parse import unquote

from .charsets import _UNSAFE_CHARS, _safe, decode_bytes
from .headers import _LONG_HEADER, _WINDOWS_1256_WORD, _decode_raw, _Headers, decode_words
from .mime import _children, _content_type, _disposition, _payload_bytes
from .result import MailAttachment

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
