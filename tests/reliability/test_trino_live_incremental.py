"""Incremental runs on a live Trino 476: partition overwrite, and batches that fail partway (issue 13).

A model is built twice through the CLI on a schema of its own (:mod:`.trinolive`), and a reader
on its own connection compares the target's rows.

- ``insert_overwrite`` of a partitioned table (``hive``: the catalog's overwrite session
  property; ``iceberg``: one MERGE) replaces exactly the partitions the batch holds: the others
  keep their rows, new partitions are added.
- A second run whose SELECT fails partway through its rows (a division by zero at one row)
  leaves the target exactly as it was, with no temporary table, for ``delete+insert`` and
  ``insert_overwrite`` on ``iceberg`` and ``insert_overwrite`` of partitions on ``hive``: the
  batch is staged in a working table first (``<model>__pyflow_batch_<run>``), and that statement
  is the one that fails.
- On ``hive``, a model selecting its partition column first is stored with it last and
  overwritten by name, and ``--full-refresh`` rebuilds it; with ``partition_batch_size`` the
  partitions are written one statement (one commit) per batch: a kill between two leaves each
  partition whole, and the next run converges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .trinolive import KillSwitch, LiveSchema, live_schema

pytestmark = pytest.mark.trino

Rows = list[tuple[int, str, int]]
FIRST: Rows = [(1, "a", 1), (2, "b", 1), (3, "c", 2), (4, "d", 3)]
BATCH: Rows = [(5, "e", 2), (6, "f", 4)]
"""Partition ``day = 2`` is replaced, ``day = 4`` is new, days 1 and 3 are not touched."""

CONFIGS = {
    "delete+insert": "incremental_strategy='delete+insert', unique_key='id'",
    "insert_overwrite": "incremental_strategy='insert_overwrite', partitioned_by=['day']",
}


def model(config: str, rows: Rows, *, fail_at: int | None = None) -> str:
    """An incremental model selecting ``rows`` (id, v, day); ``fail_at``: 1 / 0 at that id."""
    values = ", ".join(f"({i}, '{v}', {d})" for i, v, d in rows)
    where = "" if fail_at is None else f"\nwhere 1 / (id - {fail_at}) is not null"
    return (
        f"{{{{ config(materialized='incremental', {config}) }}}}\n"
        f"select id, cast(v as varchar) as v, day from (values {values}) as t(id, v, day){where}"
    )


@pytest.fixture
def events(
    request: pytest.FixtureRequest, trino_server: Any, make_project: Callable[..., Path]
) -> Iterator[LiveSchema]:
    """A project whose model ``events`` builds on the catalog given by the test's ``catalog``."""
    yield from live_schema(trino_server, request.node.callspec.params["catalog"], make_project, {})


def run(pyflow: Callable[..., Any], side: LiveSchema, sql: str, *, expect: int = 0) -> str:
    (side.project / "models").mkdir(exist_ok=True)
    (side.project / "models" / "events.sql").write_text(sql, encoding="utf-8")
    result = pyflow("run", "--project-dir", side.project, "--profiles-dir", side.project, expect=expect)
    return str(result.output)


@pytest.mark.parametrize("catalog", ["hive", "iceberg"])
def test_trino_live_insert_overwrite_replaces_only_the_partitions_of_the_batch(
    events: LiveSchema, pyflow: Callable[..., Any], catalog: str
) -> None:
    run(pyflow, events, model(CONFIGS["insert_overwrite"], FIRST))
    assert events.rows("events") == FIRST

    run(pyflow, events, model(CONFIGS["insert_overwrite"], BATCH))

    assert events.rows("events") == [(1, "a", 1), (2, "b", 1), (4, "d", 3), (5, "e", 2), (6, "f", 4)]
    assert events.leftovers() == []
    if catalog == "hive":  # stored as Hive partitions, one per day
        partitions = events.fetch(f'SELECT day FROM {catalog}.{events.schema}."events$partitions" ORDER BY 1')
        assert [tuple(p) for p in partitions] == [(1,), (2,), (3,), (4,)]


@pytest.mark.parametrize(
    ("catalog", "strategy"),
    [
        pytest.param("iceberg", "delete+insert", id="iceberg-delete+insert"),
        pytest.param("iceberg", "insert_overwrite", id="iceberg-insert_overwrite"),
        pytest.param("hive", "insert_overwrite", id="hive-insert_overwrite"),
    ],
)
def test_trino_live_incremental_failing_partway_leaves_the_target_as_it_was(
    events: LiveSchema, pyflow: Callable[..., Any], catalog: str, strategy: str
) -> None:
    run(pyflow, events, model(CONFIGS[strategy], FIRST))
    before = events.rows("events")
    assert before == FIRST

    # the batch's rows fail at id 6, after id 5 (which replaces partition 2 / key 5) was computed
    output = run(pyflow, events, model(CONFIGS[strategy], BATCH, fail_at=6), expect=1)

    assert "Division by zero" in output, output
    assert events.rows("events") == before
    assert events.leftovers() == []
    # and the table is still usable: the same batch without the failure is applied normally
    run(pyflow, events, model(CONFIGS[strategy], BATCH))
    expected = (
        [*FIRST, *BATCH]
        if strategy == "delete+insert"
        else [(1, "a", 1), (2, "b", 1), (4, "d", 3), (5, "e", 2), (6, "f", 4)]
    )
    assert events.rows("events") == expected


@pytest.mark.parametrize("catalog", ["hive"])
def test_trino_live_partitioned_model_selecting_its_partition_first_overwrites_and_full_refreshes(
    events: LiveSchema, pyflow: Callable[..., Any], catalog: str
) -> None:
    def first(sql: str) -> str:  # the partition column first in the model's SELECT
        return sql.replace(
            "select id, cast(v as varchar) as v, day", "select day, id, cast(v as varchar) as v"
        )

    run(pyflow, events, first(model(CONFIGS["insert_overwrite"], FIRST)))
    run(pyflow, events, first(model(CONFIGS["insert_overwrite"], BATCH)))
    assert events.rows("events") == [(1, "a", 1), (2, "b", 1), (4, "d", 3), (5, "e", 2), (6, "f", 4)]

    (events.project / "models" / "events.sql").write_text(first(model(CONFIGS["insert_overwrite"], BATCH)))
    pyflow("run", "--project-dir", events.project, "--profiles-dir", events.project, "--full-refresh")
    assert events.rows("events") == BATCH
    assert events.leftovers() == []


@pytest.mark.parametrize("catalog", ["hive"])
def test_trino_live_partition_batches_killed_between_statements_keep_each_partition_whole(
    events: LiveSchema, switch: KillSwitch, pyflow: Callable[..., Any], catalog: str
) -> None:
    config = CONFIGS["insert_overwrite"] + ", partition_batch_size=1"
    run(pyflow, events, model(config, FIRST))
    inserts: list[str] = []

    def second_insert(sql: str) -> bool:
        if sql.startswith("INSERT INTO") and '"events"' in sql.splitlines()[0]:
            inserts.append(sql)
        return len(inserts) == 2

    # the batch's two partitions (2 and 4) are two INSERTs; the process dies before the second
    switch.kill(second_insert)
    run(pyflow, events, model(config, BATCH), expect=1)
    assert switch.dead, switch.sent
    # each INSERT is a commit of its own: partition 2 is replaced whole, partition 4 not there yet
    assert events.rows("events") == [(1, "a", 1), (2, "b", 1), (4, "d", 3), (5, "e", 2)]

    # the next run writes the batch again: overwriting is idempotent, and the leftovers are dropped
    switch.kill()
    run(pyflow, events, model(config, BATCH))
    assert events.rows("events") == [(1, "a", 1), (2, "b", 1), (4, "d", 3), (5, "e", 2), (6, "f", 4)]
    assert events.leftovers() == []
