"""Turn ``bench/results/*.json`` into ``docs/benchmarks.rst`` and ``docs/_static/bench-*.png``.

``python bench/report.py`` (``run.py`` calls it at the end). The page's
prose is ``bench/benchmarks.rst.in`` (and ``bench/findings.rst``, what
profiling found); this module fills in the tables,
the verdicts on the targets and the plots.
"""

import json
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TEMPLATE = ROOT / "bench" / "benchmarks.rst.in"
FINDINGS = ROOT / "bench" / "findings.rst"
DOC = ROOT / "docs" / "benchmarks.rst"
STATIC = ROOT / "docs" / "_static"

SIDES = ("ours", "floor", "django-helpdesk")
LABELS = {
    "ours": "helpdesk_tickets",
    "ours-queued": "helpdesk_tickets, e-mails handed to a queue",
    "floor": "floor",
    "floor-html": "HTML floor",
    "django-helpdesk": "django-helpdesk 2.6.1",
}
OPERATIONS = {
    "customer_list": "Customer: Ticket list (``/support/``)",
    "ticket_thread": "Customer: ticket thread (``/support/tickets/<ref>/``)",
    "staff_ticket": "Staff: one ticket with its thread",
    "staff_queue": "Staff queue, unfiltered (supervisor)",
    "staff_queue_agent": "Staff queue, unfiltered (agent of 2 of 8 departments)",
    "staff_queue_en": "Staff queue, unfiltered, in English (supervisor)",
    "staff_queue_filtered": "Staff queue, filtered (status + priority)",
    "staff_queue_search": "Staff queue, searched (one word)",
    "api_list": "API ticket list, first page (supervisor)",
    "api_list_agent": "API ticket list, first page (agent)",
    "api_create": "API: create a ticket",
    "dashboard": "Dashboard figures",
    "bulk_action": "Staff: bulk action over 500 tickets (set the priority)",
    "csat_page": "Customer: rating page of a signed link (CSAT)",
}
#: Operations where the floor exists and the 1.5× target applies.
FLOOR_TARGET = (
    "staff_queue",
    "staff_queue_agent",
    "staff_queue_filtered",
    "staff_queue_search",
    "api_list",
    "api_list_agent",
)
#: The pages compared with the HTML floor (2× target), and the API with the JSON floor (1.5×).
HTML_FLOOR_TARGET = ("staff_queue", "staff_queue_agent", "staff_queue_en", "staff_queue_filtered", "staff_queue_search")
JSON_FLOOR_TARGET = ("api_list", "api_list_agent")
#: Figures of bench/operations.py, by name.
OTHER_OPERATIONS = {
    "inbound_email": "Inbound e-mail through ``receive_email`` (2 processes)",
    "outbox_delivery": "Outbox delivery to a local SMTP server",
    "webhook_fanout": "Webhook fan-out to a local receiver",
    "kb_suggest": "Knowledge-base suggestions, p95",
    "export": "Staff queue export of every ticket (CSV / XLSX)",
    "round_robin_create": "Creation into a round-robin department (8 clients, 4 workers)",
    "client_journey": "Generated-client journey, total time",
}
PLOTTED = ("staff_queue", "staff_queue_search", "api_list", "api_create", "dashboard", "customer_list")


def load(results=RESULTS):
    records = []
    for path in sorted(Path(results).glob("*.json")):
        records.append(json.loads(path.read_text()))
    records.sort(key=lambda r: (r["db"] != "postgres", r["size"]))
    return records


def by_name(record, side):
    return {row["name"]: row for row in record["results"].get(side, [])}


def fmt_ms(value):
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fmt_ratio(value):
    return "–" if value is None else f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def table(header, rows, widths=None):
    """An RST list-table."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    if widths:
        lines.insert(2, f"   :widths: {' '.join(map(str, widths))}")
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines)


def size_label(n):
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def latency_table(records):
    header = [
        "operation",
        "data",
        "ours p50 / p95 ms",
        "queries",
        "floor p95 ms",
        "django-helpdesk p50 / p95 ms",
        "its queries",
        "ours / floor (p95)",
        "django-helpdesk / ours (p95)",
    ]
    rows = []
    for name, label in OPERATIONS.items():
        for record in records:
            ours = by_name(record, "ours").get(name)
            floor = by_name(record, "floor").get(name)
            theirs = by_name(record, "django-helpdesk").get(name)
            if not (ours or theirs):
                continue
            their_note = ""
            if theirs and theirs["n"] == 1:
                their_note = " (1 sample)"
            rows.append(
                [
                    label,
                    f"{record['db']} {size_label(record['size'])}",
                    f"{fmt_ms(ours['p50_ms'])} / {fmt_ms(ours['p95_ms'])}" if ours else "–",
                    str(ours["queries"]) if ours else "–",
                    fmt_ms(floor["p95_ms"]) if floor else "–",
                    f"{fmt_ms(theirs['p50_ms'])} / {fmt_ms(theirs['p95_ms'])}{their_note}" if theirs else "–",
                    f"{theirs['queries']:,}" if theirs else "–",
                    fmt_ratio(ratio(ours and ours["p95_ms"], floor and floor["p95_ms"])),
                    fmt_ratio(ratio(theirs and theirs["p95_ms"], ours and ours["p95_ms"])),
                ]
            )
    return table(header, rows)


def cpu_table(records):
    """Median CPU time of the Django process per operation: steadier than wall time on a busy machine."""
    header = ["operation", "data", "ours", "floor", "django-helpdesk", "ours / floor", "django-helpdesk / ours"]
    rows = []
    for name, label in OPERATIONS.items():
        for record in records:
            cells = {side: by_name(record, side).get(name, {}).get("cpu_p50_ms") for side in SIDES}
            if cells["ours"] is None and cells["django-helpdesk"] is None:
                continue
            rows.append(
                [
                    label,
                    f"{record['db']} {size_label(record['size'])}",
                    *(fmt_ms(cells[side]) for side in SIDES),
                    fmt_ratio(ratio(cells["ours"], cells["floor"])),
                    fmt_ratio(ratio(cells["django-helpdesk"], cells["ours"])),
                ]
            )
    return table(header, rows)


def throughput_table(records):
    rows = []
    for record in records:
        for side in ("ours", "ours-queued", "django-helpdesk"):
            t = record.get("throughput", {}).get(side)
            if t:
                rows.append(
                    [
                        LABELS[side],
                        f"{record['db']} {size_label(record['size'])}",
                        f"{t['workers']} workers, {t['clients']} clients",
                        f"{t['created']} / {t['requests']}",
                        f"{t['seconds']}",
                        f"**{t['tickets_per_second']}**",
                    ]
                )
    if not rows:
        return "*Not measured in this run.*"
    return table(["side", "data", "set-up", "created / posted", "seconds", "tickets/s"], rows)


def seed_table(records):
    rows = []
    for record in records:
        for side, seed in record.get("seed", {}).items():
            rows.append(
                [
                    LABELS.get(side, side),
                    f"{record['db']} {size_label(record['size'])}",
                    f"{seed['tickets']:,}",
                    f"{seed['messages']:,}",
                    f"{seed['attachments']:,}",
                    f"{seed['users']:,}",
                    f"{seed['seconds']}",
                    f"{seed['database_bytes'] / 2**20:,.0f} MiB",
                ]
            )
    return table(["side", "data", "tickets", "messages", "attachment rows", "users", "seed s", "database"], rows)


def floor_table(records):
    """Both ratios: the staff queue against the HTML floor (same rows, same language), the API against JSON."""
    rows = []
    for record in records:
        ours, html, json_floor = (by_name(record, side) for side in ("ours", "floor-html", "floor"))
        for name in (*HTML_FLOOR_TARGET, *JSON_FLOOR_TARGET):
            mine = ours.get(name, {}).get("p95_ms")
            if mine is None:
                continue
            to_html = ratio(mine, html.get(name, {}).get("p95_ms")) if name in HTML_FLOOR_TARGET else None
            rows.append(
                [
                    OPERATIONS[name],
                    f"{record['db']} {size_label(record['size'])}",
                    fmt_ms(mine),
                    fmt_ms(html.get(name, {}).get("p95_ms")) if name in HTML_FLOOR_TARGET else "–",
                    fmt_ms(json_floor.get(name, {}).get("p95_ms")),
                    f"**{fmt_ratio(to_html)}**" if to_html is not None else "–",
                    fmt_ratio(ratio(mine, json_floor.get(name, {}).get("p95_ms"))),
                ]
            )
    if not rows:
        return "*Not measured in this run.*"
    header = [
        "operation",
        "data",
        "ours p95 ms",
        "HTML floor p95 ms",
        "JSON floor p95 ms",
        "ours / HTML",
        "ours / JSON",
    ]
    return table(header, rows)


def _operation_details(name, result):
    if name == "export":
        return "; ".join(
            f"{fmt.upper()} {row['seconds']} s, {row['bytes'] / 2**20:,.1f} MiB, peak RSS {row['peak_rss_mib']} MiB "
            f"(+{row['rss_growth_mib']})"
            for fmt, row in sorted(result.get("formats", {}).items())
        )
    if name == "round_robin_create":
        return f"{result['created']} tickets, {result['agents_given_tickets']} agents given some"
    if name == "inbound_email":
        return f"{result['messages']} messages, p95 {result['p95_ms']} ms each"
    if name == "outbox_delivery":
        return f"{result['emails']} e-mails, {result['queries_per_batch']} queries a batch"
    return ""


def operations_table(records):
    rows, skipped = [], {}
    for name, label in OTHER_OPERATIONS.items():
        for record in records:
            result = record.get("operations", {}).get(name)
            if not result:
                continue
            if "skipped" in result:
                skipped.setdefault(f"{label}: {result['skipped']}", []).append(
                    f"{record['db']} {size_label(record['size'])}"
                )
                continue
            rows.append(
                [
                    label,
                    f"{record['db']} {size_label(record['size'])}",
                    f"**{result['value']:g}** {result['unit']}",
                    _operation_details(name, result),
                ]
            )
    for record in records:
        for name, reason in record.get("skipped_pages", {}).items():
            skipped.setdefault(f"{OPERATIONS.get(name, name)}: {reason}", []).append(
                f"{record['db']} {size_label(record['size'])}"
            )
    text = table(["operation", "data", "figure", "details"], rows) if rows else "*Not measured in this run.*"
    if skipped:
        text += "\n\nNot measured: " + "; ".join(f"{what} ({', '.join(where)})" for what, where in skipped.items())
        text += "."
    return text


def verdicts(records):
    lines = []
    postgres = [r for r in records if r["db"] == "postgres"]
    # 1. constant queries: a count that grows with the size is a query per row somewhere; one that
    # moves by one between sizes follows the ticket opened (see the findings).
    growing, varying = [], []
    for name in OPERATIONS:
        for db in sorted({r["db"] for r in records}):
            counts = [
                (size_label(r["size"]), by_name(r, "ours")[name]["queries"])
                for r in records
                if r["db"] == db and name in by_name(r, "ours")
            ]
            values = [c for _, c in counts]
            if len(set(values)) <= 1:
                continue
            label = f"{name} on {db}: " + ", ".join(f"{c} at {s}" for s, c in counts)
            rising = all(b > a for a, b in zip(values, values[1:], strict=False))
            if (rising and len(values) > 2) or values[-1] > values[0] + 1:
                growing.append(label)
            else:
                varying.append(label)
    lines.append(
        "* **Constant number of queries** (helpdesk_tickets, every page, every size): "
        + ("met: no page's count grows with the data" if not growing else "missed for " + "; ".join(growing))
        + (f" ({'; '.join(varying)}: the ticket opened differs, see Findings)." if varying else ".")
    )
    # 2. the floors at the largest PostgreSQL size: HTML pages against the HTML floor (2×) where it was
    # measured, else (older results) against the JSON one; the API against the JSON floor (1.5×).
    if postgres:
        largest = postgres[-1]
        ours = by_name(largest, "ours")
        html = by_name(largest, "floor-html")
        scope = (
            "at 1M tickets"
            if largest["size"] >= 1_000_000
            else (f"at the largest size measured, {size_label(largest['size'])} (1M not measured in this run)")
        )
        checks = (
            ("Staff queue p95 within 2× the HTML floor", HTML_FLOOR_TARGET, "floor-html", 2.0)
            if html
            else ("Staff queue p95 within 1.5× the (JSON) floor", HTML_FLOOR_TARGET, "floor", 1.5),
            ("API list p95 within 1.5× the JSON floor", JSON_FLOOR_TARGET, "floor", 1.5),
        )
        for title, names, side, limit in checks:
            floor = by_name(largest, side)
            parts, missed = [], []
            for name in names:
                r = ratio(ours.get(name, {}).get("p95_ms"), floor.get(name, {}).get("p95_ms"))
                if r is not None:
                    parts.append(f"{name} {fmt_ratio(r)}")
                    if r > limit:
                        missed.append(name)
            if parts:
                lines.append(
                    f"* **{title}** {scope}: "
                    + ("met" if not missed else "missed for " + ", ".join(missed))
                    + f" ({', '.join(parts)})."
                )
        # 3. ≥ 3× faster than django-helpdesk, at every size where it was measured
        for record in [r for r in postgres if r["results"].get("django-helpdesk")]:
            ours, theirs = by_name(record, "ours"), by_name(record, "django-helpdesk")
            parts, missed = [], []
            for name in OPERATIONS:
                r = ratio(theirs.get(name, {}).get("p95_ms"), ours.get(name, {}).get("p95_ms"))
                if r is not None:
                    parts.append(f"{name} {fmt_ratio(r)}")
                    if r < 3:
                        missed.append(name)
            lines.append(
                f"* **At least 3× faster than django-helpdesk** (p95, PostgreSQL {size_label(record['size'])}): "
                + ("met" if not missed else "missed for " + ", ".join(missed))
                + f" ({', '.join(parts)})."
            )
        for side in ("ours", "ours-queued"):
            rates = [
                (size_label(r["size"]), r["throughput"][side]["tickets_per_second"])
                for r in postgres
                if r.get("throughput", {}).get(side)
            ]
            if rates:
                lines.append(
                    f"* **Creation ≥ 250 tickets/s with 4 gunicorn workers** ({LABELS[side]}): "
                    + ("met" if min(x for _, x in rates) >= 250 else "missed")
                    + f" ({', '.join(f'{x:g} tickets/s at {s}' for s, x in rates)})."
                )
    return "\n".join(lines)


def machine_text(records):
    if not records:
        return "*No results yet.*"
    m = records[-1]["machine"]
    versions = records[-1]["versions"]
    loads = sorted({tuple(round(x, 1) for x in r["machine"]["load_average_at_start"]) for r in records})
    hd = versions.get("django-helpdesk", {})
    return "\n".join(
        [
            f"* CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}.",
            f"* Python {m['python']}; Django {versions['ours'].get('Django')}, "
            f"DRF {versions['ours'].get('djangorestframework')}, psycopg {versions['ours'].get('psycopg')}.",
            f"* django-helpdesk {hd.get('django-helpdesk', '–')} in its own virtualenv "
            f"(Django {hd.get('Django', '–')}, DRF {hd.get('djangorestframework', '–')}).",
            "* Load averages (1, 5, 15 min) at the start of each run: "
            f"{', '.join(str(list(x)) for x in loads)}. Where the machine was busy, absolute times are "
            "pessimistic; the ratios, measured back to back on the same data, are the figures to read.",
            "* Runs: "
            + "; ".join(
                f"{r['db']} {size_label(r['size'])} ({', '.join(LABELS[x] for x in r['results'])}; {r['started']}"
                + (
                    f"; sides not measured again in that run keep their figures from the run of {r['started_before']}"
                    if r.get("started_before")
                    else ""
                )
                + ")"
                for r in records
            )
            + ".",
        ]
    )


def plots(records, static=STATIC):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    static.mkdir(parents=True, exist_ok=True)
    made = []
    postgres = [r for r in records if r["db"] == "postgres"]
    for name in PLOTTED:
        figure, axes = plt.subplots(figsize=(6, 3.6), dpi=100)
        plotted = False
        for side, style in zip((*SIDES, "floor-html"), ("o-", "s--", "^-.", "d:"), strict=True):
            points = [(r["size"], by_name(r, side)[name]["p95_ms"]) for r in postgres if name in by_name(r, side)]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, style, label=LABELS[side])
                plotted = True
        if not plotted:
            plt.close(figure)
            continue
        axes.set_xscale("log")
        axes.set_yscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
        axes.yaxis.set_major_formatter(plain)
        axes.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        sizes = sorted({r["size"] for r in postgres})
        axes.set_xticks(sizes, [size_label(n) for n in sizes])
        axes.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        axes.set_xlabel("tickets in the database")
        axes.set_ylabel("p95 latency (ms)")
        axes.set_title(OPERATIONS[name].replace("``", ""), fontsize=10)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = static / f"bench-{name}.png"
        figure.savefig(path)
        plt.close(figure)
        made.append(path.name)
    return "\n\n".join(f".. image:: _static/{name}\n   :alt: p95 against data size: {name}" for name in made)


def main(results=RESULTS, doc=DOC, static=STATIC):
    records = load(results)
    text = string.Template(TEMPLATE.read_text()).substitute(
        floor_table=floor_table(records),
        operations_table=operations_table(records),
        machine=machine_text(records),
        seed_table=seed_table(records) if records else "",
        latency_table=latency_table(records) if records else "",
        cpu_table=cpu_table(records) if records else "",
        throughput_table=throughput_table(records),
        verdicts=verdicts(records),
        plots=plots(records, Path(static)) if records else "",
        findings=FINDINGS.read_text().strip() if FINDINGS.exists() else "",
    )
    doc = Path(doc)
    doc.write_text(text)
    print(f"wrote {doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc}")


if __name__ == "__main__":
    main()
