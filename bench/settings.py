"""Settings of the benchmark: the example project's, on a benchmark database, tuned as for production.

``BENCH_DATABASE_URL`` names the database (``bench_ours`` on PostgreSQL, or
an SQLite file). DEBUG is off; the per-user throttle of ticket creation is
lifted (the throughput test posts thousands of tickets as a few users);
e-mails stay in memory; the cache is a dummy, so that the dashboard's
figures are computed on every request rather than served from a 60-second
cache.
"""

import os

import dj_database_url
import django
from example_project.settings import *  # noqa: F403
from example_project.settings import HELPDESK_TICKETS, TEMPLATES

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
# The HTML floor's template (bench/templates/bench/floor_queue.html).
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], os.path.join(os.path.dirname(__file__), "templates")]}]
DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_DATABASE_URL"], conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HELPDESK_TICKETS = {**HELPDESK_TICKETS, "API_THROTTLE_RATES": {"ticket_create": None, "reply": None}}
if os.environ.get("BENCH_NOTIFICATIONS") != "queued":
    # "inline": the outbox delivered in the request's own process after commit, as with
    # HELPDESK_TASKS=immediate; "queued": the rows and their task are only written (the
    # example settings' database backend, no worker running), the request's own cost.
    _tasks = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    TASKS = {"default": {"BACKEND": f"{_tasks}.backends.immediate.ImmediateBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT", "/tmp/bench-media")
