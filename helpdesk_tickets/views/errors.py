"""The web's one mapping of a refused service call onto a form or a message.

The service errors carry their ``field`` and ``http_status``
(:mod:`helpdesk_tickets.exceptions`); this module reads them for every page,
and the admin's forms and actions use it too.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from ..exceptions import HelpdeskError

#: What a page catches around a service call.
REFUSALS = (HelpdeskError, ValidationError, PermissionDenied)


def error_text(exc, denied=None):
    """One readable line from a refused service call (``denied``: the words for ``PermissionDenied``)."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return denied or _("You may not make this change to this ticket.")
    return str(exc)


def add_service_error(form, exc, denied=None):
    """Show ``exc`` on ``form`` (on its field when the form has one); returns the status the page answers with."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return 400
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, error_text(exc, denied))
    return exc.http_status if isinstance(exc, HelpdeskError) else 400
