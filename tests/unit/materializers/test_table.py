"""Tests for pyflow.materializers.table: build beside the target, then swap in.

Against real in-memory DuckDB (transactional swap), and against the recording adapter for the
exact statements of both swap paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.errors import AdapterError, MaterializationError
from pyflow.materializers.base import Job
from pyflow.materializers.registry import materializer_for
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation

TARGET = Relation("memory", "main", "orders")
BAD_SQL = "SELECT CAST('not a number' AS INTEGER) AS id"


def _pyflow_objects(adapter: DuckDBAdapter) -> list[tuple[Any, ...]]:
    return adapter.fetchall(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name LIKE '%__pyflow_%'"
    )


@pytest.fixture
def db(duckdb_adapter: DuckDBAdapter) -> DuckDBAdapter:
    duckdb_adapter.execute("CREATE TABLE orders AS SELECT 1 AS id, 'old' AS version")
    return duckdb_adapter


def test_table_creates_a_new_table(duckdb_adapter: DuckDBAdapter) -> None:
    job = Job("orders", Relation("memory", "marts", "orders"), duckdb_adapter, sql="SELECT 1 AS id")

    outcome = TableMaterializer().build(job)

    assert outcome.message == "created"
    assert duckdb_adapter.relation_type(job.relation) == "table"
    assert duckdb_adapter.fetchall("SELECT id FROM marts.orders") == [(1,)]


def test_table_swap_replaces_the_old_table_and_leaves_no_temp_objects(db: DuckDBAdapter) -> None:
    job = Job("orders", TARGET, db, sql="SELECT * FROM (VALUES (2, 'new'), (3, 'new')) t(id, version)")

    TableMaterializer().build(job)

    assert db.fetchall("SELECT id, version FROM orders ORDER BY id") == [(2, "new"), (3, "new")]
    assert _pyflow_objects(db) == []
    assert any(s.startswith('CREATE TABLE "memory"."main"."orders__pyflow_tmp_') for s in job.log.statements)


def test_table_failure_keeps_the_old_table_and_no_temp_objects(db: DuckDBAdapter) -> None:
    job = Job("orders", TARGET, db, sql=BAD_SQL)

    with pytest.raises(AdapterError) as info:
        TableMaterializer().build(job)

    assert info.value.model == "orders"
    assert db.fetchall("SELECT id, version FROM orders") == [(1, "old")]
    assert db.relation_type(TARGET) == "table"
    assert _pyflow_objects(db) == []


def test_table_replaces_a_view_of_the_same_name(duckdb_adapter: DuckDBAdapter) -> None:
    duckdb_adapter.execute("CREATE VIEW orders AS SELECT 1 AS id")

    TableMaterializer().build(Job("orders", TARGET, duckdb_adapter, sql="SELECT 2 AS id"))

    assert duckdb_adapter.relation_type(TARGET) == "table"
    assert duckdb_adapter.fetchall("SELECT id FROM orders") == [(2,)]


def test_table_from_a_dataframe(duckdb_adapter: DuckDBAdapter) -> None:
    import pyarrow as pa

    job = Job("orders", TARGET, duckdb_adapter, frame=lambda: pa.table({"id": [1, 2]}))

    outcome = TableMaterializer().build(job)

    assert outcome.rows == 2
    assert duckdb_adapter.fetchall("SELECT count(*) FROM orders") == [(2,)]


def test_table_without_sql_or_frame_is_an_internal_error(duckdb_adapter: DuckDBAdapter) -> None:
    with pytest.raises(MaterializationError):
        TableMaterializer().build(Job("orders", TARGET, duckdb_adapter))


def test_materializer_for_picks_by_kind() -> None:
    assert isinstance(materializer_for("table"), TableMaterializer)
    with pytest.raises(MaterializationError) as info:
        materializer_for("tabel")
    assert info.value.code == "unknown-materialization"


# ---- exact statements, recorded ----------------------------------------------------------

REL = Relation("db", "main", "orders")
TMP = '"db"."main"."orders__pyflow_tmp_abcdef12"'
OLD = '"db"."main"."orders__pyflow_old_abcdef12"'
CREATE_SCHEMA = 'CREATE SCHEMA IF NOT EXISTS "db"."main"'
CREATE_TMP = f"CREATE TABLE {TMP} AS\nSELECT 1 AS id"


def _job(adapter: Any) -> Job:
    return Job("orders", REL, adapter, sql="SELECT 1 AS id")


def test_table_transactional_swap_statements(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter(transactions=True, existing={REL: "table"})

    TableMaterializer().build(job := _job(adapter))

    assert adapter.statements == [
        CREATE_SCHEMA,
        "BEGIN TRANSACTION",
        CREATE_TMP,
        'DROP TABLE IF EXISTS "db"."main"."orders"',
        f'ALTER TABLE {TMP} RENAME TO "orders"',
        "COMMIT",
    ]
    assert job.log.statements == [s for s in adapter.statements if s not in ("BEGIN TRANSACTION", "COMMIT")]


def test_table_transactional_first_build_drops_nothing(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter(transactions=True)

    TableMaterializer().build(_job(adapter))

    assert adapter.statements == [
        CREATE_SCHEMA,
        "BEGIN TRANSACTION",
        CREATE_TMP,
        f'ALTER TABLE {TMP} RENAME TO "orders"',
        "COMMIT",
    ]


def test_table_non_transactional_swap_renames_aside_then_drops_the_backup(
    recording_adapter: Callable[..., Any],
) -> None:
    adapter = recording_adapter(transactions=False, existing={REL: "table"})

    TableMaterializer().build(_job(adapter))

    assert adapter.statements == [
        CREATE_SCHEMA,
        CREATE_TMP,
        'ALTER TABLE "db"."main"."orders" RENAME TO "orders__pyflow_old_abcdef12"',
        f'ALTER TABLE {TMP} RENAME TO "orders"',
        f"DROP TABLE IF EXISTS {OLD}",
    ]


def test_table_non_transactional_replaces_a_view_with_view_statements(
    recording_adapter: Callable[..., Any],
) -> None:
    adapter = recording_adapter(transactions=False, existing={REL: "view"})

    TableMaterializer().build(_job(adapter))

    assert adapter.statements[2:] == [
        'ALTER VIEW "db"."main"."orders" RENAME TO "orders__pyflow_old_abcdef12"',
        f'ALTER TABLE {TMP} RENAME TO "orders"',
        f"DROP VIEW IF EXISTS {OLD}",
    ]


def test_table_non_transactional_create_failure_drops_tmp_and_never_touches_the_target(
    recording_adapter: Callable[..., Any],
) -> None:
    adapter = recording_adapter(
        transactions=False, existing={REL: "table"}, fail_on=lambda sql: sql.startswith("CREATE TABLE")
    )

    with pytest.raises(AdapterError):
        TableMaterializer().build(_job(adapter))

    assert adapter.statements == [CREATE_SCHEMA, CREATE_TMP, f"DROP TABLE IF EXISTS {TMP}"]
    assert not any('"db"."main"."orders"' in s or 'RENAME TO "orders"' in s for s in adapter.statements)


def test_table_transactional_create_failure_rolls_back_and_never_touches_the_target(
    recording_adapter: Callable[..., Any],
) -> None:
    adapter = recording_adapter(
        transactions=True, existing={REL: "table"}, fail_on=lambda sql: sql.startswith("CREATE TABLE")
    )

    with pytest.raises(AdapterError):
        TableMaterializer().build(_job(adapter))

    assert adapter.statements == [CREATE_SCHEMA, "BEGIN TRANSACTION", CREATE_TMP, "ROLLBACK"]
