"""Bytes scanned, engine time, workgroup and result reuse, against recorded engine responses.

The Athena cursor below answers each statement with a recorded ``GetQueryExecution`` response,
read through pyathena's own :class:`pyathena.model.AthenaQueryExecution` (so the attribute names
are pyathena's); the Trino cursor carries a recorded ``stats`` dict as the ``trino`` driver's
cursor does after a query finished (captured from Trino 476).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.base import StatementLog
from pyflow.adapters.trino import TrinoAdapter
from tests.adapters.recording import RecordingConnection, RecordingCursor, athena_adapter
from tests.conftest import write_project


def athena_response(query_id: str, scanned: int, engine_ms: int, *, reused: bool = False) -> dict[str, Any]:
    """A ``GetQueryExecution`` response as boto3 returns it for a finished query."""
    return {
        "QueryExecution": {
            "QueryExecutionId": query_id,
            "Query": "...",
            "StatementType": "DDL",
            "ResultConfiguration": {"OutputLocation": f"s3://bucket/results/{query_id}.txt"},
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": {"Database": "shop", "Catalog": "awsdatacatalog"},
            "Status": {
                "State": "SUCCEEDED",
                "SubmissionDateTime": datetime(2026, 12, 6, 2, 0, 0),
                "CompletionDateTime": datetime(2026, 12, 6, 2, 0, 2),
            },
            "Statistics": {
                "EngineExecutionTimeInMillis": engine_ms,
                "DataScannedInBytes": scanned,
                "TotalExecutionTimeInMillis": engine_ms + 210,
                "QueryQueueTimeInMillis": 120,
                "ServicePreProcessingTimeInMillis": 40,
                "QueryPlanningTimeInMillis": 300,
                "ServiceProcessingTimeInMillis": 50,
                "ResultReuseInformation": {"ReusedPreviousResult": reused},
            },
            "WorkGroup": "primary",
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }
    }


TRINO_STATS = {  # cursor.stats after `CREATE TABLE ... AS SELECT` on Trino 476 (memory catalog)
    "queryId": "20261206_023217_01178_abuja",
    "state": "FINISHED",
    "queued": False,
    "scheduled": True,
    "nodes": 1,
    "totalSplits": 8,
    "completedSplits": 8,
    "cpuTimeMillis": 4,
    "wallTimeMillis": 13,
    "queuedTimeMillis": 1,
    "elapsedTimeMillis": 67,
    "processedRows": 10000,
    "processedBytes": 178894,
    "physicalInputBytes": 178894,
    "physicalWrittenBytes": 0,
    "peakMemoryBytes": 215532,
    "progressPercentage": 100.0,
}


class AthenaCursor(RecordingCursor):
    """A pyathena-like cursor: each statement's figures come from a recorded response."""

    def execute(self, sql: str, params: Any = None, **options: Any) -> AthenaCursor:
        self.con.options.append(options)  # type: ignore[attr-defined]
        super().execute(sql, params)
        from pyathena.model import AthenaQueryExecution

        scanned, engine_ms, reused = self.con.costs.get(sql.split(None, 1)[0], (0, 100, False))  # type: ignore[attr-defined]
        self.execution = AthenaQueryExecution(
            athena_response(str(self.query_id), scanned, engine_ms, reused=reused)
        )
        return self

    # the properties pyathena's Cursor delegates to its result set's query execution
    @property
    def data_scanned_in_bytes(self) -> int | None:
        return self.execution.data_scanned_in_bytes

    @property
    def engine_execution_time_in_millis(self) -> int | None:
        return self.execution.engine_execution_time_in_millis

    @property
    def reused_previous_result(self) -> bool | None:
        return self.execution.reused_previous_result


def athena_connection(costs: dict[str, tuple[int, int, bool]], **kw: Any) -> RecordingConnection:
    con = RecordingConnection(**kw)
    con.costs = costs  # type: ignore[attr-defined]  # first word of a statement -> (bytes, ms, reused)
    con.options = []  # type: ignore[attr-defined]
    con.cursor = lambda: AthenaCursor(con)  # type: ignore[method-assign]
    return con


class TrinoCursor(RecordingCursor):
    def execute(self, sql: str, params: Any = None, **options: Any) -> TrinoCursor:
        super().execute(sql, params)
        self.stats = dict(TRINO_STATS, queryId=f"trino_{self.query_id}")
        return self


# ---- the statement log sums a node's queries -------------------------------------------------


def test_athena_statement_log_sums_bytes_and_engine_time_of_a_nodes_statements() -> None:
    con = athena_connection({"CREATE": (1_288_490_188, 1834, False), "INSERT": (52_000_000, 900, False)})
    adapter = athena_adapter(con)
    log = StatementLog()

    adapter.execute("CREATE TABLE shop.t AS SELECT 1 AS id", model="t", record=log)
    adapter.execute("INSERT INTO shop.t SELECT 2", model="t", record=log)

    assert log.bytes_scanned == 1_288_490_188 + 52_000_000
    assert log.engine_ms == 1834 + 900
    assert log.response() == {
        "data_scanned_in_bytes": 1_340_490_188,
        "engine_execution_time_in_millis": 2734,
        "query_id": "q2",
        "bytes_scanned": 1_340_490_188,
        "engine_time_ms": 2734,
        "query_ids": ["q1", "q2"],
        "reused_previous_result": False,
    }


def test_trino_statement_log_reads_processed_bytes_from_the_cursor_stats() -> None:
    con = RecordingConnection()
    con.cursor = lambda: TrinoCursor(con)  # type: ignore[method-assign]
    from pyflow.config.profile import TrinoTarget

    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "memory", "schema": "s"}
    )
    adapter = TrinoAdapter(config, connect=lambda: con)
    adapter.open()
    log = StatementLog()
    adapter.execute("CREATE TABLE memory.s.t AS SELECT 1 AS id", model="t", record=log)

    assert (log.bytes_scanned, log.engine_ms) == (178894, 67)
    assert log.response()["query_ids"] == ["trino_q1"]


def test_duckdb_reports_no_cost_and_the_response_stays_empty(duckdb_adapter) -> None:
    log = StatementLog()
    duckdb_adapter.execute("CREATE TABLE t AS SELECT 1 AS id", model="t", record=log)
    assert (log.bytes_scanned, log.engine_ms, log.response()) == (None, None, {})


# ---- workgroup and result reuse -------------------------------------------------------------


def test_athena_result_reuse_of_the_target_goes_with_queries_only() -> None:
    con = athena_connection({})
    adapter = athena_adapter(con, result_reuse=30)

    adapter.execute("CREATE TABLE shop.t AS SELECT 1 AS id", model="t")
    adapter.fetchall("SELECT count(*) FROM shop.t")
    adapter.fetchall("  with x as (select 1) select * from x")

    assert con.options == [  # type: ignore[attr-defined]
        {},  # Athena reuses the results of SELECT queries only
        {"result_reuse_enable": True, "result_reuse_minutes": 30},
        {"result_reuse_enable": True, "result_reuse_minutes": 30},
    ]


def test_athena_a_models_workgroup_and_result_reuse_replace_the_targets() -> None:
    con = athena_connection({})
    adapter = athena_adapter(con, result_reuse=True, work_group="etl")

    with adapter.node_settings({"work_group": "heavy", "result_reuse": False}):
        adapter.fetchall("SELECT 1")
    with adapter.node_settings({"result_reuse": 5}):
        adapter.fetchall("SELECT 2")
    adapter.fetchall("SELECT 3")

    assert con.options == [  # type: ignore[attr-defined]
        {"work_group": "heavy"},
        {"result_reuse_enable": True, "result_reuse_minutes": 5},
        {"result_reuse_enable": True, "result_reuse_minutes": 60},  # `true`: Athena's default age
    ]


def test_athena_target_workgroup_and_reuse_reach_pyathena(monkeypatch) -> None:
    import pyathena

    seen: dict[str, Any] = {}
    monkeypatch.setattr(pyathena, "connect", lambda **kw: seen.update(kw) or RecordingConnection())
    from tests.adapters.recording import athena_config

    AthenaAdapter(athena_config(work_group="etl", result_reuse=15)).open()
    assert seen["work_group"] == "etl"


@pytest.mark.parametrize("value", [0, 10081, -5, "often"])
def test_athena_result_reuse_out_of_range_is_refused(value) -> None:
    from pydantic import ValidationError

    from tests.adapters.recording import athena_config

    if value == 0:  # 0 reads as false: no reuse
        assert athena_config(result_reuse=value).result_reuse is False
        return
    with pytest.raises(ValidationError):
        athena_config(result_reuse=value)


# ---- a whole build ---------------------------------------------------------------------------

PROFILES = """
ci:
  target: athena
  outputs:
    athena:
      type: athena
      s3_staging_dir: s3://bucket/results/
      s3_data_dir: s3://bucket/tables
      region_name: eu-west-1
      schema: shop
      work_group: etl
"""


def test_athena_build_reports_bytes_scanned_per_model(tmp_path: Path, monkeypatch, cli, lake) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(PROFILES.lstrip(), encoding="utf-8")
    project = write_project(
        tmp_path / "shop",
        {
            "models/orders.sql": "{{ config(materialized='view') }}\nselect 1 as id\n",
            "models/big.sql": "{{ config(materialized='view', work_group='heavy') }}\nselect * from {{ ref('orders') }}\n",
        },
        project_yml="name: shop\nprofile: ci\n",
    )
    costs = {"CREATE": (1_288_490_188, 1834, False), "INSERT": (0, 210, False), "SELECT": (0, 90, False)}
    con = athena_connection(costs, schemas={"shop"})
    monkeypatch.setattr(AthenaAdapter, "connect", lambda self: con)

    result = cli("run", "--project-dir", str(project), "--profiles-dir", str(profiles))

    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if " OK created " in ln]
    assert len(lines) == 2 and all(ln.endswith(", scanned 1.3 GB]") for ln in lines), lines
    assert "Scanned 2.6 GB in total." in result.output
    results = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    response = {r["unique_id"]: r["adapter_response"] for r in results}["model.shop.big"]
    assert response["data_scanned_in_bytes"] == 1_288_490_188
    assert response["engine_execution_time_in_millis"] == 1834
    assert response["bytes_scanned"] == 1_288_490_188
    assert "bytes_scanned" not in results[0] and "query_stats" not in results[0]
    create_big = next(
        i for i, s in enumerate(con.statements) if s.startswith("CREATE OR REPLACE VIEW") and "big" in s
    )
    assert con.options[create_big] == {"work_group": "heavy"}  # type: ignore[attr-defined]
    history = next(s for s in con.statements if "pyflow_run_history" in s and "FROM (VALUES" in s)
    names = history.rsplit("AS history_rows (", 1)[1].rstrip(")").split(", ")
    first_row = history.split("\n  (", 1)[1].split("),\n", 1)[0]
    values = ("CAST(" + v if i else v for i, v in enumerate(first_row.split(", CAST(")))
    assert dict(zip(names, values, strict=True))['"bytes_scanned"'] == "CAST(1288490188 AS BIGINT)"


# ---- --dry-run -------------------------------------------------------------------------------

EXPLAIN_IO = {  # `EXPLAIN (TYPE IO, FORMAT JSON)` as Trino 476 answers it (Athena engine 3 alike)
    "inputTableColumnInfos": [
        {
            "table": {"catalog": "awsdatacatalog", "schemaTable": {"schema": "shop", "table": "orders"}},
            "constraint": {"none": False, "columnConstraints": []},
            "estimate": {
                "outputRowCount": 10000.0,
                "outputSizeInBytes": 640000.0,
                "cpuCost": 640000.0,
                "maxMemory": 0.0,
                "networkCost": 0.0,
            },
        },
        {
            "table": {"catalog": "awsdatacatalog", "schemaTable": {"schema": "shop", "table": "events"}},
            "constraint": {"none": False, "columnConstraints": []},
            "estimate": {
                "outputRowCount": "NaN",
                "outputSizeInBytes": "NaN",
                "cpuCost": "NaN",
                "maxMemory": 0.0,
                "networkCost": 0.0,
            },
        },
    ],
    "estimate": {
        "outputRowCount": "NaN",
        "outputSizeInBytes": "NaN",
        "cpuCost": "NaN",
        "maxMemory": 0.0,
        "networkCost": 0.0,
    },
}


def test_athena_dry_run_prints_the_plan_and_the_explain_estimate(tmp_path: Path, monkeypatch, cli) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(PROFILES.lstrip(), encoding="utf-8")
    project = write_project(
        tmp_path / "shop",
        {
            "models/sources.yml": "sources:\n  - name: raw\n    schema: shop\n    tables:\n"
            "      - name: orders\n      - name: events\n",
            "models/joined.sql": "{{ config(materialized='table') }}\n"
            "select o.id from {{ source('raw', 'orders') }} o join {{ source('raw', 'events') }} e on o.id = e.id\n",
            "models/constant.sql": "{{ config(materialized='table', work_group='heavy') }}\nselect 1 as id\n",
        },
        project_yml="name: shop\nprofile: ci\n",
    )
    con = athena_connection(
        {},
        schemas={"shop"},
        answer=lambda sql: (
            [(json.dumps(EXPLAIN_IO, indent=2),)]
            if sql.startswith("EXPLAIN (TYPE IO, FORMAT JSON)") and " o join " in sql
            else (
                [(json.dumps({"inputTableColumnInfos": [], "estimate": {}}),)]
                if sql.startswith("EXPLAIN")
                else None
            )
        ),
    )
    monkeypatch.setattr(AthenaAdapter, "connect", lambda self: con)

    result = cli("run", "--dry-run", "--project-dir", str(project), "--profiles-dir", str(profiles))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        lines[0]
        == "Dry run of `pyflow run` on target 'athena' (athena), with the engine's estimates (EXPLAIN): nothing runs."
    )
    assert "1 of 2 sql table model shop.constant  estimated scan 0 B" in lines
    joined = lines.index("2 of 2 sql table model shop.joined  estimated scan 640.0 KB")
    assert lines[joined + 1] == "    no size estimate for awsdatacatalog.shop.events (no table statistics)"
    assert lines[-1] == "Would run 2 node(s); estimated scan 640.0 KB."
    # only EXPLAIN statements were sent: nothing built, no history written
    assert con.sent() and all(s.startswith("EXPLAIN (TYPE IO, FORMAT JSON)\n") for s in con.sent())
    assert not (project / "target" / "run_results.json").exists()
    assert con.options == [{"work_group": "heavy"}, {}]  # type: ignore[attr-defined]  # the model's workgroup
