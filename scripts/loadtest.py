#!/usr/bin/env python
"""Bounded multi-process load test of the example site under gunicorn.

For each database asked for (PostgreSQL, MariaDB) it:

1. creates a fresh database ``helpdesk_load`` on the local server (dropped at the end);
2. migrates it and creates a department, a ticket type and customer accounts with API tokens;
3. starts gunicorn with several workers for ``example_project.wsgi`` on 127.0.0.1;
4. fires concurrent requests from a thread pool:
   identical ``POST /api/tickets/`` bursts (one ticket per burst must win, the rest are refused as duplicates),
   identical bursts through the portal's form (logged-in sessions; every click lands on the one ticket),
   identical bursts with one ``Idempotency-Key`` (one ticket, every answer names it),
   distinct submissions (each must create a ticket) and replies to those tickets;
5. checks the database against what the clients were told, and prints the figures.

It exits non-zero on any lost ticket or reply, duplicated ticket, non-unique reference, or 5xx.
Every request goes to 127.0.0.1; the run is bounded in requests and in time (``--time-limit``).

    python scripts/loadtest.py --database postgres --database mariadb --customers 8 --bursts 2 --burst-size 4
"""

import argparse
import concurrent.futures
import http.client
import http.cookies
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
DB_NAME = "helpdesk_load"
#: Password of the load test's own customer accounts (in its throw-away database).
PASSWORD = secrets.token_urlsafe(12)
SERVERS = {
    "postgres": "postgres://postgres@127.0.0.1:5432/",
    "mariadb": "mysql://root@127.0.0.1:3306/",
}

SETUP = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk_tickets.models import Department, TicketType

department, _ = Department.objects.get_or_create(slug="load", defaults={"name": "Load"})
ticket_type, _ = TicketType.objects.get_or_create(slug="question", defaults={"name": "Question"})
ticket_type.departments.add(department)
tokens = []
for n in range(%(customers)d):
    user, _ = get_user_model().objects.get_or_create(username=f"load{n}", defaults={"email": f"load{n}@example.com"})
    user.set_password(%(password)r)
    user.save(update_fields=["password"])
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
print(json.dumps({"tokens": tokens}))
"""

CHECK = """
import json
from collections import Counter
from helpdesk_tickets.models import Message, Ticket

tickets = list(Ticket.objects.values_list("reference", "subject", "requester__username", "message_count"))
messages = Counter(Message.objects.values_list("ticket__reference", flat=True))
print(json.dumps({"tickets": tickets, "messages": messages}))
"""


def log(*args):
    print(*args, flush=True)


def free_port(candidates):
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8501-8509")


# --------------------------------------------------------------------------
# database


def recreate_database(kind, drop_only=False):
    if kind == "postgres":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            if not drop_only:
                conn.execute(f"CREATE DATABASE {DB_NAME}")
    else:
        import MySQLdb

        conn = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", passwd="")
        try:
            cursor = conn.cursor()
            cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
            if not drop_only:
                cursor.execute(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        finally:
            conn.close()


def site_env(kind, media_root):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=SERVERS[kind] + DB_NAME,
        DJANGO_SETTINGS_MODULE="example_project.settings",
        # Production mode (no debug pages), served over plain HTTP on loopback.
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_MEDIA_ROOT=media_root,
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(EXAMPLE), env.get("PYTHONPATH", "")]),
    )
    return env


def manage(env, *args, stdin=None):
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


# --------------------------------------------------------------------------
# HTTP


class Client:
    """Thread-safe request helper recording every status and latency."""

    def __init__(self, base, timeout):
        self.base, self.timeout = base, timeout
        self.lock = threading.Lock()
        self.latencies, self.statuses = [], []

    def record(self, status, elapsed):
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses.append(status)

    def request(self, method, path, token, payload=None, headers=None):
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310 - loopback only
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except OSError as exc:  # connection reset, time-out: counted as a server failure
            status, body = 599, str(exc).encode()
        self.record(status, time.perf_counter() - started)
        try:
            return status, json.loads(body or b"null")
        except ValueError:
            return status, {"raw": body[:200].decode(errors="replace")}


class WebSession:
    """A logged-in browser-like session of one customer on the portal (cookies and CSRF by hand).

    The site runs in production mode, so its cookies are marked Secure; over
    plain HTTP on loopback they are sent back here explicitly.
    """

    def __init__(self, client, username):
        self.client, self.cookies = client, {}
        status, _headers, body = self.send("GET", "/accounts/login/")
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf(body)}
        status, headers, _body = self.send("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"could not log {username} in to the portal ({status})")

    @staticmethod
    def csrf(body):
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if not found:
            raise SystemExit("no CSRF token in the page")
        return found.group(1).decode()

    def send(self, method, path, form=None, record=False):
        host, port = self.client.base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=self.client.timeout)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            status, data, received = response.status, response.read(), response.getheaders()
        except OSError as exc:
            status, data, received = 599, str(exc).encode(), []
        finally:
            connection.close()
        if record:
            self.client.record(status, time.perf_counter() - started)
        for name, value in received:
            if name.lower() == "set-cookie":
                for key, morsel in http.cookies.SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
        return status, dict((k.lower(), v) for k, v in received), data

    def submit_ticket(self, subject, description):
        """Send the portal's form once; returns (status, reference the browser is sent to)."""
        path = "/support/new/load/question/"
        status, _headers, body = self.send("GET", path)
        if status != 200:
            return status, None
        form = {"subject": subject, "description": description, "csrfmiddlewaretoken": self.csrf(body)}
        status, headers, _body = self.send("POST", path, form, record=True)
        found = re.search(r"/tickets/([A-Za-z0-9-]+)/", headers.get("location", ""))
        return status, found.group(1) if found else None


def wait_until_up(client, token, deadline):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(client.base + "/api/departments/", timeout=2):  # nosec B310
                return
        except urllib.error.HTTPError:
            return  # answering (401 without a token is fine)
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start in time")


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# --------------------------------------------------------------------------
# one run


def run(kind, args):
    log(f"== {kind}: fresh database {DB_NAME}")
    recreate_database(kind)
    media = tempfile.mkdtemp(prefix="helpdesk-load-media-")
    env = site_env(kind, media)
    manage(env, "migrate", "--noinput", "-v0")
    output = manage(env, "shell", "-c", SETUP % {"customers": args.customers, "password": PASSWORD})
    tokens = json.loads(output.strip().splitlines()[-1])["tokens"]
    port = free_port(range(8501, 8510))
    gunicorn = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
            "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--timeout", "60",
            "--chdir", str(EXAMPLE), "--log-level", "warning",
        ],
        env=env,
        start_new_session=True,
    )  # fmt: skip
    client = Client(f"http://127.0.0.1:{port}", timeout=args.request_timeout)
    started = time.monotonic()
    deadline = started + args.time_limit
    try:
        wait_until_up(client, tokens[0], started + 60)
        return exercise(kind, args, env, client, tokens, deadline)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
            gunicorn.wait()
        if not args.keep_database:
            recreate_database(kind, drop_only=True)


def exercise(kind, args, env, client, tokens, deadline):
    run_id = uuid.uuid4().hex[:6]
    payload = {"department": "load", "ticket_type": "question"}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency)
    expected_subjects = {}  # subject → username that must own exactly one ticket of it
    problems = []

    def submit_all(jobs):
        if time.monotonic() > deadline:
            raise SystemExit(f"time limit of {args.time_limit}s reached")
        futures = [pool.submit(job) for job in jobs]
        return [f.result() for f in futures]

    t0 = time.perf_counter()
    # 1. Identical bursts: the same customer sends the same ticket N times at once.
    duplicates_refused = 0
    jobs, owners = [], []
    for n, token in enumerate(tokens):
        for burst in range(args.bursts):
            subject = f"Identical {run_id} {n}-{burst}"
            expected_subjects[subject] = f"load{n}"
            body = {**payload, "subject": subject, "description": "The same words, sent again and again."}
            for _ in range(args.burst_size):
                jobs.append(lambda t=token, b=body: client.request("POST", "/api/tickets/", t, b))
                owners.append(subject)
    results = submit_all(jobs)
    winners = {}
    for subject, (status, body) in zip(owners, results, strict=True):
        if status == 201:
            winners.setdefault(subject, []).append(body["reference"])
        elif status == 409 and body.get("duplicate_of"):
            duplicates_refused += 1
        elif status < 500:
            problems.append(f"identical burst: unexpected {status} {body}")
    for subject in {s for s in owners}:
        if len(winners.get(subject, [])) != 1:
            problems.append(f"identical burst {subject!r}: {len(winners.get(subject, []))} tickets created, expected 1")

    # 1b. The same through the portal's form: several identical posts of one customer at once.
    web_identical = 0
    sessions = [WebSession(client, f"load{n}") for n in range(len(tokens))]
    jobs, owners = [], []
    for n, session in enumerate(sessions):
        subject = f"Web identical {run_id} {n}"
        expected_subjects[subject] = f"load{n}"
        for _ in range(args.burst_size):
            jobs.append(lambda w=session, s=subject: w.submit_ticket(s, "Typed once, clicked many times."))
            owners.append(subject)
    landed = {}
    for subject, (status, reference) in zip(owners, submit_all(jobs), strict=True):
        if status == 302 and reference:
            landed.setdefault(subject, set()).add(reference)
            web_identical += 1
        elif status < 500:
            problems.append(f"web burst {subject!r}: unexpected {status}")
    for subject in set(owners):
        # Every click lands on the one ticket: the first created it, the others were pointed to it.
        if len(landed.get(subject, set())) != 1:
            problems.append(f"web burst {subject!r} landed on {landed.get(subject)}")

    # 2. Retries with one Idempotency-Key: one ticket, every answer names it.
    jobs, owners = [], []
    for n, token in enumerate(tokens):
        subject = f"Keyed {run_id} {n}"
        expected_subjects[subject] = f"load{n}"
        body = {**payload, "subject": subject, "description": "Sent with a key, retried on a bad network."}
        key = f"load-{run_id}-{n}"
        for _ in range(args.burst_size):
            jobs.append(
                lambda t=token, b=body, k=key: client.request("POST", "/api/tickets/", t, b, {"Idempotency-Key": k})
            )
            owners.append(subject)
    answers = {}
    for subject, (status, body) in zip(owners, submit_all(jobs), strict=True):
        if status == 201:
            answers.setdefault(subject, set()).add(body["reference"])
        elif status < 500:
            problems.append(f"keyed retry: unexpected {status} {body}")
    for subject in set(owners):
        if len(answers.get(subject, set())) != 1:
            problems.append(f"keyed retries {subject!r} answered with {answers.get(subject)}")

    # 3. Distinct submissions, all at once: each must create its own ticket.
    jobs, owners = [], []
    for n, token in enumerate(tokens):
        for d in range(args.distinct):
            subject = f"Distinct {run_id} {n}-{d}"
            expected_subjects[subject] = f"load{n}"
            body = {**payload, "subject": subject, "description": f"Question number {d} about topic {n}."}
            jobs.append(lambda t=token, b=body: client.request("POST", "/api/tickets/", t, b))
            owners.append((subject, token))
    created = []
    for (subject, token), (status, body) in zip(owners, submit_all(jobs), strict=True):
        if status == 201:
            created.append((body["reference"], token))
        elif status < 500:
            problems.append(f"distinct submission {subject!r}: unexpected {status} {body}")

    # 4. Replies, concurrently, several to each ticket.
    jobs, replied = [], []
    for reference, token in created:
        for r in range(args.replies):
            body = {"body": f"Reply {r} with more details."}
            path = f"/api/tickets/{reference}/messages/"
            jobs.append(lambda t=token, p=path, b=body: client.request("POST", p, t, b))
            replied.append(reference)
    replies_ok = {}
    for reference, (status, body) in zip(replied, submit_all(jobs), strict=True):
        if status == 201:
            replies_ok[reference] = replies_ok.get(reference, 0) + 1
        elif status < 500:
            problems.append(f"reply to {reference}: unexpected {status} {body}")
    wall = time.perf_counter() - t0
    pool.shutdown()

    # What the database holds must match what the clients were told.
    state = json.loads(manage(env, "shell", "-c", CHECK).strip().splitlines()[-1])
    by_subject = {}
    for reference, subject, username, _count in state["tickets"]:
        by_subject.setdefault(subject, []).append((reference, username))
    references = [row[0] for row in state["tickets"]]
    lost = sum(1 for subject in expected_subjects if subject not in by_subject)
    duplicated = sum(len(rows) - 1 for rows in by_subject.values() if len(rows) > 1)
    wrong_owner = sum(1 for s, rows in by_subject.items() if any(u != expected_subjects.get(s) for _r, u in rows))
    lost_replies = sum(
        max(0, replies_ok.get(reference, 0) + 1 - state["messages"].get(reference, 0)) for reference, _t in created
    )
    server_errors = sum(1 for status in client.statuses if status >= 500)
    figures = {
        "database": kind,
        "workers": args.workers,
        "requests": len(client.statuses),
        "tickets_created": len(references),
        "tickets_expected": len(expected_subjects),
        "duplicates_refused": duplicates_refused + max(0, web_identical - len(sessions)),
        "replies_created": sum(replies_ok.values()),
        "references_unique": len(set(references)) == len(references),
        "lost_tickets": lost,
        "duplicated_tickets": duplicated,
        "wrong_owner": wrong_owner,
        "lost_replies": lost_replies,
        "status_5xx": server_errors,
        "throttled_429": sum(1 for status in client.statuses if status == 429),
        "p50_ms": round(statistics.median(client.latencies) * 1000, 1) if client.latencies else 0,
        "p95_ms": round(percentile(client.latencies, 0.95) * 1000, 1),
        "wall_seconds": round(wall, 2),
    }
    failed = bool(
        lost
        or duplicated
        or wrong_owner
        or lost_replies
        or server_errors
        or problems
        or not figures["references_unique"]
    )
    for problem in problems[:20]:
        log("  problem:", problem)
    return figures, failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", choices=sorted(SERVERS), help="repeatable; default: both")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--bursts", type=int, default=2, help="identical bursts per customer")
    parser.add_argument("--burst-size", type=int, default=4, help="identical requests per burst")
    parser.add_argument("--distinct", type=int, default=3, help="distinct tickets per customer")
    parser.add_argument("--replies", type=int, default=2, help="replies per distinct ticket")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--request-timeout", type=float, default=30)
    parser.add_argument("--time-limit", type=float, default=240, help="seconds per database")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    # Every POST counts against the per-user limit, refused duplicates and replays included.
    per_user = (args.bursts + 2) * args.burst_size + args.distinct
    if per_user > 25:
        parser.error("keep new tickets per customer under the default API limit (30/hour): add --customers instead")

    all_figures, any_failed = [], False
    for kind in args.database or ["postgres", "mariadb"]:
        figures, failed = run(kind, args)
        all_figures.append(figures)
        any_failed |= failed
        log(json.dumps(figures))
        log(
            f"{kind}: {figures['tickets_created']} tickets created ({figures['tickets_expected']} expected), "
            f"{figures['duplicates_refused']} duplicates refused, {figures['replies_created']} replies, "
            f"references unique: {figures['references_unique']}, lost: {figures['lost_tickets']}, "
            f"duplicated: {figures['duplicated_tickets']}, 5xx: {figures['status_5xx']}, "
            f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms over {figures['requests']} requests"
            f" — {'FAILED' if failed else 'ok'}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(all_figures, indent=2))
    return 1 if any_failed else 0


if __name__ == "__main__":
    sys.exit(main())
