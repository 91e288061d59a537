"""``manage.py helpdesk_tickets_fetchmail`` against a real Dovecot — SPEC §9.

The server (``imap_server.py``) speaks TLS with a certificate of a private
CA made for the session; every test has an account of its own and delivers
its mail by IMAP APPEND. What a support team relies on: a mail becomes a
ticket and leaves the inbox only once it is recorded, a mail that could not
be recorded stays for the next pass, a mail seen twice is one ticket.

Skipped when Dovecot is not installed (``apt-get install dovecot-imapd``),
except in CI, where that is a failure.
"""

import hashlib
import imaplib
import io
import os
import signal
import socket
import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpdesk_tickets import services
from helpdesk_tickets.exceptions import InboundNotRecorded
from helpdesk_tickets.management.fetchmail import MailboxReader, MailboxSettings, configured_mailboxes
from helpdesk_tickets.models import InboundEmail, Ticket
from tests.email import imap_server
from tests.factories import DepartmentFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def dovecot():
    if not imap_server.available():
        reason = f"Dovecot is not installed ({imap_server.DOVECOT}; apt-get install dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: the IMAP tests must run in CI")
        pytest.skip(reason)
    with imap_server.running() as server:
        yield server


@pytest.fixture
def account(dovecot):
    return dovecot.new_account()


@pytest.fixture
def support(db):
    department = DepartmentFactory(slug="support", email="support@example.com")
    department.ticket_types.add(TicketTypeFactory(slug="question"))
    return department


@pytest.fixture
def mailboxes(settings):
    """``mailboxes(entry, …)`` sets ``INBOUND_MAILBOXES``."""

    def configure(*entries):
        settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "INBOUND_MAILBOXES": list(entries)}

    return configure


@pytest.fixture
def inbox(dovecot, account, mailboxes):
    """The account's mailbox configured as the only one, read over implicit TLS with the session's CA."""
    mailboxes(dovecot.mailbox_setting(account))
    return account


def mail(subject="The VPN drops every hour", message_id=True, sender="Nima <nima@example.org>"):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@example.com", subject
    if message_id:
        message["Message-ID"] = make_msgid(domain="mail.example.org")
    message.set_content("It disconnects at five past every hour.\nاز ساعت ۹ صبح قطع می‌شود.\n")
    return message.as_bytes()


def fetchmail(*args):
    """Run the command; (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("helpdesk_tickets_fetchmail", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


# -- a pass ------------------------------------------------------------------------------


def test_a_new_mail_opens_a_ticket_and_is_moved_to_processed(dovecot, inbox, support):
    uid = dovecot.append(inbox, mail())
    served = dovecot.contents(inbox)[uid]

    status, out, err = fetchmail("--once")

    ticket = Ticket.objects.get()
    assert (status, out, err) == (0, f"{inbox} {uid} created {ticket.reference}\n", "")
    assert ticket.department == support and ticket.subject == "The VPN drops every hour"
    assert dovecot.contents(inbox) == {}
    assert list(dovecot.contents(inbox, "Processed").values()) == [served]
    # The bytes recorded are the server's own, not a re-serialisation.
    assert InboundEmail.objects.get().sha256 == hashlib.sha256(served).hexdigest()


def test_the_same_message_appended_twice_is_one_ticket_and_both_are_moved(dovecot, inbox, support):
    # No Message-ID: only the bytes tell that it is the same mail, so they must be fetched unchanged.
    raw = mail(message_id=False)
    first, second = dovecot.append(inbox, raw), dovecot.append(inbox, raw)

    status, out, _err = fetchmail("--once")

    ticket = Ticket.objects.get()
    assert status == 0
    assert out.splitlines() == [f"{inbox} {first} created {ticket.reference}", f"{inbox} {second} duplicate"]
    assert dovecot.contents(inbox) == {} and len(dovecot.contents(inbox, "Processed")) == 2
    assert InboundEmail.objects.count() == 1


def test_a_mail_that_could_not_be_recorded_stays_in_the_inbox_for_the_next_pass(dovecot, inbox, support, monkeypatch):
    down, up = dovecot.append(inbox, mail("Database down")), dovecot.append(inbox, mail("Database up"))
    real = services.receive_email

    def flaky(raw, *, recipient=None):
        if b"Database down" in raw:
            raise InboundNotRecorded("could not connect to server")
        return real(raw, recipient=recipient)

    with monkeypatch.context() as patch:
        patch.setattr(services, "receive_email", flaky)
        status, out, err = fetchmail("--once")

    # The mailbox was read: the one that failed is reported, the other one went on.
    assert status == 0
    assert (
        err == f"{inbox} {down} error: not recorded (could not connect to server); left in 'INBOX' for the next pass\n"
    )
    assert out.startswith(f"{inbox} {up} created ")
    assert list(dovecot.contents(inbox)) == [down]

    status, out, err = fetchmail("--once")
    assert (status, err) == (0, "")
    assert out.startswith(f"{inbox} {down} created ")
    assert dovecot.contents(inbox) == {} and Ticket.objects.count() == 2


def test_a_held_mail_goes_to_the_held_folder_when_there_is_one(dovecot, account, mailboxes, db):
    # No department has support@example.com and there is no default department: held.
    mailboxes(dovecot.mailbox_setting(account, held_folder="Held"))
    uid = dovecot.append(account, mail())

    status, out, _err = fetchmail("--once")

    assert status == 0 and out.startswith(f"{account} {uid} held: ")
    assert dovecot.contents(account) == {} and dovecot.contents(account, "Processed") == {}
    assert len(dovecot.contents(account, "Held")) == 1


def test_the_configured_recipient_is_the_envelope_recipient(dovecot, account, mailboxes, db):
    billing = DepartmentFactory(slug="billing", email="billing@example.com")
    billing.ticket_types.add(TicketTypeFactory(slug="invoice"))
    # The mailbox of billing@ receives a mail addressed To: support@ (a Bcc, a forward …).
    mailboxes(dovecot.mailbox_setting(account, recipient="billing@example.com"))
    dovecot.append(account, mail())

    assert fetchmail("--once")[0] == 0
    assert Ticket.objects.get().department == billing


# -- TLS -------------------------------------------------------------------------------------


def test_starttls_and_plain_localhost_connections_read_the_mailbox_too(dovecot, account, mailboxes, support):
    starttls = dovecot.mailbox_setting(account, name="starttls", security="starttls", port=dovecot.plain_port)
    mailboxes(starttls)
    dovecot.append(account, mail("Over STARTTLS"))
    assert fetchmail("--once")[:2] == (0, f"starttls 1 created {Ticket.objects.get().reference}\n")

    mailboxes(dovecot.mailbox_setting(account, name="plain", security="none", port=dovecot.plain_port))
    dovecot.append(account, mail("Without TLS, on this machine only"))
    status, out, _err = fetchmail("--once")
    assert status == 0 and out.startswith("plain 2 created ")


def test_a_certificate_from_another_ca_is_refused_with_a_clear_error(dovecot, account, mailboxes, support):
    dovecot.append(account, mail())
    mailboxes(dovecot.mailbox_setting(account, cafile=dovecot.other_cafile))

    status, out, err = fetchmail("--once")

    assert (status, out) == (1, "")
    assert err.splitlines()[0] == (
        f"{account} error: the TLS certificate of 127.0.0.1:{dovecot.ssl_port} is not trusted: "
        f"unable to get local issuer certificate (checked against {dovecot.other_cafile})"
    )
    assert err.splitlines()[-1] == f"1 of 1 mailbox(es) could not be read: {account}"
    assert len(dovecot.contents(account)) == 1 and not Ticket.objects.exists()

    # The system's CAs do not know the private one either; the error says what to set.
    mailboxes({key: value for key, value in dovecot.mailbox_setting(account).items() if key != "cafile"})
    status, _out, err = fetchmail("--once")
    assert status == 1 and "is not trusted" in err and "(for a private CA, set 'cafile')" in err

    # "verify": False is the way round it the host must ask for in so many words.
    mailboxes(dovecot.mailbox_setting(account, cafile=dovecot.other_cafile, verify=False))
    status, out, _err = fetchmail("--once")
    assert status == 0 and out.startswith(f"{account} 1 created ")


def test_no_tls_is_refused_for_a_host_other_than_localhost(mailboxes, db):
    mailboxes({"host": "imap.example.com", "username": "support", "password": "secret", "security": "none"})

    status, _out, err = fetchmail("--once")

    assert status == 2
    assert "security 'none' would send the password to imap.example.com in clear text" in err


# -- UIDVALIDITY -------------------------------------------------------------------------


def test_a_recorded_mail_whose_move_failed_is_moved_on_the_next_pass_without_a_second_receive(
    dovecot, account, mailboxes, support, monkeypatch
):
    mailboxes(dovecot.mailbox_setting(account))
    uid = dovecot.append(account, mail())
    calls = []
    real = services.receive_email
    monkeypatch.setattr(services, "receive_email", lambda raw, **kw: calls.append(raw) or real(raw, **kw))

    with monkeypatch.context() as patch:
        patch.setattr(MailboxReader, "_move", staticmethod(_connection_lost))
        status, _out, err = fetchmail("--once")
    assert status == 1 and "connection lost" in err
    assert list(dovecot.contents(account)) == [uid] and Ticket.objects.count() == 1

    status, out, _err = fetchmail("--once")
    assert (status, out) == (0, f"{account} {uid} duplicate\n")
    assert len(calls) == 1 and dovecot.contents(account) == {}


def test_a_held_mail_whose_move_failed_still_goes_to_the_held_folder(dovecot, account, mailboxes, db, monkeypatch):
    mailboxes(dovecot.mailbox_setting(account, held_folder="Held"))
    uid = dovecot.append(account, mail())  # no department has the address: held
    with monkeypatch.context() as patch:
        patch.setattr(MailboxReader, "_move", staticmethod(_connection_lost))
        assert fetchmail("--once")[0] == 1

    assert fetchmail("--once")[:2] == (0, f"{account} {uid} duplicate\n")
    assert len(dovecot.contents(account, "Held")) == 1 and dovecot.contents(account, "Processed") == {}


def test_a_new_uidvalidity_drops_the_remembered_uids(dovecot, account, mailboxes, support, monkeypatch):
    mailboxes(dovecot.mailbox_setting(account, folder="Support"))
    first = dovecot.append(account, mail("First mail"), folder="Support")
    with monkeypatch.context() as patch:
        patch.setattr(MailboxReader, "_move", staticmethod(_connection_lost))
        assert fetchmail("--once")[0] == 1  # recorded, not moved: its UID is remembered

    # The folder is re-created (a restore, a migration): a new UIDVALIDITY, and UIDs start again.
    with dovecot.client(account, folder=None) as client:
        before = client.folder.status("Support")["UIDVALIDITY"]
        client.folder.delete("Support")
        client.folder.create("Support")
        assert client.folder.status("Support")["UIDVALIDITY"] != before
    second = dovecot.append(account, mail("Second mail"), folder="Support")
    assert second == first  # the same number, another message

    status, out, _err = fetchmail("--once", "--verbosity", "2")

    # Received and processed, not taken for the remembered one and moved unread.
    assert status == 0
    assert out.splitlines()[0].startswith(f"{account}: UIDVALIDITY of 'Support' is ")
    assert out.splitlines()[1] == f"{account} {second} created {Ticket.objects.get(subject='Second mail').reference}"
    assert dovecot.contents(account, "Support") == {}


def _connection_lost(client, uid, folder):
    raise imaplib.IMAP4.abort("socket error: connection lost")


# -- --once and its exit status -------------------------------------------------------------


def test_once_exits_1_when_a_mailbox_cannot_be_read_and_reads_the_others(dovecot, inbox, mailboxes, support):
    dovecot.append(inbox, mail())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    mailboxes(
        dovecot.mailbox_setting(inbox, name="support"),
        dovecot.mailbox_setting(inbox, name="wrong-password", password="not-the-password"),
        dovecot.mailbox_setting(inbox, name="down", port=closed_port),
    )

    status, out, err = fetchmail("--once")

    assert status == 1
    assert out.startswith("support 1 created ")
    lines = err.splitlines()
    assert lines[0].startswith(f"wrong-password error: login refused for {inbox!r} on 127.0.0.1:")
    assert lines[1] == f"down error: cannot reach 127.0.0.1:{closed_port}: Connection refused"
    assert lines[2] == "2 of 3 mailbox(es) could not be read: wrong-password, down"


def test_once_reads_only_the_mailbox_named(dovecot, account, mailboxes, support):
    other = dovecot.new_account()
    mailboxes(dovecot.mailbox_setting(account, name="support"), dovecot.mailbox_setting(other, name="sales"))
    dovecot.append(account, mail("For support"))
    dovecot.append(other, mail("For sales"))

    status, out, _err = fetchmail("--once", "--mailbox", "sales", "--verbosity", "0")

    assert (status, out) == (0, "")  # verbosity 0: nothing but errors
    assert Ticket.objects.get().subject == "For sales"
    assert len(dovecot.contents(account)) == 1


def test_a_folder_that_does_not_exist_is_a_mailbox_that_cannot_be_read(dovecot, account, mailboxes, db):
    mailboxes(dovecot.mailbox_setting(account, folder="Support"))

    status, _out, err = fetchmail("--once")

    assert status == 1
    assert err.splitlines()[0].startswith(f"{account} error: cannot open the folder 'Support' on 127.0.0.1:")


def test_bad_configuration_exits_2(mailboxes, db):
    mailboxes()
    assert fetchmail("--once")[0] == 2

    mailboxes({"host": "imap.example.com", "username": "support", "password": "secret", "name": "support"})
    status, _out, err = fetchmail("--once", "--mailbox", "billing")
    assert status == 2 and "No mailbox named 'billing'" in err and "the names are: support" in err

    mailboxes({"host": "imap.example.com", "username": "support", "password": "secret", "proccessed_folder": "Done"})
    status, _out, err = fetchmail("--once")
    assert status == 2 and "unknown keys ['proccessed_folder']" in err


def test_defaults_of_a_mailbox_entry(mailboxes, db):
    mailboxes({"host": "imap.example.com", "username": "support@example.com", "password": "secret"})
    (box,) = configured_mailboxes()
    assert (box.name, box.port, box.security, box.folder, box.processed_folder, box.held_folder, box.verify) == (
        "support@example.com@imap.example.com",
        993,
        "ssl",
        "INBOX",
        "Processed",
        None,
        True,
    )
    mailboxes({"host": "imap.example.com", "username": "u", "password": "p", "security": "starttls"})
    assert configured_mailboxes()[0].port == 143


# -- running on: IDLE, signals, reconnection ------------------------------------------------


class Collect:
    """A reader's report, kept for the test."""

    def __init__(self):
        self.messages, self.notes, self.errors = [], [], []

    def message(self, box, uid, line):
        self.messages.append(f"{box.name} {uid} {line}")

    def note(self, text):
        self.notes.append(text)

    def error(self, text):
        self.errors.append(text)


class SignalNotTaken(BaseException):
    """A BaseException, so that no retry loop takes it for a network error."""


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [1, 2], ids=["one mailbox", "two mailboxes"])
def test_running_on_it_receives_new_mail_at_once_through_idle_and_stops_on_sigterm(dovecot, mailboxes, support, count):
    accounts = [dovecot.new_account() for _ in range(count)]
    mailboxes(*(dovecot.mailbox_setting(account) for account in accounts))
    result = {}

    def deliver_then_stop():
        try:
            time.sleep(0.5)  # the command is connected and waiting in IDLE by now
            for account in accounts:
                dovecot.append(account, mail(f"For {account}", sender=f"{account}@example.org"))
            result["moved"] = wait_until(lambda: all(dovecot.contents(a, "Processed") for a in accounts))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    def not_taken(signum, frame):
        # Reached only if the command did not take SIGTERM itself: fail rather than hang or end the run.
        raise SignalNotTaken("SIGTERM reached the test, not the command")

    previous = signal.signal(signal.SIGTERM, not_taken)
    try:
        helper = threading.Thread(target=deliver_then_stop)
        started = time.monotonic()
        helper.start()
        # Polling every 30 s would not be in time: only IDLE can make the helper see the mail moved.
        status, out, err = fetchmail("--interval", "30")
        helper.join()
        # The command put back the handler it found.
        assert signal.getsignal(signal.SIGTERM) is not_taken
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert result["moved"] and status == 0, err
    assert sorted(line.split(" created ")[0] for line in out.splitlines()) == sorted(f"{a} 1" for a in accounts)
    assert Ticket.objects.count() == count
    assert time.monotonic() - started < 10


def test_a_lost_server_is_retried_with_growing_pauses_until_stopped(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = MailboxSettings.from_setting(
        {"host": "127.0.0.1", "port": port, "username": "u", "password": "p", "name": "lost"}, 0
    )
    report = Collect()
    errors = report.errors
    reader = MailboxReader(box, report)
    reader.backoff = 0.05
    thread = threading.Thread(target=reader.run_forever, args=(60,))
    thread.start()
    try:
        assert wait_until(lambda: len(errors) >= 3)
    finally:
        reader.stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert errors[:3] == [
        f"lost error: cannot reach 127.0.0.1:{port}: Connection refused; trying again in {pause}s"
        for pause in ("0.05", "0.1", "0.2")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_session_the_server_ends_is_opened_again_at_once_not_after_the_interval(dovecot, account, support):
    box = MailboxSettings.from_setting(dovecot.mailbox_setting(account), 0)
    report = Collect()
    reader = MailboxReader(box, report)
    reader.backoff = 0.05
    thread = threading.Thread(target=reader.run_forever, args=(30,))
    thread.start()
    try:
        connected = lambda: [note for note in report.notes if note.endswith("connected, IDLE")]  # noqa: E731
        assert wait_until(lambda: len(connected()) == 1)
        dovecot.kick(account)  # a server restart, an idle timeout, a load balancer …
        assert wait_until(lambda: len(connected()) == 2, timeout=5), report.errors
        dovecot.append(account, mail())
        assert wait_until(lambda: report.messages, timeout=5)
    finally:
        reader.stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert report.errors[0].startswith(f"{account} error: lost the session with 127.0.0.1:{dovecot.ssl_port}: ")
    assert report.errors[0].endswith("; trying again in 0.05s")
    assert report.messages == [f"{account} 1 created {Ticket.objects.get().reference}"]
