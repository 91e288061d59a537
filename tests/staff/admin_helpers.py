"""Helpers for the admin tests."""

from django.contrib.auth.models import Permission

from tests.factories import UserFactory


def make_staff_agent(*departments, **kwargs):
    """A user who may use the admin for tickets but is no supervisor: an agent of ``departments``."""
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="helpdesk_tickets", codename__in=["view_ticket", "change_ticket"]
        )
    )
    for department in departments:
        department.agents.add(user)
    return user


def change_form_data(response, **changes):
    """The POST data of the admin change form in ``response`` as it stands, with ``changes`` applied.

    Includes the inlines' management forms, which the admin requires even
    for read-only inlines.
    """
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        data[name] = "" if value is None else getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, "")
    data.update({name: "" if value is None else getattr(value, "pk", value) for name, value in changes.items()})
    data["_save"] = "Save"
    return data
