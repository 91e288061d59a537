"""``manage.py helpdesk_demo [--password P]``: demo departments, types, products, accounts and tickets.

The data and how it is built (safe to run again) are
:mod:`helpdesk_tickets.management.demo`'s; the command prints the accounts and addresses.
"""

from django.core.management.base import BaseCommand

from ...conf import settings as app_settings
from ..demo import AGENT2_DEPARTMENTS, AGENT_DEPARTMENTS, DEFAULT_PASSWORD, demo_login, load

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_SITE_URL", "Command", "demo_login"]

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = "Load demo departments, ticket types, products, accounts and tickets (running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password of every demo account (default: {DEFAULT_PASSWORD}).",
        )

    def handle(self, *args, password, **options):
        created = load(password)
        self._summary(created, password)

    def _summary(self, created, password):
        site = (app_settings.SITE_URL or DEFAULT_SITE_URL).rstrip("/")
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data ready ({created} new demo tickets)."))
        out.write("")
        out.write(f"Accounts (password for all: {password}):")
        out.write("  customer, customer2  customers")
        out.write("  agent                agent of " + ", ".join(AGENT_DEPARTMENTS))
        out.write("  agent2               agent of " + ", ".join(AGENT2_DEPARTMENTS))
        out.write("  supervisor           sees every department")
        out.write("  admin                superuser")
        out.write("")
        for label, path in (
            ("Log in", "/accounts/login/"),
            ("Support (ticket list)", "/support/"),
            ("Staff queue", "/support/staff/"),
            ("Admin", "/admin/"),
            ("API", "/api/"),
            ("API docs", "/api/docs/"),
        ):
            out.write(f"  {label:<22} {site}{path}")
