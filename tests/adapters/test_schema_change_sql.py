"""``on_schema_change`` when a column changed type, on Trino, on a recording connection.

Trino converts no types implicitly in INSERT or MERGE, so a batch whose column changed type is
written from a typed copy whose changed columns are CAST to the table's types; a change the
catalog's tables cannot make under ``sync_all_columns`` is refused before anything is written.
The live counterpart is ``tests/conformance/test_incremental_schema_change.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import UnsupportedError
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import IncrementalMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import INVOCATION_A, RecordingConnection

SQL = "SELECT id, v FROM raw"
TARGET = '"lake"."shop"."t"'
BATCH = '"lake"."shop"."t__pyflow_batch_aaaaaaaa"'
TYPED = '"lake"."shop"."t__pyflow_typed_aaaaaaaa"'


def _connection(connector: str, table_v: str, batch_v: str) -> RecordingConnection:
    """Table ``t`` of catalog ``lake`` (``connector``): ``v`` is ``table_v`` there, ``batch_v`` in the batch."""
    return RecordingConnection(
        schemas={"shop"},
        tables={("shop", "t"): "BASE TABLE"},
        columns={
            ("shop", "t"): [("id", "bigint"), ("v", table_v)],
            ("shop", "t__pyflow_batch_aaaaaaaa"): [("id", "bigint"), ("v", batch_v)],
        },
        row_count=2,
        answer=lambda sql: [(connector,)] if "system.metadata.catalogs" in sql else None,
    )


def _build(con: RecordingConnection, **config: Any) -> None:
    """Apply a batch to the incremental model ``t`` on ``con``."""
    target = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "lake", "schema": "shop"}
    )
    adapter = TrinoAdapter(target, invocation_id=INVOCATION_A, connect=lambda: con, sleep=lambda s: None)
    adapter.open()
    job = Job(
        name="t",
        relation=Relation("lake", "shop", "t"),
        adapter=adapter,
        sql=SQL,
        incremental=True,
        config=ModelConfig(materialized="incremental", **config),
    )
    IncrementalMaterializer().build(job)


def _writes(con: RecordingConnection) -> list[str]:
    """The statements sent, without the catalog's connector, the key check and the row count."""
    return [
        s
        for s in con.sent()
        if not s.startswith(("WITH d AS", "SELECT count(*)", "SELECT connector_name FROM system.metadata"))
    ]


def test_a_merge_casts_a_changed_column_to_the_table_type() -> None:
    # Trino: "MERGE table column types don't match ... Table: [varchar], Expressions: [bigint]"
    con = _connection("iceberg", "varchar", "bigint")
    _build(con, unique_key="id", on_schema_change="ignore")
    assert _writes(con) == [
        f"CREATE TABLE {BATCH} AS\n{SQL}",
        f'CREATE TABLE {TYPED} AS\nSELECT "id", CAST("v" AS varchar) AS "v" FROM {BATCH}',
        f"MERGE INTO {TARGET} AS DBT_INTERNAL_DEST\n"
        f"USING {TYPED} AS DBT_INTERNAL_SOURCE\n"
        'ON DBT_INTERNAL_SOURCE."id" IS NOT DISTINCT FROM DBT_INTERNAL_DEST."id"\n'
        'WHEN MATCHED THEN UPDATE SET "v" = DBT_INTERNAL_SOURCE."v"\n'
        'WHEN NOT MATCHED THEN INSERT ("id", "v") VALUES (DBT_INTERNAL_SOURCE."id", DBT_INTERNAL_SOURCE."v")',
        f"DROP TABLE IF EXISTS {TYPED}",
        f"DROP TABLE IF EXISTS {BATCH}",
    ]


@pytest.mark.parametrize("mode", ["ignore", "append_new_columns"])
def test_an_insert_casts_a_changed_column_to_the_table_type(mode: str) -> None:
    # Trino: "Insert query has mismatched column types: Table: [bigint, varchar], Query: [bigint, bigint]"
    con = _connection("hive", "varchar", "bigint")
    _build(con, incremental_strategy="append", on_schema_change=mode)
    assert _writes(con) == [
        f"CREATE TABLE {BATCH} AS\n{SQL}",
        f'CREATE TABLE {TYPED} AS\nSELECT "id", CAST("v" AS varchar) AS "v" FROM {BATCH}',
        f'INSERT INTO {TARGET} ("id", "v")\nSELECT "id", "v" FROM {TYPED}',
        f"DROP TABLE IF EXISTS {TYPED}",
        f"DROP TABLE IF EXISTS {BATCH}",
    ]


def test_same_types_need_no_typed_copy() -> None:
    con = _connection("iceberg", "varchar", "varchar")
    _build(con, unique_key="id", on_schema_change="ignore")
    assert not any("__pyflow_typed_" in s for s in con.sent())


@pytest.mark.parametrize(
    ("connector", "table_v", "batch_v", "tables"),
    [
        ("iceberg", "varchar", "bigint", "tables"),
        ("iceberg", "bigint", "integer", "tables"),
        ("hive", "integer", "bigint", "unpartitioned tables"),
    ],
)
def test_sync_all_columns_refuses_a_type_change_the_tables_cannot_make(
    connector: str, table_v: str, batch_v: str, tables: str
) -> None:
    # Trino: "ICEBERG_COMMIT_ERROR ... Cannot change column type: v: string -> long" (after the
    # batch was staged); hive: "This connector does not support setting column types"
    con = _connection(connector, table_v, batch_v)
    with pytest.raises(UnsupportedError) as caught:
        _build(con, incremental_strategy="append", on_schema_change="sync_all_columns")
    error = caught.value
    assert error.code == "unsupported-schema-change"
    assert error.model == "t"
    assert error.message == (
        f"trino cannot change column v from {table_v} to {batch_v} in {tables} of catalog 'lake' "
        f"({connector} connector), as on_schema_change: sync_all_columns asks; nothing was written"
    )
    assert f"column v changed type {table_v} -> {batch_v}" in (error.detail or "")
    assert "pyflow run --full-refresh --select t" in (error.hint or "")
    assert "append_new_columns" in (error.hint or "")
    # refused before any ALTER: only the batch was written, and it is gone
    assert _writes(con) == [f"CREATE TABLE {BATCH} AS\n{SQL}", f"DROP TABLE IF EXISTS {BATCH}"]


def test_sync_all_columns_makes_an_iceberg_type_promotion() -> None:
    con = _connection("iceberg", "integer", "bigint")
    _build(con, unique_key="id", on_schema_change="sync_all_columns")
    writes = _writes(con)
    assert writes[1] == f'ALTER TABLE {TARGET} ALTER COLUMN "v" SET DATA TYPE bigint'
    assert writes[2].startswith(f"MERGE INTO {TARGET}")
    assert not any("__pyflow_typed_" in s for s in writes)
