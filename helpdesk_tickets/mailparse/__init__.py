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

The package is a leaf (the standard library and the app's other leaves
only), one module per concern: :mod:`.result` (what :func:`parse` returns,
our mail's marks), :mod:`.charsets`, :mod:`.headers`, :mod:`.mime`,
:mod:`.files` (body parts and attachments), :mod:`.htmltext`,
:mod:`.quotes` (trimming) and :mod:`.kinds` (classification, bounces).
"""

import email
import email.parser
import logging
from email import policy

from ..choices import MailKind
from .charsets import _ARABIC_LETTER, _LATIN_LETTER, _one_line, _tidy, decode_bytes
from .files import _body_parts, _collect_attachments, clean_filename
from .headers import (
    _LONG_HEADER,
    _address_pairs,
    _addresses,
    _date,
    _Headers,
    _message_id,
    _message_ids,
    _raw_bytes,
    decode_words,
)
from .htmltext import html_to_text
from .kinds import _bounce_details, _classify
from .mime import _content_type, _param, _part_text, _walk
from .quotes import _FORWARD_SUBJECT, trim_quoted
from .result import KIND_REASONS, LOOP_HEADER, REPLY_MARKER, REPLY_MARKER_HTML, MailAttachment, ParsedEmail

__all__ = [
    "KIND_REASONS",
    "LOOP_HEADER",
    "REPLY_MARKER",
    "REPLY_MARKER_HTML",
    "MailAttachment",
    "MailKind",
    "ParsedEmail",
    "clean_filename",
    "decode_bytes",
    "decode_words",
    "html_to_text",
    "parse",
    "trim_quoted",
]

logger = logging.getLogger(__name__)


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
