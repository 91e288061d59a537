"""Helpers of the REST API tests: a small world of roles, token clients, uploads."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk_tickets import services

from .factories import (
    DepartmentFactory,
    ProductFactory,
    TicketTypeFactory,
    UserFactory,
    make_agent,
    make_supervisor,
    make_ticket,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ROLES = ("anonymous", "customer", "other_customer", "other_agent", "agent", "supervisor")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and cached figures must not leak between tests
    # (primary keys are reused after a rollback).
    cache.clear()
    yield
    cache.clear()


def token_client(user=None):
    """An APIClient authenticated the way a third-party client is: ``Authorization: Token …``."""
    client = APIClient(HTTP_HOST="localhost")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def png(name="photo.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


class World:
    """Two departments, their agents, a supervisor, two customers and a ticket with files."""

    def __init__(self):
        self.department = DepartmentFactory(slug="billing")
        self.other_department = DepartmentFactory(slug="sales")
        self.ticket_type = TicketTypeFactory(slug="question")
        self.product = ProductFactory(slug="hosting")
        self.product.departments.add(self.department)
        self.users = {
            "anonymous": None,
            "customer": UserFactory(username="customer"),
            "other_customer": UserFactory(username="customer2"),
            "other_agent": make_agent(self.other_department, username="agent_sales"),
            "agent": make_agent(self.department, username="agent"),
            "supervisor": make_supervisor(username="supervisor"),
        }
        self.ticket = self.new_ticket(attachments=[png("public.png")])
        self.public_attachment = self.ticket.messages.get().attachments.get()
        note = services.post_reply(
            ticket=self.ticket,
            actor=self.users["agent"],
            body="Internal note",
            internal=True,
            attachments=[png("internal.png")],
        )
        self.internal_attachment = note.attachments.get()

    def new_ticket(self, **kwargs):
        kwargs.setdefault("product", self.product)
        return make_ticket(self.users["customer"], self.department, self.ticket_type, **kwargs)

    def client(self, role):
        return token_client(self.users[role])


@pytest.fixture
def world(db):
    return World()
