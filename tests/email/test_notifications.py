"""E-mail notifications: who is told, in which language, and only after commit."""

import logging
import re
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings

from helpdesk_tickets import services, users
from helpdesk_tickets.models import Channel, Ticket
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_ticket

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
    return make_agent(dept, username="agent1"), make_agent(dept, username="agent2")


@pytest.fixture
def outsider():
    """An agent of another department: never told about this department's tickets."""
    return make_agent(DepartmentFactory(), username="outsider")


@pytest.fixture
def customer():
    return UserFactory(username="cust", first_name="Sara")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (mails) that the test's own transaction would otherwise hold back."""

    def run(operation):
        with django_capture_on_commit_callbacks(execute=True):
            return operation()

    return run


def recipients():
    return sorted(address for m in mail.outbox for address in m.to)


def test_new_ticket_mails_the_department_agents(dept, agents, outsider, customer, run_on_commit):
    ticket = run_on_commit(lambda: make_ticket(customer, dept, subject="Site down", description="502 since noon"))
    assert recipients() == ["agent1@example.com", "agent2@example.com"]
    first = mail.outbox[0]
    assert ticket.reference in first.subject and "Site down" in first.subject
    assert "502 since noon" in first.body
    # Agents are sent to the staff page of the ticket.
    assert f"{SITE}{ticket.get_staff_url()}" in first.body
    html = first.alternatives[0][0]
    assert first.alternatives[0][1] == "text/html" and ticket.get_staff_url() in html


def test_new_ticket_is_not_mailed_to_its_creator(dept, agents, customer, run_on_commit):
    agent1, _agent2 = agents
    run_on_commit(lambda: make_ticket(customer, dept, channel=Channel.PHONE, actor=agent1, description="Called us"))
    assert recipients() == ["agent2@example.com"]


def test_public_staff_reply_mails_the_requester_only(dept, agents, customer, run_on_commit):
    ticket = make_ticket(customer, dept)
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Fixed, please check."))
    assert recipients() == ["cust@example.com"]
    reply = mail.outbox[0]
    assert "Fixed, please check." in reply.body
    assert f"{SITE}{ticket.get_absolute_url()}" in reply.body
    assert ticket.get_staff_url() not in reply.body + reply.alternatives[0][0]


def test_internal_note_mails_nobody(dept, agents, customer, run_on_commit):
    ticket = make_ticket(customer, dept)
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Secret", internal=True))
    assert mail.outbox == []


def test_customer_reply_mails_the_assignee(dept, agents, customer, run_on_commit):
    ticket = make_ticket(customer, dept)
    services.assign(ticket, agents[1], actor=agents[0])
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=customer, body="More details"))
    assert recipients() == ["agent2@example.com"]
    assert "More details" in mail.outbox[0].body


def test_customer_reply_to_an_unassigned_ticket_mails_the_department(dept, agents, outsider, customer, run_on_commit):
    ticket = make_ticket(customer, dept)
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=customer, body="Any news?"))
    assert recipients() == ["agent1@example.com", "agent2@example.com"]


def test_users_without_an_address_are_skipped(dept, customer, run_on_commit):
    if users.username_field() == users.email_field():
        pytest.skip("on this user model every user has an address: it is their username")
    make_agent(dept, username="silent", email="")
    run_on_commit(lambda: make_ticket(customer, dept))
    assert mail.outbox == []


def test_customer_mail_follows_the_ticket_language(dept, agents, customer, run_on_commit):
    ticket = make_ticket(customer, dept, language="fa", subject="Site down")
    run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Fixed"))
    (reply,) = mail.outbox
    assert PERSIAN.search(reply.subject.replace("Site down", "")), reply.subject
    html = reply.alternatives[0][0]
    assert 'lang="fa"' in html and 'dir="rtl"' in html
    assert "پشتیبانی فنی" in html  # the department's Persian name


def test_staff_mail_is_in_the_site_language(dept, agents, customer, run_on_commit):
    run_on_commit(lambda: make_ticket(customer, dept, language="fa"))
    html = mail.outbox[0].alternatives[0][0]
    assert 'lang="en"' in html and 'dir="ltr"' in html
    assert "Technical support" in html


def test_plain_text_is_not_html_escaped_and_html_is(dept, agents, customer, run_on_commit):
    run_on_commit(lambda: make_ticket(customer, dept, subject="Q&A <b>", description="a < b & c"))
    first = mail.outbox[0]
    assert "Q&A <b>" in first.subject and "a < b & c" in first.body
    html = first.alternatives[0][0]
    assert "Q&amp;A &lt;b&gt;" in html and "<b>" not in html


@pytest.mark.django_db(transaction=True)
def test_mails_leave_only_after_commit(dept, agents, customer):
    with transaction.atomic():
        make_ticket(customer, dept)
        assert mail.outbox == []
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_rolled_back_ticket_sends_nothing(dept, agents, customer):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_ticket(customer, dept)
        raise RuntimeError("the host's surrounding work failed")
    assert Ticket.objects.count() == 0
    assert mail.outbox == []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection refused")


@override_settings(EMAIL_BACKEND="tests.email.test_notifications.FailingBackend")
def test_smtp_failure_keeps_the_ticket_and_logs(dept, agents, customer, run_on_commit, caplog):
    with caplog.at_level(logging.ERROR, logger="helpdesk_tickets.notifications"):
        ticket = run_on_commit(lambda: make_ticket(customer, dept))
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    (record,) = [r for r in caplog.records if r.name == "helpdesk_tickets.notifications"]
    assert record.levelno == logging.ERROR and str(ticket.pk) in record.getMessage()
    assert isinstance(record.exc_info[1], smtplib.SMTPException)


class CountingBackend(locmem.EmailBackend):
    batches = []

    def send_messages(self, messages):
        self.batches.append(len(messages))
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.email.test_notifications.CountingBackend")
def test_the_mails_of_one_notification_share_one_connection(dept, agents, customer, run_on_commit):
    CountingBackend.batches.clear()
    run_on_commit(lambda: make_ticket(customer, dept))
    assert CountingBackend.batches == [2] and recipients() == ["agent1@example.com", "agent2@example.com"]


dispatched = []


def record_dispatch(kind, ticket_id, message_id=None):
    dispatched.append((kind, ticket_id, message_id))


def test_custom_dispatcher_receives_plain_ids(dept, agents, customer, run_on_commit, settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "NOTIFICATION_DISPATCHER": f"{__name__}.record_dispatch"}
    dispatched.clear()
    ticket = run_on_commit(lambda: make_ticket(customer, dept, ticket_type=TicketTypeFactory()))
    message = run_on_commit(lambda: services.post_reply(ticket=ticket, actor=agents[0], body="Hi"))
    assert dispatched == [
        ("ticket_created", ticket.pk, ticket.messages.earliest("created_at").pk),
        ("staff_replied", ticket.pk, message.pk),
    ]
    assert mail.outbox == []  # the custom dispatcher replaced the e-mails


def broken_dispatch(kind, ticket_id, message_id=None):
    raise ConnectionError("task broker is down")


def test_failing_dispatcher_does_not_fail_the_request(dept, agents, customer, run_on_commit, settings, caplog):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "NOTIFICATION_DISPATCHER": f"{__name__}.broken_dispatch"}
    with caplog.at_level(logging.ERROR, logger="helpdesk_tickets.notifications"):
        ticket = run_on_commit(lambda: make_ticket(customer, dept))
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    (record,) = [r for r in caplog.records if r.name == "helpdesk_tickets.notifications"]
    assert isinstance(record.exc_info[1], ConnectionError) and str(ticket.pk) in record.getMessage()
