"""System checks: misconfiguration is reported by ``manage.py check``, not at request time."""

from datetime import timedelta

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from . import ratelimit
from .conf import DEFAULTS, SETTING_NAME
from .conf import settings as app_settings
from .sla import parse_hours


def _error(msg, id, hint=None):
    return Error(msg, hint=hint, id=f"helpdesk_tickets.{id}")


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    errors = []
    raw = getattr(django_settings, SETTING_NAME, None)
    if raw is not None and not isinstance(raw, dict):
        return [_error(f"{SETTING_NAME} must be a dict.", "E001")]
    for name in app_settings.unknown_keys():
        errors.append(
            _error(
                f"{SETTING_NAME} has an unknown key {name!r}.",
                "E002",
                hint=(
                    "Notifications are outbox rows delivered by Django's tasks framework now: "
                    'configure settings.TASKS (docs: "E-mail channel").'
                    if name == "NOTIFICATION_DISPATCHER"
                    else "Known keys: " + ", ".join(sorted(DEFAULTS))
                ),
            )
        )
    storages = getattr(django_settings, "STORAGES", {}) or {}
    if app_settings.ATTACHMENT_STORAGE not in storages:
        errors.append(
            _error(
                f"{SETTING_NAME}['ATTACHMENT_STORAGE'] is {app_settings.ATTACHMENT_STORAGE!r}, "
                "which is not a key of settings.STORAGES.",
                "E003",
                hint="Use one of: " + ", ".join(sorted(storages)),
            )
        )
    for name in ("MAX_ATTACHMENT_SIZE", "MAX_ATTACHMENTS_PER_MESSAGE", "AUTO_CLOSE_AFTER", "PAGE_SIZE"):
        value = getattr(app_settings, name)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < (0 if name == "MAX_ATTACHMENTS_PER_MESSAGE" else 1)
        ):
            errors.append(_error(f"{SETTING_NAME}['{name}'] must be a positive whole number, not {value!r}.", "E004"))
    seconds = app_settings.HOLIDAY_CACHE_SECONDS
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        errors.append(
            _error(f"{SETTING_NAME}['HOLIDAY_CACHE_SECONDS'] must be 0 or more whole seconds, not {seconds!r}.", "E004")
        )
    sample = app_settings.RESPONSE_TIME_MIN_SAMPLE
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 1:
        errors.append(_error(f"{SETTING_NAME}['RESPONSE_TIME_MIN_SAMPLE'] must be a positive number.", "E004"))
    cap = app_settings.MAX_OPEN_TICKETS_PER_CUSTOMER
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        errors.append(
            _error(f"{SETTING_NAME}['MAX_OPEN_TICKETS_PER_CUSTOMER'] must be None or a positive number.", "E004")
        )
    for name in (
        "DUPLICATE_WINDOW",
        "DEFAULT_FIRST_RESPONSE_TARGET",
        "DEFAULT_RESOLUTION_TARGET",
        "RESPONSE_TIME_WINDOW",
        "IDEMPOTENCY_KEY_TTL",
    ):
        value = getattr(app_settings, name)
        if not isinstance(value, timedelta) or value <= timedelta(0):
            errors.append(_error(f"{SETTING_NAME}['{name}'] must be a positive timedelta, not {value!r}.", "E005"))
    before = app_settings.SLA_WARNING_BEFORE
    if before is not None and (not isinstance(before, timedelta) or before <= timedelta(0)):
        errors.append(
            _error(
                f"{SETTING_NAME}['SLA_WARNING_BEFORE'] must be None or a positive timedelta, not {before!r}.", "E005"
            )
        )
    exts = app_settings.ALLOWED_ATTACHMENT_EXTENSIONS
    if isinstance(exts, str) or not all(isinstance(e, str) and e for e in exts):
        errors.append(_error(f"{SETTING_NAME}['ALLOWED_ATTACHMENT_EXTENSIONS'] must be a list of extensions.", "E006"))
    elif {e.lower().lstrip(".") for e in exts} & {"html", "htm", "svg", "xhtml", "js", "xml", "exe"}:
        errors.append(
            Warning(
                f"{SETTING_NAME}['ALLOWED_ATTACHMENT_EXTENSIONS'] allows active content (HTML, SVG, XML, JS or EXE).",
                hint="Such files are always served as downloads, but accepting them is rarely wise.",
                id="helpdesk_tickets.W001",
            )
        )
    try:
        hours = parse_hours(app_settings.BUSINESS_HOURS)
        if hours is not None and not hours[0] < hours[1]:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(
            _error(
                f"{SETTING_NAME}['BUSINESS_HOURS'] must be None or a (start, end) pair like ('09:00', '17:00') "
                f"with start before end, not {app_settings.BUSINESS_HOURS!r}.",
                "E007",
            )
        )
    weekend = app_settings.WEEKEND_DAYS
    if isinstance(weekend, str) or not all(isinstance(d, int) and 0 <= d <= 6 for d in weekend):
        errors.append(
            _error(f"{SETTING_NAME}['WEEKEND_DAYS'] must list weekday numbers 0 (Monday) to 6 (Sunday).", "E008")
        )
    elif len(set(weekend)) == 7:
        errors.append(_error(f"{SETTING_NAME}['WEEKEND_DAYS'] leaves no working day.", "E008"))
    from datetime import date

    for day in app_settings.HOLIDAYS:
        try:
            if not isinstance(day, date):
                date.fromisoformat(day)
        except (TypeError, ValueError):
            errors.append(_error(f"{SETTING_NAME}['HOLIDAYS'] has {day!r}, which is not a YYYY-MM-DD date.", "E009"))
    tz = app_settings.BUSINESS_TIME_ZONE
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            errors.append(_error(f"{SETTING_NAME}['BUSINESS_TIME_ZONE'] {tz!r} is not a known time zone.", "E010"))
    if app_settings.JALALI_DATES not in ("auto", True, False):
        errors.append(_error(f"{SETTING_NAME}['JALALI_DATES'] must be 'auto', True or False.", "E011"))
    prefix = app_settings.REFERENCE_PREFIX
    if not isinstance(prefix, str) or len(prefix) > 10 or not all(c.isascii() and (c.isalnum()) for c in prefix):
        errors.append(_error(f"{SETTING_NAME}['REFERENCE_PREFIX'] must be up to 10 ASCII letters or digits.", "E012"))
    errors.extend(_mail_errors())
    errors.extend(_webhook_errors())
    display = app_settings.USER_DISPLAY
    if display is not None:
        try:
            if not callable(import_string(display)):
                raise ImportError
        except (ImportError, TypeError, ValueError):
            errors.append(
                _error(
                    f"{SETTING_NAME}['USER_DISPLAY'] {display!r} is not the dotted path of a callable.",
                    "E016",
                    hint="For example 'myproject.users.display_name', a function taking a user and returning a str.",
                )
            )
    perm = app_settings.SUPERVISOR_PERMISSION
    if not isinstance(perm, str) or perm.count(".") != 1:
        errors.append(_error(f"{SETTING_NAME}['SUPERVISOR_PERMISSION'] must look like 'app_label.codename'.", "E014"))
    if not _valid_policy(app_settings.CONTENT_SECURITY_POLICY):
        errors.append(
            _error(
                f"{SETTING_NAME}['CONTENT_SECURITY_POLICY'] must be None, a policy string, or a dict of "
                "directive names to lists of sources (or True).",
                "E015",
                hint="For instance {'default-src': [\"'self'\"], 'img-src': [\"'self'\", 'data:']}.",
            )
        )
    return errors


def _valid_policy(policy):
    if policy is None or isinstance(policy, str):
        return "\r" not in (policy or "") and "\n" not in (policy or "")
    if not isinstance(policy, dict):
        return False
    for directive, sources in policy.items():
        if not isinstance(directive, str) or not directive or any(c in directive for c in " ;,\r\n"):
            return False
        if isinstance(sources, str):
            sources = [sources]
        if sources in (True, False, None):
            continue
        if not isinstance(sources, (list, tuple)) or not all(
            isinstance(s, str) and s and not any(c in s for c in " ;,\r\n") for s in sources
        ):
            return False
    return True


@register(Tags.caches)
def check_rate_limit_cache(app_configs=None, **kwargs):
    """Rate limits need a cache every process shares, or each worker counts on its own."""
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    scopes = ratelimit.limited_scopes()
    if not scopes:
        return []
    cache = ratelimit.counter_cache()
    hint = (
        "Point CACHES['default'] at a cache all processes share (Redis, Memcached, the database or "
        f"files), or set the scopes of {SETTING_NAME}['API_THROTTLE_RATES'] to None."
    )
    if isinstance(cache, LocMemCache):
        return [
            Warning(
                f"Rate limits ({', '.join(scopes)}) are counted in LocMemCache, which each process keeps "
                "for itself: with N workers a user gets N times the allowance.",
                hint=hint,
                id="helpdesk_tickets.W002",
            )
        ]
    if isinstance(cache, DummyCache):
        return [
            Warning(
                f"Rate limits ({', '.join(scopes)}) are counted in DummyCache, which forgets every count: "
                "nothing is limited.",
                hint=hint,
                id="helpdesk_tickets.W003",
            )
        ]
    return []


def _mail_errors():
    """E013: the e-mail channel's settings (docs: "E-mail channel")."""
    errors = []
    reply = app_settings.REPLY_ADDRESS
    if reply is not None:
        local, at, domain = str(reply).rpartition("@")
        if not isinstance(reply, str) or not at or not local or "." not in domain or "+" in local:
            errors.append(
                _error(
                    f"{SETTING_NAME}['REPLY_ADDRESS'] {reply!r} must be a plain address such as "
                    "'reply@example.com' (no '+' tag: the app adds its own).",
                    "E013",
                )
            )
    if app_settings.INBOUND_UNKNOWN_SENDER not in ("create", "hold", "reject"):
        errors.append(_error(f"{SETTING_NAME}['INBOUND_UNKNOWN_SENDER'] must be 'create', 'hold' or 'reject'.", "E013"))
    delays = app_settings.OUTBOX_RETRY_DELAYS
    if not isinstance(delays, list | tuple) or not all(
        isinstance(delay, int | float) and delay > 0 for delay in delays
    ):
        errors.append(
            _error(f"{SETTING_NAME}['OUTBOX_RETRY_DELAYS'] must be a list of positive numbers of seconds.", "E013")
        )
    mailboxes = app_settings.INBOUND_MAILBOXES
    if not isinstance(mailboxes, list | tuple) or not all(
        isinstance(box, dict) and {"host", "username", "password"} <= set(box) for box in mailboxes
    ):
        errors.append(
            _error(
                f"{SETTING_NAME}['INBOUND_MAILBOXES'] must be a list of dicts with 'host', 'username' and 'password'.",
                "E013",
            )
        )
    alias = app_settings.TASK_BACKEND
    tasks = getattr(django_settings, "TASKS", None)
    if tasks is not None and alias not in tasks:
        errors.append(_error(f"{SETTING_NAME}['TASK_BACKEND'] {alias!r} is not a key of settings.TASKS.", "E013"))
    return errors


@register(Tags.models)
def check_departments_have_agents(app_configs=None, databases=None, **kwargs):
    """W004: an active department with no active agent takes tickets that reach no one.

    It reads the database, so it runs only when ``check`` is given databases
    (``manage.py check --database default``, and before ``migrate``) and says nothing
    while the tables do not exist yet.
    """
    from django.db import DatabaseError

    if not databases:
        return []
    try:
        from .services import unstaffed_departments

        names = [department.name for department in unstaffed_departments()]
    except DatabaseError:
        return []
    if not names:
        return []
    return [
        Warning(
            f"Active department(s) without any active agent: {', '.join(names)}. Their tickets are "
            "assigned to no one and nobody is e-mailed about them.",
            hint="Add agents to the department in the admin (Departments → Staff), or make it inactive.",
            id="helpdesk_tickets.W004",
        )
    ]


def _webhook_errors():
    """E025: the webhooks' settings (docs: "Webhooks")."""
    import ipaddress

    errors = []
    delays = app_settings.WEBHOOK_RETRY_DELAYS
    if not isinstance(delays, list | tuple) or not all(
        isinstance(delay, int | float) and not isinstance(delay, bool) and delay > 0 for delay in delays
    ):
        errors.append(
            _error(f"{SETTING_NAME}['WEBHOOK_RETRY_DELAYS'] must be a list of positive numbers of seconds.", "E025")
        )
    for name in ("WEBHOOK_BATCH_SIZE", "WEBHOOK_TIMEOUT"):
        value = getattr(app_settings, name)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            errors.append(_error(f"{SETTING_NAME}['{name}'] must be a positive number, not {value!r}.", "E025"))
    grace = app_settings.WEBHOOK_SECRET_ROTATION_GRACE
    if not isinstance(grace, timedelta) or grace < timedelta(0):
        errors.append(_error(f"{SETTING_NAME}['WEBHOOK_SECRET_ROTATION_GRACE'] must be a timedelta.", "E025"))
    allowed = app_settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    if not isinstance(allowed, bool):
        try:
            if isinstance(allowed, str):
                raise TypeError
            for network in allowed:
                ipaddress.ip_network(network, strict=False)
        except (TypeError, ValueError):
            errors.append(
                _error(
                    f"{SETTING_NAME}['WEBHOOK_ALLOW_PRIVATE_TARGETS'] must be True, False or a list of networks "
                    f"such as ['10.0.0.0/8'], not {allowed!r}.",
                    "E025",
                )
            )
    return errors
