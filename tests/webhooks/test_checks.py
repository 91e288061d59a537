"""The webhooks' settings are checked by ``manage.py check`` (helpdesk_tickets.E025)."""

from datetime import timedelta

import pytest

from helpdesk_tickets.checks import check_settings


def errors_for(settings, **values):
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, **values}
    return [error.msg for error in check_settings() if error.id == "helpdesk_tickets.E025"]


def test_the_defaults_and_the_tests_settings_pass(settings):
    assert errors_for(settings) == []
    assert errors_for(settings, WEBHOOK_ALLOW_PRIVATE_TARGETS=True) == []
    assert errors_for(settings, WEBHOOK_ALLOW_PRIVATE_TARGETS=["10.0.0.0/8", "fd00::/8"]) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBHOOK_RETRY_DELAYS", [5, -1]),
        ("WEBHOOK_RETRY_DELAYS", "5,10"),
        ("WEBHOOK_BATCH_SIZE", 0),
        ("WEBHOOK_TIMEOUT", "10"),
        ("WEBHOOK_SECRET_ROTATION_GRACE", 3600),
        ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "10.0.0.0/8"),
        ("WEBHOOK_ALLOW_PRIVATE_TARGETS", ["10.0.0.0/33"]),
    ],
)
def test_a_bad_value_is_reported_by_name(settings, name, value):
    (message,) = errors_for(settings, **{name: value})
    assert name in message


def test_a_rotation_grace_of_zero_is_allowed(settings):
    assert errors_for(settings, WEBHOOK_SECRET_ROTATION_GRACE=timedelta(0)) == []
