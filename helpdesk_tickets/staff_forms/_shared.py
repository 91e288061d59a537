"""What the staff forms share: the reference pattern, people and catalogue choice fields, assignable users."""

import re

from django import forms
from django.db.models import Q

from .. import users
from ..conf import settings as app_settings

#: A ticket reference as the URLs take it (see urls.ReferenceConverter).
REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,32}")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return users.staff_label(obj)


class NamedChoiceField(forms.ModelChoiceField):
    """Departments, types and products by their name in the active language."""

    def label_from_instance(self, obj):
        return obj.display_name


def assignable_users(department_ids):
    """Agents of ``department_ids`` and supervisors: whoever may hold tickets of those departments.

    Supervisors are whom the authentication backends say hold the permission,
    as ``permissions.is_supervisor`` asks them (see ``users.with_permission``).
    """
    members = users.model()._default_manager.filter(helpdesk_departments__in=department_ids).values("pk")
    return (
        users.active_users()
        .filter(Q(pk__in=members) | users.with_permission(app_settings.SUPERVISOR_PERMISSION))
        .order_by(*users.ordering())
    )
