"""Persian and English: direction, Jalali dates, Persian digits, complete catalogues."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.template import Context, Template
from django.utils import timezone, translation

import helpdesk_tickets
from helpdesk_tickets.templatetags.helpdesk_tickets import (
    helpdesk_date,
    helpdesk_datetime,
    helpdesk_digits,
    helpdesk_duration,
    helpdesk_timesince,
)
from tests.factories import UserFactory
from tests.portal.helpers import make_catalogue, open_ticket

LOCALE = Path(helpdesk_tickets.__file__).parent / "locale"
# 20:45 UTC on 20 March 2024 is 00:15 on 21 March in Tehran: 2 Farvardin 1403.
MOMENT = datetime(2024, 3, 20, 20, 45, tzinfo=UTC)


@pytest.fixture(autouse=True)
def tehran():
    with timezone.override("Asia/Tehran"):
        yield


def test_persian_dates_are_jalali_with_persian_digits():
    with translation.override("fa"):
        assert helpdesk_date(MOMENT) == "۲ فروردین ۱۴۰۳"
        assert helpdesk_datetime(MOMENT).startswith("۲ فروردین ۱۴۰۳") and "۰۰:۱۵" in helpdesk_datetime(MOMENT)
        assert helpdesk_digits(1234) == "۱۲۳۴"


def test_english_dates_are_gregorian_in_the_current_time_zone():
    with translation.override("en"):
        assert helpdesk_date(MOMENT) == "March 21, 2024"
        assert helpdesk_datetime(MOMENT) == "March 21, 2024, 00:15"
        assert helpdesk_digits(1234) == "1234"


def test_jalali_setting_can_force_either_calendar(settings):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "JALALI_DATES": False}
    with translation.override("fa"):
        assert "2024" in helpdesk_date(MOMENT).translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, "JALALI_DATES": True}
    with translation.override("en"):
        assert helpdesk_date(MOMENT) == "2 Farvardin 1403"


def test_relative_times_and_durations():
    now = timezone.now()
    with translation.override("fa"):
        assert helpdesk_timesince(now - timedelta(minutes=5), now) == "۵ دقیقه پیش"
        assert helpdesk_timesince(now - timedelta(seconds=10), now) == "همین حالا"
        assert helpdesk_duration(timedelta(minutes=30)) == "۳۰ دقیقه"
    with translation.override("en"):
        assert helpdesk_timesince(now - timedelta(minutes=5), now) == "5 minutes ago"
        assert helpdesk_timesince(now - timedelta(hours=1, minutes=3), now) == "1 hour ago"
        assert helpdesk_timesince(now - timedelta(days=2), now) == "2 days ago"
        assert helpdesk_duration(timedelta(hours=2, minutes=10)) == "2 hours and 10 minutes"
        assert helpdesk_duration(timedelta(seconds=20)) == "1 minute"


def test_filters_are_usable_from_templates():
    template = Template("{% load helpdesk_tickets %}{{ value|helpdesk_date }}")
    with translation.override("fa"):
        assert template.render(Context({"value": MOMENT})) == "۲ فروردین ۱۴۰۳"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, direction, texts",
    [
        ("fa", "rtl", ["لیست تیکت‌ها", "ارسال تیکت", "پشتیبانی"]),
        ("en", "ltr", ["Ticket list", "Send ticket", "Support"]),
    ],
)
def test_pages_follow_the_active_language(client, language, direction, texts):
    department, types, _ = make_catalogue()
    make_catalogue()  # two departments: step 1 is shown, not skipped
    customer = UserFactory()
    ticket = open_ticket(customer, department, types[0])
    client.force_login(customer)
    for url in ("/support/", ticket.get_absolute_url(), "/support/new/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<html lang="{language}" dir="{direction}">' in html
        for text in texts:
            assert text in html


def _catalogue(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        return read_po(handle)


def test_persian_catalogue_is_complete_and_compiled():
    catalogue = _catalogue("fa")
    assert len(catalogue) > 100
    missing = [m.id for m in catalogue if m.id and not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []

    # The compiled catalogue says what the .po says (nobody forgot compilemessages).
    def key(message):
        context = message.context.decode() if isinstance(message.context, bytes) else message.context
        return context, tuple(message.id) if isinstance(message.id, list | tuple) else message.id

    def text(message):
        return tuple(message.string) if isinstance(message.string, list | tuple) else message.string

    with open(LOCALE / "fa" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = {key(m): text(m) for m in read_mo(handle) if m.id}
    stale = [m.id for m in catalogue if m.id and not m.fuzzy and compiled.get(key(m)) != text(m)]
    assert stale == []


def test_persian_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in _catalogue("fa"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(placeholder.findall(ids[-1]))
        for string in strings:
            assert set(placeholder.findall(string)) == expected, message.id


def test_english_catalogue_is_compiled():
    assert (LOCALE / "en" / "LC_MESSAGES" / "django.mo").exists()


def test_every_string_of_the_app_has_its_persian_translation(tmp_path):
    """makemessages over a copy of the package finds no string the Persian catalogue lacks."""
    import os
    import shutil
    import subprocess  # nosec B404: gettext's own tools, on a copy of the package
    import sys

    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            raise AssertionError("gettext (xgettext) is missing; .ci/run installs it")
        pytest.skip("gettext is not installed")
    package = LOCALE.parent
    copy = tmp_path / "helpdesk_tickets"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    script = (
        "import django; from django.conf import settings; settings.configure(USE_I18N=True); django.setup(); "
        "from django.core.management import call_command; "
        "call_command('makemessages', locale=['fa'], no_location=True, verbosity=0)"
    )
    subprocess.run([sys.executable, "-c", script], cwd=copy, check=True)  # nosec B603
    with open(copy / "locale" / "fa" / "LC_MESSAGES" / "django.po", "rb") as handle:
        extracted = read_po(handle)
    untranslated = [
        m.id for m in extracted if m.id and (m.fuzzy or not (all(m.string) if m.pluralizable else m.string))
    ]
    assert untranslated == []
