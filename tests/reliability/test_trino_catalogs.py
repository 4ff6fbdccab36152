"""Trino adapter defects found by running the conformance suite on a live Trino 476 (offline proofs).

- A statement sent through the ``trino`` driver is finished only once its result is read to the
  end: ``execute`` must read it, or the next statement may miss the new table or rows.
- What a catalog supports depends on its connector (memory: append only; hive: append and
  insert_overwrite of partitions; iceberg: all four), declared as data and checked at compile
  time when the target declares ``connector``, else asked from ``system.metadata.catalogs``.
- Partitioned tables are created with the connector's partition property, and a Hive
  insert_overwrite replaces partitions with INSERT under the catalog's overwrite session property.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyflow.adapters.base import TableOptions
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import MaterializationError, UnsupportedError
from pyflow.materializers.incremental import resolve_strategy
from pyflow.relation import Relation
from tests.adapters.recording import INVOCATION_A, RecordingConnection

ASK = "SELECT connector_name FROM system.metadata.catalogs WHERE catalog_name = '{}'"


def _adapter(catalog: str, con: Any, **target: Any) -> TrinoAdapter:
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": catalog, "schema": "shop", **target}
    )
    adapter = TrinoAdapter(config, invocation_id=INVOCATION_A, connect=lambda: con, sleep=lambda s: None)
    return adapter


class LazyCursor:
    """A ``trino`` cursor: ``execute`` returns at the first row; the statement commits only
    when its result has been read to the end (as the driver and server behave)."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.pending: str | None = None
        self.rowcount = -1
        self.description = None
        self.query_id = None

    def execute(self, sql: str) -> None:
        self.pending, self.rowcount = sql, -1

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self.pending is not None:
            self.log.append(self.pending)
            self.pending, self.rowcount = None, 3
        return [(3,)]


class LazyConnection:
    def __init__(self) -> None:
        self.committed: list[str] = []

    def cursor(self) -> LazyCursor:
        return LazyCursor(self.committed)

    def close(self) -> None:
        pass


def test_trino_execute_reads_each_statement_to_its_end_so_it_has_committed() -> None:
    con = LazyConnection()
    adapter = _adapter("memory", con)
    rel = Relation("memory", "shop", "t")

    rows = adapter.execute(adapter.create_table_as_sql(rel, "SELECT 1 AS id"))

    assert con.committed == ['CREATE TABLE "memory"."shop"."t" AS\nSELECT 1 AS id']
    assert rows == 3  # the driver's update count, known once the statement finished


@pytest.mark.parametrize(
    ("connector", "strategies"),
    [
        ("memory", ("append",)),
        ("hive", ("append", "insert_overwrite")),
        ("iceberg", ("append", "merge", "delete+insert", "insert_overwrite")),
        ("delta_lake", ("append", "merge", "delete+insert", "insert_overwrite")),
        ("postgresql", ("append", "merge", "delete+insert", "insert_overwrite")),
    ],
)
def test_trino_strategies_follow_the_declared_connector_offline(
    connector: str, strategies: tuple[str, ...]
) -> None:
    con = RecordingConnection()
    adapter = _adapter("lake", con, connector=connector)  # offline: nothing is asked

    assert adapter.incremental_strategies(TableOptions(partitioned_by=("day",))) == strategies
    assert con.statements == []


def test_trino_memory_catalog_refuses_merge_at_compile_time_naming_the_connector() -> None:
    adapter = _adapter("memory", RecordingConnection(), connector="memory")
    cfg = ModelConfig.model_validate({"materialized": "incremental", "unique_key": "id"})

    with pytest.raises(UnsupportedError) as info:
        resolve_strategy(cfg, adapter)

    err = info.value
    assert err.code == "unsupported-strategy"
    assert err.message == (
        "trino cannot apply incremental_strategy 'merge' to tables of catalog 'memory' (memory connector)"
        " (the default with a unique_key)"
    )
    assert err.detail == "trino supports for tables of catalog 'memory' (memory connector): append"


def test_trino_hive_insert_overwrite_needs_partitions() -> None:
    adapter = _adapter("hive", RecordingConnection(), connector="hive")
    cfg = ModelConfig.model_validate(
        {"materialized": "incremental", "incremental_strategy": "insert_overwrite"}
    )

    with pytest.raises(UnsupportedError) as info:
        resolve_strategy(cfg, adapter)

    assert info.value.code == "unsupported-strategy"
    assert "unpartitioned tables of catalog 'hive' (hive connector)" in info.value.message
    partitioned = cfg.model_copy(update={"partitioned_by": "day"})
    assert resolve_strategy(partitioned, adapter) == "insert_overwrite"


def test_trino_memory_cannot_drop_columns_so_sync_all_columns_is_refused() -> None:
    adapter = _adapter("memory", RecordingConnection(), connector="memory")
    cfg = ModelConfig.model_validate({"materialized": "incremental", "on_schema_change": "sync_all_columns"})

    with pytest.raises(UnsupportedError) as info:
        resolve_strategy(cfg, adapter)

    assert info.value.code == "unsupported-schema-change"


def test_trino_asks_the_catalogs_connector_once_when_online() -> None:
    con = RecordingConnection(answer=lambda sql: [("hive",)] if "system.metadata.catalogs" in sql else None)
    adapter = _adapter("warehouse", con)
    adapter.open()

    assert adapter.incremental_strategies(TableOptions()) == ("append",)
    assert adapter.incremental_strategies(TableOptions(partitioned_by=("d",))) == (
        "append",
        "insert_overwrite",
    )
    assert con.statements == [ASK.format("warehouse")]


def test_trino_connector_unknown_while_offline_or_when_not_answered() -> None:
    offline = _adapter("warehouse", RecordingConnection())
    assert "merge" in offline.incremental_strategies(TableOptions())  # compile: nothing asked

    refused = RecordingConnection(fail_on=lambda sql: "system.metadata" in sql)
    adapter = _adapter("warehouse", refused)
    adapter.open()
    assert "merge" in adapter.incremental_strategies(TableOptions())  # the engine's errors then say it


@pytest.mark.parametrize(
    ("connector", "clause"),
    [
        ("hive", "WITH (partitioned_by = ARRAY['day', 'region'])"),
        ("iceberg", "WITH (partitioning = ARRAY['day', 'region'])"),
    ],
)
def test_trino_partitioned_table_uses_the_connectors_property(connector: str, clause: str) -> None:
    adapter = _adapter(connector, RecordingConnection(), connector=connector)
    rel = Relation(connector, "shop", "events")

    sql = adapter.create_table_as_sql(rel, "SELECT 1", TableOptions(partitioned_by=("day", "region")))

    assert sql == f'CREATE TABLE "{connector}"."shop"."events"\n{clause} AS\nSELECT 1'
    assert adapter.partitions_last(TableOptions(partitioned_by=("day",))) is (connector == "hive")


def _hive_with_table(partition_keys: list[str]) -> tuple[TrinoAdapter, RecordingConnection]:
    stored = [
        ("id", "bigint", ""),
        ("v", "varchar", ""),
        *((k, "varchar", "partition key") for k in partition_keys),
    ]
    con = RecordingConnection(answer=lambda sql: stored if sql.startswith("SHOW COLUMNS") else None)
    adapter = _adapter("hive", con, connector="hive")
    adapter.open()
    return adapter, con


def test_trino_hive_insert_overwrite_inserts_under_the_overwrite_session_property() -> None:
    adapter, con = _hive_with_table(["day"])
    target, staging = Relation("hive", "shop", "t"), Relation("hive", "shop", "t__pyflow_batch")

    done = adapter.replace_partitions(
        target, staging, ["day", "id"], [None], TableOptions(partitioned_by=("day",))
    )

    assert done is True
    assert con.statements == [
        'SHOW COLUMNS FROM "hive"."shop"."t"',
        "SET SESSION \"hive\".insert_existing_partitions_behavior = 'OVERWRITE'",
        'INSERT INTO "hive"."shop"."t" ("id", "v", "day")\n'
        'SELECT "id", CAST(NULL AS varchar) AS "v", "day" FROM "hive"."shop"."t__pyflow_batch"',
        'RESET SESSION "hive".insert_existing_partitions_behavior',
    ]


def test_trino_hive_insert_overwrite_resets_the_session_property_when_the_insert_fails() -> None:
    adapter, con = _hive_with_table(["day"])
    con.fail_on = lambda sql: sql.startswith("INSERT")
    target, staging = Relation("hive", "shop", "t"), Relation("hive", "shop", "b")

    with pytest.raises(Exception, match="simulated failure"):
        adapter.replace_partitions(
            target, staging, ["id", "day"], [None], TableOptions(partitioned_by=("day",))
        )

    assert con.statements[-1] == 'RESET SESSION "hive".insert_existing_partitions_behavior'


def test_trino_hive_insert_overwrite_refuses_a_table_partitioned_otherwise() -> None:
    adapter, con = _hive_with_table([])
    target, staging = Relation("hive", "shop", "t"), Relation("hive", "shop", "b")

    with pytest.raises(MaterializationError) as info:
        adapter.replace_partitions(
            target, staging, ["id", "day"], [None], TableOptions(partitioned_by=("day",)), model="t"
        )

    assert info.value.code == "partitioning-changed"
    assert "is partitioned by nothing; nothing was written" in info.value.message
    assert not any(s.startswith(("SET", "INSERT")) for s in con.statements)


def test_trino_hive_frames_store_timestamps_in_milliseconds() -> None:
    import datetime as dt

    import pandas as pd

    con = RecordingConnection()
    adapter = _adapter("hive", con, connector="hive")
    adapter.open()
    frame = pd.DataFrame({"id": [1], "u": [dt.datetime(2024, 1, 1, 0, 0, 0, 123456)]})

    adapter.create_table_from_dataframe(Relation("hive", "shop", "f"), frame)

    assert con.statements[0].splitlines()[1] == (
        'SELECT CAST("id" AS BIGINT) AS "id", CAST("u" AS TIMESTAMP(3)) AS "u"'
    )
    iceberg = RecordingConnection()
    other = _adapter("iceberg", iceberg, connector="iceberg")
    other.create_table_from_dataframe(Relation("iceberg", "shop", "f"), frame)
    assert 'CAST("u" AS TIMESTAMP(6)) AS "u"' in iceberg.statements[0]


def test_snapshot_rebuilt_without_merge_keeps_a_new_source_column_last() -> None:
    # Hive and memory catalogs have no MERGE: the snapshot table is rebuilt and swapped in; it
    # keeps the stored column order (the new column last, where ALTER TABLE ADD put it), as the
    # MERGE path and DuckDB do
    import datetime as dt
    import uuid

    import pandas as pd

    from pyflow.testing import snapshot_step
    from tests.conformance.emulated import HiveLikeTrino, emulated_trino

    adapter = emulated_trino(uuid.uuid4().hex, cls=HiveLikeTrino)
    adapter.execute(adapter.create_schema_sql(adapter.database, adapter.schema))
    config = {"unique_key": "id", "strategy": "check", "check_cols": "all"}
    first = pd.DataFrame({"id": [1, 2], "v": ["a", "b"]})
    second = pd.DataFrame({"id": [1, 2], "v": ["a2", "b"], "w": ["x", None]})
    try:
        s1 = snapshot_step(first, run_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), adapter=adapter, **config)
        s2 = snapshot_step(
            second, s1, run_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC), adapter=adapter, **config
        )
    finally:
        adapter.close()

    meta = ["pyflow_scd_id", "pyflow_updated_at", "pyflow_valid_from", "pyflow_valid_to"]
    assert list(s2.columns) == ["id", "v", *meta, "w"]
    rows = zip(s2["id"], s2["v"], [None if pd.isna(w) else w for w in s2["w"]], strict=True)
    assert sorted(rows, key=repr) == [(1, "a", None), (1, "a2", "x"), (2, "b", None)]


def test_iceberg_refusing_a_column_type_change_is_not_retried_as_a_commit_conflict() -> None:
    from pyflow.errors import AdapterError
    from tests.adapters.recording import DriverError

    refused = DriverError(
        'TrinoExternalError(type=EXTERNAL, name=ICEBERG_COMMIT_ERROR, message="Failed to set column type: '
        'Cannot change column type: v: string -> long")'
    )
    con = RecordingConnection(failures=[refused, refused, refused, refused])
    adapter = _adapter("iceberg", con, connector="iceberg")

    with pytest.raises(AdapterError) as info:
        adapter.execute('ALTER TABLE "iceberg"."shop"."t" ALTER COLUMN "v" SET DATA TYPE bigint')

    assert info.value.code == "database-error"  # not database-throttled after 4 attempts
    assert len(con.statements) == 1
    assert "Cannot change column type: v: string -> long" in info.value.message
