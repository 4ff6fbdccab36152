"""The run history table on Trino and Athena, through the adapter interface, on a recording connection.

The same :class:`~pyflow.runner.history.RunHistory` code writes it on every engine; these tests
pin the exact statements the Trino and Athena dialects produce (DuckDB runs them for real in
tests/integration/test_monitoring.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyflow.relation import Relation
from pyflow.runner.events import NodeResult
from pyflow.runner.history import COLUMNS, RunHistory, rows_for
from tests.adapters.recording import RecordingConnection, athena_adapter
from tests.adapters.test_trino import _adapter as trino_adapter

RUN = {
    "invocation_id": "aaaa",
    "run_started_at": datetime(2023, 11, 14, 22, 13, 19, 123456),
    "command": "build",
    "project_name": "shop",
    "target_name": "prod",
    "git_commit": "abc123",
    "pyflow_version": "0.1.0",
}
RESULT = NodeResult(
    "model.shop.orders",
    "orders",
    "success",
    message="created",
    execution_time=1.5,
    relation='"hive"."analytics"."orders"',
    started_at=1700000000.0,
    completed_at=1700000001.5,
)
ROW = [
    ("CAST('aaaa' AS VARCHAR)", "invocation_id"),
    ("CAST(TIMESTAMP '2023-11-14 22:13:19.123' AS TIMESTAMP(3))", "run_started_at"),
    ("CAST('build' AS VARCHAR)", "command"),
    ("CAST('shop' AS VARCHAR)", "project_name"),
    ("CAST('prod' AS VARCHAR)", "target_name"),
    ("CAST('abc123' AS VARCHAR)", "git_commit"),
    ("CAST('0.1.0' AS VARCHAR)", "pyflow_version"),
    ("CAST('model.shop.orders' AS VARCHAR)", "unique_id"),
    ("CAST('orders' AS VARCHAR)", "node_name"),
    ("CAST('model' AS VARCHAR)", "resource_type"),
    ('CAST(\'"hive"."analytics"."orders"\' AS VARCHAR)', "relation_name"),
    ("CAST('success' AS VARCHAR)", "status"),
    ("CAST(TIMESTAMP '2023-11-14 22:13:20.000' AS TIMESTAMP(3))", "started_at"),
    ("CAST(TIMESTAMP '2023-11-14 22:13:21.500' AS TIMESTAMP(3))", "completed_at"),
    ("CAST(1.5 AS DOUBLE)", "execution_time"),
    ("CAST(NULL AS BIGINT)", "rows_affected"),
    ("CAST(42 AS BIGINT)", "row_count"),
    ("CAST(NULL AS BIGINT)", "bytes_scanned"),
    ("CAST(NULL AS BIGINT)", "failures"),
    ("CAST('created' AS VARCHAR)", "message"),
    ("CAST(NULL AS VARCHAR)", "test_name"),
    ("CAST(NULL AS VARCHAR)", "monitored"),
    ("CAST(NULL AS VARCHAR)", "metric"),
    ("CAST(NULL AS DOUBLE)", "metric_value"),
    ("CAST(NULL AS VARCHAR)", "metric_details"),
]
"""The one row of ``_rows()``: each column's literal and name."""


def _select(row: list[tuple[str, str]]) -> str:
    values = ", ".join(v for v, _ in row)
    names = ", ".join(f'"{n}"' for _, n in row)
    return f"SELECT * FROM (VALUES\n  ({values})\n) AS history_rows ({names})"


SELECT = _select(ROW)


def _rows() -> list[dict[str, Any]]:
    return rows_for([RESULT], RUN, lambda uid: "model", lambda uid: None, {"model.shop.orders": 42})


def test_trino_first_write_creates_the_schema_and_the_table() -> None:
    con = RecordingConnection()
    history = RunHistory(trino_adapter(con), Relation("hive", "ops", "pyflow_run_history"), "prod")

    sent = history.append(_rows())

    assert sent == [
        'CREATE SCHEMA IF NOT EXISTS "hive"."ops"',
        f'CREATE TABLE "hive"."ops"."pyflow_run_history" AS\n{SELECT}',
    ]
    assert con.sent() == sent


def test_trino_later_writes_insert_into_the_columns_the_table_has() -> None:
    """A table made by an older pyflow (no row_count column) gets the columns it has."""
    older = [(name, "varchar") for name, _ in COLUMNS if name != "row_count"]
    con = RecordingConnection(
        tables={("ops", "pyflow_run_history"): "BASE TABLE"},
        schemas={"ops"},
        columns={("ops", "pyflow_run_history"): older},
    )
    history = RunHistory(trino_adapter(con), Relation("hive", "ops", "pyflow_run_history"), "prod")

    (insert,) = history.append(_rows())

    names = ", ".join(f'"{n}"' for n, _ in older)
    select = _select([(v, n) for v, n in ROW if n != "row_count"])
    assert insert == f'INSERT INTO "hive"."ops"."pyflow_run_history" ({names})\n{select}'
    assert con.sent() == [insert]


def test_trino_writes_many_rows_in_batches() -> None:
    con = RecordingConnection()
    history = RunHistory(trino_adapter(con), Relation("hive", "ops", "pyflow_run_history"), "prod")

    sent = history.append(_rows() * 250)

    assert [s.split(" (")[0].split(" AS\n")[0] for s in sent] == [
        'CREATE SCHEMA IF NOT EXISTS "hive"."ops"',
        'CREATE TABLE "hive"."ops"."pyflow_run_history"',
        'INSERT INTO "hive"."ops"."pyflow_run_history"',
        'INSERT INTO "hive"."ops"."pyflow_run_history"',
    ]
    assert [s.count("\n  (CAST(") for s in sent[1:]] == [100, 100, 50]


def test_trino_reads_a_metric_series_one_value_per_run() -> None:
    answered: list[str] = []

    def answer(sql: str) -> list[tuple[Any, ...]] | None:
        if "metric_value" not in sql:
            return None
        answered.append(sql)
        return [
            ("i3", datetime(2024, 1, 3), 116.0, '{"measure": "row_count"}'),
            ("i3", datetime(2024, 1, 3), 116.0, None),  # a second monitor measured the same run
            ("i2", datetime(2024, 1, 2), 110.0, None),
            ("i1", datetime(2024, 1, 1), 100.0, None),
        ]

    con = RecordingConnection(tables={("ops", "pyflow_run_history"): "BASE TABLE"}, answer=answer)
    history = RunHistory(trino_adapter(con), Relation("hive", "ops", "pyflow_run_history"), "prod")

    points = history.metric_series("raw.orders", "row_count", 2)

    assert [(p.invocation_id, p.value) for p in points] == [("i3", 116.0), ("i2", 110.0)]
    assert points[0].details == {"measure": "row_count"}
    assert answered == [
        "SELECT invocation_id, run_started_at, metric_value, metric_details\n"
        'FROM "hive"."ops"."pyflow_run_history"\n'
        "WHERE target_name = 'prod' AND monitored = 'raw.orders' AND metric = 'row_count'\n"
        "ORDER BY run_started_at DESC\nLIMIT 8"
    ]


def test_athena_first_write_is_a_ctas_with_the_target_storage_settings() -> None:
    con = RecordingConnection()
    history = RunHistory(
        athena_adapter(con), Relation("awsdatacatalog", "shop", "pyflow_run_history"), "prod"
    )

    sent = history.append(_rows())

    assert sent[0] == "CREATE SCHEMA IF NOT EXISTS `shop`"
    head, select = sent[1].split(" AS\n", 1)
    assert head.startswith('CREATE TABLE "awsdatacatalog"."shop"."pyflow_run_history"\nWITH (\n')
    assert "  external_location = 's3://bucket/tables/shop/pyflow_run_history/" in head
    assert "  format = 'PARQUET'" in head
    assert select == SELECT
    assert con.sent() == sent


def test_athena_later_writes_insert() -> None:
    con = RecordingConnection(
        tables={("shop", "pyflow_run_history"): "BASE TABLE"},
        schemas={"shop"},
        columns={("shop", "pyflow_run_history"): [(n, "varchar") for n, _ in COLUMNS]},
    )
    history = RunHistory(
        athena_adapter(con), Relation("awsdatacatalog", "shop", "pyflow_run_history"), "prod"
    )

    (insert,) = history.append(_rows())

    names = ", ".join(f'"{n}"' for n, _ in COLUMNS)
    assert insert == f'INSERT INTO "awsdatacatalog"."shop"."pyflow_run_history" ({names})\n{SELECT}'


def test_rows_carry_bytes_scanned_when_the_engine_reported_them() -> None:
    reported = NodeResult("model.shop.orders", "orders", "success")
    reported.bytes_scanned = 123_456  # type: ignore[attr-defined]  # set by engines that report it
    silent = NodeResult("model.shop.customers", "customers", "success")

    rows = rows_for([reported, silent], RUN, lambda uid: "model", lambda uid: None)

    assert [r["bytes_scanned"] for r in rows] == [123_456, None]
