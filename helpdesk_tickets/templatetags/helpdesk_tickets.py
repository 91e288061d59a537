"""Template tags and filters of helpdesk_tickets: ``{% load helpdesk_tickets %}``.

Dates follow ``HELPDESK_TICKETS["JALALI_DATES"]``: with ``"auto"`` (the
default) they are shown in the Solar Hijri (Jalali) calendar with Persian
digits when the active language is Persian, and in the Gregorian calendar
otherwise. Every value is converted to the current time zone first.
"""

from datetime import date, datetime, timedelta

import jdatetime
from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext, pgettext

from .. import permissions, users
from ..attachments import is_previewable
from ..conf import settings as app_settings
from ..text import format_size as _format_size

register = template.Library()

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)


def _language():
    return (get_language() or "").split("-")[0]


def use_persian_digits():
    """Persian text reads numbers in Persian digits."""
    return _language() == "fa"


def use_jalali():
    """Whether dates are shown in the Jalali calendar for the active language."""
    setting = app_settings.JALALI_DATES
    if setting == "auto":
        return _language() == "fa"
    return bool(setting)


def localize_digits(value):
    """``value`` as text, with Persian digits when the active language is Persian."""
    text = str(value)
    return text.translate(_PERSIAN_DIGITS) if use_persian_digits() else text


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


#: The month names in Latin letters, for Jalali dates in other languages (``JALALI_DATES = True``).
_JALALI_MONTHS_LATIN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)


def _jalali_date_text(value):
    jd = jdatetime.date.fromgregorian(date=value if not isinstance(value, datetime) else value.date())
    months = _JALALI_MONTHS if _language() == "fa" else _JALALI_MONTHS_LATIN
    return f"{jd.day} {months[jd.month - 1]} {jd.year}"


@register.filter
def helpdesk_digits(value):
    """Numbers in the digits of the active language (Persian digits in ``fa``)."""
    if value is None:
        return ""
    return localize_digits(value)


@register.filter
def helpdesk_date(value):
    """A date (or the date of a datetime) in the calendar of the active language."""
    if not value:
        return ""
    value = _local(value)
    if use_jalali():
        return localize_digits(_jalali_date_text(value))
    return localize_digits(date_format(value, "DATE_FORMAT"))


@register.filter
def helpdesk_datetime(value):
    """A moment with its time of day, in the calendar of the active language."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return helpdesk_date(value)
    value = _local(value)
    clock = f"{value.hour:02d}:{value.minute:02d}"
    if use_jalali():
        # Translators: a date followed by a time of day, e.g. "3 Mehr 1403, 14:05".
        text = pgettext("date and time", "%(date)s, %(time)s") % {"date": _jalali_date_text(value), "time": clock}
    else:
        text = pgettext("date and time", "%(date)s, %(time)s") % {
            "date": date_format(value, "DATE_FORMAT"),
            "time": clock,
        }
    return localize_digits(text)


@register.filter
def helpdesk_isoformat(value):
    """Machine-readable moment for ``<time datetime="…">``."""
    if not value:
        return ""
    if isinstance(value, datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _duration_parts(seconds):
    minutes = max(0, int(seconds) // 60)
    days, minutes = divmod(minutes, 60 * 24)
    hours, minutes = divmod(minutes, 60)
    return days, hours, minutes


def _duration_text(days, hours, minutes):
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes and not days:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    if not parts:
        return ngettext("%(count)d minute", "%(count)d minutes", 1) % {"count": 1}
    # Two parts at most: "2 days 3 hours" says enough.
    return pgettext("list of duration parts", " and ").join(parts[:2])


@register.filter
def helpdesk_duration(value):
    """A timedelta as words: "25 minutes", "2 hours and 10 minutes", "3 days"."""
    if value is None or value == "":
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return localize_digits(_duration_text(*_duration_parts(seconds)))


@register.filter
def helpdesk_timesince(value, now=None):
    """How long ago ``value`` was: "just now", "5 minutes ago", "3 days ago"."""
    if not value:
        return ""
    now = now or timezone.now()
    if isinstance(value, datetime) and timezone.is_naive(value) and timezone.is_aware(now):
        value = timezone.make_aware(value)
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return pgettext("relative time", "just now")
    days, hours, minutes = _duration_parts(seconds)
    if days >= 30:
        return helpdesk_date(value)
    if days:
        text = ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    elif hours:
        text = ngettext("%(count)d hour ago", "%(count)d hours ago", hours) % {"count": hours}
    else:
        text = ngettext("%(count)d minute ago", "%(count)d minutes ago", minutes) % {"count": minutes}
    return localize_digits(text)


def format_size(value):
    """A file size in the words and digits of the active language (:func:`helpdesk_tickets.text.format_size`)."""
    return _format_size(value)


@register.filter
def helpdesk_filesize(value):
    """A file size ("2.5 MB") with the digits of the active language."""
    if value is None or value == "":
        return ""
    return format_size(value)


@register.filter
def helpdesk_name(user):
    """How the helpdesk names a person (the ``USER_DISPLAY`` setting)."""
    return users.display_name(user)


@register.filter
def helpdesk_public_name(user):
    """A staff member's name as customers may see it: "" rather than an e-mail address."""
    return users.public_name(user)


@register.filter
def helpdesk_email(user):
    """The person's e-mail address (the user model's ``EMAIL_FIELD``), or ""."""
    return users.email_address(user)


@register.filter
def helpdesk_is_agent(user):
    """Whether ``user`` may use the staff workspace."""
    return permissions.is_agent(user)


@register.filter
def helpdesk_status_class(status):
    """CSS modifier of a status badge (``hdt-badge-in_progress`` …)."""
    return f"hdt-badge hdt-badge-{status}"


@register.filter
def helpdesk_isolate(value):
    """Text isolated for bidi (U+2068 … U+2069), for places without markup such as the page title."""
    from ..text import isolate

    return isolate(value)


@register.filter
def helpdesk_paragraphs(value):
    """A message body as paragraphs, each with its own direction (``<p dir="auto">``): a Persian reply
    quoting an English error reads right to left, the error left to right. Line breaks inside a
    paragraph are kept (``<br>``); the text is escaped."""
    import re

    from django.utils.html import escape, format_html_join
    from django.utils.safestring import mark_safe

    paragraphs = [part.strip("\n") for part in re.split(r"\n[ \t]*\n", str(value or "").replace("\r\n", "\n"))]
    return format_html_join(
        "",
        '<p dir="auto">{}</p>',
        ((mark_safe(escape(part).replace("\n", "<br>")),) for part in paragraphs if part.strip()),  # nosec B308 B703 - escaped before the <br> join
    )


@register.filter
def helpdesk_previewable(attachment):
    """Whether the attachment gets a thumbnail and opens in the browser (a raster image)."""
    return is_previewable(getattr(attachment, "content_type", ""))
