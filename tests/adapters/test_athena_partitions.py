"""Athena Hive partitions: writes planned within the 100-partition limit, overwrites by new
prefixes and Glue repointing, partitioned rebuilds; Iceberg MERGE (recording connection + moto)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pyflow.adapters.athena import AthenaAdapter
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import AdapterError
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import IncrementalMaterializer
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation
from tests.adapters.athena_sim import (
    AthenaLake,
    add_partitions,
    hive_table,
    keys,
    partitions,
    put,
    table,
)
from tests.adapters.recording import RecordingConnection, record_aws_calls
from tests.adapters.recording import athena_adapter as _adapter

REL = Relation("awsdatacatalog", "shop", "events")
SQL = "SELECT id, amount, day FROM raw_events"
DAYS = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(250)]
OLD = "s3://bucket/tables/shop/events/old-run/"
BATCH = "events__pyflow_batch_aaaaaaaa"
STAGE = "events__pyflow_stage_aaaaaaaa"
OVERWRITE = "events__pyflow_overwrite_aaaaaaaa"
TMP = "events__pyflow_tmp_aaaaaaaa"
EVENT_COLUMNS = [("id", "integer"), ("amount", "double"), ("day", "date")]


def _job(adapter: AthenaAdapter, materialized: str = "incremental", **config: Any) -> Job:
    return Job(
        name="events",
        relation=REL,
        adapter=adapter,
        sql=SQL,
        incremental=materialized == "incremental",
        config=ModelConfig(materialized=materialized, **config),
    )


def _distinct_days(days: list[str]) -> Any:
    """Answers the planning query with ``days`` as the driver returns them (dates)."""

    def answer(sql: str) -> list[tuple[Any, ...]] | None:
        if sql.startswith('SELECT DISTINCT "day"'):
            return [(dt.date.fromisoformat(d),) for d in days]
        return None

    return answer


def _old_events(days: list[str]) -> None:
    """An existing partitioned Hive ``shop.events`` at OLD with the given days."""
    hive_table("shop", "events", OLD, partitioned=True)
    add_partitions("shop", "events", OLD, days)


def _location(name: str) -> str:
    """Where this run's table ``name`` is written (s3_data_naming: schema_table_unique)."""
    adapter = _adapter(RecordingConnection())
    return f"s3://bucket/tables/shop/{name}/{adapter.unique_suffix(REL.with_identifier(name))}/"


def _days_filter(days: list[str]) -> str:
    """The row filter of one batch of partitions, as the writer spells it."""
    return "(" + " OR ".join(f"(\"day\" = DATE '{d}')" for d in days) + ")"


def _ctas(name: str, select: str, partitioned: bool) -> str:
    parts = ",\n  partitioned_by = ARRAY['day']" if partitioned else ""
    return (
        f'CREATE TABLE "awsdatacatalog"."shop"."{name}"\n'
        f"WITH (\n  external_location = '{_location(name)}',\n  format = 'PARQUET'{parts}\n) AS\n{select}"
    )


def _discarded(name: str, objects: int = 1, beside: str = "events") -> list[str]:
    """The calls that drop a Hive working table and delete its ``objects`` files."""
    return [
        f"glue.GetTable shop.{name}",
        f"glue.GetTable shop.{beside}",
        f"s3.ListObjectsV2 bucket/{_location(name).removeprefix('s3://bucket/')}",
        f"s3.DeleteObjects bucket {objects}",
        f"DROP TABLE IF EXISTS `shop`.`{name}`",  # the Glue entry last: the files go first
    ]


def _prefix(url: str) -> str:
    return url.removeprefix("s3://bucket/")


# ---- the acceptance case: insert_overwrite of 250 partitions ---------------------------------
def test_insert_overwrite_of_250_partitions_writes_3_batches_to_new_prefixes_then_repoints_glue(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_events(DAYS[:10])  # 10 of the 250 days exist; their data must be replaced, then deleted
    put("s3://bucket/tables/shop/events/old-run-2/keep.parquet")  # a sibling prefix: not ours
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", "events"): EVENT_COLUMNS, ("shop", BATCH): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS),
        answer=_distinct_days(DAYS),
        row_count=1000,
    )
    record_aws_calls(monkeypatch, con.statements)

    outcome = IncrementalMaterializer().build(
        _job(_adapter(con), incremental_strategy="insert_overwrite", partitioned_by="day")
    )

    batch = f'"awsdatacatalog"."shop"."{BATCH}"'
    select = f'SELECT "id", "amount", "day" FROM {batch}'
    into = f'INSERT INTO "awsdatacatalog"."shop"."{OVERWRITE}" ("id", "amount", "day")\n{select}\nWHERE '
    assert (
        con.sent()
        == [
            _ctas(BATCH, SQL, partitioned=False),  # the batch, staged once
            f'SELECT DISTINCT "day" FROM {batch} ORDER BY "day"',  # its partitions, planned up front
            "glue.GetTable shop.events",  # the table must be partitioned by day in Glue
            _ctas(OVERWRITE, f"{select}\nWHERE {_days_filter(DAYS[:100])}", partitioned=True),
            into + _days_filter(DAYS[100:200]),
            into + _days_filter(DAYS[200:]),
            f"glue.GetPartitions shop.{OVERWRITE}",
            "glue.BatchGetPartition shop.events 250",
            "glue.BatchUpdatePartition shop.events 10",  # the 10 existing days now read new prefixes
            "glue.BatchCreatePartition shop.events 100",
            "glue.BatchCreatePartition shop.events 100",
            "glue.BatchCreatePartition shop.events 40",
            f"glue.DeleteTable shop.{OVERWRITE}",  # the temporary entry; its files are the target's now
            *[
                call
                for day in DAYS[:10]
                for call in (
                    f"s3.ListObjectsV2 bucket/tables/shop/events/old-run/day={day}/",
                    "s3.DeleteObjects bucket 1",
                )
            ],
            f"SELECT count(*) FROM {batch}",
            *_discarded(BATCH),
        ]
    )
    assert outcome.rows == 1000
    new = _location(OVERWRITE)
    assert partitions("events") == {day: f"{new}day={day}/" for day in DAYS}
    assert table(OVERWRITE) is None and table(BATCH) is None
    assert keys("tables/shop/events/") == ["tables/shop/events/old-run-2/keep.parquet"]  # old days gone
    assert keys(_prefix(new)) == sorted(f"{_prefix(new)}day={d}/part-00000.parquet" for d in DAYS)
    assert keys(_prefix(_location(BATCH))) == []


def test_insert_overwrite_failing_in_a_batch_leaves_the_target_and_cleans_up(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_events(DAYS[:10])
    before = partitions("events")
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", "events"): EVENT_COLUMNS, ("shop", BATCH): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS),
        answer=_distinct_days(DAYS),
        fail_on=lambda sql: sql.startswith("INSERT INTO") and f"DATE '{DAYS[200]}'" in sql,
    )
    record_aws_calls(monkeypatch, con.statements)

    with pytest.raises(AdapterError, match="simulated failure"):
        IncrementalMaterializer().build(
            _job(_adapter(con), incremental_strategy="insert_overwrite", partitioned_by="day")
        )

    sent = con.sent()
    failed = next(i for i, s in enumerate(sent) if s.startswith("INSERT INTO") and f"DATE '{DAYS[200]}'" in s)
    # the 200 partitions written so far are deleted with the temporary table
    assert sent[failed + 1 :] == [*_discarded(OVERWRITE, objects=200), *_discarded(BATCH)]
    assert not any(s.startswith("glue.Batch") for s in sent)  # the target's partitions never changed
    assert partitions("events") == before
    assert keys("tables/shop/events/old-run/") == sorted(
        f"tables/shop/events/old-run/day={d}/part-00000.parquet" for d in DAYS[:10]
    )
    assert keys(_prefix(_location(OVERWRITE))) == [] and table(OVERWRITE) is None


def test_insert_overwrite_on_a_table_partitioned_otherwise_fails_before_writing(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyflow.errors import MaterializationError

    hive_table("shop", "events", OLD, partitioned=False)  # built before partitioned_by was set
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", "events"): EVENT_COLUMNS, ("shop", BATCH): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS[:3]),
        answer=_distinct_days(DAYS[:3]),
    )
    with pytest.raises(MaterializationError) as caught:
        IncrementalMaterializer().build(
            _job(_adapter(con), incremental_strategy="insert_overwrite", partitioned_by="day")
        )
    assert caught.value.code == "partitioning-changed"
    assert "partitioned by nothing in Glue" in caught.value.message
    assert "--full-refresh --select events" in (caught.value.hint or "")
    assert not [s for s in con.sent() if s.startswith(("INSERT", "MERGE")) or OVERWRITE in s]
    assert table(BATCH) is None and table(OVERWRITE) is None


def test_insert_overwrite_within_the_limit_is_one_ctas(lake: None) -> None:
    _old_events(DAYS[:3])
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", "events"): EVENT_COLUMNS, ("shop", BATCH): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS[2:5]),
        answer=_distinct_days(DAYS[2:5]),
    )
    IncrementalMaterializer().build(
        _job(_adapter(con), incremental_strategy="insert_overwrite", partitioned_by="day")
    )
    writes = [s for s in con.sent() if s.startswith(("CREATE TABLE", "INSERT INTO"))]
    select = f'SELECT "id", "amount", "day" FROM "awsdatacatalog"."shop"."{BATCH}"'
    assert writes == [_ctas(BATCH, SQL, partitioned=False), _ctas(OVERWRITE, select, partitioned=True)]
    new = _location(OVERWRITE)
    assert (
        partitions("events")
        == {
            DAYS[0]: f"{OLD}day={DAYS[0]}/",  # untouched: not in the batch
            DAYS[1]: f"{OLD}day={DAYS[1]}/",
            **{d: f"{new}day={d}/" for d in DAYS[2:5]},
        }
    )
    assert keys("tables/shop/events/old-run/") == sorted(
        f"tables/shop/events/old-run/day={d}/part-00000.parquet" for d in DAYS[:2]
    )


def test_partition_batch_size_sets_the_limit(lake: None) -> None:
    _old_events([])
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", "events"): EVENT_COLUMNS, ("shop", BATCH): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS[:5]),
        answer=_distinct_days(DAYS[:5]),
    )
    IncrementalMaterializer().build(
        _job(
            _adapter(con),
            incremental_strategy="insert_overwrite",
            partitioned_by="day",
            partition_batch_size=2,
        )
    )
    writes = [s for s in con.sent() if s.startswith(("CREATE TABLE", "INSERT INTO")) and OVERWRITE in s]
    assert [w.split()[0] for w in writes] == ["CREATE", "INSERT", "INSERT"]
    assert [w.count("DATE '") for w in writes] == [2, 2, 1]
    assert sorted(partitions("events")) == DAYS[:5]


def test_append_to_a_partitioned_hive_table_inserts_in_batches(lake: None) -> None:
    _old_events(DAYS[:1])
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", "events"): EVENT_COLUMNS, ("shop", BATCH): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS),
        answer=_distinct_days(DAYS),
    )
    IncrementalMaterializer().build(_job(_adapter(con), incremental_strategy="append", partitioned_by="day"))
    inserts = [s for s in con.sent() if s.startswith("INSERT INTO")]
    batch = f'"awsdatacatalog"."shop"."{BATCH}"'
    assert inserts == [
        f'INSERT INTO "awsdatacatalog"."shop"."events" ("id", "amount", "day")\n'
        f'SELECT "id", "amount", "day" FROM {batch}\nWHERE {_days_filter(days)}'
        for days in (DAYS[:100], DAYS[100:200], DAYS[200:])
    ]


# ---- rebuilding a partitioned Hive table ------------------------------------------------------
def test_partitioned_hive_rebuild_writes_batches_then_swaps_table_and_partitions_in_glue(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_events(["2023-12-31", *DAYS[:9]])  # 2023-12-31 is not in the new data: its partition goes
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", STAGE): [("day", "date"), ("id", "integer"), ("amount", "double")]},
        on_execute=AthenaLake(DAYS),
        answer=_distinct_days(DAYS),
    )
    record_aws_calls(monkeypatch, con.statements)

    TableMaterializer().build(_job(_adapter(con), "table", partitioned_by=["day"]))

    stage = f'"awsdatacatalog"."shop"."{STAGE}"'
    select = f'SELECT "id", "amount", "day" FROM {stage}'  # the partition column moved last
    into = f'INSERT INTO "awsdatacatalog"."shop"."{TMP}" ("id", "amount", "day")\nSELECT "id", "amount", "day" FROM {stage}\nWHERE '
    new = _location(TMP)
    assert con.sent() == [
        _ctas(STAGE, SQL, partitioned=False),
        f'SELECT DISTINCT "day" FROM {stage} ORDER BY "day"',
        _ctas(TMP, f"{select}\nWHERE {_days_filter(DAYS[:100])}", partitioned=True),
        into + _days_filter(DAYS[100:200]),
        into + _days_filter(DAYS[200:]),
        *_discarded(STAGE),
        f"glue.GetTable shop.{TMP}",
        f"glue.GetPartitions shop.{TMP}",
        "glue.GetTable shop.events",
        "glue.GetPartitions shop.events",
        "glue.UpdateTable shop.events",
        "glue.BatchUpdatePartition shop.events 9",
        "glue.BatchCreatePartition shop.events 100",
        "glue.BatchCreatePartition shop.events 100",
        "glue.BatchCreatePartition shop.events 41",
        "glue.BatchDeletePartition shop.events 1",
        f"s3.ListObjectsV2 bucket/{_prefix(OLD)}",  # the old table's prefix holds its partitions
        "s3.DeleteObjects bucket 10",  # (the partitions' prefixes inside it are not listed again)
        f"glue.DeleteTable shop.{TMP}",  # last: while it exists, the next run finishes the swap
    ]
    found = table("events")
    assert found is not None and found["StorageDescriptor"]["Location"] == new
    assert [k["Name"] for k in found["PartitionKeys"]] == ["day"]
    assert partitions("events") == {d: f"{new}day={d}/" for d in DAYS}
    assert table(TMP) is None and table(STAGE) is None
    assert keys(_prefix(OLD)) == []
    assert len(keys(_prefix(new))) == 250


def test_partitioned_hive_rebuild_failing_in_glue_after_the_update_keeps_both_datasets(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_events(DAYS[:3])
    real = AthenaAdapter.aws_client

    def aws_client(self: AthenaAdapter, service: str) -> Any:
        client = real(self, service)

        def refuse(**kwargs: Any) -> None:
            raise RuntimeError("AccessDeniedException: glue:BatchCreatePartition")

        if service == "glue":
            monkeypatch.setattr(client, "batch_create_partition", refuse)
        return client

    monkeypatch.setattr(AthenaAdapter, "aws_client", aws_client)
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "events"): "BASE TABLE"},
        columns={("shop", STAGE): EVENT_COLUMNS},
        on_execute=AthenaLake(DAYS[:5]),
        answer=_distinct_days(DAYS[:5]),
    )

    with pytest.raises(AdapterError, match="BatchCreatePartition"):
        TableMaterializer().build(_job(_adapter(con), "table", partitioned_by=["day"]))

    # the table already read the new definition: nothing it may read is deleted, and the
    # temporary Glue entry stays, so that the next run finishes the swap (test_athena_swap_recovery.py)
    assert table(TMP) is not None
    assert len(keys(_prefix(_location(TMP)))) == 5
    assert len(keys(_prefix(OLD))) == 3


# ---- paging: every partition is read, however Glue pages them --------------------------------


def test_glue_partitions_reads_every_page(lake: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Glue returns partitions in pages: all 250 are read, over the 7 pages of 40 asked for here.

    The page size is forced (MaxResults is injected into each GetPartitions call), so the test
    does not depend on the page size of the Glue stand-in's release.
    """
    _old_events(DAYS)
    sent: list[str] = []
    pages: list[str] = []
    record_aws_calls(monkeypatch, sent, pages)
    adapter = _adapter(RecordingConnection())
    glue = adapter.aws_client("glue")

    def small_pages(params: dict[str, Any], **kwargs: Any) -> None:
        params["MaxResults"] = 40

    glue.meta.events.register("provide-client-params.glue.GetPartitions", small_pages)

    found = adapter.glue_partitions(glue, REL)

    assert sorted(p["Values"][0] for p in found) == DAYS
    assert sent == ["glue.GetPartitions shop.events"]
    assert pages == ["glue.GetPartitions shop.events"] * 6  # pages 2..7 of 40, 40, ... 10
