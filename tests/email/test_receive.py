"""receive_email: record first, then open, join, hold or ignore — SPEC §9.

The messages are built here with the standard library, one header at a time,
so each test shows exactly what the mail looked like.
"""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from helpdesk_tickets import mailaddress, services, users
from helpdesk_tickets.exceptions import InboundNotRecorded
from helpdesk_tickets.models import (
    BouncedAddress,
    Channel,
    InboundEmail,
    InboundStatus,
    Message,
    OutboundEmail,
    Status,
    ThreadMessageId,
    Ticket,
)
from tests.factories import PNG, DepartmentFactory, TicketTypeFactory, UserFactory, make_agent
from tests.paths import ROOT

pytestmark = pytest.mark.django_db

SUPPORT = "support@example.com"


@pytest.fixture(autouse=True)
def _reply_address(settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "REPLY_ADDRESS": "reply@example.com"}


@pytest.fixture
def support(db):
    department = DepartmentFactory(slug="technical-support", email="Support@Example.com")
    department.ticket_types.add(TicketTypeFactory(slug="question"))
    return department


@pytest.fixture
def sara(db):
    return UserFactory(username="sara", email="sara@example.net", first_name="Sara")


def mail(
    *,
    sender="Sara <sara@example.net>",
    to=SUPPORT,
    subject="Cannot log in to the panel",
    body="Since this morning the panel says my password is wrong.\n",
    headers=None,
    files=(),
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="mail.example.net")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for name, content, maintype, subtype in files:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def receive(message, **kwargs):
    return services.receive_email(message.as_bytes(), **kwargs)


def open_ticket(support, sara, **kwargs):
    outcome = receive(mail(**kwargs))
    assert outcome.line.startswith("created "), outcome.line
    return Ticket.objects.get(reference=outcome.line.split()[1])


# --------------------------------------------------------------------------
# a new mail opens a ticket


def test_a_mail_to_a_department_address_opens_a_ticket_there(support, sara):
    message = mail()
    outcome = receive(message)
    ticket = Ticket.objects.get()
    assert outcome.line == f"created {ticket.reference}"
    assert (ticket.department, ticket.requester, ticket.channel) == (support, sara, Channel.EMAIL)
    assert ticket.subject == "Cannot log in to the panel"
    first = ticket.messages.get()
    assert first.body == "Since this morning the panel says my password is wrong."
    record = InboundEmail.objects.get()
    assert (record.status, record.ticket, first.inbound_email) == (InboundStatus.CREATED, ticket, record)
    assert record.sender == "sara@example.net" and record.recipient == ""
    with record.raw.open("rb") as handle:
        assert handle.read() == message.as_bytes()


def test_the_envelope_recipient_decides_over_the_headers(support, sara):
    billing = DepartmentFactory(slug="billing", email="billing@example.com")
    billing.ticket_types.add(TicketTypeFactory())
    outcome = receive(mail(to="someone@example.org"), recipient="billing@example.com")
    assert outcome.ticket.department == billing


def test_an_unknown_sender_gets_a_customer_account_without_a_password(support):
    outcome = receive(mail(sender="Reza Karimi <Reza@Example.org>"))
    requester = outcome.ticket.requester
    assert users.email_address(requester) == "reza@example.org"
    assert not requester.has_usable_password()


@pytest.mark.parametrize(("policy", "line"), [("hold", "held: unknown sender"), ("reject", "ignored: unknown sender")])
def test_unknown_senders_can_be_held_or_rejected(settings, support, policy, line):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "INBOUND_UNKNOWN_SENDER": policy}
    assert receive(mail(sender="stranger@example.org")).line == line
    assert not Ticket.objects.exists() and users.by_email("stranger@example.org") is None


def test_mail_to_an_address_no_department_has_is_held_or_goes_to_the_default(settings, support, sara):
    assert receive(mail(to="info@example.com")).line == "held: no department receives mail for info@example.com"
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "INBOUND_DEFAULT_DEPARTMENT": "technical-support"}
    assert receive(mail(to="info@example.com", subject="Other")).ticket.department == support


def test_the_same_message_twice_is_a_duplicate_and_changes_nothing(support, sara):
    message = mail()
    first = receive(message)
    again = receive(message)
    assert again.line == "duplicate" and again.duplicate
    # Same Message-ID, other bytes (another Received: header on the way): still the same message.
    message["Received"] = "from relay.example.net by mx.example.com"
    assert receive(message).line == "duplicate"
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert first.ticket.messages.count() == 1


def test_a_second_mail_asking_the_same_is_not_a_second_ticket(support, sara):
    first = receive(mail())
    outcome = receive(mail())  # another Message-ID, same request
    assert outcome.line == f"ignored: duplicate of {first.ticket.reference}"
    assert Ticket.objects.count() == 1


def test_files_are_attached_and_refused_ones_named_in_an_internal_note(support, sara):
    outcome = receive(
        mail(files=[("screen.png", PNG, "image", "png"), ("setup.exe", b"MZ\x90\x00", "application", "octet-stream")])
    )
    ticket = outcome.ticket
    first = ticket.messages.order_by("pk").first()
    assert [a.original_name for a in first.attachments.all()] == ["screen.png"]
    note = ticket.messages.get(internal=True)
    assert note.author is None and "setup.exe" in note.body
    # The note changes nothing the customer sees.
    ticket.refresh_from_db()
    assert ticket.message_count == 1


# --------------------------------------------------------------------------
# follow-ups


def staff_reply(ticket, agent, text="Please try resetting it from the log-in page."):
    services.post_reply(ticket=ticket, actor=agent, body=text)
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CUSTOMER


def test_a_reply_to_our_message_id_joins_the_ticket_as_the_customer(support, sara):
    ticket = open_ticket(support, sara)
    agent = make_agent(support, username="ali")
    staff_reply(ticket, agent)
    ours = "notification-1@example.com"
    ThreadMessageId.objects.create(message_id=ours, ticket=ticket)
    outcome = receive(
        mail(
            subject="Re: Cannot log in to the panel",
            body="It worked, thank you.\n\nOn Monday, Support wrote:\n> Please try resetting it\n",
            headers={"In-Reply-To": f"<{ours}>", "References": f"<{ours}>"},
        )
    )
    assert outcome.line == f"appended {ticket.reference}"
    reply = ticket.messages.order_by("pk").last()
    assert (reply.author, reply.from_staff, reply.body) == (sara, False, "It worked, thank you.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_reply_to_the_signed_reply_address_joins_the_ticket(support, sara):
    ticket = open_ticket(support, sara)
    address = mailaddress.reply_address(ticket.reference)
    outcome = receive(mail(to=address, subject="More details", body="The error code is 0x17."))
    assert outcome.line == f"appended {ticket.reference}"


def test_a_forged_reply_address_is_held(support, sara):
    ticket = open_ticket(support, sara)
    forged = f"reply+{ticket.reference.lower()}.000000000000@example.com"
    outcome = receive(mail(to=forged, subject="Hello", body="Another question."))
    assert outcome.line == "held: unknown or forged reply address"
    assert ticket.messages.count() == 1


def test_the_subject_reference_is_believed_only_from_the_requester_or_staff(support, sara):
    ticket = open_ticket(support, sara)
    stranger = UserFactory(username="mallory", email="mallory@example.org")
    spoof = receive(mail(sender=users.email_address(stranger), subject=f"Re: [{ticket.reference}] refund me"))
    assert spoof.line == f"held: sender is not a participant of {ticket.reference}"
    assert ticket.messages.count() == 1
    genuine = receive(mail(subject=f"[{ticket.reference}] one more thing", body="I use Firefox."))
    assert genuine.line == f"appended {ticket.reference}"


def test_an_agent_answering_by_mail_is_a_public_staff_reply_and_the_first_response(support, sara):
    ticket = open_ticket(support, sara)
    agent = make_agent(support, username="ali", email="ali@example.com")
    outcome = receive(
        mail(sender="ali@example.com", to=mailaddress.reply_address(ticket.reference), body="Fixed on our side.")
    )
    assert outcome.line == f"appended {ticket.reference}"
    ticket.refresh_from_db()
    reply = ticket.messages.order_by("pk").last()
    assert (reply.author, reply.from_staff, reply.internal) == (agent, True, False)
    assert ticket.first_response_at is not None and ticket.status == Status.AWAITING_CUSTOMER


def test_a_mail_about_a_closed_ticket_opens_a_follow_up(support, sara):
    ticket = open_ticket(support, sara)
    services.close(ticket, actor=sara)
    outcome = receive(mail(to=mailaddress.reply_address(ticket.reference), subject="Re: it is back", body="Again!"))
    follow_up = outcome.ticket
    assert outcome.line == f"created {follow_up.reference}" and follow_up != ticket
    assert ticket.reference in follow_up.messages.get(internal=True).body


# --------------------------------------------------------------------------
# machines


def test_an_out_of_office_answer_changes_nothing(support, sara):
    ticket = open_ticket(support, sara)
    agent = make_agent(support, username="ali")
    staff_reply(ticket, agent)
    ThreadMessageId.objects.create(message_id="note-2@example.com", ticket=ticket)
    outboxed = OutboundEmail.objects.count()
    before = Ticket.objects.values().get(pk=ticket.pk)
    outcome = receive(
        mail(
            subject="Automatic reply: Cannot log in",
            body="I am out of the office until Sunday.",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<note-2@example.com>"},
        )
    )
    assert outcome.line == "ignored: auto-reply"
    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert OutboundEmail.objects.count() == outboxed


def test_mail_from_our_own_address_is_a_loop(support, settings):
    settings.DEFAULT_FROM_EMAIL = "helpdesk@example.com"
    assert receive(mail(sender="helpdesk@example.com")).line == "ignored: loop"
    assert receive(mail(sender=SUPPORT, subject="x")).line == "ignored: loop"
    assert not Ticket.objects.exists()


def test_a_bounce_of_our_mail_marks_the_address(support, sara):
    ticket = open_ticket(support, sara)
    OutboundEmail.objects.create(
        kind="staff_replied", ticket=ticket, to_address="gone@example.org", message_id_header="ours-9@example.com"
    )
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.example.org"
    bounce["To"] = "reply@example.com"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="mx.example.org")
    bounce.set_content("The mail system: <gone@example.org>: user unknown\n")
    bounce.add_attachment(
        b"Message-ID: <ours-9@example.com>\nTo: gone@example.org\n",
        maintype="text",
        subtype="rfc822-headers",
    )
    outcome = services.receive_email(bounce.as_bytes())
    assert outcome.line == "ignored: bounce"
    assert BouncedAddress.objects.filter(address="gone@example.org").exists()


# --------------------------------------------------------------------------
# nothing is lost


def test_when_nothing_can_be_recorded_the_sender_is_told_to_retry(support, sara, monkeypatch):
    def broken(self, name, content, max_length=None):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "save", broken)
    with pytest.raises(InboundNotRecorded):
        receive(mail())
    assert not InboundEmail.objects.exists()


def test_a_run_that_failed_is_processed_again_when_the_mail_comes_again(support, sara, monkeypatch):
    from helpdesk_tickets.services import email_in

    message = mail()
    real = email_in._decide
    monkeypatch.setattr(email_in, "_decide", lambda *args: 1 / 0)
    assert receive(message).line == "held: processing failed"
    monkeypatch.setattr(email_in, "_decide", real)
    again = receive(message)
    assert again.line.startswith("created ")
    assert InboundEmail.objects.get().attempts == 2


def test_a_crashed_run_is_picked_up_by_housekeeping(support, sara):
    from helpdesk_tickets.services import email_in

    record, fresh = email_in._record(mail().as_bytes(), None)  # recorded, then the process died
    assert fresh and not Ticket.objects.exists()
    # Not while the run that recorded it may still be at work …
    assert services.retry_stale_inbound() == 0
    # … but once INBOUND_RETRY_AFTER (10 minutes) has passed.
    InboundEmail.objects.filter(pk=record.pk).update(processing_started_at=timezone.now() - timedelta(minutes=11))
    assert services.retry_stale_inbound() == 1
    record.refresh_from_db()
    assert record.status == InboundStatus.CREATED and Ticket.objects.count() == 1


def test_a_held_mail_can_be_processed_again_after_the_fix(support, sara):
    outcome = receive(mail(to="help@example.com"))
    assert outcome.line.startswith("held: no department")
    support.email = "help@example.com"
    support.save()
    assert services.process_inbound_again(outcome.inbound).line.startswith("created ")


# --------------------------------------------------------------------------
# staff see the whole e-mail


def test_staff_see_the_untrimmed_mail_and_customers_do_not(client, support, sara):
    outcome = receive(mail(body="Here is my answer.\n\nOn Monday, Support wrote:\n> the old text\n"))
    ticket = outcome.ticket
    agent = make_agent(support, username="ali")
    client.force_login(agent)
    page = client.get(ticket.get_staff_url())
    url = f"{ticket.get_staff_url()}emails/{outcome.inbound.pk}/"
    assert url in page.content.decode()
    shown = client.get(url)
    assert shown.status_code == 200 and "the old text" in shown.content.decode()
    raw = client.get(url + "raw/")
    assert raw["Content-Type"] == "message/rfc822" and raw["X-Content-Type-Options"] == "nosniff"
    assert b"the old text" in b"".join(raw.streaming_content)
    client.force_login(sara)
    assert client.get(url).status_code == 404


def test_a_message_shows_which_mail_it_came_in(support, sara):
    outcome = receive(mail())
    assert Message.objects.get(ticket=outcome.ticket).inbound_email == outcome.inbound


def test_a_delay_report_marks_nothing(support, sara):
    ticket = open_ticket(support, sara)
    OutboundEmail.objects.create(
        kind="staff_replied",
        ticket=ticket,
        to_address="slow.server@example.org",
        message_id_header="6a5b4c3d2e1f4a0b9c8d7e6f5a4b3c2d@example.com",
    )
    raw = (ROOT / "tests" / "email" / "corpus" / "postfix_delay_dsn.eml").read_bytes()
    assert services.receive_email(raw).line == "ignored: bounce"
    assert not BouncedAddress.objects.exists()


CORPUS = sorted((ROOT / "tests" / "email" / "corpus").glob("*.eml"))
OUTCOME = r"^(created HD-[A-Z0-9]{8}|appended HD-[A-Z0-9]{8}|duplicate|held: .+|ignored: .+)$"


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_every_sample_mail_gets_one_of_the_outcomes_and_machines_open_nothing(settings, support, path):
    import re

    from helpdesk_tickets import mailparse
    from helpdesk_tickets.models import MailKind

    settings.DEFAULT_FROM_EMAIL = "helpdesk@example.com"
    DepartmentFactory(slug="billing", email="billing@example.com").ticket_types.add(TicketTypeFactory())
    raw = path.read_bytes()
    outcome = services.receive_email(raw)
    assert re.match(OUTCOME, outcome.line), outcome.line
    if mailparse.parse(raw).kind != MailKind.HUMAN:
        assert outcome.line.startswith("ignored: ") and not Ticket.objects.exists()
    assert services.receive_email(raw).line == "duplicate"


REPLIES = [
    path
    for path in CORPUS
    if b"reply+hd-" in path.read_bytes().lower()
    and not path.stem.startswith(("loop", "postfix", "exchange", "gmail_mailer", "exim", "auto", "outlook_out"))
]


@pytest.mark.parametrize("path", REPLIES, ids=[path.stem for path in REPLIES])
def test_a_customer_reply_from_any_mail_client_lands_in_its_ticket(settings, support, path):
    """The corpus replies, addressed to a real ticket of their sender with a valid signed tag."""
    import re

    from helpdesk_tickets import mailparse

    settings.DEFAULT_FROM_EMAIL = "helpdesk@example.com"
    raw = path.read_bytes()
    parsed = mailparse.parse(raw)
    if parsed.kind != mailparse.MailKind.HUMAN:
        pytest.skip("not a person's reply")
    requester = UserFactory(username=parsed.sender.split("@")[0][:30], email=parsed.sender)
    ticket = services.create_ticket(
        requester=requester,
        department=support,
        ticket_type=support.ticket_types.get(),
        subject="The panel",
        description="The first message.",
    )
    tag = re.compile(rb"reply\+hd-[a-z0-9]{8}\.[a-z0-9]{12}@example\.com", re.I)
    signed = mailaddress.reply_address(ticket.reference).encode()
    outcome = services.receive_email(tag.sub(signed, raw))
    assert outcome.line == f"appended {ticket.reference}"
    reply = ticket.messages.order_by("pk").last()
    assert reply.author == requester and not reply.from_staff
    assert mailparse.REPLY_MARKER not in reply.body
    if "inline_answers" not in path.stem:  # answers between the questions keep the questions they answer
        assert "\n> " not in f"\n{reply.body}"


def test_a_reply_about_a_merged_ticket_lands_in_the_ticket_it_was_merged_into(support, sara):
    first = open_ticket(support, sara)
    second = open_ticket(support, sara, subject="Still cannot log in", body="Same as before, from my phone.")
    agent = make_agent(support, username="ali")
    services.merge_tickets(second, first, actor=agent)
    outcome = receive(mail(to=mailaddress.reply_address(second.reference), subject="Re: phone", body="Any news?"))
    assert outcome.line == f"appended {first.reference}"
