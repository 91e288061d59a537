"""Time requests through Django's test client and count their SQL queries.

The same script measures every side (helpdesk_tickets, the floor and
django-helpdesk, each in its own process and virtualenv): it needs only
Django. Usage::

    DJANGO_SETTINGS_MODULE=... python bench/measure.py plan.json result.json

``plan.json`` is a list of operations::

    {"name": "staff_queue", "user": "supervisor", "token": null,
     "steps": [{"method": "get", "path": "/support/staff/"}],
     "iterations": 30, "budget": 60}

An operation is one or more requests (``steps``) a user makes to see one
screen; its latency is the sum. ``"single": true`` takes one sample only (the
counted request), for requests too slow to repeat. ``data`` of a POST may contain ``{n}``,
replaced by a fresh number on every request (distinct tickets); ``"form": true``
posts it form-encoded, as a browser would, taking turns between the dicts of
``cycle`` merged into it. ``"language": "en"`` sends that Accept-Language (the
default is the site's language). The query
count is taken on a separate, untimed request after a first one (the steady
state: a first visit may write once, e.g. mark a thread read), so that
counting SQL does not slow the timed ones.
"""

import json
import statistics
import sys
import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

WARMUP = 2
_counter = [0]


def _fill(value, n):
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, dict):
        return {k: _fill(v, n) for k, v in value.items()}
    return value


def make_client(operation):
    client = Client(raise_request_exception=True)
    if operation.get("user"):
        client.force_login(get_user_model().objects.get(username=operation["user"]))
    if operation.get("language"):
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = operation["language"]
    if operation.get("token"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {operation['token']}"
    return client


def run_once(client, operation):
    """Make the operation's requests; return the last response."""
    response = None
    for step in operation["steps"]:
        _counter[0] += 1
        data = _fill(step.get("data"), f"{time.time_ns()}-{_counter[0]}")
        if step.get("method", "get") == "post" and step.get("form"):
            # A browser's form post; "cycle" takes turns between its values (a change every time).
            cycle = step.get("cycle")
            form = {**data, **cycle[_counter[0] % len(cycle)]} if cycle else data
            response = client.post(step["path"], data=form)
        elif step.get("method", "get") == "post":
            response = client.post(step["path"], data=json.dumps(data), content_type="application/json")
        else:
            response = client.get(step["path"], data)
        expected = step.get("status", 201 if step.get("method") == "post" else 200)
        if response.status_code != expected:
            body = response.content[:500]
            raise RuntimeError(f"{operation['name']}: {step['path']} answered {response.status_code}: {body!r}")
    return response


def percentile(values, fraction):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def count_queries(client, operation):
    """SQL statements one run of the operation executes (no cap, unlike Django's query log)."""
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        run_once(client, operation)
    return count[0]


def measure(operation):
    client = make_client(operation)
    if not operation.get("single"):
        # Count in the steady state: a first visit may write once (e.g. mark a thread read).
        run_once(client, operation)
    t0 = time.perf_counter()
    queries = count_queries(client, operation)
    if operation.get("single"):
        # Too slow to repeat: the counted request is the one sample (counting costs next to nothing).
        elapsed = (time.perf_counter() - t0) * 1000
        return {
            "name": operation["name"],
            "queries": queries,
            "n": 1,
            "p50_ms": round(elapsed, 2),
            "p95_ms": round(elapsed, 2),
            "mean_ms": round(elapsed, 2),
        }
    budget = operation.get("budget", 60)
    iterations = operation.get("iterations", 30)
    started = time.monotonic()
    for _ in range(operation.get("warmup", WARMUP)):
        if time.monotonic() - started > budget / 4:
            break
        run_once(client, operation)
    times, cpu = [], []
    started = time.monotonic()
    while len(times) < iterations and (len(times) < min(3, iterations) or time.monotonic() - started < budget):
        t0, c0 = time.perf_counter(), time.process_time()
        run_once(client, operation)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "name": operation["name"],
        "queries": queries,
        "n": len(times),
        "p50_ms": round(percentile(times, 0.5), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        # CPU time of this (Django) process alone: steadier than wall time on a busy machine, but
        # without the database server's share.
        "cpu_p50_ms": round(percentile(cpu, 0.5), 2),
    }


def main(plan_path, result_path):
    with open(plan_path) as f:
        plan = json.load(f)
    results = []
    for operation in plan:
        result = measure(operation)
        print(json.dumps(result), file=sys.stderr, flush=True)
        results.append(result)
    with open(result_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
