"""``pyflow retry`` end to end on DuckDB: the nodes that did not succeed, rerun with the same flags."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

INCREMENTAL = """
    {{ config(materialized='incremental') }}
    select {{ var('n') }} as n, '{{ "inc" if is_incremental() else "full" }}' as mode
"""
B_GOOD = """
    {{ config(materialized='incremental') }}
    select n, '{{ "inc" if is_incremental() else "full" }}' as mode, {{ var('k') }} as k from {{ ref('a') }}
"""
B_BROKEN = B_GOOD.replace("select n", "selct n")
PROJECT = {
    "models/a.sql": INCREMENTAL,
    "models/b.sql": B_GOOD,
    "models/c.sql": "select * from {{ ref('b') }}\n",
    "models/d.sql": "select 1 as x\n",
}


def _results(project: Path) -> dict[str, Any]:
    return json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))


def _statuses(project: Path) -> dict[str, str]:
    return {r["name"]: r["status"] for r in _results(project)["results"]}


def _write(project: Path, rel: str, text: str) -> None:
    import textwrap

    (project / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def test_retry_reruns_only_failed_and_skipped_nodes_with_the_same_flags(make_project, pyflow, warehouse):
    project = make_project(PROJECT)
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1}")
    _write(project, "models/b.sql", B_BROKEN)
    pyflow(
        "run",
        "--project-dir",
        project,
        "--full-refresh",
        "--vars",
        "{n: 2, k: 2}",
        "--threads",
        "2",
        expect=1,
    )
    assert _statuses(project) == {"a": "success", "b": "error", "c": "skipped", "d": "success"}
    _write(project, "models/b.sql", B_GOOD)

    result = pyflow("retry", "--project-dir", project)

    assert "Retrying 2 of the 4 node(s) of `pyflow run" in result.output
    assert "--full-refresh" in result.output
    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
    assert _statuses(project) == {"b": "success", "c": "success"}  # a and d did not run again
    db = warehouse(project)
    # rebuilt from scratch (--full-refresh) with the vars of the failed run, not appended to
    assert db.rows("SELECT n, mode, k FROM main.b") == [(2, "full", 2)]
    assert db.rows("SELECT * FROM main.c") == [(2, "full", 2)]
    args = _results(project)["args"]
    assert (args["which"], args["full_refresh"], args["vars"], args["threads"]) == (
        "run",
        True,
        {"n": 2, "k": 2},
        2,
    )


def test_retry_records_the_invocation_it_reran_and_retries_a_retry(make_project, pyflow):
    project = make_project({**PROJECT, "models/b.sql": B_BROKEN})
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1}", expect=1)
    first = _results(project)["metadata"]["invocation_id"]

    pyflow("retry", "--project-dir", project, expect=1)  # still broken: fails again

    again = _results(project)
    assert again["args"]["retry_of"] == first
    assert {r["name"]: r["status"] for r in again["results"]} == {"b": "error", "c": "skipped"}
    _write(project, "models/b.sql", B_GOOD)
    pyflow("retry", "--project-dir", project)
    assert _statuses(project) == {"b": "success", "c": "success"}


def test_retry_with_nothing_left_is_a_no_op_that_says_so(make_project, pyflow):
    project = make_project(PROJECT)
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1}")
    before = (project / "target" / "run_results.json").read_text()

    result = pyflow("retry", "--project-dir", project)

    assert "Nothing to retry: every node of the last invocation (`pyflow run` at " in result.output
    assert "START" not in result.output
    assert (project / "target" / "run_results.json").read_text() == before


def test_retry_without_a_previous_run_says_so(make_project, pyflow):
    project = make_project(PROJECT)

    result = pyflow("retry", "--project-dir", project, expect=1)

    assert "there is no previous run to retry" in result.output
    assert "[no-previous-run]" in result.output


def test_retry_refuses_a_command_it_cannot_rerun(make_project, pyflow):
    project = make_project(PROJECT)
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text(
        json.dumps({"metadata": {"invocation_id": "x"}, "results": [], "args": {"which": "compile"}})
    )

    result = pyflow("retry", "--project-dir", project, expect=1)

    assert "`pyflow compile`, which retry cannot rerun" in result.output
    assert "[cannot-retry]" in result.output


def test_retry_refuses_an_unreadable_run_results(make_project, pyflow):
    project = make_project(PROJECT)
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text("{not json")

    result = pyflow("retry", "--project-dir", project, expect=1)

    assert "cannot read target/run_results.json" in result.output and "[cannot-retry]" in result.output


def test_retry_refuses_another_target(make_project, pyflow):
    project = make_project({**PROJECT, "models/b.sql": B_BROKEN})
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1}", expect=1)

    result = pyflow("retry", "--project-dir", project, "--target", "prod", expect=1)

    assert "ran against target 'dev', not 'prod'" in result.output and "[cannot-retry]" in result.output
    pyflow("retry", "--project-dir", project, "--target", "dev", expect=1)  # the same target: retried


def test_retry_asks_for_secret_vars_stored_masked(make_project, pyflow, warehouse):
    project = make_project(
        {**PROJECT, "models/b.sql": B_BROKEN, "models/e.sql": "select '{{ var('api_token') }}' as t\n"}
    )
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1, api_token: s3cr3t}", expect=1)

    result = pyflow("retry", "--project-dir", project, expect=1)
    assert "--vars api_token are stored masked" in result.output and "[cannot-retry]" in result.output

    _write(project, "models/b.sql", B_GOOD)
    pyflow("retry", "--project-dir", project, "--vars", "{n: 1, k: 7, api_token: s3cr3t}")
    assert _statuses(project) == {"b": "success", "c": "success"}
    assert warehouse(project).rows("SELECT k FROM main.b") == [(7,)]  # --vars given replace the recorded


def test_retry_reruns_a_failed_data_test_and_what_it_skipped_in_build(make_project, pyflow, warehouse):
    import duckdb

    project = make_project(
        {
            "models/sources.yml": """
                sources:
                  - name: raw
                    tables: [{name: t}]
                models:
                  - name: m
                    columns:
                      - name: x
                        data_tests: [not_null]
            """,
            "models/m.sql": "select * from {{ source('raw', 't') }}\n",
            "models/n.sql": "select * from {{ ref('m') }}\n",
        }
    )
    con = duckdb.connect(str(project / "pyflow.duckdb"))
    con.execute("create schema raw; create table raw.t as select null::int as x")
    con.close()
    pyflow("build", "--project-dir", project, expect=1)
    assert _statuses(project) == {"m": "success", "not_null_m_x": "fail", "n": "skipped"}
    con = duckdb.connect(str(project / "pyflow.duckdb"))
    con.execute("update raw.t set x = 1")  # the data is fixed upstream
    con.close()

    result = pyflow("retry", "--project-dir", project)

    assert "Retrying 2 of the 3 node(s) of `pyflow build" in result.output
    assert _statuses(project) == {"not_null_m_x": "pass", "n": "success"}
    assert warehouse(project).rows("SELECT * FROM main.n") == [(1,)]


def test_retry_reruns_cancelled_nodes_and_warns_about_nodes_gone(make_project, pyflow):
    project = make_project(PROJECT)
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1}")
    data = _results(project)
    for r in data["results"]:
        if r["name"] == "d":
            r["status"] = "cancelled"
    data["results"].append({**data["results"][0], "unique_id": "model.proj.gone", "status": "error"})
    (project / "target" / "run_results.json").write_text(json.dumps(data))

    result = pyflow("retry", "--project-dir", project)

    assert "no longer in the project and are not retried: model.proj.gone" in result.output
    assert _statuses(project) == {"d": "success"}


def test_retry_gives_vars_back_with_their_yaml_types(make_project, pyflow, warehouse):
    import duckdb

    project = make_project(
        {"models/y.sql": "select {{ var('start').year }} as y, {{ var('n') }} as n from main.z\n"}
    )
    pyflow("run", "--project-dir", project, "--vars", "{start: 2024-03-01, n: 4}", expect=1)  # no table z
    assert "vars_yaml" in _results(project)["args"]  # a date has no JSON type
    con = duckdb.connect(str(project / "pyflow.duckdb"))
    con.execute("create table main.z as select 1 as one")
    con.close()

    from pyflow.runner.retry import plan_retry

    plan = plan_retry(project, None, None, None, None)
    assert plan.options is not None and plan.options.vars == {"start": datetime.date(2024, 3, 1), "n": 4}
    pyflow("retry", "--project-dir", project)
    assert warehouse(project).rows("SELECT * FROM main.y") == [(2024, 4)]


def test_retry_says_nothing_to_retry_as_a_json_event(make_project, pyflow):
    project = make_project(PROJECT)
    pyflow("run", "--project-dir", project, "--vars", "{n: 1, k: 1}")

    result = pyflow("retry", "--project-dir", project, "--log-format", "json")

    (event,) = [json.loads(line) for line in result.output.splitlines()]
    assert event["kind"] == "message" and event["text"].startswith("Nothing to retry")


def test_retry_reruns_what_fail_fast_cancelled_and_keeps_fail_fast(make_project, pyflow):
    project = make_project({**PROJECT, "models/b.sql": B_BROKEN})
    pyflow(
        "run", "--project-dir", project, "--vars", "{n: 1, k: 1}", "--fail-fast", "--threads", "1", expect=1
    )
    before = _statuses(project)
    assert before["a"] == "success" and before["b"] == "error" and "cancelled" in before.values()
    _write(project, "models/b.sql", B_GOOD)

    result = pyflow("retry", "--project-dir", project)

    assert "--fail-fast" in result.output
    assert _statuses(project) == {name: "success" for name, status in before.items() if status != "success"}
