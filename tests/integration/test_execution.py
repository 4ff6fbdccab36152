"""Parallel execution gives the same warehouse as serial; JSON logs are one event per line."""

from __future__ import annotations

import json


def test_build_threads_one_and_four_give_same_results(copy_project, pyflow, warehouse, run_results):
    serial, parallel = copy_project("mixed", "serial"), copy_project("mixed", "parallel")

    pyflow("build", "--project-dir", serial, "--threads", "1")
    result = pyflow("build", "--project-dir", parallel, "--threads", "4")

    assert "Concurrency: 4 threads" in result.output
    serial_results, parallel_results = run_results(serial), run_results(parallel)
    assert {r["thread_id"] for r in serial_results.values()} == {"pyflow_0"}
    assert {r["status"] for r in parallel_results.values()} == {"success"}
    assert set(parallel_results) == set(serial_results)
    assert json.loads((parallel / "target" / "run_results.json").read_text())["args"]["threads"] == 4
    contents = warehouse(serial).contents()
    assert len(contents) == 7
    assert warehouse(parallel).contents() == contents


def test_build_log_format_json_prints_one_event_per_line(copy_project, pyflow):
    project = copy_project("mixed")

    result = pyflow("build", "--project-dir", project, "--log-format", "json")

    lines = result.stdout.splitlines()
    assert lines
    events = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) and "kind" in e for e in events)
    starts = {e["description"] for e in events if e["kind"] == "node_start"}
    finishes = {e["description"]: e["result"] for e in events if e["kind"] == "node_finish"}
    assert len(starts) == 7
    assert set(finishes) == starts
    assert "python view model main.stg_orders" in starts
    assert finishes["sql table model main.big_spenders"]["status"] == "success"
    assert finishes["sql table model main.big_spenders"]["unique_id"] == "model.mixed.big_spenders"
    kinds = [e["kind"] for e in events]
    assert kinds.count("run_start") == 1
    assert kinds.count("run_finish") == 1
    assert kinds.index("run_start") < kinds.index("node_start")
    assert any(e["kind"] == "message" and e["text"].startswith("Done. PASS=7") for e in events)


def test_run_log_format_json_reports_failures_as_events(make_project, pyflow):
    project = make_project(
        {
            "models/broken.sql": "select * from no_such_table",
            "models/after_broken.sql": "select * from {{ ref('broken') }}",
            "models/fine.sql": "select 1 as x",
        }
    )

    result = pyflow("run", "--project-dir", project, "--log-format", "json", expect=1)

    events = [json.loads(line) for line in result.stdout.splitlines()]
    finished = {e["result"]["name"]: e["result"] for e in events if e["kind"] == "node_finish"}
    assert {name: r["status"] for name, r in finished.items()} == {
        "broken": "error",
        "after_broken": "skipped",
        "fine": "success",
    }
    assert finished["broken"]["error"]["code"] == "database-error"
    assert "no_such_table" in finished["broken"]["message"]
    assert any(
        e["kind"] == "message" and e["text"] == "Done. PASS=1 WARN=0 ERROR=1 SKIP=1 TOTAL=3" for e in events
    )


def test_run_log_format_json_reports_project_errors_as_json(make_project, pyflow):
    project = make_project({"models/a.sql": "select * from {{ ref('missing_model') }}"})

    result = pyflow("run", "--project-dir", project, "--log-format", "json", expect=1)

    events = [json.loads(line) for line in result.stdout.splitlines()]
    errors = [e for e in events if e["kind"] == "error"]
    assert len(errors) == 1
    assert "missing_model" in errors[0]["message"]
    assert errors[0]["path"] == "models/a.sql"
