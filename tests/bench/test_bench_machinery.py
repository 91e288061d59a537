"""The benchmark's own machinery (bench/): the report's tables and the operations' registry.

The figures themselves are bench/run.py's (``tox -e bench`` runs it at a small
size); these tests pin what the report says about them and when an operation
is skipped.
"""

import pytest

from bench import operations, report


def row(name, p95, queries=3):
    return {"name": name, "queries": queries, "n": 3, "p50_ms": p95, "p95_ms": p95, "mean_ms": p95}


def record(**operations_results):
    return {
        "db": "postgres",
        "size": 1000,
        "results": {
            "ours": [row("staff_queue", 30.0, 11), row("api_list", 9.0, 2)],
            "floor": [row("staff_queue", 10.0), row("api_list", 6.0)],
            "floor-html": [row("staff_queue", 20.0)],
        },
        "operations": operations_results,
    }


def test_the_floor_table_gives_the_queue_against_the_html_floor_and_the_api_against_json():
    text = report.floor_table([record()])
    queue = text.split("Staff queue, unfiltered (supervisor)")[1].split("* -")[0]
    assert "**1.50×**" in queue  # 30 / 20, the HTML floor
    assert "3.00×" in queue  # 30 / 10, the JSON floor
    api = text.split("API ticket list, first page (supervisor)")[1]
    assert "1.50×" in api and "**" not in api  # 9 / 6, no HTML floor for JSON


def test_the_verdicts_judge_the_queue_by_the_html_floor_at_2x_and_the_api_by_json_at_1_5x():
    text = report.verdicts([record()])
    assert "Staff queue p95 within 2× the HTML floor** at the largest size measured, 1k" in text
    assert "met (staff_queue 1.50×)" in text
    assert "API list p95 within 1.5× the JSON floor" in text
    assert "met (api_list 1.50×)" in text


def test_older_results_without_the_html_floor_are_judged_by_the_json_floor():
    old = record()
    del old["results"]["floor-html"]
    assert "Staff queue p95 within 1.5× the (JSON) floor" in report.verdicts([old])


def test_the_operations_table_shows_figures_and_says_what_was_not_measured_and_why():
    text = report.operations_table(
        [
            record(
                outbox_delivery={"value": 180.5, "unit": "e-mails/s", "emails": 100, "queries_per_batch": 105},
                kb_suggest={"skipped": "not available in this checkout (bench/kb_suggest.py missing)"},
            )
        ]
    )
    assert "**180.5** e-mails/s" in text
    assert "100 e-mails, 105 queries a batch" in text
    assert "Not measured: Knowledge-base suggestions, p95: not available in this checkout" in text


def context(db="postgres", quick=False, **extra):
    ctx = operations.Context(db, 1000, quick, None, None, print, None, None)
    ctx.extra.update(extra)
    return ctx


@pytest.mark.parametrize(
    ("name", "ctx", "reason"),
    [
        ("kb_suggest", context(), None),
        ("round_robin_create", context("sqlite"), "runs on postgres only"),
        ("client_journey", context(quick=True), "full runs only (too slow for --quick)"),
        ("outbox_delivery", context(first_of_database=False), "data of its own: measured once per database"),
        ("export", context(first_of_database=False), None),
    ],
)
def test_an_operation_says_why_it_does_not_run(name, ctx, reason, monkeypatch, tmp_path):
    # A checkout with every file an operation needs, so that only the rule at hand decides.
    operation = operations.OPERATIONS[name]
    monkeypatch.setattr(operations, "ROOT", tmp_path)
    for path in operation.requires:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    found = operation.unavailable(ctx)
    assert (found is None) if reason is None else found.startswith(reason)


def test_an_operation_whose_script_is_not_in_the_checkout_is_skipped_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(operations, "ROOT", tmp_path)
    assert operations.OPERATIONS["webhook_fanout"].unavailable(context()) == (
        "not available in this checkout (bench/webhooks.py missing)"
    )
    results = operations.run_all(context(), only={"webhook_fanout"})
    assert results == {"webhook_fanout": {"skipped": "not available in this checkout (bench/webhooks.py missing)"}}
