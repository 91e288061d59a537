"""The service layer: opening a ticket and replying in its thread (SPEC §3)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from helpdesk_tickets import services
from helpdesk_tickets.models import Channel, Message, Priority, Product, Status, Ticket, TicketEvent, TicketType
from tests.core.helpers import Desk
from tests.factories import (
    DepartmentFactory,
    ProductFactory,
    TicketTypeFactory,
    UserFactory,
    make_agent,
    make_supervisor,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return Desk()


def refused_fields(excinfo):
    return set(excinfo.value.message_dict)


# --------------------------------------------------------------------------
# create_ticket


def test_create_ticket_opens_a_new_ticket_with_the_description_as_first_message(desk):
    product = ProductFactory()
    ticket = desk.ticket(subject="  Cannot log in ", description="Password rejected.", product=product)

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.priority == Priority.NORMAL and ticket.channel == Channel.WEB
    assert ticket.subject == "Cannot log in"
    assert ticket.requester == desk.customer and ticket.department == desk.department and ticket.product == product
    [message] = ticket.messages.all()
    assert message.body == "Password rejected." and message.author == desk.customer
    assert not message.internal and not message.from_staff
    assert ticket.message_count == 1 and ticket.first_response_at is None
    assert ticket.first_response_due is not None and ticket.resolution_due is not None
    [event] = ticket.events.all()
    assert event.kind == TicketEvent.Kind.CREATED and event.actor == desk.customer


def test_an_agent_opens_a_phone_ticket_for_a_customer(desk):
    ticket = desk.ticket(channel=Channel.PHONE, actor=desk.agent, description="Customer called about billing.")
    assert ticket.requester == desk.customer and ticket.channel == Channel.PHONE
    message = ticket.messages.get()
    assert message.author == desk.agent
    assert ticket.events.get().actor == desk.agent


def test_an_inactive_department_takes_no_tickets(desk):
    desk.department.active = False
    desk.department.save()
    with pytest.raises(ValidationError) as refused:
        desk.ticket()
    assert refused_fields(refused) == {"department"}
    assert not Ticket.objects.exists()


def test_a_ticket_type_must_be_offered_in_the_department(desk):
    elsewhere = TicketTypeFactory()
    elsewhere.departments.add(DepartmentFactory())
    with pytest.raises(ValidationError) as refused:
        desk.ticket(ticket_type=elsewhere)
    assert refused_fields(refused) == {"ticket_type"}

    elsewhere.departments.add(desk.department)
    assert desk.ticket(ticket_type=elsewhere).ticket_type == elsewhere


def test_an_inactive_ticket_type_is_refused(desk):
    desk.ticket_type.active = False
    desk.ticket_type.save()
    with pytest.raises(ValidationError) as refused:
        desk.ticket()
    assert refused_fields(refused) == {"ticket_type"}


def test_a_product_must_be_offered_in_the_department(desk):
    elsewhere = ProductFactory()
    elsewhere.departments.add(DepartmentFactory())
    with pytest.raises(ValidationError) as refused:
        desk.ticket(product=elsewhere)
    assert refused_fields(refused) == {"product"}

    inactive = ProductFactory(active=False)
    with pytest.raises(ValidationError) as refused:
        desk.ticket(product=inactive)
    assert refused_fields(refused) == {"product"}
    assert not Ticket.objects.exists()


def test_find_offering_looks_up_each_slug_and_validate_offering_asks_once(desk, django_assert_num_queries):
    desk.department.slug, desk.ticket_type.slug = "billing", "question"
    desk.department.save()
    desk.ticket_type.save()
    elsewhere = TicketTypeFactory(slug="elsewhere")
    elsewhere.departments.add(DepartmentFactory())
    here = ProductFactory(slug="here")
    here.departments.add(desk.department)

    # Plain lookups by slug, one per slug given; whether they go together is one more query.
    with django_assert_num_queries(3):
        found = services.find_offering("billing", "elsewhere", "here")
    assert found == {"department": desk.department, "ticket_type": elsewhere, "product": here}
    assert found["department"].first_response_target == desk.department.first_response_target
    with django_assert_num_queries(1), pytest.raises(ValidationError) as refused:
        services.validate_offering(found["department"], found["ticket_type"], found["product"])
    assert refused_fields(refused) == {"ticket_type"}

    found = services.find_offering("billing", "question", "here")
    with django_assert_num_queries(1):
        services.validate_offering(found["department"], found["ticket_type"], found["product"])
    other = DepartmentFactory()
    with django_assert_num_queries(1), pytest.raises(ValidationError) as refused:
        services.validate_offering(other, found["ticket_type"], found["product"])
    assert refused_fields(refused) == {"product"}

    assert services.find_offering("nowhere", "question") == {
        "department": None,
        "ticket_type": desk.ticket_type,
        "product": None,
    }
    with django_assert_num_queries(0):
        assert services.find_offering() == {"department": None, "ticket_type": None, "product": None}


@pytest.mark.parametrize("linked", ["none", "here", "elsewhere", "here and elsewhere"])
def test_validate_offering_agrees_with_offered_in(desk, linked):
    # validate_offering reads the link rows; the forms and lists use the queryset: one rule.
    elsewhere = DepartmentFactory()
    departments = {"none": [], "here": [desk.department], "elsewhere": [elsewhere]}.get(
        linked, [desk.department, elsewhere]
    )
    ticket_type, product = TicketTypeFactory(), ProductFactory()
    ticket_type.departments.set(departments)
    product.departments.set(departments)
    for department in (desk.department, elsewhere):
        type_offered = ticket_type in TicketType.objects.offered_in(department)
        product_offered = product in Product.objects.offered_in(department)
        for kwargs, offered, field in (
            ({"ticket_type": ticket_type, "product": None}, type_offered, "ticket_type"),
            # desk.ticket_type is linked to no department: offered everywhere, only the product decides.
            ({"ticket_type": desk.ticket_type, "product": product}, product_offered, "product"),
        ):
            if offered:
                services.validate_offering(department, **kwargs)
            else:
                with pytest.raises(ValidationError) as refused:
                    services.validate_offering(department, **kwargs)
                assert refused_fields(refused) == {field}


def test_validate_offering_asks_about_the_type_and_product_at_once(desk, django_assert_num_queries):
    product = ProductFactory()
    with django_assert_num_queries(1):
        services.validate_offering(desk.department, desk.ticket_type, product)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * (services.MAX_SUBJECT_LENGTH + 1)}, "subject"),
        ({"description": ""}, "description"),
        ({"description": "x" * (services.MAX_BODY_LENGTH + 1)}, "description"),
        ({"description": "null \x00 byte"}, "description"),
        ({"priority": "whenever"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(desk, changes, field):
    with pytest.raises(ValidationError) as refused:
        desk.ticket(**changes)
    assert refused_fields(refused) == {field}
    assert not Ticket.objects.exists() and not Message.objects.exists()


def test_the_longest_allowed_subject_and_description_are_accepted(desk):
    ticket = desk.ticket(subject="s" * services.MAX_SUBJECT_LENGTH, description="d" * services.MAX_BODY_LENGTH)
    assert len(ticket.subject) == services.MAX_SUBJECT_LENGTH


def test_attachments_are_stored_with_the_description(desk):
    ticket = desk.ticket(attachments=[upload("a.txt", b"one"), upload("b.txt", b"two")])
    names = sorted(ticket.messages.get().attachments.values_list("original_name", flat=True))
    assert names == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    "files",
    [
        [upload(f"f{i}.txt") for i in range(6)],
        [upload("virus.exe", b"MZ")],
        [upload("script.txt.html", b"<script>")],
        [upload("empty.txt", b"")],
        [upload("big.txt", b"x" * 1025)],
    ],
    ids=["too-many", "extension", "double-extension", "empty", "too-large"],
)
@override_settings(HELPDESK_TICKETS={"MAX_ATTACHMENT_SIZE": 1024})
def test_attachment_limits_refuse_the_whole_ticket(desk, files):
    with pytest.raises(ValidationError) as refused:
        desk.ticket(attachments=files)
    assert refused_fields(refused) == {"attachments"}
    assert not Ticket.objects.exists()


def test_attachment_errors_name_the_file(desk):
    with pytest.raises(ValidationError) as refused:
        desk.ticket(attachments=[upload("holiday.exe", b"MZ"), upload("ok.txt")])
    [problem] = refused.value.message_dict["attachments"]
    assert "holiday.exe" in problem


@override_settings(HELPDESK_TICKETS={"MAX_OPEN_TICKETS_PER_CUSTOMER": 2})
def test_the_open_ticket_cap_stops_customers_but_not_agents_on_the_phone(desk):
    desk.ticket(subject="one")
    desk.ticket(subject="two")
    with pytest.raises(services.OpenTicketLimitReached):
        desk.ticket(subject="three")

    desk.ticket(subject="three", channel=Channel.PHONE, actor=desk.agent)
    assert Ticket.objects.count() == 3


@override_settings(HELPDESK_TICKETS={"MAX_OPEN_TICKETS_PER_CUSTOMER": 1})
def test_at_the_cap_the_same_request_again_is_named_a_duplicate(desk):
    first = desk.ticket()
    with pytest.raises(services.DuplicateTicket) as refused:
        desk.ticket()
    assert refused.value.existing == first
    with pytest.raises(services.OpenTicketLimitReached):
        desk.ticket(subject="Something else")


# --------------------------------------------------------------------------
# post_reply


def reload(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def test_a_staff_reply_awaits_the_customer_and_sets_the_first_response_once(desk):
    ticket = desk.ticket()

    services.post_reply(ticket=ticket, actor=desk.agent, body="Please try resetting it.")
    first = reload(ticket)
    assert first.status == Status.AWAITING_CUSTOMER
    assert first.first_response_at is not None and first.first_response_seconds is not None
    assert first.last_staff_reply_at is not None and first.message_count == 2
    assert first.messages.last().from_staff

    services.post_reply(ticket=ticket, actor=desk.customer, body="Did not help.")
    services.post_reply(ticket=ticket, actor=desk.agent, body="Fixed on our side.")
    later = reload(ticket)
    assert later.first_response_at == first.first_response_at
    assert later.first_response_seconds == first.first_response_seconds
    assert later.status == Status.AWAITING_CUSTOMER and later.message_count == 4


def test_the_callers_instance_reflects_the_reply(desk):
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=desk.agent, body="On it")
    assert ticket.status == Status.AWAITING_CUSTOMER and ticket.message_count == 2


def test_a_supervisor_reply_is_a_staff_reply(desk):
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=make_supervisor(), body="Looking into it")
    assert reload(ticket).status == Status.AWAITING_CUSTOMER


def test_a_customer_reply_brings_an_awaiting_ticket_back_to_in_progress(desk):
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=desk.agent, body="Which browser?")
    services.post_reply(ticket=ticket, actor=desk.customer, body="Firefox")
    ticket = reload(ticket)
    assert ticket.status == Status.IN_PROGRESS and ticket.sla_paused_at is None
    event = ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).last()
    assert (event.old_value, event.new_value, event.actor) == (
        Status.AWAITING_CUSTOMER,
        Status.IN_PROGRESS,
        desk.customer,
    )


def test_a_customer_follow_up_on_a_new_ticket_leaves_it_new(desk):
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=desk.customer, body="Forgot to say: since Monday.")
    assert reload(ticket).status == Status.NEW


def test_a_customer_reply_reopens_a_resolved_ticket(desk):
    ticket = desk.ticket()
    services.resolve(ticket, actor=desk.agent)
    assert reload(ticket).resolved_at is not None

    services.post_reply(ticket=ticket, actor=desk.customer, body="It broke again.")

    ticket = reload(ticket)
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None


def test_a_staff_follow_up_on_a_resolved_ticket_leaves_it_resolved(desk):
    ticket = desk.ticket()
    services.resolve(ticket, actor=desk.agent)
    services.post_reply(ticket=ticket, actor=desk.agent, body="One more tip.")
    assert reload(ticket).status == Status.RESOLVED


def test_an_internal_note_changes_nothing_the_customer_sees(desk):
    ticket = desk.ticket()
    before = reload(ticket)

    note = services.post_reply(ticket=ticket, actor=desk.agent, body="Customer is on the old plan.", internal=True)

    after = reload(ticket)
    assert note.internal and note.from_staff
    assert after.status == Status.NEW
    assert after.first_response_at is None and after.last_staff_reply_at is None
    assert after.message_count == before.message_count
    assert not after.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).exists()


def test_customers_cannot_post_internal_notes(desk):
    ticket = desk.ticket()
    with pytest.raises(PermissionDenied):
        services.post_reply(ticket=ticket, actor=desk.customer, body="secret", internal=True)
    assert ticket.messages.count() == 1


def test_an_agent_replying_on_their_own_ticket_is_the_customer_there(desk):
    ticket = desk.ticket(requester=desk.agent)
    services.post_reply(ticket=ticket, actor=desk.agent, body="More details")
    assert reload(ticket).first_response_at is None
    with pytest.raises(PermissionDenied):
        services.post_reply(ticket=ticket, actor=desk.agent, body="note", internal=True)


@pytest.mark.parametrize("who", ["other customer", "agent of another department", "anonymous"])
def test_strangers_cannot_reply(desk, who):
    from django.contrib.auth.models import AnonymousUser

    ticket = desk.ticket()
    author = {
        "other customer": UserFactory,
        "agent of another department": lambda: make_agent(DepartmentFactory()),
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(PermissionDenied):
        services.post_reply(ticket=ticket, actor=author, body="hello")
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("author", ["customer", "agent"])
def test_closed_is_final(desk, author):
    ticket = desk.ticket()
    services.close(ticket, actor=desk.customer)
    with pytest.raises(services.TicketClosed):
        services.post_reply(ticket=ticket, actor=getattr(desk, author), body="Anyone there?")
    with pytest.raises(services.TicketClosed):
        services.reopen(ticket, actor=desk.customer)
    assert reload(ticket).status == Status.CLOSED and ticket.messages.count() == 1


def test_a_reply_that_raced_with_closing_is_refused(desk):
    ticket = desk.ticket()
    stale = reload(ticket)
    services.close(ticket, actor=desk.agent)
    # The caller still holds the open instance; the locked row decides.
    with pytest.raises(services.TicketClosed):
        services.post_reply(ticket=stale, actor=desk.customer, body="late")


@pytest.mark.parametrize("body", ["", "   ", "x" * (services.MAX_BODY_LENGTH + 1)])
def test_a_bad_reply_is_refused_by_field(desk, body):
    ticket = desk.ticket()
    with pytest.raises(ValidationError) as refused:
        services.post_reply(ticket=ticket, actor=desk.customer, body=body)
    assert refused_fields(refused) == {"body"}


def test_a_reply_carries_attachments(desk):
    ticket = desk.ticket()
    message = services.post_reply(ticket=ticket, actor=desk.customer, body="Screenshot", attachments=[upload()])
    assert message.attachments.count() == 1


# --------------------------------------------------------------------------
# assignment, priority, department


def test_assign_to_an_agent_of_the_department_and_back_to_nobody(desk):
    ticket = desk.ticket()
    services.assign(ticket, desk.agent, actor=desk.agent)
    assert reload(ticket).assignee == desk.agent
    services.assign(ticket, None, actor=desk.agent)
    assert reload(ticket).assignee is None
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 2


def test_only_agents_of_the_department_can_be_assigned(desk):
    ticket = desk.ticket()
    outsider = make_agent(DepartmentFactory())
    with pytest.raises(ValidationError) as refused:
        services.assign(ticket, outsider, actor=desk.agent)
    assert refused_fields(refused) == {"assignee"}
    with pytest.raises(PermissionDenied):
        services.assign(ticket, desk.agent, actor=desk.customer)


def test_change_priority_records_an_event(desk):
    ticket = desk.ticket()
    services.change_priority(ticket, Priority.URGENT, actor=desk.agent)
    assert reload(ticket).priority == Priority.URGENT
    event = ticket.events.get(kind=TicketEvent.Kind.PRIORITY_CHANGED)
    assert (event.old_value, event.new_value) == (Priority.NORMAL, Priority.URGENT)
    with pytest.raises(ValidationError):
        services.change_priority(ticket, "asap", actor=desk.agent)
    with pytest.raises(PermissionDenied):
        services.change_priority(ticket, Priority.LOW, actor=desk.customer)


def test_moving_department_drops_an_assignee_who_does_not_answer_there(desk):
    ticket = desk.ticket()
    services.assign(ticket, desk.agent, actor=desk.agent)
    other = DepartmentFactory()
    services.change_department(ticket, other, actor=make_supervisor())
    ticket = reload(ticket)
    assert ticket.department == other and ticket.assignee is None
    assert ticket.events.filter(kind=TicketEvent.Kind.DEPARTMENT_CHANGED).exists()


def test_update_ticket_is_all_or_nothing(desk):
    ticket = desk.ticket()
    services.change_status(ticket, Status.CLOSED, actor=desk.agent)
    with pytest.raises(services.InvalidTransition):
        services.update_ticket(ticket, actor=desk.agent, priority=Priority.HIGH, status=Status.IN_PROGRESS)
    assert reload(ticket).priority == Priority.NORMAL


def test_mark_read_clears_the_unread_staff_reply_for_the_requester_only(desk):
    ticket = desk.ticket()
    services.post_reply(ticket=ticket, actor=desk.agent, body="Answer")
    ticket = reload(ticket)
    assert ticket.has_unread_staff_reply
    services.mark_read(ticket, desk.agent)
    assert reload(ticket).has_unread_staff_reply
    services.mark_read(ticket, desk.customer)
    assert not reload(ticket).has_unread_staff_reply


def test_update_ticket_refuses_a_key_it_cannot_change(desk):
    ticket = desk.ticket()
    with pytest.raises(services.UnknownChange) as refused:
        services.update_ticket(ticket, actor=desk.agent, priority=Priority.HIGH, subject="Changed")
    assert refused.value.field == "subject" and refused.value.code == "unknown_field"
    assert isinstance(refused.value, TypeError) and "subject" in str(refused.value)
    assert reload(ticket).priority == Priority.NORMAL


def test_check_update_refuses_what_update_ticket_would_and_writes_nothing(desk):
    ticket = desk.ticket()
    services.change_status(ticket, Status.CLOSED, actor=desk.agent)
    with pytest.raises(services.InvalidTransition):
        services.check_update(ticket, desk.agent, status=Status.IN_PROGRESS)
    with pytest.raises(ValidationError) as refused:
        services.check_update(ticket, desk.agent, priority="whenever", assignee=desk.customer)
    assert refused_fields(refused) == {"priority", "assignee"}
    with pytest.raises(PermissionDenied):
        services.check_update(ticket, desk.customer, priority=Priority.HIGH)
    services.check_update(ticket, desk.agent, priority=Priority.HIGH)
    assert reload(ticket).priority == Priority.NORMAL


@pytest.mark.parametrize(
    ("call", "old_name"),
    [
        (lambda desk, ticket, who: services.resolve(ticket, by=who), "by"),
        (lambda desk, ticket, who: services.post_reply(ticket=ticket, author=who, body="Hi"), "author"),
        (lambda desk, ticket, who: desk.ticket(subject="other", created_by=who), "created_by"),
    ],
)
def test_the_old_names_of_actor_still_work_for_one_release(desk, call, old_name):
    ticket = desk.ticket()
    with pytest.warns(DeprecationWarning, match=f"{old_name}="):
        call(desk, ticket, desk.agent)


def test_actor_and_its_old_name_together_are_refused(desk):
    ticket = desk.ticket()
    with pytest.raises(TypeError, match="actor"):
        services.resolve(ticket, actor=desk.agent, by=desk.agent)
