"""Outbox delivery throughput: queue N notification e-mails, then time ``services.outbox.deliver()`` sending them.

    python bench/outbox.py [-n 2000] [--batch-size 100]
    DATABASE_URL=sqlite:////tmp/bench_outbox.sqlite3 python bench/outbox.py

The database is ``DATABASE_URL`` (default: PostgreSQL,
``postgres://postgres@127.0.0.1:5432/bench_outbox``), dropped and created
again first, so its name must start with ``bench`` (not someone's data).
The mail server is aiosmtpd on 127.0.0.1, in a process of its own (as a
real one would be: it must not share this interpreter's lock), keeping the
Message-ID of each message it accepts.

Queued as the services do: tickets of a department with 19 agents, each
ticket written with its customer's acknowledgement and the agents' alerts
(``notifications.notify``), no worker running. Then ``deliver()`` runs batch
after batch, as a worker's tasks would, until nothing is due. Printed:
e-mails per second (the target is 200/s on two cores), milliseconds per
e-mail, the queries of one batch, and whether every e-mail arrived exactly
once (Message-IDs counted at the server).
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_outbox"
AGENTS = 19  # + the customer: 20 e-mails per ticket


# --------------------------------------------------------------------------
# the mail server, in its own process


def _serve(port, received_path, ready):
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.out = open(received_path, "a", buffering=1)  # noqa: SIM115 - closed with the process

        async def handle_DATA(self, server, session, envelope):
            for line in envelope.original_content.split(b"\r\n"):
                if not line:
                    break  # end of the headers
                if line[:11].lower() == b"message-id:":
                    self.out.write(line[11:].strip().decode() + "\n")
            return "250 2.0.0 Message accepted"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def start_mail_server(port, received_path):
    ready = multiprocessing.Event()
    process = multiprocessing.Process(target=_serve, args=(port, received_path, ready), daemon=True)
    process.start()
    if not ready.wait(20):
        raise RuntimeError("the SMTP sink did not start")
    return process


def cpu_seconds(pid):
    """User and system CPU time of process ``pid`` (Linux: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------
# the database


def recreate_database(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not Path(name).name.startswith("bench"):
        sys.exit(f"{url}: the benchmark drops its database; use one whose name starts with 'bench'")
    if parts.scheme.startswith("postgres"):
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    elif parts.scheme.startswith("mysql"):
        import MySQLdb

        conn = MySQLdb.connect(
            host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or ""
        )
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        conn.close()
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"/{name}{suffix}").unlink(missing_ok=True)


def setup_django(url, port, batch_size):
    sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    # Not the benchmark's default (delivered inline by an immediate task backend, which the override
    # below comes too late to replace once the backends are loaded): rows only written, as deployed.
    os.environ["BENCH_NOTIFICATIONS"] = "queued"
    import django
    from django.conf import settings

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 30
    tasks = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    # Rows are queued, no worker runs: the delivery below is what is measured.
    settings.TASKS = {"default": {"BACKEND": f"{tasks}.backends.dummy.DummyBackend"}}
    settings.HELPDESK_TICKETS = {
        **settings.HELPDESK_TICKETS,
        "OUTBOX_BATCH_SIZE": batch_size,
        "SITE_URL": "https://support.example.com",
        "REPLY_ADDRESS": "reply@example.com",
    }
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def queue(count):
    """Tickets and their e-mails, ``count`` e-mails in all; returns how many were queued."""
    from django.db import transaction

    from helpdesk_tickets import notifications, services, users
    from helpdesk_tickets.models import Department, OutboundEmail, TicketType

    department = Department.objects.create(name="Billing", slug="billing", translations={"fa": {"name": "مالی"}})
    ticket_type = TicketType.objects.create(name="Question", slug="question")
    for n in range(AGENTS):
        department.agents.add(users.create_user(f"agent{n}", email=f"agent{n}@example.com", name=f"Agent {n}"))
    customers = [
        users.create_user(f"customer{n}", email=f"customer{n}@example.com", name=f"Customer {n}") for n in range(10)
    ]
    per_ticket = AGENTS + 1
    for n in range((count + per_ticket - 1) // per_ticket):
        with notifications.muted():
            ticket = services.create_ticket(
                requester=customers[n % len(customers)],
                department=department,
                ticket_type=ticket_type,
                subject=f"Invoice {n} charged twice",
                description="The renewal was charged twice on my card.\n\nPlease refund one of them.",
                language="fa" if n % 2 else "en",
            )
        with transaction.atomic():
            kinds = (notifications.TICKET_RECEIVED, notifications.TICKET_CREATED)
            notifications.notify(kinds, ticket, ticket.messages.get(), actor=ticket.requester)
    surplus = OutboundEmail.objects.count() - count
    if surplus > 0:
        OutboundEmail.objects.filter(pk__in=OutboundEmail.objects.order_by("-pk").values("pk")[:surplus]).delete()
    return OutboundEmail.objects.count()


def deliver_all():
    """Run delivery batches until none is left.

    Returns (wall seconds, this process's CPU seconds, e-mails sent, batches, (queries, e-mails) of the first batch).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk_tickets.services import outbox

    sent = batches = 0
    batch_queries = None
    cpu_started = time.process_time()
    started = time.perf_counter()
    while True:
        if batch_queries is None:
            with CaptureQueriesContext(connection) as queries:
                result = outbox.deliver(follow_up=False)
            batch_queries = (len(queries), result.claimed)
        else:
            result = outbox.deliver(follow_up=False)
        if not result.claimed:
            break
        sent += result.sent
        batches += 1
        if result.connection_failed:
            raise RuntimeError("the mail server failed during the benchmark")
    return time.perf_counter() - started, time.process_time() - cpu_started, sent, batches, batch_queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--emails", type=int, default=2000, help="e-mails to queue and send (default 2000)")
    parser.add_argument("--batch-size", type=int, default=100, help="OUTBOX_BATCH_SIZE (default 100)")
    parser.add_argument("--smtp-port", type=int, help="the mail server's port (default: a free one)")
    parser.add_argument("--json", action="store_true", help="then one JSON line of the figures (for bench/run.py)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    recreate_database(url)
    port = args.smtp_port or free_port()
    received = Path(tempfile.mkdtemp(prefix="bench-outbox-")) / "message-ids"
    received.touch()
    server = start_mail_server(port, received)
    try:
        setup_django(url, port, args.batch_size)
        from django.db import connection

        queued_started = time.perf_counter()
        queued = queue(args.emails)
        queue_seconds = time.perf_counter() - queued_started
        sink_cpu = cpu_seconds(server.pid)
        seconds, cpu, sent, batches, (queries, claimed) = deliver_all()
        time.sleep(0.5)  # the last messages reach the file
        sink_cpu = cpu_seconds(server.pid) - sink_cpu
        ids = received.read_text().split()
        load = os.getloadavg()[0]
    finally:
        server.terminate()
        server.join(10)

    print(f"database              {connection.vendor} ({urlsplit(url).path.lstrip('/')})")
    print(f"queued                {queued} e-mails in {queue_seconds:.1f} s (tickets and rows, muted services)")
    print(f"delivered             {sent} in {seconds:.2f} s, {batches} batches of up to {args.batch_size}")
    print(f"throughput            {sent / seconds:.0f} e-mails/s ({1000 * seconds / max(sent, 1):.2f} ms per e-mail)")
    per_mail, per_mail_server = 1000 * cpu / sent, 1000 * sink_cpu / sent
    print(f"CPU per e-mail        {per_mail:.2f} ms delivering, {per_mail_server:.2f} ms in the SMTP server")
    print(f"CPU-bound rate        {sent / cpu:.0f} e-mails/s (the delivering process alone, on a core of its own)")
    print(f"load average          {load:.1f} on {os.cpu_count()} cores (other processes share them)")
    extra = ", synchronous_commit off and reset 2" if connection.vendor == "postgresql" else ""
    print(f"queries per batch     {queries} for {claimed} e-mails (claim 2, read 1, one 'sent' per e-mail{extra})")
    print(f"at the server         {len(ids)} messages, {len(set(ids))} distinct Message-IDs")
    if sent != queued or len(ids) != queued or len(set(ids)) != queued:
        sys.exit("FAILED: not every e-mail arrived exactly once")
    if args.json:
        import json

        figures = {"value": round(sent / seconds, 1), "emails": sent, "batches": batches, "queries_per_batch": queries}
        figures.update(
            cpu_ms_per_email=round(per_mail, 2), cpu_bound_rate=round(sent / cpu, 1), seconds=round(seconds, 2)
        )
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
