"""The admin under SPEC §4: admin permissions never widen what a user may see.

The interesting person is a staff user with the admin's view permissions
who *requested* a ticket of a department they do not answer for: they may
see the ticket, like any customer, but never its internal notes or their
files. Replayed API answers (idempotency records) are for superusers only.
"""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.models import Attachment, CannedReply, IdempotencyKey, Message
from tests.factories import PNG, DepartmentFactory, TicketTypeFactory, UserFactory, make_agent, make_supervisor, upload

pytestmark = pytest.mark.django_db

NOTE = "SECRET-NOTE-7f3a about the customer"
NOTE_FILE = "internal-findings.png"
PUBLIC_REPLY = "Please restart the router."
PUBLIC_FILE = "screenshot.png"

VIEW_PERMISSIONS = (
    "view_ticket",
    "view_message",
    "view_attachment",
    "view_ticketevent",
    "view_cannedreply",
    "change_cannedreply",
    "add_cannedreply",
    "delete_cannedreply",
    "view_idempotencykey",
    "delete_idempotencykey",
)


def with_admin_permissions(user):
    """``user`` with the admin's permissions on every model of the app."""
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="helpdesk_tickets", codename__in=VIEW_PERMISSIONS)
    )
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def admin_user(*departments, **kwargs):
    """A staff user with the admin's permissions, agent of ``departments``."""
    return with_admin_permissions(make_agent(*departments, is_staff=True, **kwargs))


def admin_supervisor():
    return with_admin_permissions(make_supervisor(is_staff=True))


class AdminDesk:
    """Billing and Sales; a Billing ticket requested by a Sales agent who uses the admin."""

    def __init__(self):
        self.billing = DepartmentFactory(name="Billing", slug="billing")
        self.sales = DepartmentFactory(name="Sales", slug="sales")
        ticket_type = TicketTypeFactory()
        # Agent of Billing: staff for the ticket.
        self.billing_agent = admin_user(self.billing, username="billing-agent")
        # Agent of Sales who filed a Billing ticket: its requester, not its staff.
        self.requester = admin_user(self.sales, username="sales-agent")
        self.ticket = services.create_ticket(
            requester=self.requester,
            department=self.billing,
            ticket_type=ticket_type,
            subject="My invoice is wrong",
            description="Charged twice.",
            attachments=[upload(PUBLIC_FILE)],
        )
        services.post_reply(ticket=self.ticket, actor=self.billing_agent, body=PUBLIC_REPLY)
        self.note = services.post_reply(
            ticket=self.ticket,
            actor=self.billing_agent,
            body=NOTE,
            internal=True,
            attachments=[upload(NOTE_FILE, PNG + b"note")],
        )
        self.note_file = self.note.attachments.get()
        self.public_file = Attachment.objects.get(original_name=PUBLIC_FILE)


@pytest.fixture
def desk():
    return AdminDesk()


def get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(f"admin:helpdesk_tickets_{name}", args=args), query)


def listed(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --------------------------------------------------------------------------
# internal notes and their files


def test_ticket_page_shows_a_requester_the_public_thread_only(client, desk):
    content = get(client, desk.requester, "ticket_change", desk.ticket.pk).content.decode()
    assert PUBLIC_REPLY in content and PUBLIC_FILE in content
    assert NOTE not in content
    assert NOTE_FILE not in content


def test_ticket_page_shows_the_departments_agent_the_internal_note(client, desk):
    content = get(client, desk.billing_agent, "ticket_change", desk.ticket.pk).content.decode()
    assert NOTE in content and NOTE_FILE in content


def test_message_list_hides_internal_notes_from_a_requester(client, desk):
    assert desk.note not in listed(get(client, desk.requester, "message_changelist"))
    assert get(client, desk.requester, "message_change", desk.note.pk).status_code == 302  # "does not exist"


def test_message_search_does_not_match_a_hidden_note_body(client, desk):
    assert listed(get(client, desk.requester, "message_changelist", q="SECRET-NOTE-7f3a")) == []
    assert listed(get(client, desk.billing_agent, "message_changelist", q="SECRET-NOTE-7f3a")) == [desk.note]


def test_attachment_list_hides_internal_files_names_and_hashes(client, desk):
    response = get(client, desk.requester, "attachment_changelist")
    assert listed(response) == [desk.public_file]
    content = response.content.decode()
    assert NOTE_FILE not in content and desk.note_file.sha256 not in content
    assert get(client, desk.requester, "attachment_change", desk.note_file.pk).status_code == 302


def test_attachment_search_by_hash_does_not_find_an_internal_file(client, desk):
    assert listed(get(client, desk.requester, "attachment_changelist", q=desk.note_file.sha256)) == []
    assert listed(get(client, desk.requester, "attachment_changelist", q=NOTE_FILE)) == []
    assert listed(get(client, desk.billing_agent, "attachment_changelist", q=desk.note_file.sha256)) == [desk.note_file]


def test_the_departments_agent_sees_every_note_and_file(client, desk):
    assert desk.note in listed(get(client, desk.billing_agent, "message_changelist"))
    assert set(listed(get(client, desk.billing_agent, "attachment_changelist"))) == {desk.public_file, desk.note_file}


def test_message_visibility_across_tickets_agrees_with_the_per_ticket_thread(desk):
    """``Message.objects.visible_to(user)`` (admin) and ``visible_to(user, ticket)`` (web, API) are one rule."""
    other = services.create_ticket(
        requester=UserFactory(),
        department=desk.sales,
        ticket_type=desk.ticket.ticket_type,
        subject="Quote",
        description="How much?",
    )
    services.post_reply(ticket=other, actor=desk.requester, body="Sales note", internal=True)
    people = [
        AnonymousUser(),
        UserFactory(),
        desk.requester,
        desk.billing_agent,
        make_agent(DepartmentFactory()),
        make_supervisor(),
        UserFactory(is_superuser=True),
        UserFactory(is_superuser=True, is_active=False),
    ]
    for user in people:
        across = set(Message.objects.visible_to(user))
        per_ticket = set(Message.objects.visible_to(user, desk.ticket)) | set(Message.objects.visible_to(user, other))
        assert across == per_ticket, user


# --------------------------------------------------------------------------
# replayed API answers


@pytest.fixture
def replayed(desk):
    """An idempotency record holding the answer to posting the internal note."""
    return IdempotencyKey.objects.create(
        user=desk.billing_agent,
        key="note-1",
        request_hash="x" * 64,
        response_status=201,
        response_body={"id": desk.note.pk, "body": NOTE, "internal": True},
    )


@pytest.mark.parametrize("who", ["billing_agent", "requester", "supervisor"])
def test_idempotency_records_are_refused_to_every_non_superuser(client, desk, replayed, who):
    user = admin_supervisor() if who == "supervisor" else getattr(desk, who)
    assert user.has_perm("helpdesk_tickets.view_idempotencykey")
    assert get(client, user, "idempotencykey_changelist").status_code == 403
    assert get(client, user, "idempotencykey_change", replayed.pk).status_code == 403
    client.post(reverse("admin:helpdesk_tickets_idempotencykey_delete", args=[replayed.pk]), {"post": "yes"})
    assert IdempotencyKey.objects.filter(pk=replayed.pk).exists()
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:helpdesk_tickets_idempotencykey_changelist") not in index


def test_a_superuser_sees_the_record_but_not_the_replayed_body(admin_client, replayed):
    assert admin_client.get(reverse("admin:helpdesk_tickets_idempotencykey_changelist")).status_code == 200
    response = admin_client.get(reverse("admin:helpdesk_tickets_idempotencykey_change", args=[replayed.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "note-1" in content and NOTE not in content


# --------------------------------------------------------------------------
# canned replies


@pytest.fixture
def canned(desk):
    return {
        "billing": CannedReply.objects.create(department=desk.billing, title="Refund", body="Refunded."),
        "sales": CannedReply.objects.create(department=desk.sales, title="Discount", body="Ten percent off."),
        "global": CannedReply.objects.create(title="Thanks", body="Thank you."),
    }


def test_an_agent_sees_the_canned_replies_of_their_departments_and_the_global_ones(client, desk, canned):
    shown = set(listed(get(client, desk.billing_agent, "cannedreply_changelist")))
    assert shown == {canned["billing"], canned["global"]}
    assert get(client, desk.billing_agent, "cannedreply_change", canned["sales"].pk).status_code == 302
    assert listed(get(client, desk.billing_agent, "cannedreply_changelist", q="Ten percent")) == []


def test_a_staff_user_who_is_no_agent_sees_no_canned_replies(client, desk, canned):
    assert listed(get(client, admin_user(username="clerk"), "cannedreply_changelist")) == []


def test_a_supervisor_sees_every_canned_reply(client, desk, canned):
    assert set(listed(get(client, admin_supervisor(), "cannedreply_changelist"))) == set(canned.values())


def test_an_agent_offers_canned_replies_only_to_their_departments(client, desk, canned):
    response = get(client, desk.billing_agent, "cannedreply_add")
    choices = {str(value) for value, _ in response.context["adminform"].form.fields["department"].choices}
    assert choices == {"", str(desk.billing.pk)}  # "" is the empty label of a required field
    client.post(
        reverse("admin:helpdesk_tickets_cannedreply_add"),
        {"department": desk.sales.pk, "title": "Sneaky", "body": "x", "active": "on"},
    )
    client.post(reverse("admin:helpdesk_tickets_cannedreply_add"), {"title": "Everywhere", "body": "x", "active": "on"})
    assert not CannedReply.objects.filter(title__in=["Sneaky", "Everywhere"]).exists()


def test_an_agent_cannot_change_a_global_canned_reply(client, desk, canned):
    url = reverse("admin:helpdesk_tickets_cannedreply_change", args=[canned["global"].pk])
    client.force_login(desk.billing_agent)
    assert client.get(url).status_code == 200  # read-only
    client.post(url, {"title": "Rewritten", "body": "x", "active": "on"})
    client.post(reverse("admin:helpdesk_tickets_cannedreply_delete", args=[canned["global"].pk]), {"post": "yes"})
    canned["global"].refresh_from_db()
    assert canned["global"].title == "Thanks"
    # Their own department's reply stays theirs to edit.
    own = reverse("admin:helpdesk_tickets_cannedreply_change", args=[canned["billing"].pk])
    client.post(own, {"department": desk.billing.pk, "title": "Refund v2", "body": "Refunded.", "active": "on"})
    canned["billing"].refresh_from_db()
    assert canned["billing"].title == "Refund v2"
