"""DRF permission classes of the API, thin wrappers over :mod:`helpdesk_tickets.permissions`.

Object visibility is not decided here: every queryset comes from
``Ticket.objects.visible_to(user)``, so another user's ticket is a 404.
"""

from rest_framework.permissions import BasePermission, IsAuthenticated

from .. import permissions, users


class IsHelpdeskUser(IsAuthenticated):
    """Any signed-in, active user (customers and staff)."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and users.is_active(request.user)


class IsHelpdeskStaff(IsHelpdeskUser):
    """Agents of a department and supervisors."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and permissions.is_agent(request.user)


class CanManageTicket(BasePermission):
    """Staff for the ticket (changes of status, priority, assignee, department)."""

    def has_object_permission(self, request, view, obj):
        return permissions.can_manage(request.user, obj)
