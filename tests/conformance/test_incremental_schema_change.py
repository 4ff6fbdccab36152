"""``on_schema_change``: what a later incremental run does when the batch's columns differ.

Outcome per mode (dbt's documented behaviour; an error writes nothing and leaves the table as it
was, error code ``schema-change``):

====================  ==========================  ==========================  =========================
on_schema_change      batch has a new column      batch lacks a table column  a column changed type
====================  ==========================  ==========================  =========================
ignore                not added; values dropped   error                       table type kept; values
                                                                              cast on write
fail                  error                       error                       error
append_new_columns    added; old rows NULL        kept; new rows NULL there   table type kept
sync_all_columns      added; old rows NULL        dropped                     altered to the batch type,
                                                                              or refused where the table
                                                                              cannot change it
====================  ==========================  ==========================  =========================

Merged rows update only the columns the batch has (a kept column keeps its value). A type change
that the table's storage cannot make (declared in ``TYPE_CHANGES`` of the suite's conftest:
Iceberg's promotions only, none on Trino's hive and memory connectors) fails with
``unsupported-schema-change`` and writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyflow.adapters.base import Adapter
from pyflow.errors import MaterializationError, UnsupportedError
from pyflow.testing import incremental_step

from .conftest import refuses_type_change
from .tables import columns_of, frame, leftovers, rows_of, table_columns, table_rows

MERGE = {"incremental_strategy": "merge", "unique_key": "id"}
ERROR = "error"

# change -> (current columns, current rows, batch columns, batch rows)
CHANGES: dict[str, tuple[str, list[tuple[Any, ...]], str, list[tuple[Any, ...]]]] = {
    "added": ("id v", [(1, "a"), (2, "b")], "id v w", [(2, "B", 20), (3, "c", 30)]),
    "removed": ("id v w", [(1, "a", "x"), (2, "b", "y")], "id v", [(2, "B"), (3, "c")]),
    "type-changed": ("id v", [(1, "10"), (2, "20")], "id v", [(2, 21), (3, 30)]),
    "all-three": ("id v w", [(1, "10", "x"), (2, "20", "y")], "id v z", [(2, 21, True), (3, 30, False)]),
}

# (mode, change) -> (columns after, rows after) or ERROR
OUTCOMES: dict[tuple[str, str], Any] = {
    ("ignore", "added"): ("id v", [(1, "a"), (2, "B"), (3, "c")]),
    ("ignore", "removed"): ERROR,
    ("ignore", "type-changed"): ("id v", [(1, "10"), (2, "21"), (3, "30")]),
    ("ignore", "all-three"): ERROR,
    ("fail", "added"): ERROR,
    ("fail", "removed"): ERROR,
    ("fail", "type-changed"): ERROR,
    ("fail", "all-three"): ERROR,
    ("append_new_columns", "added"): ("id v w", [(1, "a", None), (2, "B", 20), (3, "c", 30)]),
    ("append_new_columns", "removed"): ("id v w", [(1, "a", "x"), (2, "B", "y"), (3, "c", None)]),
    ("append_new_columns", "type-changed"): ("id v", [(1, "10"), (2, "21"), (3, "30")]),
    ("append_new_columns", "all-three"): (
        "id v w z",
        [(1, "10", "x", None), (2, "21", "y", True), (3, "30", None, False)],
    ),
    ("sync_all_columns", "added"): ("id v w", [(1, "a", None), (2, "B", 20), (3, "c", 30)]),
    ("sync_all_columns", "removed"): ("id v", [(1, "a"), (2, "B"), (3, "c")]),
    ("sync_all_columns", "type-changed"): ("id v", [(1, 10), (2, 21), (3, 30)]),
    ("sync_all_columns", "all-three"): ("id v z", [(1, 10, None), (2, 21, True), (3, 30, False)]),
}


def assert_refused(adapter: Adapter, batch: Any, current: Any, mode: str, config: dict, code: str) -> None:
    """The step fails with ``code`` and leaves the table as it was, with no temporaries."""
    error = UnsupportedError if code == "unsupported-schema-change" else MaterializationError
    with pytest.raises(error) as caught:
        incremental_step(batch, current, adapter=adapter, on_schema_change=mode, **config)
    assert caught.value.code == code
    assert [c for c, _ in table_columns(adapter)] == list(current.columns)
    assert table_rows(adapter) == rows_of(current)
    assert leftovers(adapter) == []


@pytest.mark.parametrize(("mode", "change"), list(OUTCOMES), ids=[f"{m}-{c}" for m, c in OUTCOMES])
def test_on_schema_change_outcome(
    adapter: Adapter, mode: str, change: str, request: pytest.FixtureRequest
) -> None:
    cur_cols, cur_rows, batch_cols, batch_rows = CHANGES[change]
    current = frame(cur_cols, cur_rows)
    batch = frame(batch_cols, batch_rows)
    expected = OUTCOMES[(mode, change)]
    if expected == ERROR:
        assert_refused(adapter, batch, current, mode, MERGE, "schema-change")
        return
    changes_type = change in ("type-changed", "all-three")
    if (
        mode == "sync_all_columns"
        and changes_type
        and refuses_type_change(request, MERGE, "varchar", "bigint")
    ):
        assert_refused(adapter, batch, current, mode, MERGE, "unsupported-schema-change")
        return
    out = incremental_step(batch, current, adapter=adapter, on_schema_change=mode, **MERGE)
    columns, rows = expected
    assert columns_of(out) == columns.split()
    assert rows_of(out) == rows_of(frame(columns, rows))
    assert leftovers(adapter) == []


@pytest.mark.parametrize(
    "config",
    [
        {"incremental_strategy": "append"},
        {"incremental_strategy": "delete+insert", "unique_key": "id"},
        {"incremental_strategy": "insert_overwrite", "partitioned_by": "id"},
        MERGE,
    ],
    ids=["append", "delete-insert", "insert-overwrite", "merge"],
)
@pytest.mark.parametrize("mode", ["append_new_columns", "sync_all_columns"])
def test_on_schema_change_adds_a_new_column_for_every_strategy(
    adapter: Adapter, config: dict, mode: str
) -> None:
    current = frame("id v", [(1, "a")])
    out = incremental_step(
        frame("id v w", [(2, "b", 20)]), current, adapter=adapter, on_schema_change=mode, **config
    )
    assert columns_of(out) == ["id", "v", "w"]
    assert rows_of(out) == [(1, "a", None), (2, "b", 20)]


def test_on_schema_change_is_not_checked_on_first_run_or_full_refresh(adapter: Adapter) -> None:
    batch = frame("id w", [(1, 10)])
    out = incremental_step(batch, None, adapter=adapter, on_schema_change="fail", **MERGE)
    assert rows_of(out) == [(1, 10)]
    out = incremental_step(
        batch, frame("id v", [(1, "a")]), adapter=adapter, full_refresh=True, on_schema_change="fail", **MERGE
    )
    assert columns_of(out) == ["id", "w"]
    assert rows_of(out) == [(1, 10)]


STRATEGIES = [
    {"incremental_strategy": "append"},
    {"incremental_strategy": "delete+insert", "unique_key": "id"},
    {"incremental_strategy": "insert_overwrite", "partitioned_by": "id"},
    MERGE,
]
STRATEGY_IDS = ["append", "delete-insert", "insert-overwrite", "merge"]


@pytest.mark.parametrize("config", STRATEGIES, ids=STRATEGY_IDS)
@pytest.mark.parametrize("mode", ["ignore", "sync_all_columns"])
def test_a_changed_column_type_is_cast_or_altered_for_every_strategy(
    adapter: Adapter, config: dict, mode: str, request: pytest.FixtureRequest
) -> None:
    # the table's v is varchar, the batch's bigint: ignore keeps varchar (the batch's values are
    # cast on write), sync_all_columns alters v to bigint or, where the table cannot, refuses
    current = frame("id v", [(1, "10"), (2, "20")])
    batch = frame("id v", [(2, 21), (3, 30)])
    if mode == "sync_all_columns" and refuses_type_change(request, config, "varchar", "bigint"):
        assert_refused(adapter, batch, current, mode, config, "unsupported-schema-change")
        return
    out = incremental_step(batch, current, adapter=adapter, on_schema_change=mode, **config)
    kept = [(1, "10"), (2, "20")] if config["incremental_strategy"] == "append" else [(1, "10")]
    if mode == "ignore":
        assert rows_of(out) == sorted([*kept, (2, "21"), (3, "30")])
    else:
        assert rows_of(out) == sorted([(i, int(v)) for i, v in kept] + [(2, 21), (3, 30)])
    assert leftovers(adapter) == []


def test_sync_all_columns_widens_integer_to_bigint(adapter: Adapter, request: pytest.FixtureRequest) -> None:
    # a type promotion every Iceberg table can make (metadata only): the table's integer column
    # becomes bigint, and a value only bigint holds is merged
    current = frame("id v", [(1, 10), (2, 20)], dtypes={"v": "Int32"})
    batch = frame("id v", [(2, 2**40), (3, 30)])
    if refuses_type_change(request, MERGE, "integer", "bigint"):
        assert_refused(adapter, batch, current, "sync_all_columns", MERGE, "unsupported-schema-change")
        return
    out = incremental_step(batch, current, adapter=adapter, on_schema_change="sync_all_columns", **MERGE)
    assert rows_of(out) == [(1, 10), (2, 2**40), (3, 30)]
    assert "big" in dict(table_columns(adapter))["v"].lower()
    assert leftovers(adapter) == []
