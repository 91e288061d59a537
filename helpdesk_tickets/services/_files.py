"""Attachments written by a service: stored inside its transaction, deleted again if it fails."""

import logging

from .. import attachments as attachment_rules
from ..exceptions import AttachmentsUnavailable
from ..models import attachment_storage

logger = logging.getLogger("helpdesk_tickets.services")


def store_files(message, files, written):
    """Store ``files`` on ``message``, noting each stored name in ``written`` (for the clean-up on failure)."""
    for upload in files:
        try:
            attachment = attachment_rules.store(message, upload)
        except Exception as exc:
            # A full disk, an object store that is down: the caller rolls back
            # and deletes what was stored; the user is asked to send again.
            logger.exception("helpdesk_tickets: the attachment storage failed to save %r", upload.name)
            raise AttachmentsUnavailable() from exc
        written.append(attachment.file.name)
        attachment.save()


def delete_files(names):
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the orphan is left for housekeeping
            logger.warning("helpdesk_tickets: could not delete orphan attachment %s", name, exc_info=True)
