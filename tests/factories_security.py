"""Helpers of the security, fault and storage tests: a catalogue, logged-in clients, hostile files."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk_tickets import services

from .factories import DepartmentFactory, TicketTypeFactory, UserFactory, make_agent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache, and user ids repeat between tests.
    cache.clear()
    yield
    cache.clear()


def upload(name="photo.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


class Desk:
    """A department with one offered ticket type, an agent and two customers."""

    def __init__(self):
        self.department = DepartmentFactory(slug="billing")
        self.ticket_type = TicketTypeFactory(slug="question")
        self.ticket_type.departments.add(self.department)
        self.agent = make_agent(self.department, username="agent")
        self.customer = UserFactory(username="customer")
        self.other = UserFactory(username="intruder")

    def open(self, requester=None, subject="Cannot log in", description="The page says error 500.", **kwargs):
        return services.create_ticket(
            requester=requester or self.customer,
            department=self.department,
            ticket_type=self.ticket_type,
            subject=subject,
            description=description,
            **kwargs,
        )

    def form_url(self):
        return reverse("helpdesk_tickets:ticket_create_form", args=[self.department.slug, self.ticket_type.slug])

    def api_payload(self, **kwargs):
        return {
            "department": self.department.slug,
            "ticket_type": self.ticket_type.slug,
            "subject": "Printer on fire",
            "description": "Smoke everywhere.",
            **kwargs,
        }


@pytest.fixture(name="desk")
def desk_fixture(db):
    return Desk()


def token_client(user=None):
    client = APIClient(HTTP_HOST="localhost")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def web_client(client, user):
    client.force_login(user)
    return client
