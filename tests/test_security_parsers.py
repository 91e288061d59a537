"""Tampered input that used to crash a request: cursors, deeply nested JSON, ``?canned=``.

SPEC §6: invalid input is a 4xx, never a 500 — whatever the body or the
query string. A broken cursor is DRF's "Invalid cursor" 404.
"""

import re

import pytest

from .factories_staff import client_for, make_canned, make_desk

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.factories_staff")
@pytest.mark.parametrize("value", ["²", "①", "٣", "۳", "9" * 40, "-1", "x"])
def test_a_strange_canned_parameter_is_ignored(value):
    desk = make_desk()
    ticket = desk.ticket(subject="Card declined", description="My card was declined twice.")
    make_canned(desk.sales, title="Greeting", body="Hello {customer_name}")
    response = client_for(desk.agent).get(f"/support/staff/tickets/{ticket.reference}/", {"canned": value})
    assert response.status_code == 200
    reply_box = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    assert reply_box and not reply_box.group(1).strip()
