"""The benchmark's operations beyond the page latencies: one small registration each.

A registration names the operation, the unit of its figure, the files it
needs in the checkout and the databases it runs on, and gives a function
``run(ctx)`` that measures it in processes of its own (the scripts in
bench/ and scripts/, with the virtualenv of our side) and returns a dict:
``value`` in ``unit`` plus whatever details the script reports. An
operation whose files are not in this checkout is skipped, and says so
(``"skipped"`` in the results, a line on the console); one that fails
raises, and the run fails.

Pages that belong beside the others (measured by measure.py in the same
process as the rest of our side) register with :func:`page` instead: they
add operations to our side's plan.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The ports of the servers the operations start (the benchmark's range is 9000-9099).
SMTP_PORT = 9010
ROUND_ROBIN_PORT = 9003


@dataclass
class Operation:
    name: str
    label: str
    unit: str
    run: object
    requires: tuple = ()
    databases: tuple = ("postgres", "sqlite")
    #: Run by --quick (the generated-client journey installs Node tools and takes minutes: full runs only).
    quick: bool = True
    higher_is_better: bool = True
    #: Reads the seeded database of the size measured; otherwise it makes data of its own and runs once
    #: per database in a run (at the first size).
    sized: bool = True

    def unavailable(self, ctx):
        """Why it cannot run here, or None."""
        missing = [path for path in self.requires if not (ROOT / path).exists()]
        if missing:
            return f"not available in this checkout ({', '.join(missing)} missing)"
        if ctx.db not in self.databases:
            return f"runs on {' and '.join(self.databases)} only"
        if ctx.quick and not self.quick:
            return "full runs only (too slow for --quick)"
        if not self.sized and not ctx.extra.get("first_of_database", True):
            return "data of its own: measured once per database, at the first size"
        return None


@dataclass
class Page:
    name: str
    label: str
    plan: object  # plan(ctx) -> list of measure.py operations
    requires: tuple = ()


@dataclass
class Context:
    db: str
    size: int
    quick: bool
    ours: object  # run.Side
    database_url: object  # database_url(name) -> URL on ctx.db
    log: object
    token: object
    query: object  # query(sql) on our side's benchmark database
    extra: dict = field(default_factory=dict)


OPERATIONS: dict[str, Operation] = {}
PAGES: dict[str, Page] = {}


def register(name, label, unit, **options):
    def decorator(function):
        OPERATIONS[name] = Operation(name, label, unit, function, **options)
        return function

    return decorator


def page(name, label, **options):
    def decorator(function):
        PAGES[name] = Page(name, label, function, **options)
        return function

    return decorator


def _python(ctx, *args, env=None, timeout=1800, bench_settings=True):
    """Run one of the benchmark's scripts with our side's Python; its stdout.

    ``bench_settings``: with the benchmark's settings and database in the environment (bench/settings.py);
    without, the script chooses its own (scripts/client_journey.py runs the example project).
    """
    if bench_settings:
        env = {**ctx.ours.env(ctx.db), **(env or {})}
    result = subprocess.run(  # nosec B603 - the benchmark's own scripts
        [ctx.ours.python, *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            ctx.log("  ", line)
    return result.stdout


def _last_json(output):
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def _scratch_url(ctx, name):
    return ctx.database_url(name)


# --------------------------------------------------------------------------
# standalone operations


@register(
    "inbound_email",
    "Inbound e-mail through receive_email (2 processes)",
    "messages/s",
    requires=("bench/inbound.py",),
    sized=False,
)
def inbound_email(ctx):
    messages = 60 if ctx.quick else 1000
    url = _scratch_url(ctx, "bench_inbound")
    return _last_json(_python(ctx, "bench/inbound.py", "--messages", messages, "--database-url", url, "--json"))


@register(
    "outbox_delivery", "Outbox delivery to a local SMTP server", "e-mails/s", requires=("bench/outbox.py",), sized=False
)
def outbox_delivery(ctx):
    emails = 100 if ctx.quick else 2000
    env = {"DATABASE_URL": _scratch_url(ctx, "bench_outbox")}
    return _last_json(_python(ctx, "bench/outbox.py", "-n", emails, "--smtp-port", SMTP_PORT, "--json", env=env))


@register(
    "webhook_fanout",
    "Webhook fan-out to a local receiver",
    "deliveries/s",
    requires=("bench/webhooks.py",),
    sized=False,
)
def webhook_fanout(ctx):
    deliveries = 200 if ctx.quick else 2000
    env = {"DATABASE_URL": _scratch_url(ctx, "bench_webhooks")}
    output = _python(ctx, "bench/webhooks.py", "fanout", "-n", deliveries, env=env)
    rate = re.search(r"^throughput\s+(\d+) deliveries/s", output, re.M)
    if not rate or "MISMATCH" in output:
        raise RuntimeError(f"webhook fan-out failed:\n{output}")
    return {"value": float(rate.group(1)), "deliveries": deliveries, "output": output.strip().splitlines()}


@register(
    "kb_suggest",
    "Knowledge-base suggestions, p95 of a request",
    "ms",
    requires=("bench/kb_suggest.py",),
    higher_is_better=False,
    sized=False,
)
def kb_suggest(ctx):
    articles, requests = (1000, 100) if ctx.quick else (10_000, 400)
    output = _python(ctx, "bench/kb_suggest.py", "--database", ctx.db, "--articles", articles, "--requests", requests)
    result = _last_json(output)
    return {**result, "value": result["request_ms"]["p95"]}


@register("export", "Staff queue export, every ticket (CSV and XLSX)", "s")
def export(ctx):
    output = _python(ctx, "bench/export.py", "--db", ctx.db, "--dbname", ctx.ours.dbname, "--reuse")
    rows = [json.loads(line) for line in output.splitlines() if line.startswith('{"format"')]
    by_format = {row["format"]: row for row in rows}
    for row in rows:
        if row["status"] != 200:
            raise RuntimeError(f"export {row['format']} answered {row['status']}")
    return {
        "value": by_format["xlsx"]["seconds"],
        "higher_is_better": False,
        "formats": by_format,
    }


@register(
    "round_robin_create",
    "Ticket creation into a round-robin department, 8 concurrent clients, 4 gunicorn workers",
    "tickets/s",
    databases=("postgres",),
)
def round_robin_create(ctx):
    """The throughput test with the department of the new tickets assigning each agent in turn."""
    table = "helpdesk_tickets_department"
    ctx.query(f"UPDATE {table} SET assignment = 'round_robin' WHERE slug = 'technical'", write=True)
    try:
        result = ctx.extra["throughput"](port=ROUND_ROBIN_PORT, tag="rr")
    finally:
        ctx.query(f"UPDATE {table} SET assignment = 'manual' WHERE slug = 'technical'", write=True)
    assigned = ctx.query(
        # NEW_TICKET's subject, "… since the upgrade {n}", {n} starting with the tag.
        "SELECT COUNT(DISTINCT assignee_id), COUNT(*) FROM helpdesk_tickets_ticket WHERE subject LIKE '%upgrade rr-%' "
        "AND assignee_id IS NOT NULL"
    )[0]
    result["agents_given_tickets"], result["assigned"] = assigned
    if not assigned[1]:
        raise RuntimeError("round robin: no ticket was assigned")
    return {**result, "value": result["tickets_per_second"]}


@register(
    "client_journey",
    "Generated-client journey (schema, lint, generate, customer and agent journeys), total time",
    "s",
    quick=False,
    higher_is_better=False,
    sized=False,
)
def client_journey(ctx):
    if not shutil.which("npm"):
        return {"skipped": "npm is not on PATH"}
    node = Path(ctx.ours.python).parent.parent / "node"
    started = time.monotonic()
    output = _python(
        ctx,
        "scripts/client_journey.py",
        "--database",
        ctx.db,
        "--node-prefix",
        node,
        timeout=3600,
        bench_settings=False,
    )
    return {"value": round(time.monotonic() - started, 1), "output_tail": output.strip().splitlines()[-12:]}


# --------------------------------------------------------------------------
# pages measured with the others (measure.py)


@page("bulk_action", "Staff: bulk action over 500 tickets (set the priority)")
def bulk_action(ctx):
    references = [row[0] for row in ctx.query("SELECT reference FROM helpdesk_tickets_ticket ORDER BY id LIMIT 500")]
    step = {
        "method": "post",
        "form": True,
        "status": 200,
        "path": "/support/staff/bulk/",
        "data": {"tickets": references, "action": "priority"},
        "cycle": [{"priority": "high"}, {"priority": "low"}],
    }
    # Seconds per request: one warm-up; a smoke test (--quick) times the counted request only.
    pace = {"single": True} if ctx.quick else {"warmup": 1}
    return [{"name": "bulk_action", "user": "supervisor", "steps": [step], "tickets": len(references), **pace}]


@page("csat_page", "Customer: rating page of a signed link (CSAT)", requires=("helpdesk_tickets/ratinglink.py",))
def csat_page(ctx):
    reference = ctx.query(
        "SELECT t.reference FROM helpdesk_tickets_ticket t JOIN auth_user u ON u.id = t.requester_id "
        "WHERE u.username = 'customer0' AND t.status = 'resolved' ORDER BY t.id LIMIT 1"
    )[0][0]
    code = (
        "import django, sys; django.setup();"
        "from helpdesk_tickets.models import Ticket; from helpdesk_tickets import ratinglink;"
        "print(ratinglink.make_token(Ticket.objects.get(reference=sys.argv[1])))"
    )
    signed = _python(ctx, "-c", code, reference).strip().splitlines()[-1]
    return [{"name": "csat_page", "steps": [{"method": "get", "path": f"/support/tickets/{reference}/rate/{signed}/"}]}]


def plan_pages(ctx, common):
    """Our side's extra page operations for this run, and the ones skipped (name -> reason)."""
    plan, skipped = [], {}
    for registration in PAGES.values():
        missing = [path for path in registration.requires if not (ROOT / path).exists()]
        if missing:
            skipped[registration.name] = f"not available in this checkout ({', '.join(missing)} missing)"
            ctx.log(f"{registration.name}: skipped, {skipped[registration.name]}")
            continue
        plan += [{**common, **operation} for operation in registration.plan(ctx)]
    return plan, skipped


def run_all(ctx, only=None, save=lambda: None, results=None):
    """Every registered operation for this database and size; results by name (skips included)."""
    results = {} if results is None else results
    for operation in OPERATIONS.values():
        if only is not None and operation.name not in only:
            continue
        reason = operation.unavailable(ctx)
        if reason:
            ctx.log(f"{operation.name}: skipped, {reason}")
            results[operation.name] = {"skipped": reason}
            continue
        ctx.log(f"{operation.name}: measuring")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"bench-{operation.name}-"):
            outcome = operation.run(ctx)
        outcome.setdefault("unit", operation.unit)
        outcome.setdefault("higher_is_better", operation.higher_is_better)
        outcome["wall_seconds"] = round(time.monotonic() - started, 1)
        ctx.log(f"{operation.name}: {outcome.get('value', outcome.get('skipped'))} {operation.unit}")
        results[operation.name] = outcome
        save()
    return results
