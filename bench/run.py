"""Run the benchmark and regenerate ``docs/benchmarks.rst``: one command.

    python bench/run.py --sizes 10000,100000,1000000 --sqlite-sizes 100000
    python bench/run.py --sizes 100000 --db sqlite --sides ours,floor
    python bench/run.py --report-only        # plots and page from bench/results/*.json

For every size: drop and recreate the databases, migrate, seed both sides
with the same data (datagen.py), measure helpdesk_tickets, the floor and
django-helpdesk through Django's test client, each in its own process
(measure.py), then ticket creation throughput with gunicorn (throughput.py,
PostgreSQL only). Results go to ``bench/results/<db>-<size>.json``; the
report (report.py) reads all of them.

django-helpdesk runs from its own virtualenv (``--helpdesk-python``,
default ``/work/bench-venvs/helpdesk/bin/python``), created with::

    python3 -m venv /work/bench-venvs/helpdesk
    /work/bench-venvs/helpdesk/bin/pip install django-helpdesk==2.6.1 "psycopg[binary]" gunicorn
"""

import argparse
import base64
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PG = "postgres://postgres@127.0.0.1:5432/{name}"
SEARCH_WORD = "kubernetes"
PORTS = {"ours": 8601, "django-helpdesk": 8602}


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def token(name):
    return hashlib.sha1(name.encode()).hexdigest()


# --------------------------------------------------------------------------
# databases


def database_url(db, name):
    return PG.format(name=name) if db == "postgres" else f"sqlite:///{tempfile.gettempdir()}/{name}.sqlite3"


def recreate(db, name):
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG.format(name="postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    else:
        path = Path(tempfile.gettempdir()) / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def query(db, name, sql):
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG.format(name=name)) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(Path(tempfile.gettempdir()) / f"{name}.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def database_size(db, name):
    if db == "postgres":
        return query(db, name, f"SELECT pg_database_size('{name}')")[0][0]
    return (Path(tempfile.gettempdir()) / f"{name}.sqlite3").stat().st_size


# --------------------------------------------------------------------------
# sides


class Side:
    """How to run one side's Django scripts."""

    def __init__(self, name, python, settings, dbname):
        self.name, self.python, self.settings, self.dbname = name, python, settings, dbname

    def env(self, db):
        return {
            "DJANGO_SETTINGS_MODULE": self.settings,
            "BENCH_DATABASE_URL": database_url(db, self.dbname),
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example_project'}",
            "PYTHONHASHSEED": "0",
        }

    def run(self, db, *args, capture=False):
        result = subprocess.run(
            [self.python, *args],
            cwd=ROOT,
            env={**os.environ, **self.env(db)},
            check=True,
            stdout=subprocess.PIPE if capture else None,
            text=True,
        )
        return result.stdout

    def prepare(self, db, size):
        recreate(db, self.dbname)
        started = time.monotonic()
        self.run(db, "-m", "django", "migrate", "-v0")
        migrate_seconds = time.monotonic() - started
        seeded = json.loads(self.run(db, str(BENCH / self.seeder), str(size), capture=True).strip().splitlines()[-1])
        seeded["migrate_seconds"] = round(migrate_seconds, 1)
        seeded["database_bytes"] = database_size(db, self.dbname)
        log(self.name, "seeded", seeded)
        return seeded

    def measure(self, db, plan):
        with tempfile.TemporaryDirectory() as tmp:
            plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
            plan_path.write_text(json.dumps(plan))
            self.run(db, str(BENCH / "measure.py"), str(plan_path), str(result_path))
            return json.loads(result_path.read_text())


def op(name, steps, user=None, token_of=None, **extra):
    return {"name": name, "user": user, "token": token(token_of) if token_of else None, "steps": steps, **extra}


def get(path, params=None):
    return {"method": "get", "path": path + (f"?{urlencode(params, doseq=True)}" if params else "")}


NEW_TICKET = {
    "department": "technical",
    "ticket_type": "problem",
    "product": "product-3",
    "subject": "Server answers slowly since the upgrade {n}",
    "description": "Since this morning every page of our shop takes seconds to load. Reference run {n}.",
}


def plan_ours(db, iterations, budget):
    thread_ref = query(
        db,
        "bench_ours",
        "SELECT reference FROM helpdesk_tickets_ticket WHERE requester_id = 1 ORDER BY message_count DESC, id LIMIT 1",
    )[0][0]
    common = {"iterations": iterations, "budget": budget}
    return [
        op("customer_list", [get("/support/")], user="customer0", **common),
        op("ticket_thread", [get(f"/support/tickets/{thread_ref}/")], user="customer0", **common),
        op("staff_ticket", [get(f"/support/staff/tickets/{thread_ref}/")], user="supervisor", **common),
        op("staff_queue", [get("/support/staff/")], user="supervisor", **common),
        op("staff_queue_agent", [get("/support/staff/")], user="agent0", **common),
        op(
            "staff_queue_filtered",
            [get("/support/staff/", {"status": "in_progress", "priority": "high"})],
            user="supervisor",
            **common,
        ),
        op("staff_queue_search", [get("/support/staff/", {"q": SEARCH_WORD})], user="supervisor", **common),
        op("api_list", [get("/api/tickets/")], token_of="supervisor", **common),
        op("api_list_agent", [get("/api/tickets/")], token_of="agent0", **common),
        op(
            "api_create",
            [{"method": "post", "path": "/api/tickets/", "data": NEW_TICKET}],
            token_of="customer1",
            **common,
        ),
        op("dashboard", [get("/support/staff/dashboard/")], user="supervisor", **common),
    ]


def plan_floor(db, iterations, budget):
    common = {"iterations": iterations, "budget": budget}
    return [
        op("staff_queue", [get("/bench-floor/queue/")], user="supervisor", **common),
        op("staff_queue_agent", [get("/bench-floor/queue/")], user="agent0", **common),
        op(
            "staff_queue_filtered",
            [get("/bench-floor/queue/", {"status": "in_progress", "priority": "high"})],
            user="supervisor",
            **common,
        ),
        op("staff_queue_search", [get("/bench-floor/queue/", {"q": SEARCH_WORD})], user="supervisor", **common),
        op("api_list", [get("/bench-floor/api-tickets/")], token_of="supervisor", **common),
        op("api_list_agent", [get("/bench-floor/api-tickets/")], token_of="agent0", **common),
    ]


def _datatables(filtering, search=""):
    payload = {"filtering": filtering, "filtering_null": {}, "sorting": "created", "sortreverse": False}
    payload["search_string"] = search
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    return get(f"/helpdesk/datatables_ticket_list/{encoded}", {"draw": 1, "start": 0, "length": 25})


def plan_helpdesk(db, size, iterations, budget, api_list_max_size):
    # The ticket plan_ours opens: the first customer's ticket with the most public messages.
    thread_id = query(
        db,
        "bench_helpdesk",
        "SELECT t.id FROM helpdesk_ticket t JOIN helpdesk_followup f ON f.ticket_id = t.id AND f.public "
        "WHERE t.submitter_email = 'customer0@example.com' GROUP BY t.id ORDER BY COUNT(*) DESC, t.id LIMIT 1",
    )[0][0]
    common = {"iterations": iterations, "budget": budget}
    new = {
        "queue": 2,  # "technical", as NEW_TICKET
        "title": NEW_TICKET["subject"],
        "description": NEW_TICKET["description"],
        "submitter_email": "customer1@example.com",
        "priority": 3,
    }
    plan = [
        op("staff_ticket", [get(f"/helpdesk/tickets/{thread_id}/")], user="supervisor", **common),
        op(
            "staff_queue",
            [get("/helpdesk/tickets/"), _datatables({"status__in": [1, 2]})],
            user="supervisor",
            **common,
        ),
        op(
            "staff_queue_filtered",
            [
                get("/helpdesk/tickets/", {"status": 2, "priority": 2}),
                _datatables({"status__in": [2], "priority__in": [2]}),
            ],
            user="supervisor",
            **common,
        ),
        op(
            "staff_queue_search",
            [
                get("/helpdesk/tickets/", {"status": [1, 2], "q": SEARCH_WORD}),
                _datatables({"status__in": [1, 2]}, SEARCH_WORD),
            ],
            user="supervisor",
            **common,
        ),
        op(
            "api_create",
            [{"method": "post", "path": "/helpdesk/api/tickets/", "data": new}],
            token_of="supervisor",
            **common,
        ),
        op("dashboard", [get("/helpdesk/dashboard/")], user="supervisor", **common),
    ]
    if size <= api_list_max_size:
        # One query per ticket in the database on every request: above 10k tickets one sample is all there is time for.
        once = {"single": True} if size > 10000 else common
        plan.insert(4, op("api_list", [get("/helpdesk/api/tickets/")], token_of="supervisor", **once))
    return plan


# --------------------------------------------------------------------------
# throughput


def throughput(side, db, gunicorn, clients, per_client, env=None):
    import throughput as tp

    if side.name == "ours":
        app, path, tokens = "bench.wsgi:application", "/api/tickets/", [token(f"customer{i}") for i in range(4)]

        def make_body(n):
            # Distinct from every earlier run on the same database (a repeat would be a duplicate, 409).
            n = f"tp-{n}-{time.time_ns()}"
            return {k: v.replace("{n}", n) if isinstance(v, str) else v for k, v in NEW_TICKET.items()}

    else:
        app, path, tokens = (
            "bench.django_helpdesk_site.wsgi:application",
            "/helpdesk/api/tickets/",
            [token("supervisor")],
        )

        def make_body(n):
            n = f"tp-{n}-{time.time_ns()}"
            return {
                "queue": 2,
                "title": NEW_TICKET["subject"].replace("{n}", n),
                "description": NEW_TICKET["description"].replace("{n}", n),
                "submitter_email": "customer1@example.com",
                "priority": 3,
            }

    result = tp.run(
        gunicorn=gunicorn,
        app=app,
        env={**side.env(db), **(env or {})},
        cwd=ROOT,
        port=PORTS[side.name],
        path=path,
        tokens=tokens,
        make_body=make_body,
        clients=clients,
        per_client=per_client,
    )
    log(side.name, "throughput", result)
    return result


# --------------------------------------------------------------------------


def make_sides(args):
    ours = Side("ours", sys.executable, "bench.settings", "bench_ours")
    helpdesk = Side("django-helpdesk", args.helpdesk_python, "bench.django_helpdesk_site.settings", "bench_helpdesk")
    ours.seeder, helpdesk.seeder = "seed_ours.py", "seed_helpdesk.py"
    return ours, helpdesk


def save(record):
    """Write what has been measured so far (a later failure loses nothing)."""
    out = RESULTS / f"{record['db']}-{record['size']}.json"
    out.write_text(json.dumps(record, indent=1, default=str) + "\n")
    return out


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


def versions(python):
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({p: m.version(p) for p in ('Django', 'djangorestframework', 'psycopg') "
        "+ tuple(x for x in ('django-helpdesk',) if any(d.metadata['Name'] == x for d in m.distributions()))}))"
    )
    return json.loads(subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="ticket counts, comma-separated")
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument(
        "--sqlite-sizes", default="", help="then these ticket counts on SQLite (files in the temporary directory)"
    )
    parser.add_argument("--sides", default="ours,floor,django-helpdesk")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--budget", type=float, default=40, help="seconds per operation at most (3 samples minimum)")
    parser.add_argument("--helpdesk-python", default="/work/bench-venvs/helpdesk/bin/python")
    parser.add_argument(
        "--helpdesk-api-list-max-size",
        type=int,
        default=100000,
        help="django-helpdesk's API list loads every ticket per request: skip it above this size",
    )
    parser.add_argument("--gunicorn-clients", type=int, default=8)
    parser.add_argument("--gunicorn-per-client", type=int, default=50)
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="measure creation throughput again on the databases as they are (seeded at the one size given)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))

    if args.throughput_only:
        sides = args.sides.split(",")
        ours, helpdesk = make_sides(args)
        (size,) = [int(s) for s in args.sizes.split(",")]
        record = json.loads((RESULTS / f"{args.db}-{size}.json").read_text())
        gunicorn_ours = str(Path(sys.executable).parent / "gunicorn")
        if "ours" in sides:
            for name, env in (("ours", None), ("ours-queued", {"BENCH_NOTIFICATIONS": "queued"})):
                record["throughput"][name] = throughput(
                    ours, args.db, gunicorn_ours, args.gunicorn_clients, args.gunicorn_per_client, env=env
                )
                save(record)
        if "django-helpdesk" in sides:
            record["throughput"]["django-helpdesk"] = throughput(
                helpdesk,
                args.db,
                str(Path(args.helpdesk_python).parent / "gunicorn"),
                args.gunicorn_clients,
                args.gunicorn_per_client,
            )
            save(record)
    elif not args.report_only:
        sides = args.sides.split(",")
        ours, helpdesk = make_sides(args)
        gunicorn_ours = str(Path(sys.executable).parent / "gunicorn")
        gunicorn_helpdesk = str(Path(args.helpdesk_python).parent / "gunicorn")
        RESULTS.mkdir(exist_ok=True)
        runs = [(args.db, int(n)) for n in args.sizes.split(",") if n]
        runs += [("sqlite", int(n)) for n in args.sqlite_sizes.split(",") if n]
        for db, size in runs:
            log(f"=== {db}, {size} tickets")
            record = {
                "db": db,
                "size": size,
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": machine(),
                "versions": {"ours": versions(sys.executable)},
                "seed": {},
                "results": {},
                "throughput": {},
            }
            previous = RESULTS / f"{db}-{size}.json"
            if previous.exists():
                # Sides not measured this time keep their earlier figures (on the same data set).
                kept = json.loads(previous.read_text())
                for key in ("seed", "results", "throughput", "versions"):
                    record[key] = {**kept.get(key, {}), **record[key]}
                if set(kept.get("results", {})) - set(sides):
                    record["started_before"] = kept.get("started")
            if "ours" in sides or "floor" in sides:
                record["seed"]["ours"] = ours.prepare(db, size)
            if "ours" in sides:
                record["results"]["ours"] = ours.measure(db, plan_ours(db, args.iterations, args.budget))
                save(record)
            if "floor" in sides:
                record["results"]["floor"] = ours.measure(db, plan_floor(db, args.iterations, args.budget))
                save(record)
            if "django-helpdesk" in sides:
                record["versions"]["django-helpdesk"] = versions(args.helpdesk_python)
                record["seed"]["django-helpdesk"] = helpdesk.prepare(db, size)
                plan = plan_helpdesk(db, size, args.iterations, args.budget, args.helpdesk_api_list_max_size)
                record["results"]["django-helpdesk"] = helpdesk.measure(db, plan)
                save(record)
            if db == "postgres" and not args.no_throughput:
                if "ours" in sides:
                    record["throughput"]["ours"] = throughput(
                        ours, db, gunicorn_ours, args.gunicorn_clients, args.gunicorn_per_client
                    )
                    save(record)
                    record["throughput"]["ours-queued"] = throughput(
                        ours,
                        db,
                        gunicorn_ours,
                        args.gunicorn_clients,
                        args.gunicorn_per_client,
                        env={"BENCH_NOTIFICATIONS": "queued"},
                    )
                    save(record)
                if "django-helpdesk" in sides:
                    record["throughput"]["django-helpdesk"] = throughput(
                        helpdesk, db, gunicorn_helpdesk, args.gunicorn_clients, args.gunicorn_per_client
                    )
            record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            log("wrote", save(record))

    import report

    report.main()


if __name__ == "__main__":
    main()
