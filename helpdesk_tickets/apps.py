from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskTicketsConfig(AppConfig):
    name = "helpdesk_tickets"
    label = "helpdesk_tickets"
    verbose_name = _("Support tickets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
