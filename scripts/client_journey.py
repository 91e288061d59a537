#!/usr/bin/env python
"""Generated clients, end to end: what a mobile developer does with ``/api/schema/``, in CI.

For each database asked for (SQLite, PostgreSQL) it:

1. migrates a fresh database and loads the demo (``helpdesk_demo``), with API tokens for
   ``customer`` and ``agent``;
2. starts the example project (``runserver``) on 127.0.0.1;
3. downloads ``/api/schema/`` (JSON) and checks that Persian and English callers get the same bytes;
4. lints it with Redocly CLI (``recommended``) and Spectral (``spectral:oas``): no error, and no
   warning but those docs/api.rst explains (:data:`EXPLAINED_WARNINGS`);
5. generates the Python client (openapi-python-client) and TypeScript types (openapi-typescript,
   type-checked with ``tsc --strict``), failing on any generator warning;
6. runs the journey of :func:`customer_journey`, :func:`agent_journey` and :func:`agents_at_scale_journey`
   (tags, bulk actions, merging, exports) through the generated Python client only, with
   ``raise_on_unexpected_status`` (an undocumented status fails).

The Node tools are installed once under ``--node-prefix`` (never in the checkout). Exits non-zero
on any failure and prints the figures (lint counts, time of each step).

    python scripts/client_journey.py --database sqlite --database postgres --node-prefix /tmp/node
"""

import argparse
import contextlib
import hashlib
import importlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
RULESETS = Path(__file__).resolve().parent / "openapi"
#: The PostgreSQL database of the run; TEST_DB_SUFFIX (as for the tests) keeps parallel runs apart.
DB_NAME = "helpdesk_clients" + "".join(
    f"_{suffix}" for suffix in [os.environ.get("TEST_DB_SUFFIX", "")] if re.fullmatch(r"[a-z0-9_]{1,30}", suffix)
)
POSTGRES = "postgres://postgres@127.0.0.1:5432/"
PACKAGE = "helpdesk_client"
#: The Node tools, pinned (the versions the schema was last checked with).
NODE_PACKAGES = [
    "@redocly/cli@2.77.0",
    "@stoplight/spectral-cli@6.16.3",
    "openapi-typescript@7.13.0",
    "typescript@5.9.3",
]
#: Lint warnings that stay, each explained in docs/api.rst ("Linting the schema"): rule → why.
EXPLAINED_WARNINGS = {
    # The document names the site that served it; in CI and development that is 127.0.0.1 or localhost.
    "no-server-example.com": "the servers entry is the serving site",
}
JOURNEY_TAGS = """
from helpdesk_tickets.models import Department, Tag
Tag.objects.get_or_create(slug="journey-vip", defaults={"name": "Journey VIP", "colour": "purple"})
Tag.objects.get_or_create(
    slug="journey-refund",
    defaults={"name": "Journey refund", "department": Department.objects.get(slug="billing")},
)
"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def log(*args):
    print(*args, flush=True)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


@contextlib.contextmanager
def step(name, timings):
    started = time.perf_counter()
    log(f"-- {name}")
    yield
    timings[name] = time.perf_counter() - started


# --------------------------------------------------------------------------
# tools


def node_tools(prefix):
    """The Node tools' executables under ``prefix``, installed there first if missing."""
    bin_dir = Path(prefix) / "node_modules" / ".bin"
    names = {"redocly": "redocly", "spectral": "spectral", "openapi-typescript": "openapi-typescript", "tsc": "tsc"}
    if not all((bin_dir / name).exists() for name in names.values()):
        Path(prefix).mkdir(parents=True, exist_ok=True)
        run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error", *NODE_PACKAGES])
    return {key: str(bin_dir / name) for key, name in names.items()}


def run(command, *, env=None, cwd=None, timeout=300):
    try:
        result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise Failure(f"{command[0]} is not installed (Node and npm are needed for the schema tools)") from exc
    if result.returncode:
        raise Failure(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------
# the site


def recreate_postgres(drop_only=False):
    import psycopg

    with psycopg.connect(POSTGRES + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def site_env(kind, work):
    env = dict(os.environ)
    database = f"sqlite:///{work / 'site.sqlite3'}" if kind == "sqlite" else POSTGRES + DB_NAME
    env.update(
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DJANGO_DEBUG="1",
        DJANGO_MEDIA_ROOT=str(work / "media"),
        DJANGO_CACHE_DIR=str(work / "cache"),
        DJANGO_EMAIL_FILE_PATH=str(work / "mail"),
        HELPDESK_TASKS="immediate",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE), env.get("PYTHONPATH", "")]),
    )
    return env


def manage(env, *args):
    return run([sys.executable, str(EXAMPLE / "manage.py"), *args], env=env).stdout


@contextlib.contextmanager
def site(kind, work):
    """The example project with the demo, served on 127.0.0.1; yields (base URL, tokens by username)."""
    if kind == "postgres":
        recreate_postgres()
    env = site_env(kind, work)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "helpdesk_demo", "--password", secrets.token_urlsafe(12))
    tokens = {}
    # Tags the agents' journey works with (the demo may have its own): one global, one of billing only.
    manage(env, "shell", "-c", JOURNEY_TAGS)
    for username in ("customer", "customer2", "agent"):
        output = manage(env, "drf_create_token", username)
        tokens[username] = re.search(r"Generated token (\w+) for user", output).group(1)
    port = free_port()
    server_log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLE / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/", timeout=2):  # nosec B310 - loopback only
                    break
            except OSError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise Failure(f"the example project did not start: {exc}") from exc
                time.sleep(0.2)
        yield base, tokens
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server_log.close()
        if kind == "postgres":
            recreate_postgres(drop_only=True)


def download_schema(base, language):
    request = urllib.request.Request(base + "/api/schema/?format=json", headers={"Accept-Language": language})
    with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310 - loopback only
        return response.read()


# --------------------------------------------------------------------------
# lint and generate


def lint(tools, schema_path):
    """Redocly's and Spectral's findings: {"redocly": {"errors": n, "warnings": n, "rules": {...}}, ...}."""
    redocly = subprocess.run(
        [tools["redocly"], "lint", "--config", str(RULESETS / "redocly.yaml"), "--format", "json", str(schema_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(redocly.stdout[redocly.stdout.index("{") :])
    figures = {"redocly": _count((p["severity"], p["ruleId"]) for p in report["problems"])}
    spectral = subprocess.run(
        [
            tools["spectral"],
            "lint",
            "--quiet",
            "--ruleset",
            str(RULESETS / "spectral.yaml"),
            "--format",
            "json",
            str(schema_path),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = json.loads(spectral.stdout)
    severities = {0: "error", 1: "warn", 2: "info", 3: "hint"}
    figures["spectral"] = _count((severities[p["severity"]], p["code"]) for p in found)
    return figures


def _count(problems):
    figures = {"errors": 0, "warnings": 0, "rules": {}, "warning_rules": set()}
    for severity, rule in problems:
        key = "errors" if severity == "error" else "warnings" if severity in ("warn", "warning") else None
        if key:
            figures[key] += 1
            figures["rules"][rule] = figures["rules"].get(rule, 0) + 1
            if key == "warnings":
                figures["warning_rules"].add(rule)
    return figures


def generate(tools, schema_path, work):
    """The Python client (importable from ``work``) and the TypeScript types, each without a warning."""
    config = work / "openapi-python-client.json"
    config.write_text(
        json.dumps({"project_name_override": PACKAGE, "package_name_override": PACKAGE, "post_hooks": []})
    )
    generator = shutil.which("openapi-python-client") or str(Path(sys.executable).parent / "openapi-python-client")
    result = run(
        [
            generator, "generate", "--path", str(schema_path), "--output-path", str(work / PACKAGE),
            "--meta", "none", "--config", str(config), "--fail-on-warning", "--overwrite",
        ]
    )  # fmt: skip
    check("warning" not in (result.stdout + result.stderr).lower(), f"openapi-python-client warned:\n{result.stdout}")
    types = work / "schema.d.ts"
    result = run([tools["openapi-typescript"], str(schema_path), "--output", str(types)])
    noise = [line for line in (result.stdout + result.stderr).splitlines() if re.search(r"warn|⚠|error", line, re.I)]
    check(not noise, "openapi-typescript warned:\n" + "\n".join(noise))
    run([tools["tsc"], "--noEmit", "--strict", "--target", "es2022", str(types)])
    sys.path.insert(0, str(work))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE)


# --------------------------------------------------------------------------
# the journey, through the generated client only


def customer_journey(api, base, token, agent_token):
    from helpdesk_client.api.account import get_me
    from helpdesk_client.api.catalogue import get_api_root, list_departments, list_products, list_ticket_types
    from helpdesk_client.api.tickets import (
        close_ticket,
        create_ticket,
        download_attachment,
        get_ticket,
        list_messages,
        list_ticket_events,
        list_tickets,
        post_message,
        reopen_ticket,
        update_ticket,
    )
    from helpdesk_client.models import (
        Duplicate,
        Error,
        MessageCreateMultipartRequest,
        MessageCreateRequest,
        PatchedTicketUpdateRequest,
        Ticket,
        TicketClosed,
        TicketCreateMultipartRequest,
        TicketCreateRequest,
        TicketCreateRequestFields,
        TicketStatusEnum,
    )
    from helpdesk_client.types import File

    client = api.AuthenticatedClient(base_url=base, token=token, prefix="Token", raise_on_unexpected_status=True)
    agent = api.AuthenticatedClient(base_url=base, token=agent_token, prefix="Token", raise_on_unexpected_status=True)
    anonymous = api.Client(base_url=base, raise_on_unexpected_status=True)

    # Who am I, and where does a ticket go?
    refused = list_departments.sync_detailed(client=anonymous)
    check(refused.status_code == 401 and isinstance(refused.parsed, Error), "anonymous: no 401")
    check(refused.parsed.code == "not_authenticated" and refused.headers["WWW-Authenticate"] == "Token", "401")
    check(get_api_root.sync(client=anonymous).tickets.endswith("/api/tickets/"), "root")
    me = get_me.sync(client=client)
    check(me.username == "customer" and not me.is_agent, f"me: {me}")
    departments = {d.slug: d for d in list_departments.sync(client=client)}
    check("technical-support" in departments, f"departments: {sorted(departments)}")
    types = [t.slug for t in list_ticket_types.sync(client=client, department="technical-support")]
    products = [p.slug for p in list_products.sync(client=client, department="technical-support")]
    check("problem" in types and "cloud-hosting" in products, f"catalogue: {types} {products}")

    # Open a ticket as JSON, then one with a screenshot as multipart.
    run_id = secrets.token_hex(3)
    json_ticket = TicketCreateRequest(
        department="technical-support",
        ticket_type="problem",
        product="cloud-hosting",
        subject=f"The control panel shows an error ({run_id})",
        description="Since this morning the panel answers 'service unavailable'.",
    )
    created = create_ticket.sync_detailed(client=client, body=json_ticket)
    check(created.status_code == 201 and isinstance(created.parsed, Ticket), f"JSON create: {created.content[:300]}")
    first = created.parsed
    check(first.channel.value == "api" and first.assignee is None and first.product == "cloud-hosting", "created")
    screenshot = File(payload=io.BytesIO(PNG), file_name="panel.png", mime_type="image/png")
    form_ticket = TicketCreateMultipartRequest(
        department="technical-support",
        ticket_type="question",
        subject=f"How do I add a second domain? ({run_id})",
        description="Screenshot of the settings page attached.",
        attachments=[screenshot],
    )
    created = create_ticket.sync_detailed(client=client, body=form_ticket)
    check(created.status_code == 201, f"multipart create: {created.content[:300]}")
    with_file = created.parsed
    check(with_file.product is None and with_file.message_count == 1, "multipart create without product")

    # The same request again is a duplicate, told apart from the open-ticket limit by its type.
    again = create_ticket.sync_detailed(client=client, body=json_ticket)
    check(again.status_code == 409 and isinstance(again.parsed, Duplicate), f"duplicate: {again.content[:300]}")
    check(again.parsed.duplicate_of == first.reference and again.parsed.code.value == "duplicate", "duplicate_of")

    # A billing issue asks for its invoice number: without it, a 400 naming fields.invoice_number.
    (billing_issue,) = [
        t for t in list_ticket_types.sync(client=client, department="billing") if t.slug == "billing-issue"
    ]
    asked = {field.key: field for field in billing_issue.fields}
    check(asked["invoice_number"].required and asked["invoice_number"].kind.value == "text", f"fields: {asked}")
    retried = TicketCreateRequest(
        department="billing",
        ticket_type="billing-issue",
        subject=f"Charged twice for March ({run_id})",
        description="Two identical charges on my card.",
    )
    refused = create_ticket.sync_detailed(client=client, body=retried)
    check(refused.status_code == 400 and b"fields.invoice_number" in refused.content, f"fields: {refused.content}")
    retried.fields = TicketCreateRequestFields.from_dict({"invoice_number": f"INV-{run_id}"})

    # A retry with the same Idempotency-Key replays the answer and opens nothing.
    key = f"journey-{run_id}"
    once = create_ticket.sync_detailed(client=client, body=retried, idempotency_key=key)
    twice = create_ticket.sync_detailed(client=client, body=retried, idempotency_key=key)
    check(once.status_code == twice.status_code == 201, "idempotent create")
    check(once.parsed.fields["invoice_number"] == f"INV-{run_id}", f"the ticket's fields: {once.parsed.fields}")
    found = list_tickets.sync(client=client, field=[f"invoice_number:{run_id}"]).results
    check([ticket.reference for ticket in found] == [once.parsed.reference], "filtered by a field")
    check(twice.parsed.reference == once.parsed.reference, "the retry opened another ticket")
    check(twice.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in once.headers, "replay")

    # Page through every ticket of mine, one per page, to the end.
    seen, cursor = [], None
    while True:
        page = list_tickets.sync(client=client, page_size=1, **({"cursor": cursor} if cursor else {}))
        seen += [ticket.reference for ticket in page.results]
        if not page.next_:
            break
        cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(page.next_).query)["cursor"][0]
    check(len(seen) == len(set(seen)) and {first.reference, with_file.reference} <= set(seen), f"pages: {seen}")

    # The thread: the description, a reply, a reply with a file; then download the first file.
    thread = list_messages.sync(client=client, reference=with_file.reference)
    check(len(thread.results) == 1 and len(thread.results[0].attachments) == 1, "thread")
    attachment = thread.results[0].attachments[0]
    reply = post_message.sync_detailed(
        client=client, reference=with_file.reference, body=MessageCreateRequest(body="Any news?")
    )
    check(reply.status_code == 201 and not reply.parsed.internal, "JSON reply")
    log_file = File(payload=io.BytesIO(b"error at 09:12\n"), file_name="panel.log", mime_type="text/plain")
    reply = post_message.sync_detailed(
        client=client,
        reference=with_file.reference,
        body=MessageCreateMultipartRequest(body="The log.", attachments=[log_file]),
    )
    check(reply.status_code == 201 and reply.parsed.attachments[0].name == "panel.log", "multipart reply")
    downloaded = download_attachment.sync_detailed(client=client, reference=with_file.reference, id=attachment.id)
    check(downloaded.status_code == 200 and downloaded.parsed.payload.read() == PNG, "download")
    check(hashlib.sha256(PNG).hexdigest() == attachment.sha256, "the file's sha256")
    check(downloaded.headers["Content-Disposition"].startswith("attachment;"), "Content-Disposition")

    # A conditional read: unchanged is a 304.
    read = get_ticket.sync_detailed(client=client, reference=first.reference)
    unchanged = get_ticket.sync_detailed(client=client, reference=first.reference, if_none_match=read.headers["ETag"])
    check(unchanged.status_code == 304 and not unchanged.content, "ETag / If-None-Match")

    # Resolved by staff, reopened by me, then closed for good: replying or reopening is a 409.
    resolved = update_ticket.sync_detailed(
        client=agent, reference=first.reference, body=PatchedTicketUpdateRequest(status=TicketStatusEnum.RESOLVED)
    )
    check(resolved.status_code == 200 and resolved.parsed.status.value == "resolved", "resolve")
    reopened = reopen_ticket.sync(client=client, reference=first.reference)
    check(reopened.status.value == "in_progress", "reopen")
    closed = close_ticket.sync(client=client, reference=first.reference)
    check(closed.status.value == "closed" and closed.closed_at is not None, "close")
    refused = reopen_ticket.sync_detailed(client=client, reference=first.reference)
    check(refused.status_code == 409 and isinstance(refused.parsed, TicketClosed), "reopen a closed ticket")
    refused = post_message.sync_detailed(client=client, reference=first.reference, body=MessageCreateRequest(body="?"))
    check(refused.status_code == 409 and refused.parsed.code.value == "ticket_closed", "reply to a closed ticket")
    trail = [
        (e.kind.value, e.new_value) for e in list_ticket_events.sync(client=client, reference=first.reference).results
    ]
    check(trail[0] == ("created", "new") and trail[-1] == ("status_changed", "closed"), f"events: {trail}")
    return with_file.reference


def agent_journey(api, base, token, customer_token, reference):
    from helpdesk_client.api.account import get_me
    from helpdesk_client.api.staff import get_stats
    from helpdesk_client.api.tickets import (
        create_ticket,
        get_ticket,
        list_messages,
        list_ticket_events,
        list_tickets,
        post_message,
        update_ticket,
    )
    from helpdesk_client.models import (
        MessageCreateRequest,
        OnBehalfChannelEnum,
        PatchedTicketUpdateRequest,
        TicketCreateRequest,
        TicketPriorityEnum,
        TicketStatusEnum,
        ValidationError,
    )
    from helpdesk_client.models.list_tickets_ordering import ListTicketsOrdering

    client = api.AuthenticatedClient(base_url=base, token=token, prefix="Token", raise_on_unexpected_status=True)
    customer = api.AuthenticatedClient(
        base_url=base, token=customer_token, prefix="Token", raise_on_unexpected_status=True
    )
    me = get_me.sync(client=client)
    check(me.is_agent and {d.slug for d in me.departments} >= {"technical-support", "billing"}, f"me: {me}")
    queue = list_tickets.sync(client=client, ordering=ListTicketsOrdering.PRIORITY_DESC, page_size=100)
    check(reference in {ticket.reference for ticket in queue.results}, "the new ticket is in the queue")

    # Each field by itself, re-read to prove it changed.
    Patch = PatchedTicketUpdateRequest
    changes = [
        ("status", Patch(status=TicketStatusEnum.IN_PROGRESS), lambda t: t.status.value, "in_progress"),
        ("priority", Patch(priority=TicketPriorityEnum.URGENT), lambda t: t.priority.value, "urgent"),
        ("assignee", Patch(assignee=me.username), lambda t: t.assignee.username, me.username),
        ("department", Patch(department="billing"), lambda t: t.department, "billing"),
        ("no assignee", Patch(assignee=None), lambda t: t.assignee, None),
    ]
    for name, change, read, expected in changes:
        answer = update_ticket.sync_detailed(client=client, reference=reference, body=change)
        check(answer.status_code == 200, f"PATCH {name}: {answer.content[:300]}")
        check(read(get_ticket.sync(client=client, reference=reference)) == expected, f"PATCH {name} did not stick")
    typo = PatchedTicketUpdateRequest.from_dict({"prority": "high"})
    refused = update_ticket.sync_detailed(client=client, reference=reference, body=typo)
    check(refused.status_code == 400 and isinstance(refused.parsed, ValidationError), "PATCH with a typo")
    check("prority" in refused.parsed.additional_properties, "the typo is named")

    # An internal note: the staff's ETag moves, the customer's does not, and they never see it.
    customer_etag = get_ticket.sync_detailed(client=customer, reference=reference).headers["ETag"]
    staff_etag = get_ticket.sync_detailed(client=client, reference=reference).headers["ETag"]
    note = post_message.sync_detailed(
        client=client, reference=reference, body=MessageCreateRequest(body="Customer on the old plan.", internal=True)
    )
    check(note.status_code == 201 and note.parsed.internal, "internal note")
    check(get_ticket.sync_detailed(client=client, reference=reference).headers["ETag"] != staff_etag, "staff ETag")
    unchanged = get_ticket.sync_detailed(client=customer, reference=reference, if_none_match=customer_etag)
    check(unchanged.status_code == 304, "the customer's ETag changed on an internal note")
    bodies = [m.body for m in list_messages.sync(client=customer, reference=reference).results]
    check("Customer on the old plan." not in bodies, "the customer sees the internal note")
    kinds = {e.kind.value for e in list_ticket_events.sync(client=client, reference=reference).results}
    check({"priority_changed", "assigned", "department_changed"} <= kinds, f"staff events: {kinds}")
    kinds = {e.kind.value for e in list_ticket_events.sync(client=customer, reference=reference).results}
    check(kinds <= {"created", "status_changed"}, f"the customer's events: {kinds}")

    # A customer called: a ticket on their behalf.
    called = create_ticket.sync_detailed(
        client=client,
        body=TicketCreateRequest(
            department="billing",
            ticket_type="question",
            subject=f"Called about renewal ({secrets.token_hex(3)})",
            description="Wants to renew for two years.",
            requester="customer2",
            channel=OnBehalfChannelEnum.PHONE,
        ),
    )
    check(called.status_code == 201, f"on behalf: {called.content[:300]}")
    check(called.parsed.requester.username == "customer2" and called.parsed.channel.value == "phone", "on behalf")

    stats = get_stats.sync(client=client)
    check(stats.overall.tickets > 0 and {row.department for row in stats.departments} >= {"billing"}, "stats")


def agents_at_scale_journey(api, base, token, customer_token):
    """Tags, the tag filter, bulk actions, merging and exports, as an agent's integration uses them."""
    from helpdesk_client.api.staff import bulk_update_tickets, export_tickets
    from helpdesk_client.api.tickets import (
        create_ticket,
        download_attachment,
        get_ticket,
        list_messages,
        list_tickets,
        merge_ticket,
        update_ticket,
    )
    from helpdesk_client.models import (
        BulkActionRequest,
        Error,
        MergeRequest,
        Moved,
        PatchedTicketUpdateRequest,
        Ticket,
        TicketCreateMultipartRequest,
        TicketCreateRequest,
        TicketPriorityEnum,
        ValidationError,
    )
    from helpdesk_client.models.export_tickets_format import ExportTicketsFormat
    from helpdesk_client.models.export_tickets_status_item import ExportTicketsStatusItem
    from helpdesk_client.types import File

    client = api.AuthenticatedClient(base_url=base, token=token, prefix="Token", raise_on_unexpected_status=True)
    customer = api.AuthenticatedClient(
        base_url=base, token=customer_token, prefix="Token", raise_on_unexpected_status=True
    )
    run_id = secrets.token_hex(3)
    opened = []
    for n in range(3):
        body = TicketCreateRequest(
            department="technical-support",
            ticket_type="problem",
            subject=f"Backups failing, server {n} ({run_id})",
            description=f"The nightly backup of server {n} stopped on Monday.",
        )
        created = create_ticket.sync_detailed(client=customer, body=body)
        check(created.status_code == 201, f"open ticket {n}: {created.content[:300]}")
        opened.append(created.parsed.reference)
    first, second, third = opened

    # Tags: written by slug, read as objects by staff, never shown to the customer; the ETag follows them.
    etag = get_ticket.sync_detailed(client=client, reference=first).headers["ETag"]
    tagged = update_ticket.sync_detailed(
        client=client, reference=first, body=PatchedTicketUpdateRequest(tags=["journey-vip"])
    )
    check(tagged.status_code == 200 and [t.slug for t in tagged.parsed.tags] == ["journey-vip"], "PATCH tags")
    read = get_ticket.sync_detailed(client=client, reference=first)
    check([(t.slug, t.colour.value) for t in read.parsed.tags] == [("journey-vip", "purple")], "tags re-read")
    check(read.headers["ETag"] != etag, "the ETag did not change with the tags")
    check(get_ticket.sync(client=customer, reference=first).tags == [], "the customer sees tags")
    refused = update_ticket.sync_detailed(
        client=client, reference=first, body=PatchedTicketUpdateRequest(tags=["journey-refund"])
    )
    check(refused.status_code == 400 and isinstance(refused.parsed, ValidationError), "another department's tag")
    check("tags" in refused.parsed.additional_properties, "the tag refusal names tags")
    found = list_tickets.sync(client=client, tag=["journey-vip"], page_size=100)
    check([ticket.reference for ticket in found.results] == [first], f"tag filter: {found.results}")

    # Bulk: a change to each ticket on its own, a result for each, in the order named.
    bulk = bulk_update_tickets.sync_detailed(
        client=client,
        body=BulkActionRequest(
            tickets=[first, second, "HD-NOSUCH1"], priority=TicketPriorityEnum.HIGH, add_tags=["journey-vip"]
        ),
    )
    check(bulk.status_code == 200, f"bulk: {bulk.content[:300]}")
    check((bulk.parsed.done, bulk.parsed.refused) == (2, 1), f"bulk counts: {bulk.parsed}")
    check([r.code for r in bulk.parsed.results] == [None, None, "not_found"], f"bulk results: {bulk.parsed}")
    check(get_ticket.sync(client=client, reference=second).priority.value == "high", "bulk priority")
    refused = bulk_update_tickets.sync_detailed(
        client=client,
        body=BulkActionRequest(tickets=[f"HD-{n:08d}" for n in range(501)], priority=TicketPriorityEnum.LOW),
    )
    check(refused.status_code == 400, f"bulk over the limit: {refused.content[:300]}")
    check(refused.parsed.code == "too_many_tickets" and "tickets" in refused.parsed.additional_properties, "limit")

    # Merge: the answer is the target; the merged ticket's addresses answer 301 to the target's.
    with_file = create_ticket.sync_detailed(
        client=customer,
        body=TicketCreateMultipartRequest(
            department="technical-support",
            ticket_type="problem",
            subject=f"Backup log ({run_id})",
            description="The log of the failed backup.",
            attachments=[File(payload=io.BytesIO(b"backup failed\n"), file_name="backup.log", mime_type="text/plain")],
        ),
    )
    check(with_file.status_code == 201, f"ticket with a file: {with_file.content[:300]}")
    source = with_file.parsed.reference
    attachment = list_messages.sync(client=customer, reference=source).results[0].attachments[0]
    merged = merge_ticket.sync_detailed(client=client, reference=source, body=MergeRequest(into=first))
    check(merged.status_code == 200 and isinstance(merged.parsed, Ticket), f"merge: {merged.content[:300]}")
    check(merged.parsed.reference == first and merged.parsed.message_count == 2, "merge answers the target")
    for who in (customer, client):
        moved = get_ticket.sync_detailed(client=who, reference=source)
        check(moved.status_code == 301 and isinstance(moved.parsed, Moved), f"merged ticket: {moved.content[:300]}")
        check(moved.parsed.merged_into == first and moved.headers["Location"].endswith(f"/{first}/"), "Location")
    moved = list_messages.sync_detailed(client=customer, reference=source)
    check(moved.status_code == 301 and moved.headers["Location"].endswith(f"/{first}/messages/"), "messages 301")
    moved = download_attachment.sync_detailed(client=customer, reference=source, id=attachment.id)
    check(moved.status_code == 301 and f"/{first}/attachments/{attachment.id}/" in moved.headers["Location"], "file")
    followed = download_attachment.sync_detailed(client=customer, reference=first, id=attachment.id)
    check(followed.status_code == 200 and followed.content == b"backup failed\n", "the file in the target")
    again = merge_ticket.sync_detailed(client=client, reference=third, body=MergeRequest(into=source))
    check(again.status_code == 409 and isinstance(again.parsed, Error), f"merge into merged: {again.content[:300]}")
    check(again.parsed.code == "merge_into_closed", f"merge refusal code: {again.parsed.code}")
    refused = merge_ticket.sync_detailed(client=customer, reference=third, body=MergeRequest(into=first))
    check(refused.status_code == 403, "a customer merged")

    # Export: the list's filters, as CSV (with a byte-order mark) and XLSX.
    exported = export_tickets.sync_detailed(client=client, format_=ExportTicketsFormat.CSV, tag=["journey-vip"])
    check(exported.status_code == 200, f"export: {exported.content[:300]}")
    text = exported.content.decode("utf-8")
    check(text.startswith("\ufeff") and first in text and second in text and third not in text, "CSV export")
    check(exported.headers["Content-Disposition"].startswith("attachment;"), "export Content-Disposition")
    exported = export_tickets.sync_detailed(
        client=client, format_=ExportTicketsFormat.XLSX, status=[ExportTicketsStatusItem.NEW]
    )
    check(exported.status_code == 200 and exported.content.startswith(b"PK"), "XLSX export")
    refused = export_tickets.sync_detailed(client=customer)
    check(refused.status_code == 403, "a customer exported")


# --------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", choices=["sqlite", "postgres"], help="repeatable")
    parser.add_argument("--node-prefix", default=str(Path(tempfile.gettempdir()) / "helpdesk-client-node"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory (schema, client, logs)")
    args = parser.parse_args()
    databases = args.database or ["sqlite"]
    started = time.perf_counter()
    timings, figures = {}, {}
    work_root = Path(tempfile.mkdtemp(prefix="helpdesk-clients-"))
    api = None
    try:
        with step("node tools", timings):
            tools = node_tools(args.node_prefix)
        for kind in databases:
            work = work_root / kind
            work.mkdir()
            setup_started = time.perf_counter()
            with site(kind, work) as (base, tokens):
                timings[f"{kind}: migrate, demo, start the site"] = time.perf_counter() - setup_started
                english, persian = download_schema(base, "en"), download_schema(base, "fa")
                check(english == persian, "the schema differs between English and Persian callers")
                schema_path = work / "schema.json"
                schema_path.write_bytes(english)
                if api is None:
                    with step("lint", timings):
                        figures = lint(tools, schema_path)
                    with step("generate", timings):
                        api = generate(tools, schema_path, work_root)
                with step(f"{kind}: journey", timings):
                    reference = customer_journey(api, base, tokens["customer"], tokens["agent"])
                    agent_journey(api, base, tokens["agent"], tokens["customer"], reference)
                    agents_at_scale_journey(api, base, tokens["agent"], tokens["customer"])
    except Failure as exc:
        log(f"FAILED: {exc}")
        if args.keep:
            log(f"work directory kept: {work_root}")
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
    for tool, found in figures.items():
        log(f"{tool}: {found['errors']} errors, {found['warnings']} warnings {found['rules'] or ''}")
    for name, seconds in timings.items():
        log(f"{name}: {seconds:.1f}s")
    log(f"total: {time.perf_counter() - started:.1f}s")
    errors = sum(found["errors"] for found in figures.values())
    unexplained = sorted(
        {rule for found in figures.values() for rule in found["warning_rules"]} - set(EXPLAINED_WARNINGS)
    )
    if errors or unexplained:
        log(f"FAILED: {errors} lint errors; warnings not explained in docs/api.rst: {unexplained}")
        return 1
    log("generated clients: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
