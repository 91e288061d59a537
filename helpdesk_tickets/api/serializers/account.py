"""People as the API shows them, the caller's own account and the API's root."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from ... import permissions, users


def _discreet(context):
    """Whether the caller sees other people as customers do (never by e-mail address); once per request."""
    if "_hdt_discreet" not in context:
        request = context.get("request")
        context["_hdt_discreet"] = request is not None and not permissions.is_agent(request.user)
    return context["_hdt_discreet"]


def person(user, context):
    """A person as the API shows them to the caller: ``{"username", "name"}``.

    Customers see staff under a name that is never an e-mail address (an
    empty username then, and "Support team" as the name); see ``users.public_name``.
    """
    username, name = user.get_username(), users.display_name(user)
    if users.looks_like_email(username) or users.looks_like_email(name):
        request = context.get("request")
        # Asked only when there is an address to hide: the caller's own entry, or staff callers, see it.
        if (request is None or user.pk != request.user.pk) and _discreet(context):
            return {"username": users.public_username(user), "name": users.public_name(user) or _("Support team")}
    return {"username": username, "name": name}


class UserSerializer(serializers.Serializer):
    """A person as the API shows them: username and display name, nothing more."""

    username = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Empty when shown to a customer and it is an e-mail address.")
    )
    name = serializers.CharField(read_only=True)

    def to_representation(self, instance):
        return person(instance, self.context)


class RootSerializer(serializers.Serializer):
    """The addresses of the API's collections, its schema and its docs."""

    departments = serializers.URLField()
    ticket_types = serializers.URLField()
    products = serializers.URLField()
    articles = serializers.URLField()
    tickets = serializers.URLField()
    me = serializers.URLField()
    stats = serializers.URLField()
    schema = serializers.URLField()
    docs = serializers.URLField()


class DepartmentRefSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class MeSerializer(serializers.Serializer):
    """The caller, as the API knows them."""

    username = serializers.CharField(read_only=True, help_text=gettext_lazy("Your username (log-in name)."))
    display_name = serializers.CharField(read_only=True, help_text=gettext_lazy("Your name as others see it."))
    is_agent = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("You answer tickets (an agent of a department, or a supervisor).")
    )
    is_supervisor = serializers.BooleanField(read_only=True, help_text=gettext_lazy("You see every department."))
    departments = DepartmentRefSerializer(
        many=True, read_only=True, help_text=gettext_lazy("The departments you are an agent of.")
    )
    language = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The language of the answers to this request (Accept-Language).")
    )
