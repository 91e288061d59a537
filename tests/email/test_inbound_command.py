"""``manage.py helpdesk_tickets_inbound``: the mail server's pipe — SPEC §9.

What the mail server relies on is the exit status: 0 when the message was
recorded (never bounce it), 75 when nothing could be recorded (keep it and
try again), 65 for empty input. The last tests run the command as the mail
server does, in a process of its own with the message on standard input.
"""

import io
import os
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command

from helpdesk_tickets import services
from helpdesk_tickets.exceptions import InboundNotRecorded
from helpdesk_tickets.models import InboundEmail, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory
from tests.paths import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(db):
    department = DepartmentFactory(slug="billing", email="billing@example.com")
    department.ticket_types.add(TicketTypeFactory(slug="invoice"))
    return department


def mail(to="billing@example.com", subject="Invoice 1042 charged twice", sender="Reza <reza@example.org>"):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    message.set_content("My card was charged twice for invoice 1042.\nبا تشکر، رضا\n")
    return message.as_bytes()


def inbound(*args, stdin=b""):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("helpdesk_tickets_inbound", *args, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_mail_on_standard_input_opens_a_ticket_and_prints_one_line(billing):
    UserFactory(username="reza", email="reza@example.org")

    status, out, err = inbound(stdin=mail())

    ticket = Ticket.objects.get()
    assert (status, out, err) == (0, f"created {ticket.reference}\n", "")
    assert ticket.department == billing and ticket.subject == "Invoice 1042 charged twice"


def test_the_same_mail_piped_twice_answers_duplicate_and_changes_nothing(billing):
    raw = mail()
    assert inbound(stdin=raw)[1].startswith("created ")

    assert inbound(stdin=raw) == (0, "duplicate\n", "")
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_the_envelope_recipient_decides_the_department(billing, tmp_path):
    # Sent to a list address the helpdesk does not know; the MTA knows it was for billing@.
    path = tmp_path / "message.eml"
    path.write_bytes(mail(to="everyone@example.com"))

    status, out, _err = inbound("--recipient", "Billing@Example.com", str(path))

    assert status == 0 and out.startswith("created ")
    record = InboundEmail.objects.get()
    assert record.recipient == "billing@example.com" and record.ticket.department == billing


def test_a_held_or_ignored_mail_still_exits_0_so_the_server_does_not_bounce_it(db):
    # No department has the address and there is no default department: held for staff.
    status, out, _err = inbound(stdin=mail(to="nobody-here@example.com"))
    assert status == 0 and out.startswith("held: ")

    auto_reply = mail().replace(b"Subject:", b"Auto-Submitted: auto-replied\nSubject:", 1)
    status, out, _err = inbound(stdin=auto_reply)
    assert (status, out) == (0, "ignored: auto-reply\n")
    assert InboundEmail.objects.count() == 2


def test_empty_input_exits_65_with_a_clear_message(db):
    status, out, err = inbound(stdin=b"\r\n \n")

    assert (status, out) == (65, "")
    assert err == "error: the input is empty: no message to receive\n"
    assert not InboundEmail.objects.exists()


def test_an_unreadable_file_exits_66(db, tmp_path):
    status, _out, err = inbound(str(tmp_path / "missing.eml"))

    assert status == 66 and err.startswith("error: cannot read ") and "missing.eml" in err


def test_storage_down_exits_75_so_the_server_retries_and_the_retry_is_received(billing, monkeypatch):
    raw = mail()

    def broken(self, name, content, max_length=None):
        raise OSError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(FileSystemStorage, "save", broken)
        status, out, err = inbound(stdin=raw)
    assert (status, out) == (75, "")
    assert err.startswith("error: not recorded, try again later: ") and "No space left on device" in err
    assert not InboundEmail.objects.exists()

    # The mail server delivers it again once the disk has room.
    status, out, _err = inbound(stdin=raw)
    assert status == 0 and out == f"created {Ticket.objects.get().reference}\n"


def test_any_failure_before_recording_exits_75(db, monkeypatch):
    def database_gone(raw, *, recipient=None):
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "receive_email", database_gone)

    status, out, err = inbound(stdin=mail())

    assert (status, out) == (75, "")
    assert err == "error: not recorded, try again later: RuntimeError: server closed the connection unexpectedly\n"


def test_inbound_not_recorded_exits_75(db, monkeypatch):
    def refuse(raw, *, recipient=None):
        raise InboundNotRecorded("database is locked")

    monkeypatch.setattr(services, "receive_email", refuse)

    assert inbound(stdin=mail()) == (75, "", "error: not recorded, try again later: database is locked\n")


# -- as the mail server runs it --------------------------------------------------------


def manage(*args, env, stdin=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "example_project" / "manage.py"), *args],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.fixture
def site_env(tmp_path):
    """The example project on a database and media folder of its own (not the test database)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_CACHE_DIR": str(tmp_path / "cache"),
        "HELPDESK_TASKS": "immediate",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def test_piped_by_the_mail_server_a_process_of_its_own(site_env):
    migrated = manage("migrate", "--verbosity", "0", env=site_env)
    assert migrated.returncode == 0, migrated.stderr.decode()
    setup = manage(
        "shell",
        "-c",
        "from helpdesk_tickets.models import Department, TicketType;"
        "d = Department.objects.create(name='Billing', slug='billing', email='billing@example.com');"
        "d.ticket_types.add(TicketType.objects.create(name='Invoice', slug='invoice'))",
        env=site_env,
    )
    assert setup.returncode == 0, setup.stderr.decode()
    raw = mail()

    first = manage("helpdesk_tickets_inbound", "--recipient", "billing@example.com", env=site_env, stdin=raw)
    again = manage("helpdesk_tickets_inbound", env=site_env, stdin=raw)

    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout.decode().startswith("created HD-") and first.stdout.decode().count("\n") == 1
    assert (again.returncode, again.stdout) == (0, b"duplicate\n")


def test_piped_while_the_database_is_unreachable_exits_75(site_env, tmp_path):
    # SQLite cannot open a database in a folder that does not exist: as good as a server that is down.
    site_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'gone' / 'site.sqlite3'}"

    result = manage("helpdesk_tickets_inbound", env=site_env, stdin=mail())

    assert result.returncode == 75, result.stderr.decode()
    assert result.stdout == b""
    assert result.stderr.decode().splitlines()[-1].startswith("error: not recorded, try again later: ")
