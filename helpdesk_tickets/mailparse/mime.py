"""The MIME structure: content types, parameters, the walk over the parts and their decoded text."""

import email.message
import email.utils
import re

from .charsets import decode_bytes

# Nested MIME deeper than this is read as opaque (no real client nests so deep).
_MAX_DEPTH = 40

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
