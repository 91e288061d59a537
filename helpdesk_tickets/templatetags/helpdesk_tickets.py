"""Template tags and filters of helpdesk_tickets: ``{% load helpdesk_tickets %}``."""

from django import template

from .. import permissions

register = template.Library()


@register.filter
def helpdesk_is_agent(user):
    """Whether ``user`` may use the staff workspace."""
    return permissions.is_agent(user)
