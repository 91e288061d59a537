"""django-anymail's ``inbound`` signal into :func:`~helpdesk_tickets.services.receive_email` (extra ``[anymail]``).

Connected by :meth:`HelpdeskTicketsConfig.ready` when anymail is installed,
with ``dispatch_uid`` :data:`DISPATCH_UID`; a site that uses anymail's
inbound webhooks for something else as well disconnects it with
``anymail.signals.inbound.disconnect(dispatch_uid=DISPATCH_UID)`` and calls
:func:`receive_inbound` for the mail that is the helpdesk's.

The message's own bytes are used where the provider sends the raw MIME and
anymail keeps it in the event (Mailgun ``body-mime``, SendGrid "Send Raw"
``email``, Postmark ``RawEmail``, Mandrill ``raw_msg``): what the sender
wrote, hashed the same way on every retry. Otherwise anymail's parsed
message is serialised again. The envelope recipient is the provider's when
it gives one.

When nothing could be recorded, :class:`InboundNotRecorded` propagates: the
webhook answers 500 and the provider delivers the message again later.
"""

from . import services

#: The receiver's ``dispatch_uid`` on ``anymail.signals.inbound``.
DISPATCH_UID = "helpdesk_tickets.inbound_anymail"


def _from_post(field):
    def raw(event):
        post = getattr(event.esp_event, "POST", None)
        return post.get(field) if post is not None else None

    return raw


def _from_json(*path):
    def raw(event):
        found = event.esp_event
        for key in path:
            if not isinstance(found, dict):
                return None
            found = found.get(key)
        return found

    return raw


#: Where each provider's inbound event keeps the raw MIME, by anymail's ``esp_name``.
RAW_MIME = {
    "Mailgun": _from_post("body-mime"),
    "SendGrid": _from_post("email"),
    "Postmark": _from_json("RawEmail"),
    "Mandrill": _from_json("msg", "raw_msg"),
}


def raw_message(event, esp_name=None):
    """The bytes of the inbound ``event``'s message: the provider's raw MIME when anymail kept it."""
    getter = RAW_MIME.get(esp_name)
    raw = getter(event) if getter is not None else None
    if isinstance(raw, str) and raw.strip():
        # anymail parses these strings as UTF-8 (AnymailInboundMessage.parse_raw_mime) and so do we.
        return raw.encode("utf-8", "surrogateescape")
    if isinstance(raw, bytes) and raw.strip():
        return raw
    return event.message.as_bytes()


def receive_inbound(sender=None, event=None, esp_name=None, **kwargs):
    """Receiver of ``anymail.signals.inbound``: one inbound message into the helpdesk; returns the outcome."""
    if event is None or getattr(event, "message", None) is None:
        return None
    recipient = getattr(event.message, "envelope_recipient", None) or None
    return services.receive_email(raw_message(event, esp_name), recipient=recipient)
