"""Incremental strategies: given the current rows, a batch and a config, the rows after the step.

Every case runs ``pyflow.testing.incremental_step`` on the engine under test. Semantics follow
dbt's documented behaviour, with two deliberate strict points of pyflow: keys match NULL-safely
(``IS NOT DISTINCT FROM``), and a batch that repeats a key fails before anything is written.
``incremental_predicates`` restrict which *target* rows a merge can match or a delete can remove
(dbt: they are added to the MERGE's ON clause / the DELETE's WHERE), so a target row outside
them is left alone and its key's batch row is inserted beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from pyflow.adapters.base import Adapter, TableOptions
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import MaterializationError
from pyflow.testing import incremental_step

from .tables import columns_of, frame, leftovers, relations, rows_of, table_rows

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Case:
    """One step: ``current`` (None: first run) + ``batch`` under ``config`` -> ``expected``."""

    id: str
    columns: str
    current: Rows | None
    batch: Rows
    expected: Rows
    config: dict[str, Any] = field(default_factory=dict)
    full_refresh: bool = False


MERGE = {"incremental_strategy": "merge", "unique_key": "id"}
DELETE_INSERT = {"incremental_strategy": "delete+insert", "unique_key": "id"}

CASES = [
    Case(
        "append",
        "id v",
        [(1, "a"), (2, "b")],
        [(2, "b"), (3, "c")],
        [(1, "a"), (2, "b"), (2, "b"), (3, "c")],
        {"incremental_strategy": "append"},
    ),
    Case("append-is-the-default-without-unique-key", "id v", [(1, "a")], [(1, "a")], [(1, "a"), (1, "a")]),
    Case(
        "merge-one-key",
        "id v",
        [(1, "a"), (2, "b")],
        [(2, "B"), (3, "c")],
        [(1, "a"), (2, "B"), (3, "c")],
        MERGE,
    ),
    Case(
        "merge-two-keys",
        "k1 k2 v",
        [(1, 1, "a"), (1, 2, "b"), (2, 1, "c")],
        [(1, 2, "B"), (2, 2, "d")],
        [(1, 1, "a"), (1, 2, "B"), (2, 1, "c"), (2, 2, "d")],
        {"incremental_strategy": "merge", "unique_key": ["k1", "k2"]},
    ),
    Case(
        "merge-key-only-table-inserts-new-keys", "id", [(1,), (2,)], [(2,), (3,)], [(1,), (2,), (3,)], MERGE
    ),
    Case(
        "merge-update-columns",
        "id v w",
        [(1, "a", "x"), (2, "b", "y")],
        [(1, "A", "X"), (3, "c", "z")],
        [(1, "A", "x"), (2, "b", "y"), (3, "c", "z")],
        {**MERGE, "merge_update_columns": ["v"]},
    ),
    Case(
        "merge-exclude-columns",
        "id v w",
        [(1, "a", "x"), (2, "b", "y")],
        [(1, "A", "X"), (3, "c", "z")],
        [(1, "A", "x"), (2, "b", "y"), (3, "c", "z")],
        {**MERGE, "merge_exclude_columns": ["w"]},
    ),
    Case(
        "merge-null-key-matches-null",
        "id v",
        [(None, "n"), (1, "a")],
        [(None, "N"), (2, "b")],
        [(1, "a"), (2, "b"), (None, "N")],
        MERGE,
    ),
    Case(
        "merge-null-in-one-of-two-keys",
        "k1 k2 v",
        [(1, None, "a"), (1, 1, "b"), (None, None, "c")],
        [(1, None, "A"), (None, None, "C"), (None, 1, "d")],
        [(1, 1, "b"), (1, None, "A"), (None, 1, "d"), (None, None, "C")],
        {"incremental_strategy": "merge", "unique_key": ["k1", "k2"]},
    ),
    Case(
        "delete-insert-replaces-every-row-of-a-key",
        "id v",
        [(1, "a"), (1, "a2"), (2, "b")],
        [(1, "X"), (3, "c")],
        [(1, "X"), (2, "b"), (3, "c")],
        DELETE_INSERT,
    ),
    Case(
        "delete-insert-two-keys",
        "k1 k2 v",
        [(1, 1, "a"), (1, 2, "b"), (2, 1, "c")],
        [(1, 2, "B"), (2, 2, "d")],
        [(1, 1, "a"), (1, 2, "B"), (2, 1, "c"), (2, 2, "d")],
        {"incremental_strategy": "delete+insert", "unique_key": ["k1", "k2"]},
    ),
    Case(
        "delete-insert-null-key-matches-null",
        "id v",
        [(None, "n"), (1, "a")],
        [(None, "N")],
        [(1, "a"), (None, "N")],
        DELETE_INSERT,
    ),
    Case(
        "insert-overwrite-replaces-only-batch-partitions",
        "day id v",
        [(1, 1, "a"), (1, 2, "b"), (2, 3, "c"), (2, 4, "d")],
        [(2, 5, "e"), (3, 6, "f")],
        [(1, 1, "a"), (1, 2, "b"), (2, 5, "e"), (3, 6, "f")],
        {"incremental_strategy": "insert_overwrite", "partitioned_by": "day"},
    ),
    Case(
        "insert-overwrite-two-partition-columns",
        "day region v",
        [(1, "eu", "a"), (1, "us", "b"), (2, "eu", "c")],
        [(1, "eu", "A"), (2, "us", "d")],
        [(1, "eu", "A"), (1, "us", "b"), (2, "eu", "c"), (2, "us", "d")],
        {"incremental_strategy": "insert_overwrite", "partitioned_by": ["day", "region"]},
    ),
    Case(
        "insert-overwrite-without-partitions-replaces-all",
        "id v",
        [(1, "a"), (2, "b")],
        [(2, "B"), (3, "c")],
        [(2, "B"), (3, "c")],
        {"incremental_strategy": "insert_overwrite"},
    ),
    Case(
        "merge-predicates-restrict-matched-target-rows",
        "day id v",
        [(1, 1, "a"), (2, 2, "b")],
        [(1, 1, "A"), (2, 2, "B")],
        [(1, 1, "A"), (1, 1, "a"), (2, 2, "B")],
        {**MERGE, "incremental_predicates": ["DBT_INTERNAL_DEST.day >= 2"]},
    ),
    Case(
        "delete-insert-predicates-restrict-deleted-target-rows",
        "day id v",
        [(1, 1, "a"), (2, 2, "b")],
        [(1, 1, "A"), (2, 2, "B")],
        [(1, 1, "A"), (1, 1, "a"), (2, 2, "B")],
        {**DELETE_INSERT, "incremental_predicates": ["DBT_INTERNAL_DEST.day >= 2"]},
    ),
    Case(
        "full-refresh-rebuilds-from-the-batch",
        "id v",
        [(1, "a"), (2, "b")],
        [(2, "B"), (3, "c")],
        [(2, "B"), (3, "c")],
        MERGE,
        full_refresh=True,
    ),
    Case(
        "full-refresh-append",
        "id v",
        [(1, "a")],
        [(1, "a")],
        [(1, "a")],
        {"incremental_strategy": "append"},
        full_refresh=True,
    ),
    *(
        Case(
            f"first-run-builds-the-table-{name}",
            "id v",
            None,
            [(1, "a"), (2, "b")],
            [(1, "a"), (2, "b")],
            cfg,
        )
        for name, cfg in [
            ("append", {"incremental_strategy": "append"}),
            ("merge", MERGE),
            ("delete-insert", DELETE_INSERT),
            ("insert-overwrite", {"incremental_strategy": "insert_overwrite", "partitioned_by": "id"}),
        ]
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_incremental_step_gives_expected_rows(adapter: Adapter, case: Case) -> None:
    current = None if case.current is None else frame(case.columns, case.current)
    out = incremental_step(
        frame(case.columns, case.batch),
        current,
        adapter=adapter,
        full_refresh=case.full_refresh,
        **case.config,
    )
    expected = frame(case.columns, case.expected)
    options = TableOptions.from_config(
        ModelConfig.model_validate({"materialized": "incremental", **case.config})
    )
    if case.current is None and adapter.partitions_last(options):  # built here: partition columns last
        parts = [p.lower() for p in options.partitioned_by]
        expected = expected[[c for c in expected.columns if c not in parts] + parts]
    assert [c.lower() for c in out.columns] == list(expected.columns)
    assert rows_of(out) == rows_of(expected)
    assert leftovers(adapter) == []


@pytest.mark.parametrize(
    "config",
    [
        {"incremental_strategy": "append"},
        MERGE,
        DELETE_INSERT,
        {"incremental_strategy": "insert_overwrite", "partitioned_by": "id"},
    ],
    ids=["append", "merge", "delete-insert", "insert-overwrite"],
)
def test_incremental_batch_columns_match_by_name_not_position(adapter: Adapter, config: dict) -> None:
    current = frame("id v w", [(1, "a", "x")])
    out = incremental_step(frame("w id v", [("y", 2, "b")]), current, adapter=adapter, **config)
    assert columns_of(out) == ["id", "v", "w"]
    assert rows_of(out) == [(1, "a", "x"), (2, "b", "y")]


def test_incremental_full_refresh_takes_the_batch_schema(adapter: Adapter) -> None:
    current = frame("id v", [(1, "a")])
    out = incremental_step(frame("id w", [(2, 20)]), current, adapter=adapter, full_refresh=True, **MERGE)
    assert [c.lower() for c in out.columns] == ["id", "w"]
    assert rows_of(out) == [(2, 20)]


IDEMPOTENT = [
    ("merge", "id v", MERGE),
    ("merge-two-keys", "k1 k2 v", {"incremental_strategy": "merge", "unique_key": ["k1", "k2"]}),
    ("delete-insert", "id v", DELETE_INSERT),
    (
        "insert-overwrite-partitioned",
        "id v",
        {"incremental_strategy": "insert_overwrite", "partitioned_by": "id"},
    ),
    ("insert-overwrite-unpartitioned", "id v", {"incremental_strategy": "insert_overwrite"}),
]


@pytest.mark.parametrize(("name", "columns", "config"), IDEMPOTENT, ids=[i[0] for i in IDEMPOTENT])
def test_incremental_step_twice_is_idempotent(
    adapter: Adapter, name: str, columns: str, config: dict
) -> None:
    width = len(columns.split())
    current = frame(
        columns, [(1,) * (width - 1) + ("a",), (2,) * (width - 1) + ("b",), (None,) * (width - 1) + ("n",)]
    )
    batch = frame(
        columns, [(2,) * (width - 1) + ("B",), (3,) * (width - 1) + ("c",), (None,) * (width - 1) + ("N",)]
    )
    once = incremental_step(batch, current, adapter=adapter, **config)
    twice = incremental_step(batch, once, adapter=adapter, **config)
    assert rows_of(twice) == rows_of(once)
    assert len(once) == (3 if "unpartitioned" in name else 4)


DUPLICATES = [
    (
        "merge",
        "id v",
        MERGE,
        [(1, "a"), (1, "b"), (2, "c"), (2, "d"), (2, "e"), (3, "f")],
        ["2 duplicated", "id=2  (3 rows)", "id=1  (2 rows)"],
    ),
    (
        "delete-insert",
        "id v",
        DELETE_INSERT,
        [(1, "a"), (1, "b"), (2, "c"), (2, "d"), (2, "e"), (3, "f")],
        ["2 duplicated", "id=2  (3 rows)", "id=1  (2 rows)"],
    ),
    (
        "merge-null-key-twice",
        "id v",
        MERGE,
        [(None, "a"), (None, "b"), (3, "f")],
        ["1 duplicated", "id=None  (2 rows)"],
    ),
    (
        "delete-insert-two-keys",
        "k1 k2 v",
        {"incremental_strategy": "delete+insert", "unique_key": ["k1", "k2"]},
        [(1, 1, "a"), (1, 1, "b"), (1, 2, "c")],
        ["1 duplicated", "k1=1, k2=1  (2 rows)"],
    ),
]


@pytest.mark.parametrize(
    ("name", "columns", "config", "batch", "says"), DUPLICATES, ids=[d[0] for d in DUPLICATES]
)
def test_incremental_duplicate_batch_keys_fail_before_writing(
    adapter: Adapter, name: str, columns: str, config: dict, batch: Rows, says: list[str]
) -> None:
    width = len(columns.split())
    current = frame(columns, [(1,) * (width - 1) + ("old",), (5,) * (width - 1) + ("keep",)])
    with pytest.raises(MaterializationError) as caught:
        incremental_step(frame(columns, batch), current, adapter=adapter, **config)
    err = caught.value
    assert err.code == "duplicate-unique-key"
    text = str(err)
    for fragment in says:  # "id=2  (3 rows)": spacing between the key and the count may vary
        assert re.search(r"\s+".join(map(re.escape, fragment.split())), text), (fragment, text)
    assert table_rows(adapter) == rows_of(current)
    assert leftovers(adapter) == []


@pytest.mark.parametrize(
    ("name", "columns", "config", "batch", "says"), DUPLICATES, ids=[d[0] for d in DUPLICATES]
)
def test_incremental_first_build_with_duplicate_keys_fails_and_creates_no_table(
    adapter: Adapter, name: str, columns: str, config: dict, batch: Rows, says: list[str]
) -> None:
    """The batch guard also guards the first build: no table starts out violating its key."""
    with pytest.raises(MaterializationError) as caught:
        incremental_step(frame(columns, batch), None, adapter=adapter, **config)
    err = caught.value
    assert (err.code, err.model) == ("duplicate-unique-key", "target")
    text = str(err)
    assert "the model's rows have " + says[0] in text and "no table was created" in text
    for fragment in says[1:]:
        assert re.search(r"\s+".join(map(re.escape, fragment.split())), text), (fragment, text)
    assert "target" not in relations(adapter)
    assert leftovers(adapter) == []


@pytest.mark.parametrize("config", [MERGE, DELETE_INSERT], ids=["merge", "delete-insert"])
def test_incremental_full_refresh_with_duplicate_keys_fails_and_keeps_the_old_table(
    adapter: Adapter, config: dict
) -> None:
    current = frame("id v", [(1, "old"), (5, "keep")])
    with pytest.raises(MaterializationError) as caught:
        incremental_step(
            frame("id v", [(1, "a"), (1, "b"), (3, "c")]),
            current,
            adapter=adapter,
            full_refresh=True,
            **config,
        )
    assert caught.value.code == "duplicate-unique-key"
    assert "1 duplicated value(s) of unique_key (id)" in str(caught.value)
    assert "the old table was kept" in str(caught.value)
    assert table_rows(adapter) == rows_of(current)
    assert leftovers(adapter) == []


def test_incremental_duplicate_keys_are_fine_for_append_and_insert_overwrite(adapter: Adapter) -> None:
    batch = frame("id v", [(1, "a"), (1, "b")])
    out = incremental_step(batch, frame("id v", [(2, "c")]), adapter=adapter, incremental_strategy="append")
    assert rows_of(out) == [(1, "a"), (1, "b"), (2, "c")]
    out = incremental_step(
        batch,
        frame("id v", [(1, "x"), (2, "c")]),
        adapter=adapter,
        incremental_strategy="insert_overwrite",
        partitioned_by="id",
    )
    assert rows_of(out) == [(1, "a"), (1, "b"), (2, "c")]


def test_incremental_step_first_run_starts_from_no_table(adapter: Adapter) -> None:
    """``current=None`` means a first run, even when an earlier step left a table behind."""
    incremental_step(frame("id v", [(1, "a")]), None, adapter=adapter, **MERGE)
    out = incremental_step(frame("id w", [(2, 20)]), None, adapter=adapter, on_schema_change="fail", **MERGE)
    assert columns_of(out) == ["id", "w"]
    assert rows_of(out) == [(2, 20)]


@pytest.mark.parametrize("mode", ["fail", "ignore"])
def test_incremental_step_result_round_trips_as_the_next_current(adapter: Adapter, mode: str) -> None:
    """The frame a step returns, passed back as ``current``, keeps the table's column types.

    Columns that are NULL in every row (text) or hold a NULL (integers) must not come back as
    another type: the next run would see a schema change that never happened.
    """
    config = {**MERGE, "on_schema_change": mode}
    batch = frame("id v n", [(1, None, None), (2, None, 5)], dtypes={"v": "str"})
    first = incremental_step(batch, None, adapter=adapter, **config)
    second = incremental_step(frame("id v n", [(3, "c", 7)]), first, adapter=adapter, **config)
    assert rows_of(second) == [(1, None, None), (2, None, 5), (3, "c", 7)]
    third = incremental_step(
        frame("id v n", [(2, "b", None)], dtypes={"n": "Int64"}), second, adapter=adapter, **config
    )
    assert rows_of(third) == [(1, None, None), (2, "b", None), (3, "c", 7)]
