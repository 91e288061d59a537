"""System checks: every misconfiguration is reported by ``manage.py check`` with its own id."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from helpdesk_tickets.checks import check_settings


def ids(errors):
    return sorted({e.id for e in errors})


def errors_for(**helpdesk):
    with override_settings(HELPDESK_TICKETS=helpdesk):
        return check_settings()


def test_defaults_are_clean():
    with override_settings(HELPDESK_TICKETS={}):
        assert check_settings() == []


def test_missing_setting_is_clean(settings):
    del settings.HELPDESK_TICKETS
    assert check_settings() == []


def test_a_full_valid_configuration_is_clean():
    assert (
        errors_for(
            BASE_TEMPLATE="site_base.html",
            ATTACHMENT_STORAGE="default",
            MAX_ATTACHMENT_SIZE=5 * 1024 * 1024,
            MAX_ATTACHMENTS_PER_MESSAGE=0,
            ALLOWED_ATTACHMENT_EXTENSIONS=["pdf", ".PNG"],
            DUPLICATE_WINDOW=timedelta(hours=2),
            BUSINESS_HOURS=("08:30", "17:00"),
            WEEKEND_DAYS=[4],
            HOLIDAYS=["2026-03-21"],
            BUSINESS_TIME_ZONE="Asia/Tehran",
            JALALI_DATES=False,
            REFERENCE_PREFIX="",
            REPLY_ADDRESS="reply@example.com",
            INBOUND_UNKNOWN_SENDER="hold",
            INBOUND_MAILBOXES=[{"host": "imap.example.com", "username": "support", "password": "secret"}],
            OUTBOX_RETRY_DELAYS=[10, 60],
            MAX_OPEN_TICKETS_PER_CUSTOMER=3,
            HOLIDAY_CACHE_SECONDS=0,
        )
        == []
    )


def test_setting_that_is_not_a_dict():
    with override_settings(HELPDESK_TICKETS=["BASE_TEMPLATE"]):
        assert ids(check_settings()) == ["helpdesk_tickets.E001"]


@pytest.mark.parametrize(
    "helpdesk, expected",
    [
        ({"MAX_ATACHMENT_SIZE": 1024}, "E002"),
        ({"ATTACHMENT_STORAGE": "s3-does-not-exist"}, "E003"),
        ({"MAX_ATTACHMENT_SIZE": -1}, "E004"),
        ({"MAX_ATTACHMENT_SIZE": "10MB"}, "E004"),
        ({"MAX_ATTACHMENTS_PER_MESSAGE": -1}, "E004"),
        ({"PAGE_SIZE": 0}, "E004"),
        ({"AUTO_CLOSE_AFTER": True}, "E004"),
        ({"MAX_OPEN_TICKETS_PER_CUSTOMER": 0}, "E004"),
        ({"HOLIDAY_CACHE_SECONDS": -1}, "E004"),
        ({"HOLIDAY_CACHE_SECONDS": 1.5}, "E004"),
        ({"DUPLICATE_WINDOW": 3600}, "E005"),
        ({"DEFAULT_FIRST_RESPONSE_TARGET": timedelta(0)}, "E005"),
        ({"SLA_WARNING_BEFORE": 900}, "E005"),
        ({"SLA_WARNING_BEFORE": timedelta(0)}, "E005"),
        ({"ALLOWED_ATTACHMENT_EXTENSIONS": "pdf,png"}, "E006"),
        ({"BUSINESS_HOURS": ("17:00", "09:00")}, "E007"),
        ({"BUSINESS_HOURS": ("9am", "5pm")}, "E007"),
        ({"BUSINESS_HOURS": "09:00-17:00"}, "E007"),
        ({"WEEKEND_DAYS": [7]}, "E008"),
        ({"WEEKEND_DAYS": ["friday"]}, "E008"),
        ({"WEEKEND_DAYS": list(range(7))}, "E008"),
        ({"HOLIDAYS": ["2026-02-30"]}, "E009"),
        ({"HOLIDAYS": ["21/03/2026"]}, "E009"),
        ({"BUSINESS_TIME_ZONE": "Mars/Olympus"}, "E010"),
        ({"JALALI_DATES": "yes"}, "E011"),
        ({"REFERENCE_PREFIX": "HD-"}, "E012"),
        ({"REPLY_ADDRESS": "reply+tag@example.com"}, "E013"),
        ({"REPLY_ADDRESS": "not an address"}, "E013"),
        ({"INBOUND_UNKNOWN_SENDER": "accept"}, "E013"),
        ({"OUTBOX_RETRY_DELAYS": [60, 0]}, "E013"),
        ({"INBOUND_MAILBOXES": [{"host": "imap.example.com"}]}, "E013"),
        ({"TASK_BACKEND": "no-such-alias"}, "E013"),
        ({"SUPERVISOR_PERMISSION": "view_all_tickets"}, "E014"),
    ],
)
def test_each_bad_value_is_reported(helpdesk, expected):
    errors = errors_for(**helpdesk)
    assert ids(errors) == [f"helpdesk_tickets.{expected}"], errors
    # The message names the offending key so the fix is obvious.
    assert next(iter(helpdesk)) in errors[0].msg


def test_the_old_dispatcher_setting_says_what_replaced_it():
    (error,) = errors_for(NOTIFICATION_DISPATCHER="myproject.send")
    assert error.id == "helpdesk_tickets.E002" and "settings.TASKS" in error.hint


def test_active_content_extensions_warn():
    (warning,) = errors_for(ALLOWED_ATTACHMENT_EXTENSIONS=["pdf", "svg"])
    assert warning.id == "helpdesk_tickets.W001" and not warning.is_serious()


def test_unknown_key_hint_lists_the_known_keys():
    (error,) = errors_for(REFERENCE_PREFX="X")
    assert "REFERENCE_PREFIX" in error.hint


def test_manage_py_check_fails_on_a_bad_value():
    with override_settings(HELPDESK_TICKETS={"BUSINESS_TIME_ZONE": "Nowhere/Town"}):
        with pytest.raises(SystemCheckError, match="helpdesk_tickets.E010"):
            call_command("check", tags=["compatibility"])
