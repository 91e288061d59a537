"""Settings of helpdesk_tickets, read from the host's ``HELPDESK_TICKETS`` dict.

Every key is optional. Values are looked up on each access (nothing is
cached), so ``override_settings(HELPDESK_TICKETS={...})`` works in tests, and
an unknown name raises ``AttributeError`` instead of silently returning
``None``. Bad values are reported by system checks (``checks.py``).
"""

from datetime import timedelta

from django.conf import settings as django_settings

DEFAULTS = {
    # The host template that helpdesk_tickets/base.html extends.
    "BASE_TEMPLATE": "helpdesk_tickets/standalone.html",
    # A key of settings.STORAGES where attachments are kept.
    "ATTACHMENT_STORAGE": "default",
    # Per-file size limit in bytes.
    "MAX_ATTACHMENT_SIZE": 10 * 1024 * 1024,
    # Files per message (ticket description or reply).
    "MAX_ATTACHMENTS_PER_MESSAGE": 5,
    # Lower-case extensions without the dot.
    "ALLOWED_ATTACHMENT_EXTENSIONS": [
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "pdf",
        "txt",
        "log",
        "csv",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "odt",
        "ods",
        "zip",
    ],
    # A new ticket matching an open one of the same requester and department
    # created within this window is refused as a duplicate.
    "DUPLICATE_WINDOW": timedelta(hours=24),
    # Used when a department sets no target of its own.
    "DEFAULT_FIRST_RESPONSE_TARGET": timedelta(minutes=30),
    "DEFAULT_RESOLUTION_TARGET": timedelta(hours=24),
    # Working hours for the SLA clock: None means round the clock, otherwise
    # a (start, end) pair of "HH:MM" strings in BUSINESS_TIME_ZONE.
    "BUSINESS_HOURS": None,
    # Python weekday numbers (Monday=0 … Sunday=6) without business hours.
    # Iranian companies typically use [4] (Friday).
    "WEEKEND_DAYS": [],
    # Extra non-working dates ("YYYY-MM-DD"), on top of the Holiday model.
    "HOLIDAYS": [],
    # Time zone of BUSINESS_HOURS; None means settings.TIME_ZONE.
    "BUSINESS_TIME_ZONE": None,
    # How long each process keeps the Holiday rows it read (seconds; 0: read them
    # every time). A change through the ORM is seen at once; see sla.holidays().
    "HOLIDAY_CACHE_SECONDS": 60,
    # "auto": Jalali dates when the active language is Persian; True / False.
    "JALALI_DATES": "auto",
    # Prefix of ticket references, e.g. "HD" gives "HD-7K3M9QXA".
    "REFERENCE_PREFIX": "HD",
    # How far back the measured average first-response time looks.
    "RESPONSE_TIME_WINDOW": timedelta(days=30),
    # The portal shows a measured response time only from this many answered
    # tickets in the window on; with fewer it states the department's target.
    "RESPONSE_TIME_MIN_SAMPLE": 10,
    # How long before a first-response or resolution deadline the assignee (else the
    # department's agents) is warned, in clock time; None: no warnings (escalation).
    "SLA_WARNING_BEFORE": timedelta(minutes=15),
    # How long computed figures are cached (seconds).
    "STATS_CACHE_SECONDS": 60,
    # Resolved tickets are closed after this many days (housekeeping command).
    "AUTO_CLOSE_AFTER": 7,
    # --- the e-mail channel (docs: "E-mail channel") ---
    # Replies to notifications go to this address with a signed "+" tag naming the
    # ticket, e.g. "reply@example.com" gives "reply+HD-7K3M9QXA.3f9c…@example.com".
    # None: notifications carry no Reply-To of our own (replies then thread by
    # In-Reply-To/References alone).
    "REPLY_ADDRESS": None,
    # Slug of the department that gets mail sent to an address no department has;
    # None: such mail is held.
    "INBOUND_DEFAULT_DEPARTMENT": None,
    # A new mail from an address no user has: "create" a customer account (unusable
    # password), "hold" it for staff, or "reject" it (ignored).
    "INBOUND_UNKNOWN_SENDER": "create",
    # IMAP mailboxes read by helpdesk_tickets_fetchmail: a list of dicts with "host",
    # "username", "password" and optionally "name", "port", "security" ("ssl", "starttls";
    # "none" only for localhost), "folder" ("INBOX"), "processed_folder" ("Processed"),
    # "held_folder", "recipient" (the envelope recipient to assume), "verify", "cafile",
    # "timeout"; see docs/email.rst.
    "INBOUND_MAILBOXES": [],
    # Raw messages larger than this (bytes) are recorded and held, not processed.
    "INBOUND_MAX_SIZE": 30 * 1024 * 1024,
    # A message still "received" this long after processing started is picked up again.
    "INBOUND_RETRY_AFTER": timedelta(minutes=10),
    # Seconds between delivery attempts of an outgoing e-mail; after the last one it is
    # given up ("failed", visible in the admin with "send again").
    "OUTBOX_RETRY_DELAYS": [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600],
    # E-mails one worker sends per batch (one SMTP connection).
    "OUTBOX_BATCH_SIZE": 100,
    # The alias in settings.TASKS whose backend delivers the outbox.
    "TASK_BACKEND": "default",
    # --- webhooks (docs: "Webhooks") ---
    # Seconds between delivery attempts of a webhook; after the last one it is given up
    # ("failed", visible in the admin with "retry now").
    "WEBHOOK_RETRY_DELAYS": [5, 300, 1800, 7200, 5 * 3600, 10 * 3600, 10 * 3600],
    # Deliveries one worker sends per batch.
    "WEBHOOK_BATCH_SIZE": 50,
    # Seconds a receiver has to accept the connection and answer, in all.
    "WEBHOOK_TIMEOUT": 10,
    # False: URLs resolving to loopback, private, link-local, multicast, reserved or cloud
    # metadata addresses are refused. True: all but the metadata addresses are allowed. A list
    # of networks ("10.0.0.0/8", "127.0.0.1/32"): those only.
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
    # After "rotate the secret", deliveries are signed with the old secret too for this long.
    "WEBHOOK_SECRET_ROTATION_GRACE": timedelta(hours=24),
    # Domain of our Message-IDs; None: the domain of REPLY_ADDRESS, else of the From address.
    "MESSAGE_ID_DOMAIN": None,
    # Scheme and host put before links in e-mails, e.g. "https://example.com".
    "SITE_URL": "",
    # From address of notification e-mails; None means settings.DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": None,
    # Dotted path of a callable user -> str naming a person on every page, e-mail and API
    # answer; None: the full name if the user model has one, else the username (users.py).
    "USER_DISPLAY": None,
    # The permission codename (app label helpdesk_tickets) that lets a user see
    # every department's tickets.
    "SUPERVISOR_PERMISSION": "helpdesk_tickets.view_all_tickets",
    # How long an Idempotency-Key is remembered.
    "IDEMPOTENCY_KEY_TTL": timedelta(hours=24),
    # Optional cap on a customer's open tickets (None: no cap).
    "MAX_OPEN_TICKETS_PER_CUSTOMER": None,
    # Page size of web lists.
    "PAGE_SIZE": 25,
    # Per-user rate limits, as DRF rates ("N/second|minute|hour|day"), for the API and the
    # customer portal alike, counted in one budget per user (see ratelimit.py):
    # "ticket_create" limits new tickets, "reply" limits replies.
    # A scope left out keeps its default; a scope set to None is not throttled.
    "API_THROTTLE_RATES": {"ticket_create": "30/hour", "reply": "120/hour"},
    # The Content-Security-Policy of the app's pages (see csp.py), as {directive: [sources]}
    # like Django 6's SECURE_CSP, or a string; "<CSP_NONCE_SENTINEL>" is the request's nonce.
    # None sends none. A host with a policy of its own keeps it.
    "CONTENT_SECURITY_POLICY": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "<CSP_NONCE_SENTINEL>"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

SETTING_NAME = "HELPDESK_TICKETS"


class Settings:
    """Lazy view of ``settings.HELPDESK_TICKETS`` merged over :data:`DEFAULTS`."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid {SETTING_NAME} setting: {name!r}")
        return self.user_settings.get(name, DEFAULTS[name])

    @property
    def user_settings(self):
        return getattr(django_settings, SETTING_NAME, None) or {}

    def unknown_keys(self):
        return sorted(set(self.user_settings) - set(DEFAULTS))


settings = Settings()
