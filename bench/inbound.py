"""Inbound e-mail throughput: messages per second through ``services.receive_email``.

    python bench/inbound.py [--messages 1000] [--processes 2] [--database-url postgres://…/bench_inbound]

Creates (drops first) the database, migrates, makes one department with an
address and a type, then feeds distinct messages — plain text with one small
PNG attachment, half of them new tickets from known customers, a quarter new
tickets from unknown senders (an account is made), a quarter replies that
thread by In-Reply-To — through ``receive_email`` in ``--processes``
processes at once, the way several pipe deliveries would arrive. Prints
messages/s over the whole run and the per-message p50/p95. Target (issue
#13): ≥ 100 messages/s on 2 cores on PostgreSQL.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def setup_django(url):
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
    import django

    django.setup()


def message(number, *, sender, subject, body, in_reply_to=None):
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@example.com"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<bench-{number}-{os.getpid()}-{time.time_ns()}@mail.example.net>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = f"<{in_reply_to}>"
    mail.set_content(body)
    mail.add_attachment(PNG, maintype="image", subtype="png", filename=f"screen-{number}.png")
    return mail.as_bytes()


def prepare(url, customers):
    """Drop, create and migrate the database; the department, its type and the known customers."""
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from helpdesk_tickets import users
    from helpdesk_tickets.models import Department, TicketType

    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = "postgres"
        with connection.cursor() as cursor:
            connection.connection.autocommit = True
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)
    department = Department.objects.create(name="Support", slug="support", email="support@example.com")
    department.ticket_types.add(TicketType.objects.create(name="Question", slug="question"))
    for number in range(customers):
        users.create_user(f"customer{number}", email=f"customer{number}@example.net", password=None)


def work(url, worker, count, customers):
    """Feed ``count`` messages; print the timings as JSON."""
    setup_django(url)
    from helpdesk_tickets import services
    from helpdesk_tickets.models import ThreadMessageId

    timings, outcomes = [], {}
    cpu_started = time.process_time()
    started = time.perf_counter()
    recent = []
    for number in range(count):
        kind = number % 4
        tag = f"{worker}-{number}"
        if kind == 3 and recent:
            thread_id, requester = recent[-1]
            raw = message(
                tag,
                sender=requester,
                subject="Re: the problem",
                body=f"More details for {tag}.\n\nOn Monday, Support wrote:\n> earlier text\n",
                in_reply_to=thread_id,
            )
        elif kind == 2:
            raw = message(tag, sender=f"new-{tag}@example.org", subject=f"New problem {tag}", body=f"Body {tag}.")
        else:
            raw = message(
                tag,
                sender=f"customer{number % customers}@example.net",
                subject=f"Problem {tag}",
                body=f"The panel fails with error {tag}.",
            )
        t0 = time.perf_counter()
        outcome = services.receive_email(raw)
        timings.append(time.perf_counter() - t0)
        word = outcome.line.split(":")[0].split()[0]
        outcomes[word] = outcomes.get(word, 0) + 1
        if word == "created" and outcome.inbound and outcome.inbound.message_id:
            recent.append((outcome.inbound.message_id, outcome.inbound.sender))
            ThreadMessageId.objects.get_or_create(message_id=outcome.inbound.message_id, ticket=outcome.ticket)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(json.dumps({"timings": timings, "elapsed": elapsed, "cpu": cpu, "outcomes": outcomes}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages in all")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_inbound")
    parser.add_argument("--json", action="store_true", help="then one JSON line of the figures (for bench/run.py)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        work(args.database_url, args.worker, args.count, args.customers)
        return
    prepare(args.database_url, args.customers)
    per = args.messages // args.processes
    started = time.perf_counter()
    children = [
        subprocess.Popen(  # nosec B603: this script, with its own arguments
            [
                sys.executable,
                __file__,
                "--database-url",
                args.database_url,
                "--customers",
                str(args.customers),
                "--worker",
                str(worker),
                "--count",
                str(per),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for worker in range(args.processes)
    ]
    results = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    wall = time.perf_counter() - started
    timings = sorted(t for result in results for t in result["timings"])
    outcomes = {}
    for result in results:
        for word, n in result["outcomes"].items():
            outcomes[word] = outcomes.get(word, 0) + n
    slowest = max(result["elapsed"] for result in results)
    total = len(timings)
    print(f"inbound e-mail: {total} messages in {args.processes} processes, outcomes {outcomes}")
    print(
        f"  throughput: {total / slowest:.0f} messages/s (busy time {slowest:.1f} s; wall with start-up {wall:.1f} s)"
    )
    cpu = sum(result["cpu"] for result in results) / total
    print(f"  this process's CPU per message: {cpu * 1000:.1f} ms (the database server's own work is not in it)")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    p50, p95 = statistics.median(timings) * 1000, timings[int(total * 0.95) - 1] * 1000
    print(f"  per message: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    if args.json:
        figures = {"value": round(total / slowest, 1), "messages": total, "processes": args.processes}
        figures.update(outcomes=outcomes, p50_ms=round(p50, 1), p95_ms=round(p95, 1), cpu_ms=round(cpu * 1000, 1))
        figures["cpu_bound_rate"] = round(args.processes / cpu, 1)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
