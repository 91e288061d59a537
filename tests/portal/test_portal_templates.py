"""Templates: the base template contract and the one stylesheet for both directions."""

import re
from pathlib import Path

import pytest

import helpdesk_tickets
from tests.factories import UserFactory
from tests.portal.helpers import make_catalogue, open_ticket

STATIC = Path(helpdesk_tickets.__file__).parent / "static" / "helpdesk_tickets"


@pytest.mark.django_db
def test_pages_work_without_a_host_template(client, settings):
    settings.HELPDESK_TICKETS = {k: v for k, v in settings.HELPDESK_TICKETS.items() if k != "BASE_TEMPLATE"}
    department, types, _ = make_catalogue()
    customer = UserFactory()
    open_ticket(customer, department, types[0], subject="Standalone")
    client.force_login(customer)
    html = client.get("/support/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert html.startswith("<!doctype html>")
    assert '<html lang="fa" dir="rtl">' in html and 'class="hdt-standalone"' in html
    assert "helpdesk_tickets/helpdesk.css" in html and "helpdesk_tickets/helpdesk.js" in html
    assert "Example company" not in html and "شرکت نمونه" not in html  # not the example site's base
    assert "Standalone" in html


@pytest.mark.django_db
def test_host_template_receives_title_head_content_and_scripts(client):
    customer = UserFactory()
    client.force_login(customer)
    html = client.get("/support/").content.decode()
    head, body = html.split("</head>", 1)
    assert "<title>Ticket list</title>" in head and "helpdesk.css" in head
    assert '<main class="site-main" id="content"' in body and 'class="hdt"' in body
    assert body.index("</main>") < body.index("helpdesk.js")


def test_stylesheet_uses_logical_properties_only():
    css = (STATIC / "helpdesk.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    physical = re.findall(
        r"[\w-]*(?:left|right)[\w-]*\s*:|(?:margin|padding|border)-(?:top|bottom)\b|text-align:\s*(?:left|right)", css
    )
    assert physical == []


def test_script_never_writes_html():
    script = re.sub(r"/\*.*?\*/", "", (STATIC / "helpdesk.js").read_text(), flags=re.S)
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
