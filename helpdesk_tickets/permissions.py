"""Who may do what: plain predicates shared by the web views, the API and the services.

"Staff for a ticket" means an agent of the ticket's department, or a
supervisor (a user with ``SUPERVISOR_PERMISSION``, superusers included).
"""

from . import users
from .conf import settings as app_settings

_DEPARTMENTS_CACHE = "_helpdesk_department_ids"


def _active(user):
    return bool(user and user.is_authenticated and users.is_active(user))


def is_supervisor(user):
    return _active(user) and user.has_perm(app_settings.SUPERVISOR_PERMISSION)


def agent_department_ids(user):
    """IDs of the departments ``user`` answers for (cached on the user object)."""
    if not _active(user):
        return frozenset()
    cached = getattr(user, _DEPARTMENTS_CACHE, None)
    if cached is None:
        # Through the related name: the membership table's user column is named after the host's model.
        cached = frozenset(user.helpdesk_departments.values_list("pk", flat=True))
        setattr(user, _DEPARTMENTS_CACHE, cached)
    return cached


def forget_departments(user):
    """Drop the cached membership (after the user's departments changed)."""
    if hasattr(user, _DEPARTMENTS_CACHE):
        delattr(user, _DEPARTMENTS_CACHE)


def is_agent(user):
    """May use the staff workspace at all."""
    return is_supervisor(user) or bool(agent_department_ids(user))


def is_staff_for(user, ticket):
    return is_supervisor(user) or ticket.department_id in agent_department_ids(user)


def is_requester(user, ticket):
    return bool(user and user.is_authenticated) and ticket.requester_id == user.pk


def can_view(user, ticket):
    return is_requester(user, ticket) or is_staff_for(user, ticket)


def can_see_internal(user, ticket):
    return is_staff_for(user, ticket)


def can_reply(user, ticket):
    return can_view(user, ticket) and ticket.status != "closed"


def can_post_internal(user, ticket):
    return is_staff_for(user, ticket) and ticket.status != "closed"


def can_manage(user, ticket):
    """Change status, priority, assignee and department."""
    return is_staff_for(user, ticket)


def can_close(user, ticket):
    return can_view(user, ticket) and ticket.status != "closed"


def can_reopen(user, ticket):
    return can_view(user, ticket) and ticket.status == "resolved"


def can_be_assigned(user, department):
    """Whether ``user`` may be the assignee of a ticket in ``department``."""
    return is_supervisor(user) or department.pk in agent_department_ids(user)
