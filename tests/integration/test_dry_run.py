"""``pyflow run/build --dry-run`` on DuckDB: the plan is printed, nothing is built or recorded."""

from __future__ import annotations

import json

from tests.conftest import write_project


def test_dry_run_on_duckdb_prints_what_would_run_and_builds_nothing(tmp_path, pyflow) -> None:
    project = write_project(
        tmp_path / "dry",
        {
            "models/orders.sql": "{{ config(materialized='table') }}\nselect 1 as id\n",
            "models/recent.sql": "select * from {{ ref('orders') }} where id > 0\n",
            "models/schema.yml": "models:\n  - name: orders\n    columns:\n      - name: id\n"
            "        data_tests: [not_null]\n",
        },
        name="dry",
    )

    lines = pyflow("build", "--dry-run", "--project-dir", project).output.splitlines()

    assert lines[0] == "Dry run of `pyflow build` on target 'dev' (duckdb), without estimates: nothing runs."
    assert lines[1] == "1 of 3 sql table model main.orders"
    assert lines[2] == "    | select 1 as id"
    assert lines[3] == "2 of 3 sql view model main.recent"
    assert [ln for ln in lines if ln.startswith("3 of 3 ")] == ["3 of 3 test not_null_orders_id"]
    assert lines[-1] == "Would run 3 node(s)."
    assert not (project / "pyflow.duckdb").exists()  # never even connected: nothing built, no history
    assert not (project / "target" / "run_results.json").exists()

    plan = json.loads(pyflow("run", "--dry-run", "--log-format", "json", "--project-dir", project).output)
    assert [(n["name"], n["estimated_bytes"]) for n in plan["nodes"]] == [("orders", None), ("recent", None)]
    assert (plan["command"], plan["engine"], plan["estimates"]) == ("run", "duckdb", False)


def test_dry_run_is_offered_by_run_and_build_only(tmp_path, pyflow) -> None:
    project = write_project(tmp_path / "dry", {"models/a.sql": "select 1 as id\n"}, name="dry")
    result = pyflow("seed", "--dry-run", "--project-dir", project, expect=2)
    assert "No such option: --dry-run" in result.output
