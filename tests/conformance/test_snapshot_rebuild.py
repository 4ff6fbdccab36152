"""Snapshots rebuilt and swapped (tables without MERGE: Athena Hive) equal snapshots by MERGE.

A differential test on real engines: the same random histories (from the property suite) are
snapshotted by the Trino adapter's one-MERGE path and by its rebuild-and-swap path (the adapter
told its tables have no row-level writes), both on DuckDB behind sqlglot. After every run the
two tables must hold the same rows, including every meta column.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from pyflow.adapters.trino import TrinoAdapter
from pyflow.core.nodeconfig import SnapshotConfig

from .emulated import HiveLikeTrino, emulated_trino
from .tables import TARGET, relation, reset
from .test_snapshot_properties import META, STRATEGIES, History, histories, read, snapshot


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[TrinoAdapter, TrinoAdapter]]:
    merging = emulated_trino(uuid.uuid4().hex)
    rebuilding = emulated_trino(uuid.uuid4().hex, cls=HiveLikeTrino)
    for adapter in (merging, rebuilding):
        adapter.execute(adapter.create_schema_sql(adapter.database, adapter.schema))
    yield merging, rebuilding
    for adapter in (merging, rebuilding):
        reset(adapter)
        adapter.close()


def test_the_rebuild_path_is_really_taken(engines: tuple[TrinoAdapter, TrinoAdapter]) -> None:
    from datetime import UTC, datetime

    from pyflow.materializers.base import Job
    from pyflow.materializers.snapshot import SnapshotMaterializer

    from .tables import select_rows
    from .test_snapshot_properties import COLUMNS

    cfg = SnapshotConfig.model_validate({"unique_key": "id", **STRATEGIES["check-list"]})
    sent: dict[str, list[str]] = {}
    for adapter in engines:
        adapter.execute(adapter.drop_relation_sql(relation(adapter, TARGET), "table"))
        for value in ("a", "b"):
            job = Job(
                name=TARGET,
                relation=relation(adapter, TARGET),
                adapter=adapter,
                sql=select_rows(adapter, COLUMNS, ((1, value, datetime(2024, 1, 1)),)),
                config=cfg,
                run_started_at=datetime(2024, 1, 2, tzinfo=UTC)
                if value == "b"
                else datetime(2024, 1, 1, tzinfo=UTC),
            )
            SnapshotMaterializer().build(job)
        sent[type(adapter).__name__] = [s.split()[0] for s in job.log.statements]
    assert "MERGE" in sent["TrinoAdapter"] and "ALTER" not in sent["TrinoAdapter"]
    assert "MERGE" not in sent["HiveLikeTrino"] and sent["HiveLikeTrino"].count("ALTER") >= 2  # renames


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(history=histories())
def test_rebuilt_snapshots_equal_merged_snapshots(
    engines: tuple[TrinoAdapter, TrinoAdapter], history: History
) -> None:
    cfg = SnapshotConfig.model_validate(
        {"unique_key": "id", "hard_deletes": history.mode, **STRATEGIES[history.strategy]}
    )
    meta = [META.scd_id, META.updated_at, META.valid_from, META.valid_to]
    columns = ["id", "v", "u", *meta, *([META.is_deleted] if history.mode == "new_record" else [])]
    for adapter in engines:
        adapter.execute(adapter.drop_relation_sql(relation(adapter, TARGET), "table"))
    merging, rebuilding = engines
    for at, rows in history.runs:
        snapshot(merging, cfg, rows, at)
        snapshot(rebuilding, cfg, rows, at)
        assert read(rebuilding, columns) == read(merging, columns)
