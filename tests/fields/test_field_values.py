"""Reading, checking and storing the values of a ticket type's fields (services.fields), for each kind."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_tickets import services
from helpdesk_tickets.models import TicketEvent, TicketField
from helpdesk_tickets.services import fields as field_rules
from tests.factories import (
    DepartmentFactory,
    TicketFieldFactory,
    TicketTypeFactory,
    UserFactory,
    make_agent,
    make_ticket,
)

pytestmark = pytest.mark.django_db


def field(kind, **kwargs):
    return TicketField(key=kwargs.pop("key", "answer"), label="Answer", kind=kind, **kwargs)


PLANS = [
    {"value": "basic", "label": "Basic", "translations": {"fa": {"label": "پایه"}}},
    {"value": "pro", "label": "Pro"},
]


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("text", "  INV-1001  ", "INV-1001"),
        ("text", "two\nlines", "two lines"),
        ("number", "12", 12),
        ("number", "۱۲٫۵", 12.5),
        ("number", "1,200", 1200),
        ("number", 7, 7),
        ("number", "-3.25", -3.25),
        ("date", "2026-03-21", "2026-03-21"),
        ("date", "1405/01/01", "2026-03-21"),
        ("date", "۱۴۰۵/۰۱/۰۱", "2026-03-21"),
        ("date", datetime.date(2026, 1, 5), "2026-01-05"),
        ("checkbox", True, True),
        ("checkbox", "yes", True),
        ("checkbox", "false", False),
        ("choice", "pro", "pro"),
    ],
)
def test_each_kind_stores_its_one_form(kind, raw, stored):
    assert field_rules.parse_value(field(kind, choices=PLANS), raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("number", "twelve"),
        ("number", True),
        ("number", "1e400"),
        ("number", "1234567890123456"),
        ("number", "NaN"),
        ("date", "2026-02-30"),
        ("date", "1405/13/01"),
        ("date", "yesterday"),
        ("date", "1066-10-14"),
        ("checkbox", "maybe"),
        ("choice", "gold"),
        ("text", "x" * 501),
        ("text", ["a list"]),
        ("text", "nul\x00"),
    ],
)
def test_a_value_a_field_cannot_hold_is_refused(kind, raw):
    with pytest.raises(ValidationError):
        field_rules.parse_value(field(kind, choices=PLANS), raw)


def test_empty_is_no_value():
    for kind in ("text", "number", "date", "choice"):
        assert field_rules.parse_value(field(kind, choices=PLANS), "  ") is None
        assert field_rules.parse_value(field(kind, choices=PLANS), None) is None


@given(st.integers(min_value=-(10**14), max_value=10**14))
@settings(max_examples=60, deadline=None)
def test_a_number_in_persian_digits_reads_as_in_latin(number):
    persian = str(number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert field_rules.parse_number(persian) == field_rules.parse_number(str(number)) == number


@given(st.dates(min_value=datetime.date(1900, 3, 21), max_value=datetime.date(2199, 12, 31)))
@settings(max_examples=80, deadline=None)
def test_a_jalali_date_reads_as_its_gregorian_day(day):
    import jdatetime

    jalali = jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")
    assert field_rules.parse_date(jalali) == day
    assert field_rules.parse_date(day.isoformat()) == day


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12))
@settings(max_examples=60, deadline=None)
def test_a_stored_number_reads_back_as_itself(number):
    stored = field_rules.parse_number(str(number))
    assert field_rules.parse_number(stored) == stored
    assert float(stored) == float(number)


def _billing():
    ticket_type = TicketTypeFactory(slug="billing")
    TicketFieldFactory(ticket_type=ticket_type, key="invoice_number", label="Invoice number", required=True)
    TicketFieldFactory(ticket_type=ticket_type, key="plan", kind="choice", choices=PLANS)
    TicketFieldFactory(ticket_type=ticket_type, key="agreed", kind="checkbox")
    return ticket_type


def test_every_error_is_named_fields_key():
    ticket_type = _billing()
    with pytest.raises(ValidationError) as caught:
        field_rules.clean_field_values(ticket_type, {"plan": "gold", "colour": "red"})
    assert set(caught.value.message_dict) == {"fields.invoice_number", "fields.plan", "fields.colour"}


def test_not_an_object_is_named_fields():
    with pytest.raises(ValidationError) as caught:
        field_rules.clean_field_values(_billing(), ["INV-1"])
    assert set(caught.value.message_dict) == {"fields"}


def test_a_required_checkbox_must_be_ticked():
    ticket_type = TicketTypeFactory()
    TicketFieldFactory(ticket_type=ticket_type, key="terms", kind="checkbox", required=True)
    with pytest.raises(ValidationError) as caught:
        field_rules.clean_field_values(ticket_type, {"terms": False})
    assert "fields.terms" in caught.value.message_dict
    assert field_rules.clean_field_values(ticket_type, {"terms": "yes"}) == {"terms": True}


def test_inactive_fields_are_not_asked():
    ticket_type = _billing()
    TicketField.objects.filter(key="invoice_number").update(active=False)
    assert field_rules.clean_field_values(ticket_type, {}) == {}
    with pytest.raises(ValidationError):
        field_rules.clean_field_values(ticket_type, {"invoice_number": "INV-1"})


def test_create_ticket_stores_the_values_and_refuses_without_the_required_one():
    ticket_type = _billing()
    with pytest.raises(ValidationError) as caught:
        make_ticket(ticket_type=ticket_type, fields={"plan": "pro"})
    assert list(caught.value.message_dict) == ["fields.invoice_number"]
    ticket = make_ticket(ticket_type=ticket_type, fields={"invoice_number": "INV-9", "plan": "pro", "agreed": "on"})
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "INV-9", "plan": "pro", "agreed": True}


def test_e_mail_opens_the_ticket_without_the_required_field():
    ticket = make_ticket(ticket_type=_billing(), channel="email")
    assert ticket.field_values == {}
    fields = field_rules.asked_fields(ticket.ticket_type)
    assert [f.key for f in field_rules.missing_required(ticket, fields)] == ["invoice_number"]


def test_changing_the_types_fields_leaves_old_tickets_as_they_were():
    ticket_type = _billing()
    ticket = make_ticket(ticket_type=ticket_type, fields={"invoice_number": "INV-9", "plan": "basic"})
    TicketField.objects.filter(key="plan").delete()
    TicketFieldFactory(ticket_type=ticket_type, key="domain", label="Domain", required=True)
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "INV-9", "plan": "basic"}
    # A staff change to one field does not ask for the field that became required since.
    agent = make_agent(ticket.department)
    assert services.set_field_values(ticket, {"invoice_number": "INV-10"}, actor=agent) == ["invoice_number"]
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "INV-10", "plan": "basic"}


def test_staff_change_is_an_event_and_a_required_value_cannot_be_emptied():
    ticket_type = _billing()
    department = DepartmentFactory()
    ticket = make_ticket(department=department, ticket_type=ticket_type, fields={"invoice_number": "INV-1"})
    agent = make_agent(department)
    services.set_field_values(ticket, {"plan": "pro", "agreed": True}, actor=agent)
    events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.FIELD_CHANGED).order_by("new_value")
    assert [(e.old_value, e.new_value, e.actor_id) for e in events] == [
        ("agreed:", "agreed: true", agent.pk),
        ("plan:", "plan: pro", agent.pk),
    ]
    with pytest.raises(ValidationError) as caught:
        services.set_field_values(ticket, {"invoice_number": ""}, actor=agent)
    assert list(caught.value.message_dict) == ["fields.invoice_number"]
    services.set_field_values(ticket, {"plan": ""}, actor=agent)
    ticket.refresh_from_db()
    assert ticket.field_values == {"invoice_number": "INV-1", "agreed": True}
    # Nothing changed: no event.
    assert services.set_field_values(ticket, {"agreed": "yes"}, actor=agent) == []


def test_only_the_tickets_staff_change_its_fields():
    ticket = make_ticket(ticket_type=_billing(), fields={"invoice_number": "INV-1"})
    for someone in (ticket.requester, UserFactory(), make_agent(DepartmentFactory())):
        with pytest.raises(PermissionDenied):
            services.set_field_values(ticket, {"invoice_number": "INV-2"}, actor=someone)


def test_labels_and_choices_follow_the_language():
    ticket_field = TicketField(
        key="plan",
        label="Plan",
        help_text="Your plan",
        translations={"fa": {"label": "طرح", "help_text": "طرح شما"}},
        kind="choice",
        choices=PLANS,
    )
    with translation.override("fa"):
        assert (ticket_field.display_label, ticket_field.display_help) == ("طرح", "طرح شما")
        assert ticket_field.choice_options() == [("basic", "پایه"), ("pro", "Pro")]
    with translation.override("en"):
        assert (ticket_field.display_label, ticket_field.display_help) == ("Plan", "Your plan")
        assert ticket_field.choice_options() == [("basic", "Basic"), ("pro", "Pro")]


def test_the_model_checks_its_choices():
    with pytest.raises(ValidationError):
        field("choice", choices=[]).clean()
    with pytest.raises(ValidationError):
        field("choice", choices=[{"value": "a"}, {"value": "a"}]).clean()
    with pytest.raises(ValidationError):
        field("text", choices=PLANS).clean()
    with pytest.raises(ValidationError):
        TicketField(key="Bad__Key", label="x", kind="text").clean_fields(exclude=["ticket_type"])
