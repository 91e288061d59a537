"""Attachment rules: limits, name cleaning, content sniffing and storage.

Enforced by the service layer, so the web form, the API, the admin and
commands all get the same checks.
"""

import hashlib
import os
import re
import unicodedata
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .conf import settings as app_settings
from .models import Attachment, attachment_storage
from .text import format_size

# C0/C1 controls, line separators, zero-width and bidi marks, embeddings,
# overrides and isolates, and the characters no file system or header takes.
_UNSAFE_NAME = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb/\\:*?\"<>|]"
)
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")
MAX_NAME_LENGTH = 120

# Signatures of the formats we recognise; anything else is served as
# application/octet-stream.
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
]
_OFFICE = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}
#: Types a browser may render inline without executing anything.
INLINE_SAFE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
#: Types the pages show as a thumbnail and open in the browser (``Content-Disposition: inline``):
#: raster images only, recognised from their bytes. Never SVG or HTML, which can carry script.
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def is_previewable(content_type):
    """Whether a file of this (sniffed) content type may be shown inline: a raster image."""
    return (content_type or "").split(";")[0].strip().lower() in PREVIEW_TYPES


def clean_name(name):
    """A display name safe to show and to put in a header: no path, no control
    or bidi-override characters, at most MAX_NAME_LENGTH characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Normalised again: dropping an invisible character can bring a letter
    # and its accent together. Leading/trailing dots and spaces go (no hidden
    # files, and Windows drops trailing ones anyway).
    name = _EDGES.sub("", unicodedata.normalize("NFC", _UNSAFE_NAME.sub("", name)))
    if len(name) > MAX_NAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = _EDGES.sub("", stem[: MAX_NAME_LENGTH - len(ext)] + ext)
    return name or "file"


def extension(name):
    return os.path.splitext(name)[1].lstrip(".").lower()


def sniff_content_type(head, name):
    """Decide the content type from the bytes (the declared type is never trusted)."""
    ext = extension(name)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            if content_type in ("application/zip", "application/x-ole-storage"):
                return _OFFICE.get(
                    ext, "application/zip" if content_type == "application/zip" else "application/octet-stream"
                )
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if ext in ("txt", "log", "csv"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character may be cut at the end of the sample.
            try:
                head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                return "application/octet-stream"
        if b"\x00" not in head:
            return "text/csv" if ext == "csv" else "text/plain"
    return "application/octet-stream"


def validate_files(files):
    """Check count, size and extension of uploaded files; raise ValidationError
    with one message per problem, naming the file."""
    files = list(files or [])
    errors = []
    limit = app_settings.MAX_ATTACHMENTS_PER_MESSAGE
    if len(files) > limit:
        errors.append(
            ngettext("You can attach at most %(count)d file.", "You can attach at most %(count)d files.", limit)
            % {"count": limit}
        )
    allowed = {e.lower().lstrip(".") for e in app_settings.ALLOWED_ATTACHMENT_EXTENSIONS}
    max_size = app_settings.MAX_ATTACHMENT_SIZE
    for upload in files:
        name = clean_name(getattr(upload, "name", ""))
        if extension(name) not in allowed:
            errors.append(
                _("“%(name)s”: this file type is not accepted. Allowed: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(sorted(allowed))}
            )
        size = upload.size
        if size > max_size:
            errors.append(
                _("“%(name)s” is %(size)s; the limit is %(limit)s per file.")
                % {"name": name, "size": format_size(size), "limit": format_size(max_size)}
            )
        elif size == 0:
            errors.append(_("“%(name)s” is empty.") % {"name": name})
    if errors:
        raise ValidationError({"attachments": errors})
    return files


def store(message, upload):
    """Save ``upload`` for ``message``; returns the unsaved-to-DB Attachment and
    the storage name written (so a failed transaction can delete it)."""
    name = clean_name(upload.name)
    digest = hashlib.sha256()
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        message=message,
        original_name=name,
        size=upload.size,
        content_type=sniff_content_type(head, name),
        sha256=digest.hexdigest(),
    )
    attachment.file.save(name, upload, save=False)
    return attachment


def delete_orphan_files(*, months=2, grace=timedelta(hours=1), now=None):
    """Delete stored files that no attachment row refers to; returns their names.

    A failed create or reply deletes its files at once; this sweeps what
    could not be deleted then (the storage was down too). Only the folders
    of the last ``months`` months are listed, and only files older than
    ``grace``, so a file whose transaction is still open is never touched.
    """
    storage = attachment_storage()
    now = now or timezone.now()
    deleted = []
    for offset in range(months):
        year, month = divmod(now.year * 12 + now.month - 1 - offset, 12)
        folder = f"helpdesk_tickets/{year:04d}/{month + 1:02d}"
        try:
            _dirs, files = storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        names = [f"{folder}/{name}" for name in files]
        for start in range(0, len(names), 500):
            batch = names[start : start + 500]
            known = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
            for name in batch:
                if name in known or storage.get_modified_time(name) > now - grace:
                    continue
                storage.delete(name)
                deleted.append(name)
    return deleted
