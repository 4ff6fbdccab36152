"""Incremental models and snapshots on Athena (Iceberg and Hive) and Trino, on a recording
connection (moto for Glue/S3): exact statements, strategy support, millisecond timestamps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.core.nodeconfig import ModelConfig, SnapshotConfig
from pyflow.errors import PyflowError
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import IncrementalMaterializer, resolve_strategy
from pyflow.materializers.snapshot import SnapshotMaterializer
from pyflow.relation import Relation
from tests.adapters.athena_sim import AthenaLake, table
from tests.adapters.recording import INVOCATION_A, RecordingConnection, record_aws_calls
from tests.adapters.recording import athena_adapter as _athena

REL = Relation("awsdatacatalog", "shop", "orders")
SQL = "SELECT id, status, amount FROM raw_orders"
BATCH = "orders__pyflow_batch_aaaaaaaa"
ORDERS = [("id", "integer"), ("status", "varchar"), ("amount", "double")]
RUN = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)


def _trino(con: RecordingConnection) -> TrinoAdapter:
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "iceberg", "schema": "shop"}
    )
    adapter = TrinoAdapter(config, invocation_id=INVOCATION_A, connect=lambda: con, sleep=lambda s: None)
    adapter.open()
    return adapter


def _job(adapter: Any, sql: str = SQL, **config: Any) -> Job:
    return Job(
        name="orders",
        relation=REL if isinstance(adapter, AthenaAdapter) else Relation("iceberg", "shop", "orders"),
        adapter=adapter,
        sql=sql,
        incremental=True,
        run_started_at=RUN,
        config=ModelConfig(materialized="incremental", **config),
    )


def _location(name: str) -> str:
    adapter = _athena(RecordingConnection())
    return f"s3://bucket/tables/shop/{name}/{adapter.unique_suffix(REL.with_identifier(name))}/"


def _stage_ctas(name: str, sql: str) -> str:
    return (
        f'CREATE TABLE "awsdatacatalog"."shop"."{name}"\n'
        f"WITH (\n  external_location = '{_location(name)}',\n  format = 'PARQUET'\n) AS\n{sql}"
    )


def _discarded(name: str, beside: str = "orders") -> list[str]:
    return [
        f"glue.GetTable shop.{name}",
        f"glue.GetTable shop.{beside}",
        f"s3.ListObjectsV2 bucket/{_location(name).removeprefix('s3://bucket/')}",
        "s3.DeleteObjects bucket 1",
        f"DROP TABLE IF EXISTS `shop`.`{name}`",  # the Glue entry last: the files go first
    ]


def _parses(statements: list[str], dialect: str) -> None:
    for statement in statements:
        if not statement.startswith(("glue.", "s3.")):
            sqlglot.parse(statement, read=dialect, error_level=ErrorLevel.RAISE)


def _orders_connection(**extra: Any) -> RecordingConnection:
    settings: dict[str, Any] = {
        "schemas": {"shop"},
        "tables": {("shop", "orders"): "BASE TABLE"},
        "columns": {("shop", "orders"): ORDERS, ("shop", BATCH): ORDERS},
        "on_execute": AthenaLake(),
        "row_count": 3,
    }
    return RecordingConnection(**{**settings, **extra})


# ---- which strategies work where -------------------------------------------------------------
@pytest.mark.parametrize(
    ("adapter", "config", "expected"),
    [
        ("athena", {"table_type": "iceberg", "unique_key": "id"}, "merge"),
        (
            "athena",
            {"table_type": "iceberg", "unique_key": "id", "incremental_strategy": "delete+insert"},
            "delete+insert",
        ),
        ("athena", {}, "append"),
        ("athena", {"incremental_strategy": "insert_overwrite", "partitioned_by": "day"}, "insert_overwrite"),
        ("trino", {"unique_key": "id"}, "merge"),
        ("trino", {"unique_key": "id", "incremental_strategy": "delete+insert"}, "delete+insert"),
        ("trino", {"incremental_strategy": "insert_overwrite"}, "insert_overwrite"),
        ("athena", {"table_type": "iceberg", "incremental_strategy": "insert_overwrite"}, "insert_overwrite"),
    ],
)
def test_supported_strategies_resolve(adapter: str, config: dict[str, Any], expected: str) -> None:
    engine = _athena(RecordingConnection()) if adapter == "athena" else _trino(RecordingConnection())
    assert resolve_strategy(ModelConfig(materialized="incremental", **config), engine) == expected


@pytest.mark.parametrize(
    ("adapter", "config", "message", "hint"),
    [
        (
            "athena",
            {"unique_key": "id", "incremental_strategy": "merge"},
            "athena cannot apply incremental_strategy 'merge' to Hive tables",
            "use append or insert_overwrite, or set table_type: iceberg "
            "(which supports append, merge, delete+insert, insert_overwrite)",
        ),
        (
            "athena",
            {"unique_key": "id"},  # the default with a key is merge: not on Hive
            "athena cannot apply incremental_strategy 'merge' to Hive tables (the default with a unique_key)",
            "set table_type: iceberg",
        ),
        (
            "athena",
            {"unique_key": "id", "incremental_strategy": "delete+insert"},
            "athena cannot apply incremental_strategy 'delete+insert' to Hive tables",
            "use append or insert_overwrite, or set table_type: iceberg",
        ),
    ],
)
def test_unsupported_strategies_name_the_supported_ones(
    adapter: str, config: dict[str, Any], message: str, hint: str
) -> None:
    engine = _athena(RecordingConnection()) if adapter == "athena" else _trino(RecordingConnection())
    with pytest.raises(PyflowError) as caught:
        resolve_strategy(ModelConfig(materialized="incremental", **config), engine)
    assert caught.value.code == "unsupported-strategy"
    assert caught.value.message == message
    assert hint in (caught.value.hint or "")
    assert f"{adapter} supports for" in (caught.value.detail or "")


def test_sync_all_columns_on_an_athena_hive_table_fails_at_compile_time() -> None:
    athena = _athena(RecordingConnection())
    cfg = ModelConfig(materialized="incremental", on_schema_change="sync_all_columns")
    with pytest.raises(PyflowError) as caught:
        resolve_strategy(cfg, athena)
    assert caught.value.code == "unsupported-schema-change"
    assert caught.value.message == (
        "athena cannot drop columns of Hive tables, which on_schema_change: sync_all_columns may need"
    )
    assert "set table_type: iceberg" in (caught.value.hint or "")
    iceberg = ModelConfig(
        materialized="incremental", on_schema_change="sync_all_columns", table_type="iceberg"
    )
    assert resolve_strategy(iceberg, athena) == "append"


# ---- Iceberg on Athena, and Trino --------------------------------------------------------------
def test_athena_iceberg_merge_is_one_merge_from_the_staged_batch(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _orders_connection()
    record_aws_calls(monkeypatch, con.statements)

    outcome = IncrementalMaterializer().build(_job(_athena(con), unique_key="id", table_type="iceberg"))

    batch = f'"awsdatacatalog"."shop"."{BATCH}"'
    assert con.sent() == [
        _stage_ctas(BATCH, SQL),
        f'WITH d AS (SELECT "id", count(*) AS n FROM {batch} GROUP BY "id" HAVING count(*) > 1)\n'
        'SELECT (SELECT count(*) FROM d) AS total, * FROM (SELECT * FROM d ORDER BY n DESC, "id" LIMIT 5)',
        'MERGE INTO "awsdatacatalog"."shop"."orders" AS DBT_INTERNAL_DEST\n'
        f"USING {batch} AS DBT_INTERNAL_SOURCE\n"
        'ON DBT_INTERNAL_SOURCE."id" IS NOT DISTINCT FROM DBT_INTERNAL_DEST."id"\n'
        'WHEN MATCHED THEN UPDATE SET "status" = DBT_INTERNAL_SOURCE."status", "amount" = DBT_INTERNAL_SOURCE."amount"\n'
        'WHEN NOT MATCHED THEN INSERT ("id", "status", "amount") VALUES '
        '(DBT_INTERNAL_SOURCE."id", DBT_INTERNAL_SOURCE."status", DBT_INTERNAL_SOURCE."amount")',
        f"SELECT count(*) FROM {batch}",
        *_discarded(BATCH),
    ]
    assert (outcome.rows, outcome.response) == (3, "MERGE 3")
    assert table(BATCH) is None
    _parses(con.sent(), "athena")


def test_athena_iceberg_delete_insert_is_one_merge_deleting_matched_rows_and_inserting_the_batch(
    lake: None,
) -> None:
    con = _orders_connection()

    IncrementalMaterializer().build(
        _job(
            _athena(con),
            unique_key="id",
            table_type="iceberg",
            incremental_strategy="delete+insert",
            incremental_predicates=["DBT_INTERNAL_DEST.amount > 0"],
        )
    )

    batch = f'"awsdatacatalog"."shop"."{BATCH}"'
    writes = [s for s in con.sent() if s.startswith(("MERGE", "DELETE", "INSERT"))]
    assert writes == [  # one commit: every row of a batch key deleted, the batch inserted
        'MERGE INTO "awsdatacatalog"."shop"."orders" AS DBT_INTERNAL_DEST\n'
        "USING (\n"
        f'  SELECT DISTINCT TRUE AS __pyflow_delete, "id" AS __pyflow_match_0, NULL AS "id", NULL AS "status", NULL AS "amount" FROM {batch}\n'
        "  UNION ALL\n"
        f'  SELECT FALSE, NULL, "id", "status", "amount" FROM {batch}\n'
        ") AS DBT_INTERNAL_SOURCE\n"
        'ON DBT_INTERNAL_SOURCE.__pyflow_delete AND DBT_INTERNAL_DEST."id" IS NOT DISTINCT FROM DBT_INTERNAL_SOURCE.__pyflow_match_0 '
        "AND (DBT_INTERNAL_DEST.amount > 0)\n"
        "WHEN MATCHED THEN DELETE\n"
        'WHEN NOT MATCHED AND NOT DBT_INTERNAL_SOURCE.__pyflow_delete THEN INSERT ("id", "status", "amount") '
        'VALUES (DBT_INTERNAL_SOURCE."id", DBT_INTERNAL_SOURCE."status", DBT_INTERNAL_SOURCE."amount")'
    ]
    _parses(writes, "athena")


def test_trino_insert_overwrite_without_partitions_replaces_every_row_in_one_merge() -> None:
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "orders"): "BASE TABLE"},
        columns={("shop", "orders"): ORDERS, ("shop", BATCH): ORDERS},
    )
    IncrementalMaterializer().build(_job(_trino(con), incremental_strategy="insert_overwrite"))
    writes = [s for s in con.sent() if s.startswith(("MERGE", "DELETE", "INSERT"))]
    assert len(writes) == 1
    # the marker row needs no batch row: an empty batch empties the table, as DELETE + INSERT would
    assert '  SELECT TRUE AS __pyflow_delete, NULL AS "id", NULL AS "status", NULL AS "amount"\n' in writes[0]
    assert "ON DBT_INTERNAL_SOURCE.__pyflow_delete\nWHEN MATCHED THEN DELETE\n" in writes[0]
    _parses(writes, "trino")


def test_athena_iceberg_merge_of_many_partitions_runs_one_merge_per_batch(lake: None) -> None:
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=i),) for i in range(5)]
    con = _orders_connection(answer=lambda sql: days if sql.startswith('SELECT DISTINCT "day"') else None)

    IncrementalMaterializer().build(
        _job(
            _athena(con), unique_key="id", table_type="iceberg", partitioned_by="day", partition_batch_size=2
        )
    )

    merges = [s for s in con.sent() if s.startswith("MERGE")]
    batch = f'"awsdatacatalog"."shop"."{BATCH}"'
    assert [m.splitlines()[1] for m in merges] == [
        f"USING (SELECT * FROM {batch} WHERE ((\"day\" = DATE '2024-01-01') OR (\"day\" = DATE '2024-01-02'))) AS DBT_INTERNAL_SOURCE",
        f"USING (SELECT * FROM {batch} WHERE ((\"day\" = DATE '2024-01-03') OR (\"day\" = DATE '2024-01-04'))) AS DBT_INTERNAL_SOURCE",
        f"USING (SELECT * FROM {batch} WHERE ((\"day\" = DATE '2024-01-05'))) AS DBT_INTERNAL_SOURCE",
    ]
    _parses(merges, "athena")


def test_trino_merge_stages_the_batch_and_drops_it() -> None:
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "orders"): "BASE TABLE"},
        columns={("shop", "orders"): ORDERS, ("shop", BATCH): ORDERS},
        row_count=3,
    )

    IncrementalMaterializer().build(_job(_trino(con), unique_key="id"))

    batch = f'"iceberg"."shop"."{BATCH}"'
    ask = "SELECT connector_name FROM system.metadata.catalogs WHERE catalog_name = 'iceberg'"
    assert con.sent().count(ask) == 1  # what the catalog supports is asked once, before any write
    assert con.sent()[0] == ask
    sent = con.sent()[1:]
    assert sent[0] == f"CREATE TABLE {batch} AS\n{SQL}"
    assert [s.split()[0] for s in sent[1:]] == ["WITH", "MERGE", "SELECT", "DROP"]
    assert sent[2].startswith('MERGE INTO "iceberg"."shop"."orders" AS DBT_INTERNAL_DEST\n')
    assert sent[-1] == f"DROP TABLE IF EXISTS {batch}"
    _parses(sent, "trino")


def test_trino_batch_is_dropped_when_the_merge_fails() -> None:
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "orders"): "BASE TABLE"},
        columns={("shop", "orders"): ORDERS, ("shop", BATCH): ORDERS},
        fail_on=lambda sql: sql.startswith("MERGE"),
    )
    with pytest.raises(PyflowError, match="simulated failure"):
        IncrementalMaterializer().build(_job(_trino(con), unique_key="id"))
    assert con.sent()[-1] == f'DROP TABLE IF EXISTS "iceberg"."shop"."{BATCH}"'


def test_athena_schema_changes_use_hive_ddl(lake: None) -> None:
    con = _orders_connection(
        columns={("shop", "orders"): ORDERS[:2], ("shop", BATCH): [*ORDERS, ("tags", "array(varchar(3))")]}
    )
    IncrementalMaterializer().build(
        _job(_athena(con), table_type="iceberg", on_schema_change="append_new_columns")
    )
    alters = [s for s in con.sent() if s.startswith("ALTER")]
    assert alters == [
        "ALTER TABLE `shop`.`orders` ADD COLUMNS (`amount` double)",
        "ALTER TABLE `shop`.`orders` ADD COLUMNS (`tags` array<string>)",
    ]


# ---- snapshots ----------------------------------------------------------------------------------
def _snap_job(adapter: Any, **config: Any) -> Job:
    cfg = {"unique_key": "id", "strategy": "timestamp", "updated_at": "updated_at", **config}
    return Job(
        name="orders_snapshot",
        relation=REL.with_identifier("orders_snapshot"),
        adapter=adapter,
        sql="SELECT id, status, updated_at FROM raw_orders",
        run_started_at=RUN,
        config=SnapshotConfig.model_validate(cfg),
    )


SNAP_COLS = [("id", "integer"), ("status", "varchar"), ("updated_at", "timestamp(3)")]
META = [
    ("pyflow_scd_id", "varchar"),
    ("pyflow_updated_at", "timestamp(3)"),
    ("pyflow_valid_from", "timestamp(3)"),
    ("pyflow_valid_to", "timestamp(3)"),
]


SNAP = "orders_snapshot"
SNAP_STAGE = "orders_snapshot__pyflow_snap_aaaaaaaa"
CHANGES = "orders_snapshot__pyflow_changes_aaaaaaaa"


def _snapshot_connection(**extra: Any) -> RecordingConnection:
    settings: dict[str, Any] = {
        "schemas": {"shop"},
        "tables": {("shop", SNAP): "BASE TABLE"},
        "columns": {("shop", SNAP_STAGE): SNAP_COLS, ("shop", SNAP): SNAP_COLS + META},
        "on_execute": AthenaLake(),
        "answer": lambda sql: [(0,)] if sql.endswith('WHERE "id" IS NULL') else None,
        "row_count": 2,
    }
    return RecordingConnection(**{**settings, **extra})


def test_athena_first_snapshot_is_an_iceberg_ctas_with_millisecond_timestamps(lake: None) -> None:
    con = _snapshot_connection(tables={})
    SnapshotMaterializer().build(
        _snap_job(_athena(con), table_type="iceberg", dbt_valid_to_current="'9999-12-31'")
    )
    ctas = [s for s in con.sent() if s.startswith(f'CREATE TABLE "awsdatacatalog"."shop"."{SNAP}"')]
    assert len(ctas) == 1
    assert "table_type = 'ICEBERG'" in ctas[0]
    assert 'CAST(s."updated_at" AS TIMESTAMP(3)) AS "pyflow_valid_from"' in ctas[0]
    assert "CAST(('9999-12-31') AS TIMESTAMP(3)) AS \"pyflow_valid_to\"" in ctas[0]
    _parses(con.sent(), "athena")


def test_athena_iceberg_snapshot_closes_and_inserts_in_one_merge(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = _snapshot_connection()
    record_aws_calls(monkeypatch, con.statements)

    outcome = SnapshotMaterializer().build(_snap_job(_athena(con), table_type="iceberg"))

    sent = con.sent()
    writes = [s for s in sent if s.startswith(("MERGE", "INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 1  # one commit: no window with a closed version and no new one
    merge = writes[0]
    changes = f'"awsdatacatalog"."shop"."{CHANGES}"'
    assert merge.startswith(f'MERGE INTO "awsdatacatalog"."shop"."{SNAP}" AS DBT_INTERNAL_DEST\nUSING (\n')
    assert f"FROM {changes} AS c WHERE c.__close\n  UNION ALL\n" in merge
    assert f"FROM {changes} AS c WHERE NOT c.__del\n) AS DBT_INTERNAL_SOURCE" in merge
    assert merge.endswith(
        'ON DBT_INTERNAL_DEST."pyflow_scd_id" = DBT_INTERNAL_SOURCE.__pyflow_match '
        'AND DBT_INTERNAL_DEST."pyflow_valid_to" IS NULL\n'
        'WHEN MATCHED THEN UPDATE SET "pyflow_valid_to" = DBT_INTERNAL_SOURCE.__pyflow_close_at\n'
        "WHEN NOT MATCHED AND DBT_INTERNAL_SOURCE.__pyflow_insert THEN INSERT "
        '("id", "status", "updated_at", "pyflow_scd_id", "pyflow_updated_at", "pyflow_valid_from", "pyflow_valid_to") '
        'VALUES (DBT_INTERNAL_SOURCE."id", DBT_INTERNAL_SOURCE."status", DBT_INTERNAL_SOURCE."updated_at", '
        'DBT_INTERNAL_SOURCE."pyflow_scd_id", DBT_INTERNAL_SOURCE."pyflow_updated_at", '
        'DBT_INTERNAL_SOURCE."pyflow_valid_from", DBT_INTERNAL_SOURCE."pyflow_valid_to")'
    )
    # the run time, truncated to Athena's milliseconds; source times cast to TIMESTAMP(3)
    assert "TIMESTAMP '2024-05-01 12:30:15.123'" in " ".join(sent)
    assert "TIMESTAMP '2024-05-01 12:30:15.123456'" not in " ".join(sent)
    assert 'CAST(s."updated_at" AS TIMESTAMP(3))' in " ".join(sent)
    # both working tables are dropped and their files deleted
    assert sent[-10:] == [*_discarded(CHANGES, beside=SNAP), *_discarded(SNAP_STAGE, beside=SNAP)]
    assert outcome.rows == 2
    _parses(sent, "athena")


def test_athena_hive_snapshot_is_rebuilt_with_the_changes_and_swapped_through_glue(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.adapters.athena_sim import hive_table, put

    old = "s3://bucket/tables/shop/orders_snapshot/old-run/"
    hive_table("shop", SNAP, old, partitioned=False)
    put(old + "part-00000.parquet")
    con = _snapshot_connection()
    record_aws_calls(monkeypatch, con.statements)

    SnapshotMaterializer().build(_snap_job(_athena(con)))

    sent = con.sent()
    assert not [s for s in sent if s.startswith(("MERGE", "INSERT", "UPDATE", "DELETE"))]
    tmp = "orders_snapshot__pyflow_tmp_aaaaaaaa"
    rebuild = next(s for s in sent if s.startswith(f'CREATE TABLE "awsdatacatalog"."shop"."{tmp}"'))
    assert (
        'CASE WHEN c.__vf IS NOT NULL THEN c.__vf ELSE t."pyflow_valid_to" END AS "pyflow_valid_to"'
        in rebuild
    )
    assert (
        f'LEFT JOIN (SELECT __scd, __vf FROM "awsdatacatalog"."shop"."{CHANGES}" WHERE __close) AS c '
        'ON t."pyflow_scd_id" = c.__scd AND t."pyflow_valid_to" IS NULL' in rebuild
    )
    after = sent[sent.index(rebuild) + 1 :]
    assert after[:6] == [
        f"glue.GetTable shop.{tmp}",
        f"glue.GetTable shop.{SNAP}",
        f"glue.UpdateTable shop.{SNAP}",
        "s3.ListObjectsV2 bucket/tables/shop/orders_snapshot/old-run/",
        "s3.DeleteObjects bucket 1",
        f"glue.DeleteTable shop.{tmp}",
    ]
    found = table(SNAP)
    assert found is not None and found["StorageDescriptor"]["Location"] == _location(tmp)
    _parses(sent, "athena")
