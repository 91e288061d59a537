"""E-mail notifications: who hears what, in which language, with which headers, and only after commit.

Delivered here by the tests' immediate task backend to Django's locmem
backend (``mail.outbox``); ``test_outbox.py`` delivers to a real SMTP server
through a real worker.
"""

import re

import pytest
from django.core import mail
from django.db import transaction

from helpdesk_tickets import mailaddress, notifications, services, users
from helpdesk_tickets.models import Channel, InboundEmail, OutboundEmail, Status, ThreadMessageId, Ticket
from tests.factories import DepartmentFactory, UserFactory, make_agent, make_supervisor, make_ticket

pytestmark = pytest.mark.django_db

PERSIAN = re.compile(r"[\u0600-\u06ff]")
SITE = "https://support.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "SITE_URL": SITE + "/"}


@pytest.fixture
def dept():
    return DepartmentFactory(name="Technical support", translations={"fa": {"name": "پشتیبانی فنی"}})


@pytest.fixture
def agents(dept):
    return make_agent(dept, username="agent1", first_name="Reza"), make_agent(dept, username="agent2")


@pytest.fixture
def outsider():
    """An agent of another department: never told about this department's tickets."""
    return make_agent(DepartmentFactory(), username="outsider")


@pytest.fixture
def customer():
    return UserFactory(username="cust", first_name="Sara")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (the delivery task) that the test's own transaction would otherwise hold back."""

    def run(operation):
        with django_capture_on_commit_callbacks(execute=True):
            return operation()

    return run


@pytest.fixture
def settle(run_on_commit):
    """Set a scene: run ``operation`` with its e-mails delivered, then forget them (each run also sends what is due)."""

    def run(operation):
        result = run_on_commit(operation)
        mail.outbox.clear()
        return result

    return run


def addressees(kind=None):
    return sorted(address for m in mail.outbox for address in m.to if kind is None or kind_of(m) == kind)


def kind_of(message):
    """The notification an e-mail is, read back from its outbox row."""
    ident = message.extra_headers["Message-ID"].strip("<>")
    return OutboundEmail.objects.get(message_id_header=ident).kind


def only(kind):
    (message,) = [m for m in mail.outbox if kind_of(m) == kind]
    return message


def html_of(message):
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


# --------------------------------------------------------------------------
# who hears what


def test_new_ticket_alerts_the_department_and_acknowledges_the_customer(
    dept, agents, outsider, customer, run_on_commit
):
    ticket = run_on_commit(lambda: make_ticket(customer, dept, subject="Site down", description="502 since noon"))
    assert addressees(notifications.TICKET_CREATED) == ["agent1@example.com", "agent2@example.com"]
    assert addressees(notifications.TICKET_RECEIVED) == ["cust@example.com"]

    alert = mail.outbox[[kind_of(m) for m in mail.outbox].index(notifications.TICKET_CREATED)]
    assert f"[{ticket.reference}]" in alert.subject and "Site down" in alert.subject
    assert "502 since noon" in alert.body
    # Agents are sent to the staff page of the ticket.
    assert f"{SITE}{ticket.get_staff_url()}" in alert.body and ticket.get_staff_url() in html_of(alert)

    receipt = only(notifications.TICKET_RECEIVED)
    assert f"[{ticket.reference}]" in receipt.subject
    assert ticket.reference in receipt.body and "502 since noon" in receipt.body
    assert f"{SITE}{ticket.get_absolute_url()}" in receipt.body
    assert ticket.get_staff_url() not in receipt.body + html_of(receipt)


def test_a_ticket_opened_by_phone_names_the_agent_and_spares_them(dept, agents, customer, run_on_commit):
    agent1, _agent2 = agents
    run_on_commit(lambda: make_ticket(customer, dept, channel=Channel.PHONE, actor=agent1, description="Called us"))
    assert addressees(notifications.TICKET_CREATED) == ["agent2@example.com"]
    receipt = only(notifications.TICKET_RECEIVED)
    assert receipt.to == ["cust@example.com"]
    name = users.public_name(agent1)
    if name:
        assert f"opened for you by phone by {name}" in receipt.body
    else:  # a user model whose names are e-mail addresses: customers never see an agent's address
        assert "opened for you by phone by our support team" in receipt.body
    assert users.email_address(agent1) not in receipt.body + html_of(receipt)


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API, Channel.EMAIL])
def test_every_channel_acknowledges_the_ticket(dept, agents, customer, run_on_commit, channel):
    ticket = run_on_commit(lambda: make_ticket(customer, dept, channel=channel))
    assert addressees(notifications.TICKET_RECEIVED) == ["cust@example.com"]
    receipt = only(notifications.TICKET_RECEIVED)
    # The acknowledgement of a mail answers a person (RFC 3834); the rest is automatic.
    expected = "auto-replied" if channel == Channel.EMAIL else "auto-generated"
    assert receipt.extra_headers["Auto-Submitted"] == expected
    assert ticket.reference in receipt.subject


def test_public_staff_reply_mails_the_requester_only(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Fixed, please check."))
    assert addressees() == ["cust@example.com"]
    reply = only(notifications.STAFF_REPLIED)
    assert "Fixed, please check." in reply.body
    assert f"{SITE}{ticket.get_absolute_url()}" in reply.body
    assert ticket.get_staff_url() not in reply.body + html_of(reply)


def test_internal_note_mails_nobody(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    before = OutboundEmail.objects.count()
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Secret", internal=True))
    assert mail.outbox == [] and OutboundEmail.objects.count() == before


def test_customer_reply_mails_the_assignee(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    settle(lambda: services.assign(ticket, agents[1], actor=agents[0]))
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=customer, body="More details"))
    assert addressees() == ["agent2@example.com"]
    assert "More details" in only(notifications.CUSTOMER_REPLIED).body


def test_customer_reply_to_an_unassigned_ticket_mails_the_department(
    dept, agents, outsider, customer, run_on_commit, settle
):
    ticket = settle(lambda: make_ticket(customer, dept))
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=customer, body="Any news?"))
    assert addressees(notifications.CUSTOMER_REPLIED) == ["agent1@example.com", "agent2@example.com"]


def test_a_supervisor_assignee_from_outside_the_department_is_told(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    boss = make_supervisor(username="boss")
    settle(lambda: services.assign(ticket, boss, actor=agents[0]))
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=customer, body="Hello?"))
    assert addressees() == ["boss@example.com"]


def test_resolving_tells_the_customer_and_nobody_else(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    run_on_commit(lambda: services.resolve(ticket, actor=agents[0]))
    assert addressees() == ["cust@example.com"]
    resolved = only(notifications.TICKET_RESOLVED)
    assert ticket.reference in resolved.subject and f"{SITE}{ticket.get_absolute_url()}" in resolved.body


def test_a_customer_reply_to_a_resolved_ticket_says_it_was_reopened(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    settle(lambda: services.assign(ticket, agents[0], actor=agents[0]))
    settle(lambda: services.resolve(ticket, actor=agents[0]))
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=customer, body="Still broken"))
    assert ticket.status == Status.IN_PROGRESS
    # One e-mail, to the assignee: "reopened", with the reply in it.
    assert addressees() == ["agent1@example.com"]
    reopened = only(notifications.TICKET_REOPENED)
    assert "Still broken" in reopened.body and ticket.get_staff_url() in reopened.body


def test_the_customer_reopening_tells_the_department_but_staff_reopening_does_not(
    dept, agents, customer, run_on_commit, settle
):
    ticket = settle(lambda: make_ticket(customer, dept))
    settle(lambda: services.resolve(ticket, actor=agents[0]))
    run_on_commit(lambda: services.reopen(ticket, actor=customer))
    assert addressees(notifications.TICKET_REOPENED) == ["agent1@example.com", "agent2@example.com"]
    mail.outbox.clear()
    settle(lambda: services.resolve(ticket, actor=agents[0]))
    run_on_commit(lambda: services.reopen(ticket, actor=agents[1]))
    assert [kind_of(m) for m in mail.outbox] == []


def test_users_without_an_address_are_skipped(dept, customer, run_on_commit):
    if users.username_field() == users.email_field():
        pytest.skip("on this user model every user has an address: it is their username")
    make_agent(dept, username="silent", email="")
    run_on_commit(lambda: make_ticket(customer, dept))
    assert addressees() == ["cust@example.com"]
    assert not OutboundEmail.objects.filter(kind=notifications.TICKET_CREATED).exists()


# --------------------------------------------------------------------------
# language and content


def test_customer_mail_follows_the_ticket_language(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept, language="fa", subject="Site down"))
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Fixed"))
    reply = only(notifications.STAFF_REPLIED)
    assert PERSIAN.search(reply.subject.replace("Site down", "")), reply.subject
    html = html_of(reply)
    assert '<html lang="fa" dir="rtl">' in html
    assert "پشتیبانی فنی" in html  # the department's Persian name


@pytest.mark.parametrize("kind", [notifications.TICKET_RECEIVED, notifications.TICKET_RESOLVED])
def test_every_customer_mail_is_written_in_persian_for_a_persian_ticket(dept, agents, customer, run_on_commit, kind):
    ticket = run_on_commit(lambda: make_ticket(customer, dept, language="fa", subject="Site down"))
    run_on_commit(lambda: services.resolve(ticket, actor=agents[0]))
    message = only(kind)
    assert PERSIAN.search(message.subject.replace("Site down", "")), message.subject
    # Every sentence of the body is Persian, apart from the user's own words and the marker.
    body = message.body.replace(notifications.REPLY_MARKER, "")
    english = [line for line in body.splitlines() if re.search(r"\b(the|your|ticket|we)\b", line, re.I)]
    assert english == [], english


def test_staff_mail_is_in_the_site_language(dept, agents, customer, run_on_commit):
    run_on_commit(lambda: make_ticket(customer, dept, language="fa"))
    html = html_of([m for m in mail.outbox if kind_of(m) == notifications.TICKET_CREATED][0])
    assert '<html lang="en" dir="ltr">' in html
    assert "Technical support" in html


def test_plain_text_is_not_html_escaped_and_html_is(dept, agents, customer, run_on_commit):
    run_on_commit(lambda: make_ticket(customer, dept, subject="Q&A <b>", description="a < b & c"))
    first = mail.outbox[0]
    assert "Q&A <b>" in first.subject and "a < b & c" in first.body
    html = html_of(first)
    assert "Q&amp;A &lt;b&gt;" in html and "<b>" not in html


def test_the_reply_marker_opens_the_text_and_the_html(dept, agents, customer, run_on_commit):
    run_on_commit(lambda: make_ticket(customer, dept))
    for message in mail.outbox:
        assert message.body.startswith(notifications.REPLY_MARKER + "\n")
        body = html_of(message).split("<body", 1)[1].split(">", 1)[1]
        assert re.sub(r"<[^>]+>", "", body).strip().startswith(notifications.REPLY_MARKER)


def test_the_reply_marker_is_the_one_the_inbound_parser_cuts_at():
    mailparse = pytest.importorskip("helpdesk_tickets.mailparse")
    assert notifications.REPLY_MARKER == mailparse.REPLY_MARKER


# --------------------------------------------------------------------------
# headers and threading


def test_headers_thread_every_mail_to_the_ticket(dept, agents, customer, run_on_commit, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "REPLY_ADDRESS": "reply@example.com"}
    ticket = run_on_commit(lambda: make_ticket(customer, dept))
    root = mailaddress.thread_root_id(ticket.reference)
    rows = {row.to_address: row for row in OutboundEmail.objects.filter(ticket=ticket)}
    for message in mail.outbox:
        headers = message.extra_headers
        assert headers["Message-ID"] == f"<{rows[message.to[0]].message_id_header}>"
        assert headers["In-Reply-To"] == headers["References"] == f"<{root}>"
        assert headers["Auto-Submitted"] == "auto-generated"
        assert headers["X-Auto-Response-Suppress"] == "All"
        assert "Precedence" not in headers
        assert message.reply_to == [mailaddress.reply_address(ticket.reference)]
        assert mailaddress.reference_from_address(message.reply_to[0]) == ticket.reference
    # A reply to any of them, or to the thread, is found again.
    known = set(ThreadMessageId.objects.filter(ticket=ticket).values_list("message_id", flat=True))
    assert known == {root, *(row.message_id_header for row in rows.values())}


def test_without_a_reply_address_replies_go_to_the_departments_address(agents, customer, run_on_commit, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "REPLY_ADDRESS": None}
    mailed = DepartmentFactory(email="Help@Example.com")
    make_agent(mailed, username="agent9")
    run_on_commit(lambda: make_ticket(customer, mailed))
    assert {tuple(m.reply_to) for m in mail.outbox} == {("help@example.com",)}
    mail.outbox.clear()
    run_on_commit(lambda: make_ticket(customer, DepartmentFactory()))
    assert [m.reply_to for m in mail.outbox] == [[]]


def test_a_message_that_came_by_email_is_answered_in_its_thread(
    dept, agents, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        ticket = make_ticket(customer, dept, channel=Channel.EMAIL)
        inbound = InboundEmail.objects.create(message_id="CAFE.1@mail.example.org", sha256="a" * 64, ticket=ticket)
        ticket.messages.update(inbound_email=inbound)
    for callback in callbacks:
        callback()
    root = mailaddress.thread_root_id(ticket.reference)
    receipt = only(notifications.TICKET_RECEIVED)
    assert receipt.extra_headers["In-Reply-To"] == "<CAFE.1@mail.example.org>"
    assert receipt.extra_headers["References"] == f"<{root}> <CAFE.1@mail.example.org>"
    assert receipt.extra_headers["Auto-Submitted"] == "auto-replied"


def test_the_thread_root_is_recorded_for_tickets_older_than_the_outbox(dept, agents, customer, run_on_commit, settle):
    ticket = settle(lambda: make_ticket(customer, dept))
    ThreadMessageId.objects.filter(ticket=ticket).delete()
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Back to you"))
    assert ThreadMessageId.objects.filter(message_id=mailaddress.thread_root_id(ticket.reference)).exists()


# --------------------------------------------------------------------------
# the outbox rows: written with the change, delivered after it commits


def test_each_recipient_has_a_row_written_with_the_change(dept, agents, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        ticket = make_ticket(customer, dept, language="fa")
        rows = list(OutboundEmail.objects.filter(ticket=ticket).order_by("to_address"))
        assert mail.outbox == []  # nothing leaves before the commit
    assert [(r.kind, r.to_address, r.language, r.status) for r in rows] == [
        (notifications.TICKET_CREATED, "agent1@example.com", "en", "pending"),
        (notifications.TICKET_CREATED, "agent2@example.com", "en", "pending"),
        (notifications.TICKET_RECEIVED, "cust@example.com", "fa", "pending"),
    ]
    assert len({r.message_id_header for r in rows}) == 3 and len(callbacks) >= 1
    for callback in callbacks:
        callback()
    assert set(OutboundEmail.objects.filter(ticket=ticket).values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_mails_leave_only_after_commit(dept, agents, customer):
    with transaction.atomic():
        make_ticket(customer, dept)
        assert mail.outbox == []
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_rolled_back_ticket_sends_nothing_and_leaves_no_row(dept, agents, customer):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_ticket(customer, dept)
        raise RuntimeError("the host's surrounding work failed")
    assert Ticket.objects.count() == 0 and OutboundEmail.objects.count() == 0
    assert mail.outbox == []


def test_muted_writes_no_row_and_sends_nothing(dept, agents, customer, run_on_commit):
    with notifications.muted():
        ticket = run_on_commit(lambda: make_ticket(customer, dept))
        run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Quiet"))
    assert mail.outbox == [] and not OutboundEmail.objects.exists()
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Loud"))
    assert addressees() == ["cust@example.com"]


class BrokerDown:
    def using(self, **options):
        raise ConnectionError("task broker is down")


def test_a_failing_task_queue_loses_nothing(dept, agents, customer, run_on_commit, monkeypatch, caplog):
    monkeypatch.setattr(notifications.tasks, "deliver_outbox", BrokerDown())
    ticket = run_on_commit(lambda: make_ticket(customer, dept))
    assert Ticket.objects.filter(pk=ticket.pk).exists() and mail.outbox == []
    assert any(isinstance(r.exc_info and r.exc_info[1], ConnectionError) for r in caplog.records)
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"pending"}
    # The broker is back: the next run sends what waited.
    monkeypatch.undo()
    assert services.sweep_outbox().sent == 3
    assert addressees() == ["agent1@example.com", "agent2@example.com", "cust@example.com"]


def test_the_rule_for_staff_matches_the_permission_check(dept, agents, customer, outsider, settle):
    """``recipient_allowed()`` (a query) and ``permissions.is_staff_for`` (a predicate) agree."""
    from helpdesk_tickets import permissions

    ticket = settle(lambda: make_ticket(customer, dept))
    boss = make_supervisor(username="boss2")
    gone = make_agent(dept, username="gone")
    gone.is_active = False
    gone.save()
    people = [*agents, outsider, boss, gone, customer]
    rows = OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                kind=notifications.CUSTOMER_REPLIED,
                ticket=ticket,
                recipient=person,
                to_address="x@example.com",
                message_id_header=mailaddress.new_message_id(),
                status="skipped",
            )
            for person in people
        ]
    )
    allowed = dict(
        OutboundEmail.objects.filter(pk__in=[r.pk for r in rows])
        .annotate(ok=notifications.recipient_allowed())
        .values_list("recipient", "ok")
    )
    fresh = {p.pk: type(p).objects.get(pk=p.pk) for p in people}
    assert allowed == {pk: permissions.is_staff_for(user, ticket) for pk, user in fresh.items()}
    assert allowed[boss.pk] and not allowed[outsider.pk] and not allowed[gone.pk]
