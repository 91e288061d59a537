"""Ticket references: human-friendly, unique, URL-safe, never the primary key."""

import re
from urllib.parse import quote

import pytest
from django.test import override_settings
from django.urls import reverse

from helpdesk_tickets import services
from helpdesk_tickets.models import Ticket
from tests.core.helpers import Desk

pytestmark = pytest.mark.django_db

ALPHABET = services.REFERENCE_ALPHABET
FORMAT = re.compile(rf"^HD-[{ALPHABET}]{{8}}$")


@pytest.fixture
def desk():
    return Desk()


def test_the_alphabet_has_no_look_alikes():
    assert not set(ALPHABET) & set("01OILU")
    assert ALPHABET == ALPHABET.upper() and len(set(ALPHABET)) == len(ALPHABET)


def test_references_look_like_hd_and_eight_characters(desk):
    ticket = desk.ticket()
    assert FORMAT.match(ticket.reference), ticket.reference
    assert str(ticket.pk) != ticket.reference.split("-")[1]


def test_references_are_url_safe_and_routable(desk):
    for _ in range(20):
        reference = services.new_reference()
        assert quote(reference, safe="") == reference
    ticket = desk.ticket()
    assert reverse("helpdesk_tickets:ticket_detail", kwargs={"reference": ticket.reference}).endswith(
        f"/{ticket.reference}/"
    )
    assert ticket.get_absolute_url().endswith(f"/tickets/{ticket.reference}/")


@override_settings(HELPDESK_TICKETS={"REFERENCE_PREFIX": "SUP"})
def test_the_prefix_comes_from_settings(desk):
    assert re.match(rf"^SUP-[{ALPHABET}]{{8}}$", desk.ticket().reference)


@override_settings(HELPDESK_TICKETS={"REFERENCE_PREFIX": ""})
def test_an_empty_prefix_leaves_the_bare_code(desk):
    assert re.match(rf"^[{ALPHABET}]{{8}}$", desk.ticket().reference)


def test_many_references_are_distinct():
    assert len({services.new_reference() for _ in range(2000)}) == 2000


def test_a_colliding_reference_is_drawn_again_not_reported_as_a_duplicate(desk, monkeypatch):
    taken = desk.ticket(subject="first").reference
    drawn = iter([taken, taken, "HD-FRESH234"])
    monkeypatch.setattr(services.tickets, "new_reference", lambda: next(drawn))

    ticket = desk.ticket(subject="second")

    assert ticket.reference == "HD-FRESH234"
    assert Ticket.objects.get(pk=ticket.pk).reference == "HD-FRESH234"
    assert Ticket.objects.count() == 2


def test_the_reference_never_changes(desk):
    ticket = desk.ticket()
    reference = ticket.reference
    services.post_reply(ticket=ticket, actor=desk.agent, body="hi")
    services.close(ticket, actor=desk.customer)
    assert Ticket.objects.get(pk=ticket.pk).reference == reference
