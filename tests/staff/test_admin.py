"""The admin: pages render, lists stay at a fixed number of queries, and changes go through the services."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.models import (
    Attachment,
    CannedReply,
    Holiday,
    IdempotencyKey,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from tests.factories import DepartmentFactory, ProductFactory, TicketTypeFactory, UserFactory, make_agent, make_ticket
from tests.staff.admin_helpers import change_form_data, make_staff_agent

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:helpdesk_tickets_ticket_changelist"


@pytest.fixture
def dept():
    return DepartmentFactory()


@pytest.fixture
def agent(dept):
    return make_agent(dept, username="agent")


@pytest.fixture
def ticket(dept, agent):
    ticket = make_ticket(
        UserFactory(username="sara", email="sara@example.org"),
        dept,
        product=ProductFactory(),
        subject="Printer on fire",
        attachments=[SimpleUploadedFile("error.log", b"smoke detected\n")],
    )
    services.post_reply(ticket=ticket, actor=agent, body="Please unplug it.")
    services.post_reply(ticket=ticket, actor=agent, body="Staff only remark", internal=True)
    return ticket


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client, action, tickets):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [t.pk for t in tickets]},
        follow=True,
    )


# --------------------------------------------------------------------------
# pages


def test_every_changelist_and_change_page_renders(admin_client, ticket):
    Holiday.objects.create(date="2026-03-21", name="Nowruz")
    CannedReply.objects.create(title="Thanks", body="Thanks {customer_name}")
    IdempotencyKey.objects.create(user=ticket.requester, key="k1", request_hash="x", response_status=201)
    objects = [
        ticket.department,
        ticket.ticket_type,
        ticket.product,
        ticket,
        ticket.messages.first(),
        Attachment.objects.get(),
        ticket.events.first(),
        Holiday.objects.get(),
        CannedReply.objects.get(),
        IdempotencyKey.objects.get(),
    ]
    for obj in objects:
        prefix = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
        assert admin_client.get(reverse(f"{prefix}_changelist")).status_code == 200, prefix
        assert admin_client.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200, prefix


def test_ticket_page_shows_the_thread_with_download_links(admin_client, ticket):
    response = admin_client.get(reverse("admin:helpdesk_tickets_ticket_change", args=[ticket.pk]))
    content = response.content.decode()
    attachment = Attachment.objects.get()
    download = reverse(
        "helpdesk_tickets:attachment_download", kwargs={"reference": ticket.reference, "pk": attachment.pk}
    )
    assert f'href="{download}"' in content and "error.log" in content
    assert attachment.file.url not in content  # never the storage URL
    assert "Please unplug it." in content and "Staff only remark" in content
    assert ticket.get_staff_url() in content
    # The history shows statuses by their names, not their stored values.
    assert "<p>Awaiting customer</p>" in content and "<p>awaiting_customer</p>" not in content


def test_tickets_are_not_added_in_the_admin(admin_client, ticket):
    assert admin_client.get(reverse("admin:helpdesk_tickets_ticket_add")).status_code == 403
    content = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert reverse("helpdesk_tickets:staff_ticket_create") in content


def test_audit_trail_and_thread_are_read_only(admin_client, ticket):
    event = ticket.events.first()
    assert admin_client.get(reverse("admin:helpdesk_tickets_ticketevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:helpdesk_tickets_ticketevent_delete", args=[event.pk])).status_code == 403
    assert admin_client.get(reverse("admin:helpdesk_tickets_message_add")).status_code == 403
    message = ticket.messages.first()
    admin_client.post(reverse("admin:helpdesk_tickets_message_change", args=[message.pk]), {"body": "rewritten"})
    message.refresh_from_db()
    assert message.body != "rewritten"
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_idempotency_keys_can_be_deleted(admin_client, ticket):
    key = IdempotencyKey.objects.create(user=ticket.requester, key="k1", request_hash="x")
    url = reverse("admin:helpdesk_tickets_idempotencykey_delete", args=[key.pk])
    admin_client.post(url, {"post": "yes"})
    assert not IdempotencyKey.objects.exists()


def _changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(queries)


def test_ticket_changelist_runs_a_fixed_number_of_queries(admin_client, dept, django_assert_num_queries):
    ticket_type, product = TicketTypeFactory(), ProductFactory()
    for _ in range(3):
        ticket = make_ticket(UserFactory(), dept, ticket_type=ticket_type, product=product)
        services.assign(ticket, make_agent(dept), actor=UserFactory(is_superuser=True))
    few = _changelist_queries(admin_client)
    for _ in range(27):
        ticket = make_ticket(UserFactory(), dept, ticket_type=ticket_type, product=product)
        services.assign(ticket, make_agent(dept), actor=UserFactory(is_superuser=True))
    with django_assert_num_queries(few):
        response = admin_client.get(reverse(CHANGELIST))
    assert response.content.decode().count('class="action-select"') == 30
    # session, user, department / type / product / tag filter choices, count, page, date hierarchy (2)
    assert few == 10


@pytest.mark.parametrize("model", ["message", "attachment", "ticketevent", "department", "tickettype", "product"])
def test_other_changelists_run_a_fixed_number_of_queries(admin_client, model):
    def add_tickets(count):
        for _ in range(count):
            dept = DepartmentFactory()
            make_agent(dept)
            ticket_type, product = TicketTypeFactory(), ProductFactory()
            ticket_type.departments.add(dept)
            product.departments.add(dept)
            make_ticket(
                UserFactory(),
                dept,
                ticket_type=ticket_type,
                product=product,
                attachments=[SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.txt", b"b")],
            )

    url = reverse(f"admin:helpdesk_tickets_{model}_changelist")
    add_tickets(2)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    add_tickets(8)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]


def test_search_by_reference_subject_and_requester(admin_client, ticket, dept):
    other = make_ticket(UserFactory(username="omid", email="omid@example.net"), dept, subject="Invoice copy")
    for query, expected in (
        (ticket.reference, ticket),
        ("printer", ticket),
        ("omid", other),
        ("sara@example.org", ticket),
    ):
        response = admin_client.get(reverse(CHANGELIST), {"q": query})
        shown = [t.reference for t in response.context["cl"].result_list]
        assert shown == [expected.reference], query


def test_agents_see_only_their_departments_tickets(client, ticket):
    other = make_ticket(UserFactory(), DepartmentFactory())
    staff = make_staff_agent(ticket.department)
    client.force_login(staff)
    shown = {t.reference for t in client.get(reverse(CHANGELIST)).context["cl"].result_list}
    assert shown == {ticket.reference}
    assert client.get(reverse("admin:helpdesk_tickets_ticket_change", args=[other.pk])).status_code == 302


# --------------------------------------------------------------------------
# actions


def test_mark_resolved_action_uses_the_services(admin_client, ticket, admin_user):
    response = run_action(admin_client, "mark_resolved", [ticket])
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.resolved_at is not None
    event = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED, new_value=Status.RESOLVED)
    assert event.actor == admin_user
    assert event.old_value == Status.AWAITING_CUSTOMER
    assert messages_of(response) == ["1 ticket(s) marked resolved."]


def test_close_action(admin_client, ticket):
    response = run_action(admin_client, "close_tickets", [ticket])
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    assert ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED, new_value=Status.CLOSED).count() == 1
    assert messages_of(response) == ["1 ticket(s) closed."]


def test_actions_report_each_refused_ticket(admin_client, ticket, dept):
    closed = make_ticket(UserFactory(), dept)
    services.close(closed, actor=closed.requester)
    response = run_action(admin_client, "mark_resolved", [ticket, closed])
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert Ticket.objects.get(pk=closed.pk).status == Status.CLOSED
    shown = messages_of(response)
    assert "1 ticket(s) marked resolved." in shown
    (refusal,) = [m for m in shown if m.startswith(closed.reference)]
    assert "cannot move" in refusal


def test_assign_to_me_action(admin_client, ticket, admin_user):
    run_action(admin_client, "assign_to_me", [ticket])
    me = admin_user
    ticket.refresh_from_db()
    assert ticket.assignee == me
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED, actor=me).exists()


def test_actions_reach_only_tickets_the_agent_may_see(client, ticket):
    mine = make_ticket(UserFactory(), DepartmentFactory())
    staff = make_staff_agent(mine.department)
    client.force_login(staff)
    run_action(client, "assign_to_me", [ticket, mine])
    assert Ticket.objects.get(pk=mine.pk).assignee == staff
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# --------------------------------------------------------------------------
# the change form


def _change_url(ticket):
    return reverse("admin:helpdesk_tickets_ticket_change", args=[ticket.pk])


def test_editing_status_and_priority_writes_events(admin_client, ticket, admin_user):
    page = admin_client.get(_change_url(ticket))
    response = admin_client.post(
        _change_url(ticket), change_form_data(page, status=Status.IN_PROGRESS, priority=Priority.URGENT)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    me = admin_user
    assert (ticket.status, ticket.priority) == (Status.IN_PROGRESS, Priority.URGENT)
    assert ticket.sla_paused_at is None  # the services resumed the SLA clock
    assert ticket.events.filter(
        kind=TicketEvent.Kind.STATUS_CHANGED, old_value=Status.AWAITING_CUSTOMER, new_value=Status.IN_PROGRESS, actor=me
    ).exists()
    assert ticket.events.filter(kind=TicketEvent.Kind.PRIORITY_CHANGED, new_value=Priority.URGENT, actor=me).exists()


def test_moving_department_drops_an_assignee_who_does_not_answer_there(admin_client, ticket, agent):
    services.assign(ticket, agent, actor=agent)
    billing = DepartmentFactory(name="Billing")
    page = admin_client.get(_change_url(ticket))
    response = admin_client.post(_change_url(ticket), change_form_data(page, department=billing, assignee=agent))
    assert response.status_code == 200
    assert "not an agent" in str(response.context["adminform"].form.errors)
    response = admin_client.post(_change_url(ticket), change_form_data(page, department=billing, assignee=None))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.department == billing and ticket.assignee is None
    assert ticket.events.filter(kind=TicketEvent.Kind.DEPARTMENT_CHANGED).exists()


def test_a_forbidden_transition_is_a_form_error_not_a_crash(admin_client, ticket):
    services.close(ticket, actor=ticket.requester)
    page = admin_client.get(_change_url(ticket))
    response = admin_client.post(_change_url(ticket), change_form_data(page, status=Status.IN_PROGRESS))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_saving_without_changes_writes_nothing(admin_client, ticket):
    before = TicketEvent.objects.count()
    page = admin_client.get(_change_url(ticket))
    assert admin_client.post(_change_url(ticket), change_form_data(page)).status_code == 302
    assert TicketEvent.objects.count() == before
    assert Message.objects.filter(ticket=ticket).count() == 3
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status
