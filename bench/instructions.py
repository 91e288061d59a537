"""Instructions per request (callgrind) of the benchmark's operations, for any checkout of the app.

Wall-clock and CPU times on a shared machine move by 15–35 % on unchanged
code; the number of instructions the Django process executes for a request
does not (two runs agree within 0.2 %, whatever else runs). This script counts them with
valgrind's callgrind, so that two commits can be compared per operation::

    # once per size (and per schema): a template database seeded by a checkout's own seeder
    python bench/instructions.py seed --tree /work/wt/perf-after --size 10000 --db bench_cg_10000
    # a fresh copy of the template per run; the checkout's code, settings and URLs
    python bench/instructions.py measure --tree /work/wt/perf-before --db bench_cg_10000 --out before-10k.json
    python bench/instructions.py measure --tree /work/wt/perf-after --db bench_cg_10000 --out after-10k.json
    python bench/instructions.py compare before-10k.json after-10k.json

``measure`` starts one Python process per run under ``nice -n 19 valgrind
--tool=callgrind --instr-atstart=no``: Django is set up, and every operation
warmed up (``--warmup`` times, the first visits' writes and the process's
caches behind us), uninstrumented; then instrumentation is switched on
around ``--repeat`` requests only, through callgrind's client requests
(a few lines of C built with ``cc`` on first use, called with ctypes), and
the counters are dumped per operation. The count covers this process alone —
Django, the app, DRF, psycopg and libpq — not the PostgreSQL server's work,
so each operation's SQL statements are also recorded (one request, through
an execute wrapper: Django's query log has a cap) for comparing query
counts and plans.

Operations run in a fixed order, the reads before the writes, on a copy of
the template made for the run (``CREATE DATABASE … TEMPLATE``), so that every
run starts from the same rows.
"""

import argparse
import ctypes
import gc
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

PG = "postgres://postgres@127.0.0.1:5432/{name}"
SEARCH_WORD = "kubernetes"
OPEN = ("new", "in_progress", "awaiting_customer")

NEW_TICKET = {
    "department": "technical",
    "ticket_type": "problem",
    "product": "product-3",
    "subject": "Server answers slowly since the upgrade {n}",
    "description": "Since this morning every page of our shop takes seconds to load. Reference run {n}.",
}
REPLY = "Thank you, we looked at it again and it is still slow in the evening. Run {n}."

CALLGRIND_C = r"""
#include <valgrind/callgrind.h>
void hdt_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void hdt_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
void hdt_zero(void) { CALLGRIND_ZERO_STATS; }
void hdt_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
int hdt_on_valgrind(void) { return RUNNING_ON_VALGRIND; }
"""


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def token(name):
    return hashlib.sha1(name.encode()).hexdigest()


# --------------------------------------------------------------------------
# databases (the driver's side: plain psycopg)


def pg(sql, *, db="postgres", params=None, fetch=True):
    import psycopg

    with psycopg.connect(PG.format(name=db), autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if fetch and cursor.description else None


def tree_env(tree, db):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_URL": PG.format(name=db),
        "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'example_project'}",
        "PYTHONHASHSEED": "0",
    }


def seed(args):
    tree = Path(args.tree).resolve()
    pg(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)", fetch=False)
    pg(f"CREATE DATABASE {args.db}", fetch=False)
    env = tree_env(tree, args.db)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], cwd=tree, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "bench/seed_ours.py", str(args.size)], cwd=tree, env=env, check=True, capture_output=True
    )
    log("seeded", args.db, "from", tree, out.stdout.decode().strip().splitlines()[-1])
    note = json.dumps({"size": args.size, "tree": str(tree)}).replace("'", "''")
    pg(f"COMMENT ON DATABASE {args.db} IS '{note}'", fetch=False)


# --------------------------------------------------------------------------
# the plan


def op(name, method, path, *, user=None, token_of=None, data=None, params=None, status=None):
    if params:
        path += "?" + urlencode(params, doseq=True)
    return {
        "name": name,
        "method": method,
        "path": path,
        "user": user,
        "token": token(token_of) if token_of else None,
        "data": data,
        "status": status or {"get": 200, "post": 201}[method],
    }


def plan(db):
    # The ticket run.py opens: the first customer's ticket with the most public messages.
    (thread,) = pg(
        "SELECT reference FROM helpdesk_tickets_ticket WHERE requester_id = 1 ORDER BY message_count DESC, id LIMIT 1",
        db=db,
    )[0]
    # Open tickets of customers with a token (customer0..3: users 1..4), for the replies.
    open_tickets = pg(
        "SELECT reference, requester_id FROM helpdesk_tickets_ticket WHERE requester_id BETWEEN 1 AND 4 "
        "AND status = ANY(%s) ORDER BY requester_id, id LIMIT 2",
        db=db,
        params=(list(OPEN),),
    )
    (mine, owner), (other, _owner) = open_tickets
    customer = f"customer{owner - 1}"
    ((product,),) = pg(
        "SELECT id FROM helpdesk_tickets_product WHERE slug = %s", db=db, params=(NEW_TICKET["product"],)
    )
    web_ticket = {"product": product, "subject": NEW_TICKET["subject"], "description": NEW_TICKET["description"]}
    queue_filter = {"status": "in_progress", "priority": "high"}
    return [
        # Reads first.
        op("customer_list", "get", "/support/", user="customer0"),
        op("ticket_thread", "get", f"/support/tickets/{thread}/", user="customer0"),
        op("staff_ticket", "get", f"/support/staff/tickets/{thread}/", user="supervisor"),
        op("staff_ticket_open", "get", f"/support/staff/tickets/{other}/", user="supervisor"),
        op("staff_queue", "get", "/support/staff/", user="supervisor"),
        op("staff_queue_agent", "get", "/support/staff/", user="agent0"),
        op("staff_queue_page2", "get", "/support/staff/", user="supervisor", params={"page": 2}),
        op("staff_queue_filtered", "get", "/support/staff/", user="supervisor", params=queue_filter),
        op("staff_queue_search", "get", "/support/staff/", user="supervisor", params={"q": SEARCH_WORD}),
        op("dashboard", "get", "/support/staff/dashboard/", user="supervisor"),
        op("api_list", "get", "/api/tickets/", token_of="supervisor"),
        op("api_list_agent", "get", "/api/tickets/", token_of="agent0"),
        op("api_list_customer", "get", "/api/tickets/", token_of="customer0"),
        op("api_list_filtered", "get", "/api/tickets/", token_of="supervisor", params=queue_filter),
        op("api_list_search", "get", "/api/tickets/", token_of="supervisor", params={"search": SEARCH_WORD}),
        op("api_detail", "get", f"/api/tickets/{thread}/", token_of="customer0"),
        op("api_messages", "get", f"/api/tickets/{thread}/messages/", token_of="customer0"),
        # Then the writes (each request a fresh {n}: no duplicate).
        op("api_create", "post", "/api/tickets/", token_of="customer1", data=NEW_TICKET),
        op(
            "web_create",
            "post",
            "/support/new/technical/problem/",
            user="customer2",
            data=web_ticket,
            status=302,
        ),
        op("api_reply", "post", f"/api/tickets/{mine}/messages/", token_of=customer, data={"body": REPLY}),
        op("web_reply", "post", f"/support/tickets/{mine}/", user=customer, data={"body": REPLY}, status=302),
        op(
            "staff_reply",
            "post",
            f"/support/staff/tickets/{other}/",
            user="supervisor",
            data={"body": REPLY, "then_status": ""},
            status=302,
        ),
        op("api_staff_reply", "post", f"/api/tickets/{other}/messages/", token_of="supervisor", data={"body": REPLY}),
    ]


# --------------------------------------------------------------------------
# the driver


def copy_database(template, name):
    """A fresh copy of the seeded template (nobody may be connected to the template meanwhile)."""
    pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", fetch=False)
    pg(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY", fetch=False)


def chosen(operations, names):
    if not names:
        return operations
    wanted = names.split(",")
    unknown = set(wanted) - {o["name"] for o in operations}
    if unknown:
        sys.exit(f"unknown operations: {', '.join(sorted(unknown))}")
    return [o for o in operations if o["name"] in wanted]


def measure(args):
    tree = Path(args.tree).resolve()
    runs = []
    for run in range(args.runs):
        copy = f"{args.db}_run{os.getpid()}"
        copy_database(args.db, copy)
        try:
            operations = chosen(plan(copy), args.ops)
            with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
                tmp = Path(tmp)
                plan_path, result_path = tmp / "plan.json", tmp / "result.json"
                plan_path.write_text(
                    json.dumps({"warmup": args.warmup, "repeat": args.repeat, "operations": operations})
                )
                command = [
                    *("nice", "-n", "19", "valgrind", "--tool=callgrind", "--instr-atstart=no"),
                    f"--callgrind-out-file={tmp}/callgrind.out.%p",
                    *(sys.executable, str(Path(__file__).resolve()), "child", str(plan_path), str(result_path)),
                ]
                started = time.monotonic()
                log(f"run {run + 1}/{args.runs}", tree, copy)
                stderr = subprocess.DEVNULL if args.quiet else None
                subprocess.run(command, cwd=tree, env=tree_env(tree, copy), check=True, stderr=stderr)
                results = json.loads(result_path.read_text())
                totals = read_dumps(tmp)
                for result in results:
                    result["instructions"] = totals[result["name"]]
                    result["per_request"] = round(totals[result["name"]] / args.repeat)
                    log(f"{result['name']:24} {result['per_request']:>14,} Ir/request  {result['queries']} queries")
                runs.append({"seconds": round(time.monotonic() - started), "operations": results})
                if args.keep:
                    kept = Path(args.keep) / f"{Path(args.out).stem}-run{run + 1}"
                    tmp.rename(kept)
                    tmp.mkdir()  # for TemporaryDirectory's clean-up
                    log("callgrind files kept in", kept)
        finally:
            pg(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)", fetch=False)
    commit = subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    (note,) = pg("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", params=(args.db,))[
        0
    ]
    record = {
        "tree": str(tree),
        "commit": commit.stdout.strip(),
        "dirty": bool(
            subprocess.run(
                ["git", "-C", tree, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
            ).stdout.strip()
        ),
        "db": args.db,
        "size": json.loads(note or "{}").get("size"),
        "warmup": args.warmup,
        "repeat": args.repeat,
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    log("wrote", args.out)


def snippet(args):
    """Ir per run of Python statements in a checkout (after ``--setup``): the part of a request that changed."""
    tree = Path(args.tree).resolve()
    statements = dict(item.split("=", 1) for item in args.statements)
    copy = f"{args.db}_snippet{os.getpid()}"
    copy_database(args.db, copy)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            spec = tmp / "snippets.json"
            spec.write_text(
                json.dumps(
                    {"setup": args.setup, "statements": statements, "warmup": args.warmup, "repeat": args.repeat}
                )
            )
            command = [
                *("nice", "-n", "19", "valgrind", "--tool=callgrind", "--instr-atstart=no"),
                f"--callgrind-out-file={tmp}/callgrind.out.%p",
                *(sys.executable, str(Path(__file__).resolve()), "child-snippet", str(spec)),
            ]
            stderr = subprocess.DEVNULL if args.quiet else None
            subprocess.run(command, cwd=tree, env=tree_env(tree, copy), check=True, stderr=stderr)
            totals = read_dumps(tmp)
    finally:
        pg(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)", fetch=False)
    for name in statements:
        print(f"{name:24} {totals[name] / args.repeat / 1e6:>10.2f} M instructions a run")


def write_plan(args):
    """The operations as measure runs them, on a copy of the template (for profiling them by hand)."""
    copy_database(args.db, args.copy)
    Path(args.out).write_text(json.dumps({"warmup": 3, "repeat": 5, "operations": plan(args.copy)}, indent=1))


def read_dumps(directory):
    """Ir of each dump, by the label the child gave it (``callgrind.out.<pid>.<n>``)."""
    totals = {}
    for path in sorted(directory.glob("callgrind.out.*.*")):
        text = path.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
        total = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
        if label and total:
            totals[label.group(1)] = int(total.group(1))
    return totals


def compare(args):
    """One row per operation: the first file's Ir per request, then each other's and its change from the first."""
    records = [json.loads(Path(p).read_text()) for p in args.files]
    measured = []
    for record in records:
        ops = {}
        for run in record["runs"]:
            for o in run["operations"]:
                ops.setdefault(o["name"], []).append(o)
        measured.append(ops)
    labels = args.labels.split(",") if args.labels else [record["commit"] for record in records]
    for label, record in zip(labels, records, strict=True):
        dirty = " + uncommitted changes" if record.get("dirty") else ""
        print(
            f"# {label}: {record['commit']}{dirty} ({record['tree']}), {record.get('size')} tickets, "
            f"{len(record['runs'])} run(s) of {record['repeat']} requests"
        )
    header = ["operation"]
    for i, label in enumerate(labels):
        header += [f"{label} Ir/req"] + (["change"] if i else [])
    header += ["queries", "spread"]
    rows = []
    for name, runs in measured[0].items():
        if not all(name in ops for ops in measured):
            continue
        base = statistics.fmean(o["per_request"] for o in runs)
        row = [name, f"{base / 1e6:.2f} M"]
        for ops in measured[1:]:
            value = statistics.fmean(o["per_request"] for o in ops[name])
            row += [f"{value / 1e6:.2f} M", f"{(value - base) / base * 100:+.1f} %"]
        row.append("→".join(str(ops[name][0]["queries"]) for ops in measured))
        # The widest difference between two runs of the same checkout, as a share of the smaller.
        spreads = [
            (max(o["per_request"] for o in ops[name]) / min(o["per_request"] for o in ops[name]) - 1) * 100
            for ops in measured
        ]
        row.append(f"{max(spreads):.2f} %")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    if args.rst:
        rule = "  ".join("=" * w for w in widths)
        print(rule, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), rule, sep="\n")
        for row in rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        print(rule)
    else:
        for row in [header, *rows]:
            print("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]))


# --------------------------------------------------------------------------
# the child: runs under valgrind, in the checkout being measured


class Callgrind:
    """callgrind's client requests (valgrind/callgrind.h), built once into a small shared library."""

    def __init__(self):
        digest = hashlib.sha1(CALLGRIND_C.encode()).hexdigest()[:12]
        library = Path(tempfile.gettempdir()) / f"hdt-callgrind-{digest}.so"
        if not library.exists():
            source = library.with_suffix(".c")
            source.write_text(CALLGRIND_C)
            partial = library.with_suffix(f".{os.getpid()}.so")
            subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", partial, source], check=True)
            partial.rename(library)
        self.lib = ctypes.CDLL(str(library))
        self.lib.hdt_dump.argtypes = [ctypes.c_char_p]
        if not self.lib.hdt_on_valgrind():
            sys.exit("instructions.py child: not running under valgrind")

    def start(self):
        self.lib.hdt_start()
        self.lib.hdt_zero()

    def stop(self, label):
        self.lib.hdt_dump(label.encode())
        self.lib.hdt_stop()


def child(plan_path, result_path):
    # Import the checkout's code (the working directory and PYTHONPATH), not this script's folder.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    spec = json.loads(Path(plan_path).read_text())
    callgrind = Callgrind()
    counter = [0]

    def fill(data):
        # A fresh number per request, always as long: distinct tickets, the same work.
        counter[0] += 1
        n = f"{time.time_ns()}-{counter[0]:06d}"
        return {k: v.replace("{n}", n) if isinstance(v, str) else v for k, v in data.items()} if data else data

    def request(client, operation):
        data = fill(operation["data"])
        if operation["method"] == "post" and operation["token"]:
            response = client.post(operation["path"], data=json.dumps(data), content_type="application/json")
        elif operation["method"] == "post":
            response = client.post(operation["path"], data=data)
        else:
            response = client.get(operation["path"])
        if response.status_code != operation["status"]:
            raise RuntimeError(
                f"{operation['name']}: {operation['path']} answered {response.status_code}: {response.content[:500]!r}"
            )
        return response

    results = []
    for operation in spec["operations"]:
        client = Client(raise_request_exception=True)
        if operation["user"]:
            client.force_login(get_user_model().objects.get(username=operation["user"]))
        if operation["token"]:
            client.defaults["HTTP_AUTHORIZATION"] = f"Token {operation['token']}"
        for _ in range(spec["warmup"]):
            request(client, operation)
        queries = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            request(client, operation)
        # Long-lived objects out of the collector's way: a full collection lands in whichever
        # operation happens to run when the threshold is crossed, not in the one that caused it.
        gc.collect()
        gc.freeze()
        callgrind.start()
        for _ in range(spec["repeat"]):
            request(client, operation)
        callgrind.stop(operation["name"])
        results.append(
            {
                "name": operation["name"],
                "path": operation["path"],
                "queries": len(queries),
                "sql": queries,
            }
        )
    Path(result_path).write_text(json.dumps(results, indent=1))


def child_snippet(spec_path):
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    import django

    django.setup()
    spec = json.loads(Path(spec_path).read_text())
    callgrind = Callgrind()
    namespace = {}
    exec(spec["setup"], namespace)  # a benchmark's own statements, from its command line
    for name, statement in spec["statements"].items():
        code = compile(statement, name, "exec")
        for _ in range(spec["warmup"]):
            exec(code, namespace)
        gc.collect()
        gc.freeze()
        callgrind.start()
        for _ in range(spec["repeat"]):
            exec(code, namespace)
        callgrind.stop(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("seed", help="create and seed a template database with a checkout's migrations and seeder")
    p.add_argument("--tree", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--db", required=True)
    p = commands.add_parser("measure", help="Ir per request of each operation, for one checkout")
    p.add_argument("--tree", required=True, help="the checkout whose code is measured")
    p.add_argument("--db", required=True, help="the template database (copied for each run)")
    p.add_argument("--ops", default="", help="comma-separated operation names (default: all)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=5, help="requests counted per operation and run")
    p.add_argument("--runs", type=int, default=1, help="processes, each on a fresh copy (to check repeatability)")
    p.add_argument("--out", required=True)
    p.add_argument("--keep", help="keep the callgrind files under this folder")
    p.add_argument("--quiet", action="store_true", help="hide the child's stderr")
    p = commands.add_parser("plan", help="copy the template to --copy and write the operations' plan for it")
    p.add_argument("--db", required=True)
    p.add_argument("--copy", required=True)
    p.add_argument("--out", required=True)
    p = commands.add_parser("snippet", help="Ir per run of Python statements in a checkout, e.g. one queryset method")
    p.add_argument("--tree", required=True)
    p.add_argument("--db", required=True, help="the template database (copied for the run)")
    p.add_argument("--setup", default="", help="statements run once first, e.g. imports")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("statements", nargs="+", metavar="NAME=STATEMENTS")
    p = commands.add_parser("compare", help="table of measure outputs, each against the first")
    p.add_argument("files", nargs="+")
    p.add_argument("--rst", action="store_true", help="as a reStructuredText table")
    p.add_argument("--labels", help="comma-separated names of the files' columns (default: their commits)")
    p = commands.add_parser("child")
    p.add_argument("plan")
    p.add_argument("result")
    p = commands.add_parser("child-snippet")
    p.add_argument("spec")
    args = parser.parse_args()
    if args.command == "child":
        child(args.plan, args.result)
    elif args.command == "child-snippet":
        child_snippet(args.spec)
    else:
        {"seed": seed, "measure": measure, "snippet": snippet, "plan": write_plan, "compare": compare}[args.command](
            args
        )


if __name__ == "__main__":
    main()
