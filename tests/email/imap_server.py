"""A real IMAP server for the fetchmail tests: Dovecot with a config of its own in a temp dir.

:func:`running` writes a ``dovecot.conf`` that includes nothing of the
system's (no ``/etc/dovecot``), generates a private CA and a server
certificate for 127.0.0.1/localhost with the openssl CLI, starts
``dovecot -F -c <conf>`` as a child listening on 127.0.0.1 only, and stops
that child by its PID at the end.

Two listeners: implicit TLS (the "ssl" port) and a plain port that offers
STARTTLS. ``ssl = required``: no password crosses a connection without TLS
(Dovecot counts a connection from 127.0.0.1 as secured, so the plain port
still serves the "none" security the fetchmail command allows for localhost).

Running as root (CI): Dovecot refuses to run its login processes as root, so
the defaults stay (``dovecot`` / ``dovenull``, created by the Debian package)
and the mail is owned by ``nobody``; the temp dir is world-readable so those
users can reach the sockets and the passwd-file. As any other user, every
process and the mail run as that user.

Each test takes a fresh account (:meth:`Dovecot.new_account`; the passwd-file
lists :data:`ACCOUNTS` of them from the start, since Dovecot notices a changed
passwd-file only a second later), so no test sees another's mail and nothing
needs cleaning up.
"""

import contextlib
import grp
import itertools
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = os.environ.get("HELPDESK_DOVECOT", "/usr/sbin/dovecot")
HOST = "127.0.0.1"
PASSWORD = "imap-test-password"
ACCOUNTS = 50


def available():
    return Path(DOVECOT).exists() and shutil.which("openssl") is not None


def _free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory):
    """A CA, a server certificate it signed (127.0.0.1 and localhost) and a second, unrelated CA."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "other-ca"):
        _openssl(
            "req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", f"/CN=helpdesk_tickets test {name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=directory,
        )  # fmt: skip
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=directory)
    (directory / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        cwd=directory,
    )  # fmt: skip


CONFIG = """\
# Written by tests/email/imap_server.py; nothing of /etc/dovecot is read.
base_dir = {root}/run
state_dir = {root}/state
instance_name = helpdesk-tickets-tests
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = required
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
{users}
first_valid_uid = {uid}
auth_mechanisms = plain login
# A refused login (a test of the wrong password) must not slow the next tests down:
# no failure delay, and no auth penalty (the anvil socket it goes through is closed).
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
  default_fields = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    ssl_port: int
    plain_port: int
    process: subprocess.Popen
    host: str = HOST

    _accounts = itertools.count(1)

    @property
    def cafile(self):
        return str(self.root / "ca.pem")

    @property
    def other_cafile(self):
        return str(self.root / "other-ca.pem")

    def log(self):
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def new_account(self):
        """A fresh, empty account; returns its user name (the password is :data:`PASSWORD`)."""
        number = next(self._accounts)
        if number > ACCOUNTS:
            raise RuntimeError(f"the test Dovecot has only {ACCOUNTS} accounts: raise imap_server.ACCOUNTS")
        return f"desk{number}"

    def kick(self, username):
        """End every session of ``username`` from the server's side (``doveadm kick``)."""
        doveadm = str(Path(DOVECOT).parent.parent / "bin" / "doveadm")
        subprocess.run(
            [doveadm, "-c", str(self.root / "dovecot.conf"), "kick", username], check=True, capture_output=True
        )

    def mailbox_setting(self, username, **overrides):
        """One entry of ``INBOUND_MAILBOXES`` for ``username`` on this server (implicit TLS, our CA)."""
        setting = {
            "name": username,
            "host": self.host,
            "port": self.ssl_port,
            "username": username,
            "password": PASSWORD,
            "security": "ssl",
            "cafile": self.cafile,
        }
        setting.update(overrides)
        return setting

    @contextlib.contextmanager
    def client(self, username, folder="INBOX"):
        """An imap-tools session of ``username`` over implicit TLS, for the tests' own setup and checks."""
        from imap_tools import MailBox

        context = ssl.create_default_context(cafile=self.cafile)
        with MailBox(self.host, self.ssl_port, ssl_context=context, timeout=10).login(
            username, PASSWORD, initial_folder=folder
        ) as mailbox:
            yield mailbox

    def append(self, username, raw, folder="INBOX"):
        """Deliver ``raw`` into ``folder`` by IMAP APPEND; returns its UID."""
        with self.client(username) as mailbox:
            if not mailbox.folder.exists(folder):
                mailbox.folder.create(folder)
            status, data = mailbox.append(raw, folder)
            # "[APPENDUID <uidvalidity> <uid>] Append completed."
            return int(data[0].split(b"]")[0].split()[-1])

    def contents(self, username, folder="INBOX"):
        """``{uid: raw bytes}`` of ``folder`` (empty when the folder does not exist)."""
        with self.client(username, folder=None) as mailbox:
            if not mailbox.folder.exists(folder):
                return {}
            mailbox.folder.set(folder, readonly=True)
            found = {}
            for uid in mailbox.uids():
                status, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
                found[int(uid)] = next(item[1] for item in data if isinstance(item, tuple))
            return found


def _wait_for(dovecot, ports, timeout=15):
    deadline = time.monotonic() + timeout
    waiting = set(ports)
    while waiting:
        if dovecot.process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {dovecot.process.returncode}:\n{dovecot.log()}")
        for port in list(waiting):
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
                waiting.discard(port)
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"dovecot does not listen on {sorted(waiting)}:\n{dovecot.log()}")
        if waiting:
            time.sleep(0.05)


@contextlib.contextmanager
def running():
    """Start a private Dovecot for the duration of the block; yields a :class:`Dovecot`."""
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    try:
        # Dovecot's unprivileged processes (root in CI) read the passwd-file and sockets in here.
        root.chmod(0o755)
        make_certificates(root)
        (root / "passwd").write_text("".join(f"desk{n}:{{PLAIN}}{PASSWORD}::::::\n" for n in range(1, ACCOUNTS + 1)))
        (root / "passwd").chmod(0o644)
        (root / "mail").mkdir()
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            uid, gid = nobody.pw_uid, nobody.pw_gid
            os.chown(root / "mail", uid, gid)
            users = "# as root: the Debian package's dovecot and dovenull users run the services"
        else:
            uid, gid = os.getuid(), os.getgid()
            me, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
            users = f"default_internal_user = {me}\ndefault_internal_group = {group}\ndefault_login_user = {me}"
        ssl_port, plain_port = _free_port(), _free_port()
        (root / "dovecot.conf").write_text(
            CONFIG.format(root=root, host=HOST, users=users, uid=uid, gid=gid, ssl_port=ssl_port, plain_port=plain_port)
        )
        output = open(root / "stdout.log", "wb")  # closed after the process
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        server = Dovecot(root=root, ssl_port=ssl_port, plain_port=plain_port, process=process)
        try:
            _wait_for(server, (ssl_port, plain_port))
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            output.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
