from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HelpdeskTicketsConfig(AppConfig):
    name = "helpdesk_tickets"
    label = "helpdesk_tickets"
    verbose_name = _("Support tickets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, sla  # noqa: F401  (checks registers the system checks)

        # A changed holiday reaches the SLA clock of every process (see sla.holidays).
        for signal in (post_save, post_delete):
            signal.connect(sla.holidays_changed, sender="helpdesk_tickets.Holiday", dispatch_uid="hdt_holidays")

        # Webhooks listen to the service layer's signals.
        from .services import webhook_events

        webhook_events.connect()

        # The providers' inbound webhooks feed the e-mail channel when django-anymail is installed ([anymail]).
        try:
            from anymail.signals import inbound
        except ImportError:
            pass
        else:
            from . import inbound_anymail

            inbound.connect(inbound_anymail.receive_inbound, dispatch_uid=inbound_anymail.DISPATCH_UID)
