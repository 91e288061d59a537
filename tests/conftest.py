"""Shared fixtures: a headless Chromium (Playwright) for the browser tests.

Browser tests are marked ``@pytest.mark.browser`` and use pytest-django's
``live_server`` (a free port on 127.0.0.1). When one fails, the screenshots
it took at each step are written to ``test-artifacts/<test name>/``; with
``HELPDESK_SCREENSHOTS=always`` in the environment they are kept for every test.
"""

import os
import re
from pathlib import Path

import pytest

from tests.paths import ROOT

# Playwright's sync API runs an event loop in this thread; Django would refuse
# ORM calls from a test that drives it without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached figures must not leak between tests (primary keys repeat)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    """The API tests' cast: two departments, their agents, a supervisor, two customers, a ticket with files."""
    from tests.api.helpers import World

    return World()


@pytest.fixture
def desk(db):
    """The security tests' cast: a department with one offered type, an agent and two customers."""
    from tests.security.helpers import Desk

    return Desk()


@pytest.fixture(autouse=True)
def _forget_holidays():
    """Each process keeps the Holiday rows it read (``sla.holidays``): a test's rolled-back rows must not outlive it."""
    from helpdesk_tickets import sla

    sla.forget_holidays()
    yield
    sla.forget_holidays()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    """One browser for the session (skips the browser tests when Chromium is missing)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screenshots:
    """Screenshots taken along a test, kept in memory and written only if the test fails."""

    def __init__(self, page):
        self.page = page
        self.shots = []

    def __call__(self, name):
        self.shots.append((f"{len(self.shots) + 1:02d}-{name}.png", self.page.screenshot(full_page=True)))

    def save(self, folder, last="at-failure"):
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.shots:
            (folder / name).write_bytes(data)
        try:
            (folder / f"{len(self.shots) + 1:02d}-{last}.png").write_bytes(self.page.screenshot(full_page=True))
        except Exception:  # the page may be gone; the earlier steps are still saved
            pass


@pytest.fixture
def browser_context_args():
    """Override in a test module or parametrize to change locale, viewport…"""
    return {"locale": "en-US", "viewport": {"width": 1100, "height": 900}}


@pytest.fixture
def page(request, chromium, browser_context_args):
    """A fresh browser tab; ``page.snap(name)`` records a step's screenshot."""
    context = chromium.new_context(**browser_context_args)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.snap = Screenshots(tab)
    yield tab
    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    if failed or os.environ.get("HELPDESK_SCREENSHOTS") == "always":
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        tab.snap.save(folder, last="at-failure" if failed else "last")
    context.close()
