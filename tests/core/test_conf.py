"""The settings object: documented defaults, per-key overrides, unknown names refused."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings

from helpdesk_tickets.conf import DEFAULTS
from helpdesk_tickets.conf import settings as app_settings
from tests.paths import ROOT


def test_defaults_when_nothing_is_set(settings):
    del settings.HELPDESK_TICKETS
    assert app_settings.BASE_TEMPLATE == "helpdesk_tickets/standalone.html"
    assert app_settings.ATTACHMENT_STORAGE == "default"
    assert app_settings.MAX_ATTACHMENT_SIZE == 10 * 1024 * 1024
    assert app_settings.MAX_ATTACHMENTS_PER_MESSAGE == 5
    assert app_settings.DUPLICATE_WINDOW == timedelta(hours=24)
    assert app_settings.DEFAULT_FIRST_RESPONSE_TARGET == timedelta(minutes=30)
    assert app_settings.JALALI_DATES == "auto"
    assert app_settings.REPLY_ADDRESS is None and app_settings.INBOUND_UNKNOWN_SENDER == "create"
    assert {name: getattr(app_settings, name) for name in DEFAULTS} == DEFAULTS


def test_a_key_set_by_the_host_wins_and_the_others_keep_their_defaults():
    with override_settings(HELPDESK_TICKETS={"REFERENCE_PREFIX": "SUP", "MAX_ATTACHMENTS_PER_MESSAGE": 2}):
        assert app_settings.REFERENCE_PREFIX == "SUP"
        assert app_settings.MAX_ATTACHMENTS_PER_MESSAGE == 2
        assert app_settings.MAX_ATTACHMENT_SIZE == DEFAULTS["MAX_ATTACHMENT_SIZE"]


def test_override_settings_is_seen_at_once_and_undone_after():
    before = app_settings.DUPLICATE_WINDOW
    with override_settings(HELPDESK_TICKETS={"DUPLICATE_WINDOW": timedelta(minutes=5)}):
        assert app_settings.DUPLICATE_WINDOW == timedelta(minutes=5)
    assert app_settings.DUPLICATE_WINDOW == before


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="NO_SUCH_SETTING"):
        getattr(app_settings, "NO_SUCH_SETTING")  # noqa: B009


def test_unknown_keys_are_listed_for_the_checks():
    with override_settings(HELPDESK_TICKETS={"PAGE_SIZE": 10, "PAGESIZE": 10}):
        assert app_settings.unknown_keys() == ["PAGESIZE"]


def test_every_setting_is_documented():
    reference = (ROOT / "docs" / "settings.rst").read_text()
    headings = set(re.findall(r"^([A-Z][A-Z0-9_]+)\n~+$", reference, re.MULTILINE))
    assert headings == set(DEFAULTS)
