"""How an attachment leaves the app: one response for the web download view and the API endpoint.

Files are never served from ``MEDIA_URL``; the adapters check that the user
may read the message, then hand the attachment to :func:`attachment_response`.
"""

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404

from .attachments import clean_name, is_previewable

_NOT_IN_FALLBACK = re.compile(r'[^\x20-\x7e]|["\\]')


def content_disposition(name, *, inline=False):
    """``attachment`` (``inline`` for a preview) with an ASCII ``filename`` and the UTF-8 ``filename*``.

    RFC 6266 / RFC 5987. The name is cleaned first (no path, no control or bidi characters, no
    quotes), so the header is one safe line whatever the upload was called.
    Old clients read the fallback: the name with accents dropped and other
    non-ASCII letters removed, or ``file.<ext>`` when nothing readable is left
    (a Persian name).
    """
    name = clean_name(name)
    fallback = _NOT_IN_FALLBACK.sub("", unicodedata.normalize("NFKD", name))
    fallback = " ".join(fallback.split()).rstrip(" .")
    stem, _dot, ext = fallback.rpartition(".") if "." in fallback else (fallback, "", "")
    if not any(c.isalnum() for c in stem):
        fallback = f"file.{ext}" if ext else "file"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_response(attachment, *, inline=False):
    """The file as a download the browser must neither render nor sniff; 404 when the storage has lost it.

    ``inline`` asks to show it in the browser instead (a preview); granted only
    for raster images (:func:`~helpdesk_tickets.attachments.is_previewable`, on the
    type sniffed from the bytes at upload), every other file is still a download.
    """
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    inline = inline and is_previewable(attachment.content_type)
    response = _private_download(handle, attachment.content_type, attachment.original_name, inline=inline)
    if not response.has_header("Content-Length"):
        response["Content-Length"] = str(attachment.size)
    return response


def _private_download(handle, content_type, name, *, inline=False):
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Private data: shared caches must not keep it.
    response["Cache-Control"] = "private, no-store"
    return response


def raw_email_response(inbound):
    """A received e-mail's raw message (``.eml``), as a download like any attachment."""
    try:
        handle = inbound.raw.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    return _private_download(handle, "message/rfc822", f"{inbound.subject or 'message'}.eml")
