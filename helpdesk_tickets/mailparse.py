# TEMPORARY STUB (not committed)
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import parseaddr

from . import mailaddress
from .choices import MailKind

REPLY_MARKER = "—— Reply above this line · لطفاً بالای این خط پاسخ دهید ——"


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list = field(default_factory=list)
    references: list = field(default_factory=list)
    sender: str = ""
    sender_name: str = ""
    reply_to: str = ""
    to: list = field(default_factory=list)
    cc: list = field(default_factory=list)
    delivered_to: list = field(default_factory=list)
    subject: str = ""
    date: object = None
    kind: str = MailKind.HUMAN
    kind_reason: str = ""
    text: str = ""
    full_text: str = ""
    attachments: list = field(default_factory=list)
    bounced_message_ids: list = field(default_factory=list)
    bounced_recipients: list = field(default_factory=list)
    bounce_status: str = ""
    language: str = ""


def trim_quoted(text):
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^On .* wrote:$", line.strip()):
            return "\n".join(lines[:i]).strip() or text
    return text


def parse(raw):
    m = message_from_bytes(raw, policy=policy.default)
    p = ParsedEmail()
    p.message_id = mailaddress.normalise_message_id(str(m.get("Message-ID", "")))
    p.in_reply_to = mailaddress.message_ids(str(m.get("In-Reply-To", "")))
    p.references = mailaddress.message_ids(str(m.get("References", "")))
    name, addr = parseaddr(str(m.get("From", "")))
    p.sender, p.sender_name = addr.lower(), name
    p.to = mailaddress.addresses(str(m.get("To", "")))
    p.cc = mailaddress.addresses(str(m.get("Cc", "")))
    p.subject = " ".join(str(m.get("Subject", "")).split())
    body = m.get_body(preferencelist=("plain", "html"))
    p.full_text = body.get_content().strip() if body else ""
    p.text = trim_quoted(p.full_text).strip()
    if addr.lower() in (mailaddress.normalise(mailaddress.from_address()),):
        p.kind = MailKind.LOOP
    elif m.get_content_type() == "multipart/report" or addr.lower().startswith("mailer-daemon"):
        p.kind = MailKind.BOUNCE
        for part in m.walk():
            if part.get_content_type() == "text/rfc822-headers":
                content = part.get_content()
                if isinstance(content, bytes):
                    content = content.decode()
                p.bounced_message_ids = mailaddress.message_ids(*re.findall(r"Message-ID: (.*)", str(content)))
    elif m.get("Auto-Submitted", "no").lower() != "no":
        p.kind = MailKind.AUTO_REPLY
    for part in m.iter_attachments():
        if part.get_content_type() == "text/rfc822-headers":
            continue
        p.attachments.append(
            MailAttachment(part.get_filename() or "file", part.get_content_type(), part.get_payload(decode=True))
        )
    p.language = "fa" if re.search("[\u0600-\u06ff]", p.text) else "en"
    return p
