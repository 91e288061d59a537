"""Factories for the test suite (no fixture files), and the files and clients every package uses."""

import mimetypes
import os

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from helpdesk_tickets import services, users
from helpdesk_tickets.models import Department, Product, TicketField, TicketType


class UserFactory(factory.Factory):
    """A user of whatever model the host has, made through ``users.create_user``.

    ``username`` is a short name ("sara"); on a model that logs in by e-mail
    the username becomes the e-mail address (``email``, else
    ``<username>@example.com``). Fields the model lacks (``first_name`` …) are
    left out. Asking twice for one username gives the same user.
    """

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = ""
    password = "pw"

    @classmethod
    def _create(cls, model_class, username, email, first_name, last_name, password, **extra):
        if users.username_field() == users.email_field():
            username = email or f"{username}@example.com"
        existing = users.by_username(username)
        if existing is not None:
            return existing
        return users.create_user(
            username, email=email, password=password, first_name=first_name, last_name=last_name, **extra
        )


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")
    description = "Answers questions."


class TicketTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketType

    name = factory.Sequence(lambda n: f"Type {n}")
    slug = factory.Sequence(lambda n: f"type-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


def make_agent(*departments, **kwargs):
    user = UserFactory(**kwargs)
    for department in departments:
        department.agents.add(user)
    return user


def make_supervisor(**kwargs):
    user = UserFactory(**kwargs)
    user.user_permissions.add(Permission.objects.get(codename="view_all_tickets"))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


_counter = iter(range(10**9))


def make_ticket(requester=None, department=None, ticket_type=None, **kwargs):
    department = department or DepartmentFactory()
    n = next(_counter)
    kwargs.setdefault("subject", f"Subject {n}")
    kwargs.setdefault("description", f"Description {n}")
    return services.create_ticket(
        requester=requester or UserFactory(),
        department=department,
        ticket_type=ticket_type or TicketTypeFactory(),
        **kwargs,
    )


# --------------------------------------------------------------------------
# files and clients, for every package of tests

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
_CONTENT = {".png": PNG, ".pdf": PDF, ".html": HTML, ".svg": SVG}


def upload(name="photo.png", content=None, content_type=None):
    """An uploaded file as Django's request parsing hands it over; content and type follow the name."""
    extension = os.path.splitext(name)[1].lower()
    if content is None:
        content = _CONTENT.get(extension, b"hello")
    if content_type is None:
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return SimpleUploadedFile(name, content, content_type=content_type)


def token_client(user=None):
    """An APIClient authenticated the way a third-party client is: ``Authorization: Token …``."""
    client = APIClient(HTTP_HOST="localhost")
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def web_client(client, user):
    """``client`` logged in as ``user`` (a session, as in a browser)."""
    client.force_login(user)
    return client


def client_for(user):
    """A new test client logged in as ``user``."""
    return web_client(Client(), user)


class TicketFieldFactory(factory.django.DjangoModelFactory):
    """A field of a ticket type (a text field unless told)."""

    class Meta:
        model = TicketField
        django_get_or_create = ("ticket_type", "key")

    ticket_type = factory.SubFactory(TicketTypeFactory)
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda f: f.key.replace("_", " ").capitalize())
    kind = "text"
