"""The mail server is down for a while with notifications queued: every one arrives once it is back.

    python bench/outage.py [-n 500] [--down 60]

Queues N notification e-mails on PostgreSQL (``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/bench_outage``; dropped and created
again) through the services, with the mail server (aiosmtpd on 127.0.0.1,
a process of its own) stopped. The real worker (``manage.py db_worker``,
django-tasks-db) runs throughout and meets refused connections; after
``--down`` seconds the mail server starts again on the same port. Printed:
how many Message-IDs arrived, how many distinct, how many twice, and when
the last one came.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import outbox as bench_outbox  # noqa: E402  (bench/outbox.py: the sink, the database, the queueing)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_outage"
RETRY_DELAYS = [5, 10, 15, 20, 30, 30, 60, 60, 120]


def worker_settings(directory, port):
    """A settings module for the worker: the benchmark's, with SMTP to the sink and short retry delays."""
    (directory / "outage_settings.py").write_text(
        "from bench.settings import *  # noqa\n"
        "EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\n"
        f"EMAIL_HOST, EMAIL_PORT, EMAIL_TIMEOUT = '127.0.0.1', {port}, 10\n"
        "TASKS = {'default': {'BACKEND': 'django_tasks_db.DatabaseBackend'}}\n"
        f"HELPDESK_TICKETS = {{**HELPDESK_TICKETS, 'OUTBOX_RETRY_DELAYS': {RETRY_DELAYS!r},"
        " 'REPLY_ADDRESS': 'reply@example.com'}\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--emails", type=int, default=500)
    parser.add_argument("--down", type=float, default=60, help="seconds the mail server stays down")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    bench_outbox.recreate_database(url)
    port = bench_outbox.free_port()
    scratch = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    received = scratch / "message-ids"
    received.touch()
    worker_settings(scratch, port)
    os.environ["BENCH_NOTIFICATIONS"] = "queued"
    bench_outbox.setup_django(url, port, 100)
    from django.conf import settings
    from django.db.models import Count

    from helpdesk_tickets.models import OutboundEmail, OutboxStatus

    # Rows written now are delivered by the worker: its backend, not the dummy one.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    environment = {
        **os.environ,
        "BENCH_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "outage_settings",
        "PYTHONPATH": os.pathsep.join([str(scratch), str(ROOT), str(ROOT / "example_project")]),
    }
    worker = subprocess.Popen(  # nosec B603: the project's own manage.py
        [sys.executable, str(ROOT / "example_project" / "manage.py"), "db_worker", "--interval", "0.5"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        started = time.monotonic()
        queued = bench_outbox.queue(args.emails)
        print(f"{queued} e-mails queued in {time.monotonic() - started:.1f} s; the mail server is down")
        time.sleep(max(0.0, args.down - (time.monotonic() - started)))
        pending = OutboundEmail.objects.exclude(status=OutboxStatus.SENT).count()
        attempts = sum(OutboundEmail.objects.values_list("attempts", flat=True))
        print(f"after {time.monotonic() - started:.0f} s down: {pending} not sent, {attempts} failed attempts so far")
        server = bench_outbox.start_mail_server(port, received)
        back = time.monotonic()
        print("the mail server is back")
        while time.monotonic() - back < args.timeout:
            if not OutboundEmail.objects.exclude(status=OutboxStatus.SENT).exists():
                break
            time.sleep(0.5)
        time.sleep(1)  # the last lines reach the file
        ids = received.read_text().split()
        statuses = dict(OutboundEmail.objects.order_by().values_list("status").annotate(n=Count("id")))
        print(f"arrived: {len(ids)} messages, {len(set(ids))} distinct, {len(ids) - len(set(ids))} twice")
        print(f"all sent {time.monotonic() - back:.1f} s after the server came back; outbox: {statuses}")
        ok = len(set(ids)) == queued and len(ids) == queued
        print("every e-mail arrived exactly once" if ok else "MISMATCH")
        sys.exit(0 if ok else 1)
    finally:
        worker.terminate()
        worker.wait(20)
        if server is not None:
            server.terminate()
            server.join(10)


if __name__ == "__main__":
    main()
