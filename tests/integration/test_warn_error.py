"""``--warn-error`` (dbt's flag for CI): every warning of a run is an error, and the run exits 1.

A test of severity ``warn`` that finds rows fails; a warning before anything runs (a selection
criterion that matches nothing) stops the command before it builds anything; a warning during the
run (an on-run-end alert that cannot be sent) fails it at the end.
"""

from __future__ import annotations

import json

import duckdb

FILES = {
    "models/orders.sql": "{{ config(materialized='table') }}\nselect * from (values (1), (1)) as t(id)",
    "models/schema.yml": """
version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests:
          - unique:
              config: {severity: warn}
""",
}


def _statuses(project) -> dict[str, str]:
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r["status"] for r in results}


def test_without_warn_error_a_warn_test_passes_the_run(make_project, pyflow):
    project = make_project(FILES)

    out = pyflow("build", "--project-dir", project).output

    assert "PASS=1 WARN=1 ERROR=0" in out
    assert _statuses(project)["unique_orders_id"] == "warn"


def test_warn_error_fails_a_warn_test_and_the_run(make_project, pyflow):
    project = make_project(FILES)

    out = pyflow("build", "--project-dir", project, "--warn-error", expect=1).output

    assert _statuses(project)["unique_orders_id"] == "fail"
    assert "--warn-error" in out
    assert "PASS=1 WARN=0 ERROR=1" in out


def test_warn_error_stops_before_building_when_the_selection_warns(make_project, pyflow):
    project = make_project(FILES)

    out = pyflow("build", "--project-dir", project, "-s", "orders", "nosuch", "--warn-error", expect=1).output

    assert "The selection criterion 'nosuch' does not match any enabled nodes" in out
    assert "[warn-error]" in out
    db = project / "pyflow.duckdb"
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            tables = con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        assert ("orders",) not in tables  # nothing was built


def test_warn_error_fails_the_run_on_a_warning_during_it(make_project, pyflow):
    project = make_project(
        {**FILES, "models/schema.yml": "version: 2\n"},
        project_yml='name: proj\non-run-end:\n  - command: ["false"]\n    when: [success]\n',
    )

    warned = pyflow("run", "--project-dir", project).output
    failed = pyflow("run", "--project-dir", project, "--warn-error", expect=1).output

    assert "on-run-end alert" in warned and "PASS=1 WARN=0 ERROR=0" in warned
    assert "on-run-end alert" in failed and "--warn-error" in failed
    assert _statuses(project)["orders"] == "success"  # the model itself was built
