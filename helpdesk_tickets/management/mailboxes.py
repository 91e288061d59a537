"""The IMAP mailboxes of ``INBOUND_MAILBOXES``: each entry checked, its connection opened, its errors told."""

import imaplib
import ssl
from dataclasses import dataclass

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxFolderSelectError, MailboxLoginError

from ..conf import SETTING_NAME
from ..conf import settings as app_settings

#: Hosts a mailbox may use without TLS ("security": "none"): the password never leaves the machine.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
KEYS = frozenset(
    {
        "name",
        "host",
        "port",
        "username",
        "password",
        "security",
        "folder",
        "processed_folder",
        "held_folder",
        "recipient",
        "verify",
        "cafile",
        "timeout",
    }
)
#: What a lost connection, a refused login or a misbehaving server raises (ssl.SSLError is an OSError).
NETWORK_ERRORS = (OSError, imaplib.IMAP4.error, ImapToolsError)


class MailboxConfigError(ValueError):
    """An entry of ``INBOUND_MAILBOXES`` cannot be used as written."""


@dataclass(frozen=True)
class MailboxSettings:
    """One entry of ``INBOUND_MAILBOXES``, checked and completed with its defaults."""

    name: str
    host: str
    port: int
    username: str
    password: str
    security: str = "ssl"
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    held_folder: str | None = None
    recipient: str | None = None
    verify: bool = True
    cafile: str | None = None
    timeout: float = 60

    @classmethod
    def from_setting(cls, entry, index):
        where = f"{SETTING_NAME}['INBOUND_MAILBOXES'][{index}]"
        if not isinstance(entry, dict):
            raise MailboxConfigError(f"{where} must be a dict.")
        unknown = sorted(set(entry) - KEYS)
        if unknown:
            raise MailboxConfigError(f"{where} has unknown keys {unknown}; the keys are {sorted(KEYS)}.")
        missing = [key for key in ("host", "username", "password") if not entry.get(key)]
        if missing:
            raise MailboxConfigError(f"{where} needs {', '.join(missing)}.")
        security = entry.get("security", "ssl")
        if security not in DEFAULT_PORTS:
            raise MailboxConfigError(f"{where}['security'] must be 'ssl', 'starttls' or 'none', not {security!r}.")
        host = str(entry["host"])
        if security == "none" and host.lower() not in LOCAL_HOSTS:
            raise MailboxConfigError(
                f"{where}: security 'none' would send the password to {host} in clear text; it is allowed only "
                "for 127.0.0.1 and localhost. Use 'ssl' (port 993) or 'starttls' (port 143)."
            )
        try:
            port = int(entry.get("port") or DEFAULT_PORTS[security])
            timeout = float(entry.get("timeout", 60))
        except (TypeError, ValueError) as exc:
            raise MailboxConfigError(f"{where}: 'port' and 'timeout' must be numbers ({exc}).") from None
        folder = entry.get("folder") or "INBOX"
        processed = entry.get("processed_folder") or "Processed"
        held = entry.get("held_folder") or None
        if folder in (processed, held):
            raise MailboxConfigError(f"{where}: 'processed_folder' and 'held_folder' must differ from 'folder'.")
        return cls(
            name=str(entry.get("name") or f"{entry['username']}@{host}"),
            host=host,
            port=port,
            username=str(entry["username"]),
            password=str(entry["password"]),
            security=security,
            folder=folder,
            processed_folder=processed,
            held_folder=held,
            recipient=entry.get("recipient") or None,
            verify=bool(entry.get("verify", True)),
            cafile=entry.get("cafile") or None,
            timeout=timeout,
        )

    def ssl_context(self):
        context = ssl.create_default_context(cafile=self.cafile)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def connect(self):
        """A logged-in imap-tools session, no folder selected yet."""
        if self.security == "ssl":
            client = MailBox(self.host, self.port, timeout=self.timeout, ssl_context=self.ssl_context())
        elif self.security == "starttls":
            client = MailBoxStartTls(self.host, self.port, timeout=self.timeout, ssl_context=self.ssl_context())
        else:
            client = MailBoxUnencrypted(self.host, self.port, timeout=self.timeout)
        try:
            client.login(self.username, self.password, initial_folder=None)
            # imaplib keeps the capabilities of the greeting; after login a server may offer
            # more (MOVE, IDLE), which decide how a message is moved and how we wait.
            status, data = client.client.capability()
            if status == "OK" and data and data[-1]:
                client.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
        except BaseException:
            _close(client)
            raise
        return client


def configured_mailboxes(names=None):
    """The :class:`MailboxSettings` of ``INBOUND_MAILBOXES``, or of those named; raises :class:`MailboxConfigError`."""
    entries = app_settings.INBOUND_MAILBOXES
    if not isinstance(entries, list | tuple):
        raise MailboxConfigError(f"{SETTING_NAME}['INBOUND_MAILBOXES'] must be a list of dicts.")
    boxes = [MailboxSettings.from_setting(entry, index) for index, entry in enumerate(entries)]
    seen = set()
    for box in boxes:
        if box.name in seen:
            raise MailboxConfigError(f"Two entries of {SETTING_NAME}['INBOUND_MAILBOXES'] are named {box.name!r}.")
        seen.add(box.name)
    if names:
        unknown = [name for name in names if name not in seen]
        if unknown:
            raise MailboxConfigError(
                f"No mailbox named {', '.join(map(repr, unknown))} in {SETTING_NAME}['INBOUND_MAILBOXES']; "
                f"the names are: {', '.join(sorted(seen)) or '(none)'}."
            )
        boxes = [box for box in boxes if box.name in names]
    return boxes


def describe(exc, box):
    """A one-line, human account of why ``box`` could not be read."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = " (for a private CA, set 'cafile')" if not box.cafile else f" (checked against {box.cafile})"
        return f"the TLS certificate of {box.host}:{box.port} is not trusted: {exc.verify_message}{hint}"
    if isinstance(exc, MailboxLoginError):
        return f"login refused for {box.username!r} on {box.host}:{box.port}: {_server_text(exc)}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {box.host}:{box.port} failed: {exc.reason or exc}"
    if isinstance(exc, OSError):
        return f"cannot reach {box.host}:{box.port}: {exc.strerror or exc}"
    if isinstance(exc, imaplib.IMAP4.abort):
        return f"lost the session with {box.host}:{box.port}: {exc}"
    if isinstance(exc, MailboxFolderSelectError):
        return f"cannot open the folder {box.folder!r} on {box.host}:{box.port}: {_server_text(exc)}"
    return f"{box.host}:{box.port}: {exc.__class__.__name__}: {exc}"


def _server_text(exc):
    data = getattr(exc, "command_result", (None, None))[1]
    if isinstance(data, list) and data and isinstance(data[0], bytes):
        return data[0].decode("utf-8", "replace")
    return str(exc)


def _close(client):
    """Log out, or at least drop the socket: a dead connection must not raise over the error that killed it."""
    try:
        client.logout()
    except Exception:  # the connection is going away either way
        try:
            client.client.shutdown()
        except Exception:  # nosec B110: the socket is dropped either way
            pass
