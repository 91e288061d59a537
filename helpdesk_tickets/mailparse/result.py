"""What :func:`~helpdesk_tickets.mailparse.parse` returns, and the marks our own mail carries."""

from dataclasses import dataclass, field
from datetime import datetime

from ..choices import MailKind

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
