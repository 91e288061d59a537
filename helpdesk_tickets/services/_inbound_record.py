"""Inbound e-mail, recorded before anything is decided: the raw message stored, its row written once."""

import hashlib
from email import policy
from email.parser import BytesHeaderParser

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .. import mailaddress
from ..choices import InboundStatus
from ..conf import settings as app_settings
from ..models import InboundEmail, attachment_storage, inbound_upload_to


def _headers(raw):
    try:
        return BytesHeaderParser(policy=policy.default).parsebytes(raw)
    except Exception:  # a header so broken the parser gives up: recorded without them
        return {}


def _header(headers, name):
    try:
        return str(headers.get(name, "") or "")
    except Exception:
        return ""


def _record(raw, recipient):
    """The InboundEmail row for ``raw`` and whether this call created it."""
    digest = hashlib.sha256(raw).hexdigest()
    headers = _headers(raw)
    message_id = mailaddress.normalise_message_id(_header(headers, "Message-ID")) or None
    existing = _existing(digest, message_id)
    if existing is not None:
        return existing, False
    now = timezone.now()
    record = InboundEmail(
        message_id=message_id,
        sha256=digest,
        size=len(raw),
        recipient=mailaddress.normalise(recipient or "")[:254],
        sender=mailaddress.normalise(_header(headers, "From"))[:254],
        subject=" ".join(_header(headers, "Subject").split())[:255],
        received_at=now,
        processing_started_at=now,
        attempts=1,
    )
    storage = attachment_storage()
    name = inbound_upload_to(record, "")
    stored = storage.save(name, ContentFile(raw))
    record.raw.name = stored
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        # The same message arrived at the same moment through another entry point.
        existing = _existing(digest, message_id)
        if existing is None:
            raise
        if existing.raw.name != stored:
            storage.delete(stored)
        return existing, False
    return record, True


def _existing(digest, message_id):
    condition = Q(sha256=digest)
    if message_id:
        condition |= Q(message_id=message_id)
    return InboundEmail.objects.filter(condition).select_related("ticket").first()


def _claim_again(record, now=None):
    """Whether a second delivery of ``record`` should process it: its first run crashed or failed."""
    now = now or timezone.now()
    if record.status == InboundStatus.FAILED:
        pass
    elif record.status != InboundStatus.RECEIVED:
        return False
    elif record.processing_started_at and record.processing_started_at > now - app_settings.INBOUND_RETRY_AFTER:
        return False  # still being processed by the run that recorded it
    claimed = InboundEmail.objects.filter(
        pk=record.pk, status=record.status, processing_started_at=record.processing_started_at
    ).update(processing_started_at=now, attempts=record.attempts + 1, status=InboundStatus.RECEIVED)
    if claimed:
        record.processing_started_at, record.attempts, record.status = now, record.attempts + 1, InboundStatus.RECEIVED
    return bool(claimed)
