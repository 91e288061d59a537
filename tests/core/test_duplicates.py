"""Duplicate submissions are refused, not merely discouraged (SPEC §5)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from helpdesk_tickets import services
from helpdesk_tickets.models import Status, Ticket
from tests.core.helpers import Desk
from tests.factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return Desk()


@pytest.mark.parametrize(
    ("subject", "description", "again_subject", "again_description"),
    [
        ("Cannot log in", "Password rejected", "CANNOT LOG IN", "password REJECTED"),
        ("Cannot log in", "Password rejected", "  Cannot   log\tin ", "Password\n rejected "),
        ("مشكل ورود", "رمز عبورم قبول نمي\u200cشود", "مشکل ورود", "رمز عبورم قبول نمی\u200cشود"),
        ("سفارش ۱۲۳", "پرداخت شد", "سفارش 123", "پرداخت شد"),
        ("سفارش ١٢٣", "پرداخت شد", "سفارش ۱۲۳", "پرداخت شد"),
        ("می\u200cخواهم", "کمک", "میخواهم", "کمک"),
        ("کِتاب", "دَرس", "کتاب", "درس"),
    ],
    ids=["case", "whitespace", "arabic-letters", "persian-digits", "arabic-digits", "zwnj", "diacritics"],
)
def test_the_same_request_written_differently_is_a_duplicate(
    desk, subject, description, again_subject, again_description
):
    first = desk.ticket(subject=subject, description=description)

    with pytest.raises(services.DuplicateTicket) as refused:
        desk.ticket(subject=again_subject, description=again_description)

    assert refused.value.existing == first
    assert first.reference in str(refused.value)
    assert Ticket.objects.count() == 1


def test_a_different_type_or_product_does_not_make_it_a_new_request(desk):
    desk.ticket()
    with pytest.raises(services.DuplicateTicket):
        desk.ticket(ticket_type=TicketTypeFactory())


def test_a_different_description_is_a_new_request(desk):
    desk.ticket(description="First problem")
    desk.ticket(description="Second problem")
    assert Ticket.objects.count() == 2


def test_another_department_does_not_block(desk):
    desk.ticket()
    desk.ticket(department=DepartmentFactory())
    assert Ticket.objects.count() == 2


def test_another_customer_does_not_block(desk):
    desk.ticket()
    desk.ticket(requester=UserFactory())
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize("done", ["resolve", "close"])
def test_resolved_and_closed_tickets_do_not_block(desk, done):
    first = desk.ticket()
    getattr(services, done)(first, actor=desk.agent)
    assert Ticket.objects.get(pk=first.pk).duplicate_key is None

    second = desk.ticket()

    assert second.pk != first.pk and second.status == Status.NEW


@override_settings(HELPDESK_TICKETS={"DUPLICATE_WINDOW": timedelta(hours=2)})
def test_a_duplicate_older_than_the_window_is_allowed_again(desk):
    first = desk.ticket()
    Ticket.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=2, minutes=1))

    second = desk.ticket()

    assert second.pk != first.pk
    # The old ticket let go of the key; the new one guards against the next duplicate.
    assert Ticket.objects.get(pk=first.pk).duplicate_key is None
    with pytest.raises(services.DuplicateTicket) as refused:
        desk.ticket()
    assert refused.value.existing == second


@override_settings(HELPDESK_TICKETS={"DUPLICATE_WINDOW": timedelta(hours=2)})
def test_a_duplicate_inside_the_window_is_refused(desk):
    first = desk.ticket()
    Ticket.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1, minutes=59))
    with pytest.raises(services.DuplicateTicket):
        desk.ticket()


def test_find_duplicate_answers_without_creating(desk):
    first = desk.ticket(subject="Refund", description="Order 12")
    found = services.find_duplicate(desk.customer, desk.department, " REFUND ", "order 12")
    assert found == first
    assert services.find_duplicate(desk.customer, desk.department, "Refund", "Order 13") is None


def test_a_reopened_ticket_guards_again(desk):
    first = desk.ticket()
    services.resolve(first, actor=desk.agent)
    services.reopen(first, actor=desk.customer)
    with pytest.raises(services.DuplicateTicket) as refused:
        desk.ticket()
    assert refused.value.existing == first


def test_reopening_does_not_take_the_key_from_a_newer_twin(desk):
    first = desk.ticket()
    services.resolve(first, actor=desk.agent)
    second = desk.ticket()

    services.reopen(first, actor=desk.customer)

    assert Ticket.objects.get(pk=first.pk).status == Status.IN_PROGRESS
    assert Ticket.objects.get(pk=second.pk).duplicate_key is not None
    with pytest.raises(services.DuplicateTicket) as refused:
        desk.ticket()
    assert refused.value.existing == second


def test_moving_to_another_department_carries_the_guard(desk):
    other = DepartmentFactory()
    first = desk.ticket()
    services.change_department(first, other, actor=make_supervisor())

    desk.ticket()  # the old department no longer holds this request
    with pytest.raises(services.DuplicateTicket) as refused:
        desk.ticket(department=other)
    assert refused.value.existing == first
