"""Run the benchmark and regenerate ``docs/benchmarks.rst``: one command, from a clean clone.

    python bench/run.py --quick              # a small size, SQLite and PostgreSQL: the CI smoke test
    python bench/run.py --sizes 10000,100000,1000000 --sqlite-sizes 100000
    python bench/run.py --sizes 100000 --db sqlite --sides ours,floor --ops none
    python bench/run.py --report-only        # plots and page from bench/results/*.json
    python bench/run.py --list               # the operations and whether this checkout has them

Virtualenvs: the first run makes one for our side (this checkout, editable,
with the drivers and tools) and one for django-helpdesk 2.6.1 from PyPI,
under ``~/.cache/helpdesk-bench`` (``$HELPDESK_BENCH_CACHE``), keyed by a
hash of their requirements (bench/venvs.py); later runs reuse them. The
script then runs itself again with our side's Python. ``--ours-python`` and
``--helpdesk-python`` use interpreters of your own instead.

For every size: drop and recreate the databases, migrate, seed both sides
with the same data (datagen.py), measure helpdesk_tickets, the floors (JSON,
and the queue's rows as HTML: floor.py, floor_html.py) and django-helpdesk
through Django's test client, each side in its own process (measure.py);
then the operations of bench/operations.py (inbound e-mail, outbox delivery,
export, round-robin creation …, each in processes of its own), then ticket
creation throughput with gunicorn (throughput.py, PostgreSQL only). Results
go to ``bench/results/<db>-<size>.json`` (``--quick``: to the cache folder,
with its own report, so that the figures of the documentation stay as they
are); the report (report.py) reads all of them. Any failure (an error page,
a script that fails, a ticket not created) fails the run.
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PG = "postgres://postgres@127.0.0.1:5432/{name}"
#: gunicorn's ports (the benchmark's range is 9000-9099; operations.py has the others).
PORTS = {"ours": 9001, "django-helpdesk": 9002}

sys.path.insert(0, str(BENCH))

import operations  # noqa: E402
import venvs  # noqa: E402
from machine import machine, versions  # noqa: E402
from plans import NEW_TICKET, plan_floor, plan_helpdesk, plan_ours, token  # noqa: E402


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


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


def query(db, name, sql, write=False):
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG.format(name=name)) as conn:
            cursor = conn.execute(sql)
            return None if write else cursor.fetchall()
    with sqlite3.connect(Path(tempfile.gettempdir()) / f"{name}.sqlite3") as conn:
        cursor = conn.execute(sql.replace("%%", "%"))
        return None if write else cursor.fetchall()


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

    def measure(self, db, plan, quick=False):
        if quick:
            # A smoke test: no warm-up requests (the first, untimed one and the counted one still run).
            plan = [{"warmup": 0, **operation} for operation in plan]
        with tempfile.TemporaryDirectory() as tmp:
            plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
            plan_path.write_text(json.dumps(plan))
            self.run(db, str(BENCH / "measure.py"), str(plan_path), str(result_path))
            return json.loads(result_path.read_text())


# --------------------------------------------------------------------------
# throughput


def throughput(side, db, gunicorn, clients, per_client, env=None, port=None, tag="tp"):
    """Creation throughput of ``side``; fails unless every ticket posted was created."""
    import throughput as tp

    if side.name == "ours":
        app, path, tokens = "bench.wsgi:application", "/api/tickets/", [token(f"customer{i}") for i in range(4)]

        def make_body(n):
            # Distinct from every earlier run on the same database (a repeat would be a duplicate, 409).
            n = f"{tag}-{n}-{time.time_ns()}"
            return {k: v.replace("{n}", n) if isinstance(v, str) else v for k, v in NEW_TICKET.items()}

    else:
        app, path, tokens = (
            "bench.django_helpdesk_site.wsgi:application",
            "/helpdesk/api/tickets/",
            [token("supervisor")],
        )

        def make_body(n):
            n = f"{tag}-{n}-{time.time_ns()}"
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
        port=port or PORTS[side.name],
        path=path,
        tokens=tokens,
        make_body=make_body,
        clients=clients,
        per_client=per_client,
    )
    log(side.name, "throughput", result)
    if result["created"] != result["requests"]:
        raise RuntimeError(f"{side.name}: {result['requests'] - result['created']} tickets not created: {result}")
    return result


# --------------------------------------------------------------------------


def make_sides(args):
    ours = Side("ours", sys.executable, "bench.settings", "bench_ours")
    helpdesk = Side("django-helpdesk", args.helpdesk_python, "bench.django_helpdesk_site.settings", "bench_helpdesk")
    ours.seeder, helpdesk.seeder = "seed_ours.py", "seed_helpdesk.py"
    return ours, helpdesk


def save(record, results=RESULTS):
    """Write what has been measured so far (a later failure loses nothing)."""
    out = results / f"{record['db']}-{record['size']}.json"
    out.write_text(json.dumps(record, indent=1, default=str) + "\n")
    return out


def postgres_answers():
    try:
        import psycopg

        with psycopg.connect(PG.format(name="postgres"), connect_timeout=3):
            return True
    except Exception as exc:  # noqa: BLE001 - any reason means: no PostgreSQL here
        log(f"PostgreSQL does not answer ({exc.__class__.__name__}): --quick runs on SQLite only")
        return False


def in_virtualenv(python):
    return Path(sys.prefix).resolve() == Path(python).parent.parent.resolve()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 tickets, few samples, results in the cache")
    parser.add_argument("--sizes", default="10000,100000", help="ticket counts, comma-separated")
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument(
        "--sqlite-sizes", default="", help="then these ticket counts on SQLite (files in the temporary directory)"
    )
    parser.add_argument("--sides", default="ours,floor,django-helpdesk")
    parser.add_argument(
        "--ops", default="all", help="operations of bench/operations.py to run: all, none or names, comma-separated"
    )
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--budget", type=float, default=40, help="seconds per operation at most (3 samples minimum)")
    parser.add_argument("--ours-python", help="our side's interpreter (default: the cached virtualenv)")
    parser.add_argument("--helpdesk-python", help="django-helpdesk's interpreter (default: the cached virtualenv)")
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
        "--results",
        help="results folder, with a report of its own (default bench/results and docs/; --quick: in the cache)",
    )
    parser.add_argument("--list", action="store_true", help="list the operations and whether they can run here")
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="measure creation throughput again on the databases as they are (seeded at the one size given)",
    )
    args = parser.parse_args()
    args.quick_again = False
    if args.quick:
        args.sizes, args.sqlite_sizes = "1000", "1000"
        args.iterations, args.budget = 3, 3
        args.gunicorn_per_client = 5
    return args


def bootstrap(args):
    """Make (or find) the virtualenvs; run this script again with our side's Python unless it is that one."""
    ours = args.ours_python or venvs.ensure("ours", log)
    if "django-helpdesk" in args.sides.split(",") and not args.helpdesk_python and not args.report_only:
        args.helpdesk_python = venvs.ensure("django-helpdesk", log)
    if not in_virtualenv(ours):
        argv = [ours, __file__, *sys.argv[1:]]
        if args.helpdesk_python and "--helpdesk-python" not in sys.argv:
            argv += ["--helpdesk-python", args.helpdesk_python]
        if "--ours-python" not in sys.argv:
            argv += ["--ours-python", ours]
        log("running with", ours)
        sys.stdout.flush()
        os.execv(ours, argv)  # nosec B606 - this script again, in its own virtualenv


def list_operations():
    ctx = operations.Context("postgres", 0, False, None, None, log, token, None)
    for registration in operations.PAGES.values():
        missing = [p for p in registration.requires if not (ROOT / p).exists()]
        print(f"page  {registration.name:20} {'not available: ' + ', '.join(missing) if missing else 'available'}")
    for operation in operations.OPERATIONS.values():
        ctx.db, ctx.quick = operation.databases[0], False
        reason = operation.unavailable(ctx)
        where = "/".join(operation.databases) + ("" if operation.quick else ", full runs only")
        print(f"run   {operation.name:20} {reason or 'available'} ({operation.unit}; {where})")


def measure_size(args, db, size, ours, helpdesk, results, first_of_database=True):
    sides = args.sides.split(",")
    gunicorn_ours = str(Path(sys.executable).parent / "gunicorn")
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
        "operations": {},
    }
    previous = results / f"{db}-{size}.json"
    if previous.exists() and not args.quick:
        # Sides not measured this time keep their earlier figures (on the same data set).
        kept = json.loads(previous.read_text())
        for key in ("seed", "results", "throughput", "versions", "operations"):
            record[key] = {**kept.get(key, {}), **record[key]}
        if set(kept.get("results", {})) - set(sides):
            record["started_before"] = kept.get("started")
    keep = lambda: save(record, results)  # noqa: E731
    ours_query = lambda sql, write=False: query(db, ours.dbname, sql, write)  # noqa: E731
    common = {"iterations": args.iterations, "budget": args.budget}
    ctx = operations.Context(db, size, args.quick, ours, lambda name: database_url(db, name), log, token, ours_query)
    ctx.extra["first_of_database"] = first_of_database
    ctx.extra["throughput"] = lambda port, tag: throughput(
        ours, db, gunicorn_ours, args.gunicorn_clients, args.gunicorn_per_client, port=port, tag=tag
    )
    if "ours" in sides or "floor" in sides:
        record["seed"]["ours"] = ours.prepare(db, size)
    if "ours" in sides:
        pages, skipped = operations.plan_pages(ctx, common)
        # The pages that write (bulk changes, creation) come after the reads.
        record["results"]["ours"] = ours.measure(
            db, plan_ours(ours_query, args.iterations, args.budget) + pages, args.quick
        )
        record["skipped_pages"] = skipped
        keep()
    if "floor" in sides:
        record["results"]["floor"] = ours.measure(db, plan_floor(args.iterations, args.budget), args.quick)
        html = plan_floor(args.iterations, args.budget, queue="/bench-floor/queue.html")
        record["results"]["floor-html"] = ours.measure(db, html, args.quick)
        keep()
    if "ours" in sides and args.ops != "none":
        only = None if args.ops == "all" else set(args.ops.split(","))
        if db != "postgres" or args.no_throughput:
            ctx.extra["throughput"] = None
        operations.run_all(ctx, only=only, save=keep, results=record["operations"])
    if "django-helpdesk" in sides and not args.quick_again:
        # --quick: django-helpdesk once, on PostgreSQL when it answers (the SQLite pass is for our side).
        record["versions"]["django-helpdesk"] = versions(args.helpdesk_python)
        record["seed"]["django-helpdesk"] = helpdesk.prepare(db, size)
        helpdesk_query = lambda sql: query(db, helpdesk.dbname, sql)  # noqa: E731
        plan = plan_helpdesk(helpdesk_query, size, args.iterations, args.budget, args.helpdesk_api_list_max_size)
        record["results"]["django-helpdesk"] = helpdesk.measure(db, plan, args.quick)
        keep()
    if db == "postgres" and not args.no_throughput:
        throughputs(args, db, ours, helpdesk, record, keep)
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    log("wrote", keep())


def throughputs(args, db, ours, helpdesk, record, keep):
    sides = args.sides.split(",")
    clients, per_client = args.gunicorn_clients, args.gunicorn_per_client
    if "ours" in sides:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        variants = (("ours", None), ("ours-queued", {"BENCH_NOTIFICATIONS": "queued"}))
        # --quick: the inline variant (the queued one differs in settings only).
        for name, env in variants[:1] if args.quick else variants:
            record["throughput"][name] = throughput(ours, db, gunicorn, clients, per_client, env=env)
            keep()
    if "django-helpdesk" in sides:
        gunicorn = str(Path(args.helpdesk_python).parent / "gunicorn")
        record["throughput"]["django-helpdesk"] = throughput(helpdesk, db, gunicorn, clients, per_client)
        keep()


def main():
    args = parse_args()
    if args.list:
        return list_operations()
    bootstrap(args)
    started = time.monotonic()
    results = Path(args.results) if args.results else RESULTS
    # Results elsewhere than bench/results get a report of their own beside them; docs/ stays as it is.
    report_to = {"results": results, "doc": results / "benchmarks.rst", "static": results / "_static"}
    if not args.results:
        report_to = {}
    if args.quick and not args.results:
        # Figures of a smoke test: beside the virtualenvs, with a report of their own.
        results = venvs.CACHE / "quick" / "results"
        report_to = {"results": results, "doc": venvs.CACHE / "quick" / "benchmarks.rst"}
        report_to["static"] = venvs.CACHE / "quick" / "_static"
    if args.throughput_only:
        ours, helpdesk = make_sides(args)
        (size,) = [int(s) for s in args.sizes.split(",")]
        record = json.loads((results / f"{args.db}-{size}.json").read_text())
        throughputs(args, args.db, ours, helpdesk, record, lambda: save(record, results))
    elif not args.report_only:
        ours, helpdesk = make_sides(args)
        results.mkdir(parents=True, exist_ok=True)
        if args.quick:
            runs = [("postgres", 1000)] if postgres_answers() else []
            runs.append(("sqlite", 1000))
        else:
            runs = [(args.db, int(n)) for n in args.sizes.split(",") if n]
            runs += [("sqlite", int(n)) for n in args.sqlite_sizes.split(",") if n]
        for number, (db, size) in enumerate(runs):
            if args.quick and number:
                # A smoke test: the operations once (on PostgreSQL when it answers), our pages on both.
                args.ops, args.quick_again = "none", True
            first = all(other != db for other, _ in runs[:number])
            measure_size(args, db, size, ours, helpdesk, results, first_of_database=first)

    import report

    report.main(**report_to)
    if not args.report_only:
        log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
