"""An Athena Hive swap through Glue killed at any step is recovered by the next run (issue 10, item 6).

A Hive table is rebuilt at a fresh S3 prefix and swapped in through Glue: UpdateTable points the
target at the new prefix (the switch), partitions are repointed, the old data is deleted, and the
temporary Glue entry is deleted last. Here moto holds Glue and S3, :class:`AthenaLake` applies
each statement's effect on them, and a kill is simulated at step k of the build (SQL statement
or AWS call): that step and every later one raise, so no handler of pyflow runs either. The next
run's recovery (:func:`pyflow.adapters.recovery.recover_swaps`, as the runner calls it) must leave
the target reading the old data if the switch had not happened, the new data if it had, no
``__pyflow_`` Glue entry, and no S3 object that no table reads (besides a sibling prefix that is
not pyflow's, which must survive); a healthy rebuild then works and leaves the same.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.base import TableOptions
from pyflow.adapters.recovery import SwapTarget, recover_swaps
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import PyflowError
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation
from tests.adapters import athena_sim
from tests.adapters.athena_sim import (
    AthenaLake,
    add_partitions,
    hive_table,
    keys,
    partitions,
    put,
    table,
)
from tests.adapters.recording import INVOCATION_A, INVOCATION_B, RecordingConnection
from tests.adapters.recording import athena_adapter as _adapter

INVOCATION_C = "cccccccc-9999-aaaa-bbbb-cccccccccccc"
OLD = "s3://bucket/tables/shop/{name}/old-run/"
SIBLING = "tables/shop/{name}/old-run-2/keep.parquet"
"""Not pyflow's: a prefix beside the old table's, which no cleanup may touch."""
DAYS = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(5)]


class Killed(Exception):
    """What every step raises once the simulated process is dead."""


class Kill:
    """Kills the run at step ``at`` (0-based over SQL statements and AWS calls; catalog queries
    are not steps): that step and everything after it raise :class:`Killed`."""

    def __init__(self, at: int | None) -> None:
        self.at = at
        self.steps: list[str] = []
        self.dead = False

    def step(self, name: str) -> None:
        if not self.dead and len(self.steps) == self.at:
            self.dead = True
        if self.dead:
            raise Killed(f"killed before {name}")
        self.steps.append(name)


class GlueTables:
    """The recording connection's catalog answers, read live from moto's Glue (as Athena's are)."""

    def get(self, key: tuple[str, str]) -> str | None:
        return "BASE TABLE" if table(key[1], key[0]) is not None else None


def _listing(sql: str) -> list[tuple[Any, ...]] | None:
    """Athena's ``information_schema.tables`` over Glue, for the leftover listing."""
    if "LIKE '%pyflow%'" not in sql:
        return None
    pages = athena_sim.glue().get_paginator("get_tables").paginate(DatabaseName="shop")
    return [(t["Name"], "BASE TABLE") for page in pages for t in page["TableList"] if "pyflow" in t["Name"]]


def _connection(kill: Kill | None, days: list[str]) -> RecordingConnection:
    def fail_on(sql: str) -> bool:
        if kill is None:
            return False
        if "information_schema" in sql:  # a catalog query is no step, but the dead ask nothing
            if kill.dead:
                raise Killed(f"killed before {sql.splitlines()[0]}")
            return False
        kill.step(sql.splitlines()[0])
        return False

    con = RecordingConnection(schemas={"shop"}, on_execute=AthenaLake(days), fail_on=fail_on, answer=_listing)
    con.tables = GlueTables()  # type: ignore[assignment]
    return con


@pytest.fixture
def killable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Kill | None], None]]:
    """``killable(kill)``: every boto3 client the adapters create from now on counts its calls as
    steps of ``kill`` (None: healthy)."""
    current: list[Kill | None] = [None]
    real = AthenaAdapter.aws_client
    clients: dict[str, Any] = {}  # one per service (all adapters here share moto): creating them is slow

    def aws_client(self: AthenaAdapter, service: str) -> Any:
        if service in clients:
            return clients[service]
        client = clients[service] = real(self, service)

        def before(model: Any, params: dict[str, Any], **kwargs: Any) -> None:
            kill = current[0]
            if kill is not None and not any(params.get(t) for t in ("NextToken", "ContinuationToken")):
                kill.step(f"{service}.{model.name}")

        client.meta.events.register("before-parameter-build", before)
        return client

    monkeypatch.setattr(AthenaAdapter, "aws_client", aws_client)
    for service in ("glue", "s3"):  # the stand-ins of athena_sim reuse one client each too
        monkeypatch.setattr(athena_sim, service, functools.cache(getattr(athena_sim, service)))

    def set_kill(kill: Kill | None) -> None:
        current[0] = kill

    yield set_kill


def _reset() -> None:
    """Empty moto's Glue database ``shop`` and bucket ``bucket`` (one test tries every step)."""
    for page in athena_sim.glue().get_paginator("get_tables").paginate(DatabaseName="shop"):
        for t in page["TableList"]:
            athena_sim.glue().delete_table(DatabaseName="shop", Name=t["Name"])
    for key in keys():
        athena_sim.s3().delete_object(Bucket="bucket", Key=key)


def _job(adapter: AthenaAdapter, name: str, partitioned: bool) -> Job:
    config = ModelConfig(materialized="table", partitioned_by=["day"] if partitioned else None)
    return Job(
        name=name,
        relation=Relation("awsdatacatalog", "shop", name),
        adapter=adapter,
        sql="SELECT id, amount, day FROM raw",
        config=config,
    )


def _data_location(name: str, invocation: str) -> str:
    adapter = _adapter(RecordingConnection(), invocation)
    tmp = adapter.temp_relation(Relation("awsdatacatalog", "shop", name))
    return f"s3://bucket/tables/shop/{tmp.identifier}/{adapter.unique_suffix(tmp)}/"


def _objects(location: str, partitioned: bool, days: list[str]) -> list[str]:
    prefix = location.removeprefix("s3://bucket/")
    if partitioned:
        return [f"{prefix}day={d}/part-00000.parquet" for d in days]
    return [f"{prefix}part-00000.parquet"]


def _reads(name: str, location: str, partitioned: bool, days: list[str]) -> None:
    """The table reads exactly ``location`` (and its ``days``), no other object but the sibling exists,
    and no ``__pyflow_`` Glue entry is left."""
    found = table(name)
    assert found is not None and found["StorageDescriptor"]["Location"] == location
    if partitioned:
        assert partitions(name) == {d: f"{location}day={d}/" for d in days}
    assert keys() == sorted([*_objects(location, partitioned, days), SIBLING.format(name=name)])
    pages = athena_sim.glue().get_paginator("get_tables").paginate(DatabaseName="shop")
    assert [t["Name"] for page in pages for t in page["TableList"]] == [name]


def _old_table(name: str, partitioned: bool, days: list[str]) -> None:
    old = OLD.format(name=name)
    hive_table("shop", name, old, partitioned=partitioned)
    if partitioned:
        add_partitions("shop", name, old, days)
    else:
        put(old + "part-00000.parquet")
    put(f"s3://bucket/{SIBLING.format(name=name)}")


SWAPS = {
    "unpartitioned": [
        "CREATE TABLE",
        "glue.GetTable",
        "glue.GetTable",
        "glue.UpdateTable",  # the switch
        "s3.ListObjectsV2",
        "s3.DeleteObjects",
        "glue.DeleteTable",
    ],
    "partitioned": [
        "CREATE TABLE",  # staging (all rows), to plan the partitions
        'SELECT DISTINCT "day"',
        "CREATE TABLE",  # the new table, in batches within the partition limit
        "glue.GetTable",  # staging discarded: its files, then its Glue entry
        "glue.GetTable",
        "s3.ListObjectsV2",
        "s3.DeleteObjects",
        "DROP TABLE IF EXISTS",
        "glue.GetTable",  # the swap
        "glue.GetPartitions",
        "glue.GetTable",
        "glue.GetPartitions",
        "glue.UpdateTable",  # the switch
        "glue.BatchUpdatePartition",
        "glue.BatchCreatePartition",
        "glue.BatchDeletePartition",
        "s3.ListObjectsV2",
        "s3.DeleteObjects",
        "glue.DeleteTable",
    ],
}


RECOVERED = {  # per kill step (and a last run never killed): what the next run's recovery does
    "unpartitioned": ["", *["tmp"] * 3, *["finish"] * 3, ""],
    "partitioned": ["", *["stage"] * 2, *["stage+tmp"] * 5, *["tmp"] * 5, *["finish"] * 6, ""],
}


@pytest.mark.parametrize("layout", ["unpartitioned", "partitioned"])
def test_athena_hive_swap_killed_at_each_step_is_recovered_by_the_next_run(
    lake: None, killable: Callable[[Kill | None], None], layout: str
) -> None:
    partitioned = layout == "partitioned"
    name = "events" if partitioned else "orders"
    old_days, new_days = (["2023-12-31", *DAYS[:2]], DAYS) if partitioned else ([], [])
    target = Relation("awsdatacatalog", "shop", name)
    options = TableOptions(partitioned_by=("day",) if partitioned else ())
    new = _data_location(name, INVOCATION_A)
    outcomes = []
    for step in range(len(SWAPS[layout]) + 1):
        _reset()
        _old_table(name, partitioned, old_days)
        kill = Kill(step)
        killable(kill)
        try:
            TableMaterializer().build(_job(_adapter(_connection(kill, new_days)), name, partitioned))
        except (Killed, PyflowError):
            pass
        assert len(kill.steps) == step
        assert all(a.startswith(b) for a, b in zip(kill.steps, SWAPS[layout], strict=False)), kill.steps
        switched = "glue.UpdateTable" in SWAPS[layout][:step]

        killable(None)
        adapter = _adapter(_connection(None, new_days), INVOCATION_B)
        recovery = recover_swaps(adapter, [SwapTarget(name, target, options)])

        assert recovery.errors == {}, step
        if switched:
            _reads(name, new, partitioned, new_days)
        else:
            _reads(name, OLD.format(name=name), partitioned, old_days)
        outcomes.append((step, switched, recovery.actions.get(name, [])))

        TableMaterializer().build(
            _job(_adapter(_connection(None, new_days), INVOCATION_C), name, partitioned)
        )
        _reads(name, _data_location(name, INVOCATION_C), partitioned, new_days)

    # what the recovery said it did, per step: nothing when nothing was left (killed before the
    # first step, or never), else one sentence per temporary table of the target
    tmp, stage = f"shop.{name}__pyflow_tmp_aaaaaaaa", f"shop.{name}__pyflow_stage_aaaaaaaa"
    finished = (
        f"finished swapping {tmp} in (the target reads its data; deleted the old data at "
        f"s3://bucket/tables/shop/{name}/old-run/), dropped its Glue entry"
    )
    said = {
        "": [],
        "tmp": [f"dropped {tmp}"],
        "stage": [f"dropped {stage}"],
        "stage+tmp": [f"dropped {stage}", f"dropped {tmp}"],
        "finish": [finished],
    }
    assert [actions for _, _, actions in outcomes] == [said[key] for key in RECOVERED[layout]]
    assert [switched for _, switched, _ in outcomes] == [
        key == "finish" for key in RECOVERED[layout][:-1]
    ] + [
        True  # the run that was never killed
    ]
