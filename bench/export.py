"""Time and peak memory of the staff queue's export (CSV and XLSX) over a large queue, on PostgreSQL.

::

    python bench/export.py --tickets 100000           # seed, then measure both formats
    python bench/export.py --tickets 100000 --reuse   # measure again on the seeded database

Seeds ``bench_export`` with the benchmark data set (bench/seed_ours.py), puts
tags on a third of the tickets, then downloads ``staff/export.csv?status=all``
and ``staff/export.xlsx?status=all`` as the supervisor, each in a fresh
process, reading the body as a browser would and keeping none of it. Prints
one JSON line per format: rows, bytes, seconds, the process's peak RSS and
how much it grew during the export. Figures in bench/findings.rst, "Exports".
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DBNAME = "bench_export"
#: Set by --db and --dbname (bench/run.py measures the export on its own seeded database).
TARGET = {"db": "postgres", "name": DBNAME}


def env():
    from bench.run import database_url

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_URL": database_url(TARGET["db"], TARGET["name"]),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example_project'}",
    }


def seed(tickets):
    from bench.run import recreate

    recreate(TARGET["db"], TARGET["name"])
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "seed_ours.py"), str(tickets)], cwd=ROOT, env=env(), check=True
    )
    subprocess.run([sys.executable, __file__, "--tag"], cwd=ROOT, env=env(), check=True)


def tag_tickets():
    import django

    django.setup()
    from django.db import connection

    from helpdesk_tickets.models import Tag

    if Tag.objects.filter(slug="vip").exists():
        return  # tagged before (a database measured again)
    tags = [
        Tag.objects.create(name=name, slug=name.lower(), colour=colour)
        for name, colour in (("VIP", "red"), ("Refund", "orange"), ("Bug", "blue"))
    ]
    with connection.cursor() as cursor:
        for number, tag in enumerate(tags):
            cursor.execute(
                "INSERT INTO helpdesk_tickets_ticket_tags (ticket_id, tag_id) "
                "SELECT id, %s FROM helpdesk_tickets_ticket WHERE id %% 3 = %s",
                [tag.pk, number % 3],
            )


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(fmt):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from helpdesk_tickets.models import Ticket

    client = Client()
    client.force_login(get_user_model().objects.get(username="supervisor"))
    # Warm up: imports, templates and the first connection are not the export's cost.
    b"".join(client.get(f"/support/staff/export.{fmt}", {"status": "all", "q": "HD-NONE-AT-ALL"}).streaming_content)
    before = peak_rss_kib()
    started = time.monotonic()
    response = client.get(f"/support/staff/export.{fmt}", {"status": "all"})
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    seconds = time.monotonic() - started
    response.close()
    print(
        json.dumps(
            {
                "format": fmt,
                "tickets": Ticket.objects.count(),
                "bytes": size,
                "seconds": round(seconds, 1),
                "peak_rss_mib": round(peak_rss_kib() / 1024, 1),
                "rss_growth_mib": round((peak_rss_kib() - before) / 1024, 1),
                "status": response.status_code,
            }
        ),
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="measure on the database seeded before")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--dbname", default=DBNAME, help="the database (a file name in the temporary folder on SQLite)")
    parser.add_argument("--tag", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tag:
        return tag_tickets()
    if args.child:
        return measure(args.child)
    sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
    TARGET.update(db=args.db, name=args.dbname)
    if args.reuse:
        subprocess.run([sys.executable, __file__, "--tag"], cwd=ROOT, env=env(), check=True)
    else:
        started = time.monotonic()
        seed(args.tickets)
        print(json.dumps({"seeded": args.tickets, "seconds": round(time.monotonic() - started, 1)}), flush=True)
    for fmt in ("csv", "xlsx"):
        subprocess.run([sys.executable, __file__, "--child", fmt], cwd=ROOT, env=env(), check=True)


if __name__ == "__main__":
    main()
