"""Webhook delivery: fan-out throughput to a local receiver, and a receiver that is down for a minute.

    python bench/webhooks.py fanout [-n 2000] [--endpoints 5] [--batch-size 50]
    python bench/webhooks.py outage [--down 60] [--tickets 20] [--rate 5]

The database is ``DATABASE_URL`` (default: PostgreSQL,
``postgres://postgres@127.0.0.1:5432/bench_webhooks``), dropped and created
again first, so its name must start with ``bench``. The receiver is an HTTP
server on 127.0.0.1 (ports 8100-8199) in a process of its own, which checks
every delivery's signature with the ``standardwebhooks`` library and writes
``endpoint webhook-id ticket verified`` per request, in the order received.

``fanout``: events are written through the services (each to every endpoint)
with no worker running, then ``services.webhooks.deliver()`` runs batch after
batch until nothing is due. Printed: deliveries per second, milliseconds per
delivery, the queries of one batch, and whether every delivery arrived once,
verified, in order per endpoint and ticket.

``outage``: the real worker (``manage.py db_worker``, django-tasks-db) runs
throughout; the receiver is stopped while events keep coming (replies to
``--tickets`` tickets, ``--rate`` per second) for ``--down`` seconds, then
starts again on the same port. Printed: what waited, when the last delivery
arrived, and whether every event arrived, verified, in order per ticket, none twice.
"""

import argparse
import http.server
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import outbox as bench_outbox  # noqa: E402  (bench/outbox.py: the database, CPU time)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_webhooks"
PORTS = range(8100, 8200)
RETRY_DELAYS = [5, 10, 15, 20, 30, 30, 60, 60, 120]


# --------------------------------------------------------------------------
# the receiver, in its own process


def _serve(port, secrets, log_path, ready):
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    verifiers = {path: Webhook(secret) for path, secret in secrets.items()}
    out = open(log_path, "a", buffering=1)  # noqa: SIM115 - closed with the process

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = verifiers[self.path].verify(body, headers)
                verified = "ok"
            except (KeyError, WebhookVerificationError):
                event, verified = {}, "BAD"
            ticket = (event.get("data") or {}).get("ticket") or {}
            out.write(f"{self.path} {headers.get('webhook-id')} {ticket.get('reference', '-')} {verified}\n")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ready.set()
    server.serve_forever()


def start_receiver(port, secrets, log_path):
    ready = multiprocessing.Event()
    process = multiprocessing.Process(target=_serve, args=(port, secrets, log_path, ready), daemon=True)
    process.start()
    if not ready.wait(20):
        raise RuntimeError("the receiver did not start")
    return process


def stop(process):
    process.terminate()
    process.join(10)


def received(log_path):
    return [line.split() for line in Path(log_path).read_text().splitlines()]


# --------------------------------------------------------------------------
# the site


def setup_django(url, batch_size, tasks_backend):
    sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["BENCH_NOTIFICATIONS"] = "queued"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.TASKS = {"default": {"BACKEND": tasks_backend}}
    settings.HELPDESK_TICKETS = {**settings.HELPDESK_TICKETS, **site_settings(batch_size)}
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def site_settings(batch_size):
    return {
        "SITE_URL": "https://support.example.com",
        "WEBHOOK_BATCH_SIZE": batch_size,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": ["127.0.0.1/32"],
        "WEBHOOK_RETRY_DELAYS": RETRY_DELAYS,
    }


def cast(endpoints, port):
    """A department, a type, ten customers, an agent, and ``endpoints`` endpoints; returns (…, {path: secret})."""
    from helpdesk_tickets import users
    from helpdesk_tickets.models import Department, TicketType, WebhookEndpoint

    department = Department.objects.create(name="Billing", slug="billing")
    ticket_type = TicketType.objects.create(name="Question", slug="question")
    agent = users.create_user("agent", email="agent@example.com", name="Agent")
    department.agents.add(agent)
    customers = [users.create_user(f"customer{n}", email=f"c{n}@example.com", name=f"C {n}") for n in range(10)]
    secrets = {}
    for n in range(endpoints):
        endpoint = WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{port}/hooks/{n}", description=f"E{n}")
        secrets[f"/hooks/{n}"] = endpoint.secret
    return department, ticket_type, agent, customers, secrets


def in_order(log, from_database):
    """Whether each (endpoint, ticket) received its events in the order they were written."""
    arrived = {}
    for path, webhook_id, _reference, _verified in log:
        arrived.setdefault(path, []).append(webhook_id)
    for (path, _reference), ids in from_database.items():
        got = [webhook_id for webhook_id in arrived.get(path, []) if webhook_id in set(ids)]
        if got != ids:
            return False
    return True


def written_order():
    from helpdesk_tickets.models import WebhookDelivery

    order = {}
    rows = WebhookDelivery.objects.order_by("pk").values_list("endpoint__url", "ticket_reference", "webhook_id")
    for url, reference, webhook_id in rows:
        order.setdefault(("/" + url.split("/", 3)[3], reference), []).append(webhook_id)
    return order


def report(log, expected):
    pairs = [(path, webhook_id) for path, webhook_id, _ref, _ok in log]
    bad = sum(1 for *_rest, ok in log if ok != "ok")
    ordered = in_order(log, written_order())
    print(
        f"at the receiver        {len(log)} requests, {len(set(pairs))} distinct, {len(pairs) - len(set(pairs))} twice"
    )
    print(f"signatures             {len(log) - bad} verified with standardwebhooks, {bad} bad")
    print(f"order per ticket       {'kept on every endpoint' if ordered else 'BROKEN'}")
    ok = len(pairs) == expected and len(set(pairs)) == expected and not bad and ordered
    print("every delivery arrived exactly once, verified, in order" if ok else "MISMATCH")
    return ok


# --------------------------------------------------------------------------
# fan-out


def fanout(args, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpdesk_tickets import services
    from helpdesk_tickets.models import WebhookDelivery
    from helpdesk_tickets.services import webhooks

    port = _free_port()
    department, ticket_type, agent, customers, secrets = cast(args.endpoints, port)
    log_path = Path(tempfile.mkdtemp(prefix="bench-webhooks-")) / "received"
    log_path.touch()
    receiver = start_receiver(port, secrets, log_path)
    try:
        started = time.perf_counter()
        events = 0
        while WebhookDelivery.objects.count() < args.deliveries:
            ticket = services.create_ticket(
                requester=customers[events % len(customers)],
                department=department,
                ticket_type=ticket_type,
                subject=f"Invoice {events} charged twice",
                description="The renewal was charged twice.",
            )
            services.post_reply(ticket=ticket, actor=agent, body="We are looking into it.")
            events += 3  # created, status changed, message posted
        queued = WebhookDelivery.objects.count()
        queue_seconds = time.perf_counter() - started
        receiver_cpu = bench_outbox.cpu_seconds(receiver.pid)
        sent = batches = 0
        batch_queries = None
        cpu_started, started = time.process_time(), time.perf_counter()
        while True:
            if batch_queries is None:
                with CaptureQueriesContext(connection) as queries:
                    result = webhooks.deliver(follow_up=False)
                batch_queries = (len(queries), result.claimed)
            else:
                result = webhooks.deliver(follow_up=False)
            if not result.claimed:
                break
            sent += result.sent
            batches += 1
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        time.sleep(0.5)
        receiver_cpu = bench_outbox.cpu_seconds(receiver.pid) - receiver_cpu
        log = received(log_path)
    finally:
        stop(receiver)
    print(f"database               {connection.vendor} ({url.rsplit('/', 1)[-1]})")
    fan = f"{events} events x {args.endpoints} endpoints"
    print(f"queued                 {queued} deliveries ({fan}) in {queue_seconds:.1f} s")
    print(f"delivered              {sent} in {seconds:.2f} s, {batches} batches of up to {args.batch_size}")
    print(f"throughput             {sent / seconds:.0f} deliveries/s ({1000 * seconds / max(sent, 1):.2f} ms each)")
    per, per_receiver = 1000 * cpu / max(sent, 1), 1000 * receiver_cpu / max(sent, 1)
    print(f"CPU per delivery       {per:.2f} ms delivering, {per_receiver:.2f} ms receiving")
    print(f"CPU-bound rate         {sent / cpu:.0f} deliveries/s (the delivering process alone, on a core of its own)")
    print(f"load average           {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes share them)")
    queries, claimed = batch_queries
    print(f"queries per batch      {queries} for {claimed} deliveries (heads, claim, read, a mark each, log; +2 on PG)")
    return report(log, queued)


def _free_port():
    import socket

    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8100-8199")


# --------------------------------------------------------------------------
# the outage


def worker_settings(directory, batch_size):
    (directory / "webhooks_outage_settings.py").write_text(
        "from bench.settings import *  # noqa\n"
        "TASKS = {'default': {'BACKEND': 'django_tasks_db.DatabaseBackend'}}\n"
        f"HELPDESK_TICKETS = {{**HELPDESK_TICKETS, **{site_settings(batch_size)!r}}}\n"
    )


def outage(args, url):
    from django.db.models import Count

    from helpdesk_tickets import services
    from helpdesk_tickets.models import WebhookDelivery, WebhookStatus

    port = _free_port()
    department, ticket_type, agent, customers, secrets = cast(args.endpoints, port)
    scratch = Path(tempfile.mkdtemp(prefix="bench-webhooks-outage-"))
    log_path = scratch / "received"
    log_path.touch()
    worker_settings(scratch, args.batch_size)
    environment = {
        **os.environ,
        "BENCH_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "webhooks_outage_settings",
        "PYTHONPATH": os.pathsep.join([str(scratch), str(ROOT), str(ROOT / "example_project")]),
    }
    worker = subprocess.Popen(  # nosec B603: the project's own manage.py
        [sys.executable, str(ROOT / "example_project" / "manage.py"), "db_worker", "--interval", "0.2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    receiver = None
    try:
        print(f"the receiver is down; events keep coming for {args.down:.0f} s")
        tickets = [
            services.create_ticket(
                requester=customers[n % len(customers)],
                department=department,
                ticket_type=ticket_type,
                subject=f"Outage ticket {n}",
                description="Is anyone there?",
            )
            for n in range(args.tickets)
        ]
        started, n = time.monotonic(), 0
        while time.monotonic() - started < args.down:
            ticket = tickets[n % len(tickets)]
            author = agent if n % 2 else ticket.requester
            services.post_reply(ticket=ticket, actor=author, body=f"Message {n}")
            n += 1
            time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
        waiting = WebhookDelivery.objects.exclude(status=WebhookStatus.DELIVERED).count()
        attempts = sum(WebhookDelivery.objects.values_list("attempts", flat=True))
        total = WebhookDelivery.objects.count()
        print(
            f"after {time.monotonic() - started:.0f} s down: {total} deliveries written, {waiting} waiting, "
            f"{attempts} failed attempts so far"
        )
        receiver = start_receiver(port, secrets, log_path)
        back = time.monotonic()
        print("the receiver is back")
        while time.monotonic() - back < args.timeout:
            if not WebhookDelivery.objects.exclude(status=WebhookStatus.DELIVERED).exists():
                break
            time.sleep(0.5)
        drained = time.monotonic() - back
        time.sleep(1)
        log = received(log_path)
        statuses = dict(WebhookDelivery.objects.order_by().values_list("status").annotate(n=Count("id")))
        print(f"all delivered {drained:.1f} s after the receiver came back; deliveries: {statuses}")
        return report(log, total)
    finally:
        worker.terminate()
        worker.wait(20)
        if receiver is not None:
            stop(receiver)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["fanout", "outage"])
    parser.add_argument("-n", "--deliveries", type=int, default=2000, help="fanout: deliveries to queue")
    parser.add_argument("--endpoints", type=int, default=5, help="endpoints every event goes to (outage: 2)")
    parser.add_argument("--batch-size", type=int, default=50, help="WEBHOOK_BATCH_SIZE (default 50)")
    parser.add_argument("--down", type=float, default=60, help="outage: seconds the receiver stays down")
    parser.add_argument("--tickets", type=int, default=20, help="outage: tickets the events are about")
    parser.add_argument("--rate", type=float, default=5, help="outage: events per second while it is down")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.scenario == "outage" and "--endpoints" not in sys.argv:
        args.endpoints = 2
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    bench_outbox.recreate_database(url)
    import django

    tasks_module = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
    dummy = f"{tasks_module}.backends.dummy.DummyBackend"
    backend = dummy if args.scenario == "fanout" else "django_tasks_db.DatabaseBackend"
    setup_django(url, args.batch_size, backend)
    ok = fanout(args, url) if args.scenario == "fanout" else outage(args, url)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
