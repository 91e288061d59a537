"""Ticket creation throughput: gunicorn with 4 workers, concurrent clients posting distinct tickets.

Each client is its own process (so the client side is not held back by one
interpreter lock) making ``per_client`` sequential ``POST``s with token
authentication; tickets/s = tickets created / wall time from the first
request to the last answer. Both the server and the clients run on this
machine's cores, as in the rest of the benchmark.
"""

import http.client
import json
import os
import subprocess
import time
from multiprocessing import Pool


def _post(args):
    port, path, token, bodies = args
    created, failures = 0, []
    for body in bodies:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        if response.status == 201:
            created += 1
        else:
            failures.append(f"{response.status} {payload[:200]!r}")
    return created, failures[:3]


def wait_until_up(port, timeout=60):
    """Any answer (a 404 will do) means the server is up; a list could take long at a million tickets."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/bench-ping/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


def run(*, gunicorn, app, env, cwd, port, path, tokens, make_body, clients=8, per_client=50, workers=4):
    """Start gunicorn, post ``clients * per_client`` tickets, stop it; return the figures."""
    server = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        env={**os.environ, **env},
        cwd=cwd,
    )
    try:
        wait_until_up(port)
        # One ticket per client first, so that every worker has its connection and code warm.
        with Pool(clients) as pool:
            pool.map(_post, [(port, path, tokens[c % len(tokens)], [make_body(f"warm-{c}")]) for c in range(clients)])
            jobs = [
                (port, path, tokens[c % len(tokens)], [make_body(f"{c}-{i}") for i in range(per_client)])
                for c in range(clients)
            ]
            started = time.perf_counter()
            outcomes = pool.map(_post, jobs)
            elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    created = sum(c for c, _ in outcomes)
    failures = [f for _, fs in outcomes for f in fs]
    return {
        "workers": workers,
        "clients": clients,
        "requests": clients * per_client,
        "created": created,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(created / elapsed, 1),
        "failures": failures[:5],
    }
