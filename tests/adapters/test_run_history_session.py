"""A whole `pyflow build` on Trino with run-history on, over a recording connection.

The history is written after every node, through the Trino adapter; a monitor reads the history
the recording connection answers; a failure writing the history is a warning, not a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters.trino import TrinoAdapter
from tests.adapters.recording import RecordingConnection
from tests.conftest import write_project

PROFILES = """
ci:
  target: trino
  outputs:
    trino:
      type: trino
      host: trino.invalid
      database: hive
      schema: analytics
      connector: hive
"""


def _project(tmp_path: Path) -> tuple[Path, Path]:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(PROFILES.lstrip(), encoding="utf-8")
    project = write_project(
        tmp_path / "shop",
        {
            "models/orders.sql": "{{ config(materialized='table') }}\nselect 1 as id\n",
            "models/schema.yml": "models:\n  - name: orders\n    data_tests:\n      - volume: {min_history: 1}\n",
        },
        project_yml="name: shop\nprofile: ci\nrun-history: {enabled: true, schema: ops}\n",
    )
    return project, profiles


def _connection(**extra: Any) -> RecordingConnection:
    def answer(sql: str) -> list[tuple[Any, ...]] | None:
        if sql.startswith("SELECT invocation_id, run_started_at, metric_value"):
            return [("earlier", None, 100.0, None)]  # the last run counted 100 rows
        if sql.startswith("SELECT count(*) AS row_count\nFROM"):
            return [(40,)]
        if sql.startswith("SELECT 'model.shop.orders' AS unique_id, count(*) AS row_count"):
            return [("model.shop.orders", 40)]
        return None

    return RecordingConnection(
        schemas={"analytics", "ops"},
        tables={("ops", "pyflow_run_history"): "BASE TABLE"},
        columns={("ops", "pyflow_run_history"): [("invocation_id", "varchar"), ("status", "varchar")]},
        answer=answer,
        **extra,
    )


def _build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, con: RecordingConnection, cli: Any) -> Any:
    monkeypatch.setattr(TrinoAdapter, "connect", lambda self: con)
    project, profiles = _project(tmp_path)
    return cli("build", "--project-dir", str(project), "--profiles-dir", str(profiles))


def test_trino_build_judges_a_monitor_from_the_history_and_appends_to_it(tmp_path, monkeypatch, cli) -> None:
    con = _connection()
    result = _build(tmp_path, monkeypatch, con, cli)

    assert result.exit_code == 1, result.output
    assert (
        "monitor 'volume' on orders: 40 rows, outside the range 80 to 120 learned from the last 1 run(s)"
        in (result.output)
    )
    sent = con.sent()
    history = [s for s in sent if "pyflow_run_history" in s]
    assert history[0] == (
        "SELECT invocation_id, run_started_at, metric_value, metric_details\n"
        'FROM "hive"."ops"."pyflow_run_history"\n'
        "WHERE target_name = 'trino' AND monitored = 'orders' AND metric = 'row_count'\n"
        "ORDER BY run_started_at DESC\nLIMIT 40"
    )
    # last of all: the table the run built is counted, then the run is appended, in the columns
    # the existing table has (this one was made with two)
    assert sent[-2] == (
        'SELECT \'model.shop.orders\' AS unique_id, count(*) AS row_count FROM "hive"."analytics"."orders"'
    )
    insert = sent[-1]
    assert insert.startswith(
        'INSERT INTO "hive"."ops"."pyflow_run_history" ("invocation_id", "status")\nSELECT * FROM (VALUES\n'
    )
    assert insert.endswith('\n) AS history_rows ("invocation_id", "status")')
    assert insert.count("\n  (CAST(") == 2  # two rows of (invocation_id, status)
    assert ", CAST('fail' AS VARCHAR))" in insert


def test_trino_build_with_a_failing_history_write_still_passes(tmp_path, monkeypatch, cli) -> None:
    con = _connection(fail_on=lambda sql: sql.startswith('INSERT INTO "hive"."ops"."pyflow_run_history"'))
    con.answer = lambda sql: (
        [("earlier", None, 40.0, None)]
        if "metric_value" in sql
        else ([(40,)] if sql.startswith("SELECT count(*) AS row_count") else None)
    )
    result = _build(tmp_path, monkeypatch, con, cli)

    assert result.exit_code == 0, result.output
    assert (
        'the run history could not be written to "hive"."ops"."pyflow_run_history": trino error: '
        "TABLE_ALREADY_EXISTS: simulated failure of: INSERT INTO" in result.output
    )
    assert "Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2" in result.output
