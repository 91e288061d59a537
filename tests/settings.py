"""Test settings: the example project's, with the database from DATABASE_URL.

SQLite uses a file (not :memory:) so that threads in concurrency tests
share one database.
"""

import atexit
import os
import shutil
import tempfile

import django

os.environ.setdefault("DJANGO_DEBUG", "1")

from example_project.settings import *  # noqa: E402,F403
from example_project.settings import DATABASES  # noqa: E402

_tmp = tempfile.mkdtemp(prefix="helpdesk-tests-")
# The SQLite file and uploaded attachments go with the run.
atexit.register(shutil.rmtree, _tmp, ignore_errors=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_tmp, "test.sqlite3")}
else:
    # A distinct test database per run name, so that parallel runs (tox envs,
    # several checkouts) on one server do not trample each other.
    DATABASES["default"]["TEST"] = {"NAME": "test_helpdesk_" + os.environ.get("TEST_DB_SUFFIX", "default")}
DATABASES["default"]["CONN_MAX_AGE"] = 0

MEDIA_ROOT = os.path.join(_tmp, "media")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
HELPDESK_TICKETS = {
    "BASE_TEMPLATE": "site_base.html",
    "REFERENCE_PREFIX": "HD",
    # The locmem cache outlives each test, and user ids repeat between tests:
    # rate-limit tests set low limits explicitly, everything else gets room.
    "API_THROTTLE_RATES": {"ticket_create": "10000/hour", "reply": "10000/hour"},
    # The webhook tests' receiver listens on 127.0.0.1; every other private address stays refused.
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": ["127.0.0.1/32"],
}
# Notifications are delivered right after commit, in the test's own process;
# the worker's own tests switch to the database backend.
TASKS = {
    "default": {
        "BACKEND": ("django.tasks" if django.VERSION >= (6, 0) else "django_tasks")
        + ".backends.immediate.ImmediateBackend"
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
