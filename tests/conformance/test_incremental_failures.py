"""A failing incremental step leaves the target exactly as it was and no temporary tables.

The batches here are engineered to fail: the batch stages fine (its ``v`` is text), and the
statement that casts ``v`` to the table's type fails. Where the table keeps its type
(``on_schema_change: ignore``), that cast is the typed copy of the batch
(:mod:`pyflow.materializers.schemachange`), made before anything is written to the target: the
step fails before its first write. Where schema changes come first, the ALTER TABLE ... ADD /
DROP COLUMN runs, and then the cast fails after that write. The table's columns, types and every row
must be what they were before, whatever the engine (with transactions: a rollback; without
transactions the materializer has to get there another way: one MERGE per write, new columns
dropped again after a failure, removed columns dropped only after the write).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from pyflow.adapters.base import Adapter
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import MaterializationError, PyflowError
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import IncrementalMaterializer

from .tables import TARGET, leftovers, relation, select_rows, state, writes_to

Columns = tuple[tuple[str, str], ...]
Rows = tuple[tuple[Any, ...], ...]

TABLE: Columns = (("id", "BIGINT"), ("v", "BIGINT"), ("w", "VARCHAR"))
ROWS: Rows = ((1, 10, "x"), (2, 20, "y"), (3, None, None))
TEXT_V: Columns = (("id", "BIGINT"), ("v", "VARCHAR"), ("w", "VARCHAR"))
TEXT_ROWS: Rows = ((2, "twenty-one", "Y"), (4, "forty", "z"))
WITH_EXTRA: Columns = (*TEXT_V, ("extra", "BIGINT"))
EXTRA_ROWS: Rows = tuple((*r, 7) for r in TEXT_ROWS)
SYNC_TABLE: Columns = (("w", "VARCHAR"), ("v", "VARCHAR"), ("gone", "VARCHAR"))
SYNC_ROWS: Rows = (("x", "ten", "g1"), ("y", "20", "g2"))


@dataclass(frozen=True)
class Failure:
    """A target, a config and a batch whose step fails after the statement ``wrote``
    (None: before any write to the target)."""

    id: str
    config: dict[str, Any]
    batch: Columns
    batch_rows: Rows
    wrote: str | None
    table: Columns = TABLE
    rows: Rows = ROWS


FAILURES = [
    Failure(
        "delete-insert",
        {"incremental_strategy": "delete+insert", "unique_key": "id"},
        TEXT_V,
        TEXT_ROWS,
        None,
    ),
    Failure(
        "insert-overwrite-partitioned",
        {"incremental_strategy": "insert_overwrite", "partitioned_by": "id"},
        TEXT_V,
        TEXT_ROWS,
        None,
    ),
    Failure(
        "insert-overwrite-unpartitioned",
        {"incremental_strategy": "insert_overwrite"},
        TEXT_V,
        TEXT_ROWS,
        None,
    ),
    Failure(
        "append-new-columns-then-delete-insert",
        {
            "incremental_strategy": "delete+insert",
            "unique_key": "id",
            "on_schema_change": "append_new_columns",
        },
        WITH_EXTRA,
        EXTRA_ROWS,
        "ADD COLUMN",
    ),
    Failure(
        "append-new-columns-then-merge",
        {"incremental_strategy": "merge", "unique_key": "id", "on_schema_change": "append_new_columns"},
        WITH_EXTRA,
        EXTRA_ROWS,
        "ADD COLUMN",
    ),
    Failure(
        "sync-drops-a-column-then-cannot-alter-type",
        {"incremental_strategy": "merge", "unique_key": "w", "on_schema_change": "sync_all_columns"},
        (("w", "VARCHAR"), ("v", "BIGINT")),
        (("x", 1),),
        "DROP COLUMN",
        table=SYNC_TABLE,
        rows=SYNC_ROWS,
    ),
    Failure(
        "sync-adds-a-column-then-cannot-alter-type",
        {"incremental_strategy": "merge", "unique_key": "w", "on_schema_change": "sync_all_columns"},
        (("w", "VARCHAR"), ("v", "BIGINT"), ("gone", "VARCHAR"), ("extra", "BIGINT")),
        (("x", 1, "g", 7),),
        "ADD COLUMN",
        table=SYNC_TABLE,
        rows=SYNC_ROWS,
    ),
]


TARGET_WRITE = re.compile(r'^(INSERT INTO|MERGE INTO|DELETE FROM|ALTER TABLE) \S*"target" ', re.IGNORECASE)
"""A statement that writes to the suite's target table (not to a working table beside it)."""


def incremental_job(adapter: Adapter, batch_sql: str, config: dict[str, Any]) -> Job:
    """A later run of an incremental model whose batch is ``batch_sql``."""
    return Job(
        name=TARGET,
        relation=relation(adapter, TARGET),
        adapter=adapter,
        sql=batch_sql,
        config=ModelConfig.model_validate({"materialized": "incremental", **config}),
        incremental=True,
    )


@pytest.mark.parametrize("case", FAILURES, ids=lambda f: f.id)
def test_incremental_failing_after_a_write_leaves_the_target_unchanged(
    adapter: Adapter, case: Failure
) -> None:
    target = relation(adapter, TARGET)
    adapter.execute(adapter.create_table_as_sql(target, select_rows(adapter, case.table, case.rows)))
    before = state(adapter)
    job = incremental_job(adapter, select_rows(adapter, case.batch, case.batch_rows), case.config)

    with pytest.raises(PyflowError) as caught:
        IncrementalMaterializer().build(job)
    if caught.value.code in ("unsupported-strategy", "unsupported-schema-change", "partitioning-changed"):
        # refused before any write to the target, as the suite declares for this engine (see conftest)
        assert not any(TARGET_WRITE.search(s) for s in job.log.statements) and state(adapter) == before
        pytest.skip(f"declared unsupported here: {caught.value.message}")

    statements = [s.upper() for s in job.log.statements]
    if case.wrote is None:  # the typed copy of the batch failed: nothing reached the target
        assert any("__PYFLOW_TYPED_" in s for s in statements)
        assert not any(TARGET_WRITE.search(s) for s in job.log.statements)
        assert state(adapter) == before
        assert leftovers(adapter) == []
        return
    # without transactions, delete+insert and insert_overwrite are one MERGE (the failing write),
    # and columns are dropped only after the write: the ALTER of the type fails first
    marker = case.wrote
    if not adapter.capabilities.transactions:
        marker = {"DELETE FROM": "MERGE INTO", "DROP COLUMN": "ALTER COLUMN"}.get(marker, marker)
    wrote = next((i for i, s in enumerate(statements) if marker in s), None)
    assert wrote is not None and wrote < len(statements) - 1, (
        f"the step should fail after its {marker}; it sent: {job.log.statements}"
    )
    assert state(adapter) == before
    assert leftovers(adapter) == []
    # the table is still usable: a good batch appends normally afterwards
    good = select_rows(adapter, case.table, case.rows[:1])
    IncrementalMaterializer().build(incremental_job(adapter, good, {"incremental_strategy": "append"}))
    assert len(state(adapter)[1]) == len(case.rows) + 1


@pytest.mark.parametrize("strategy", ["merge", "delete+insert"])
def test_incremental_duplicate_keys_fail_before_any_write(adapter: Adapter, strategy: str) -> None:
    """Not written and rolled back: no statement reaches the table (engines without transactions)."""
    adapter.execute(adapter.create_table_as_sql(relation(adapter, TARGET), select_rows(adapter, TABLE, ROWS)))
    before = state(adapter)
    batch = select_rows(adapter, TABLE, ((1, 11, "a"), (1, 12, "b"), (4, 40, "c")))
    job = incremental_job(
        adapter,
        batch,
        {"incremental_strategy": strategy, "unique_key": "id", "on_schema_change": "sync_all_columns"},
    )
    with pytest.raises(MaterializationError) as caught:
        IncrementalMaterializer().build(job)
    assert caught.value.code == "duplicate-unique-key"
    assert writes_to(adapter, job.log.statements) == []
    assert state(adapter) == before
    assert leftovers(adapter) == []
