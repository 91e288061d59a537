"""The example project in production mode passes Django's deployment checklist."""

import os
import secrets
import subprocess
import sys

from tests.paths import ROOT

EXAMPLE = ROOT / "example_project"
#: Set by the test run itself (conftest, the shell), not by a deployment.
NOT_INHERITED = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}


def run_example(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    environment.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="example.com",
        DATABASE_URL="sqlite:///:memory:",
        **env,
    )
    return subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warnings():
    result = run_example("check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=secrets.token_urlsafe(60))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    for env in ({}, {"DJANGO_SECRET_KEY": ""}):
        result = run_example("check", **env)
        assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
