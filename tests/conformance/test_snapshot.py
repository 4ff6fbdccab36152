"""SCD2 snapshots: both strategies, every ``hard_deletes`` mode, scenario by scenario.

Runs go through ``pyflow.testing.snapshot_step`` on the engine under test with an explicit
``run_at`` (the checks that read the statement log build a ``Job`` themselves). The rules are
the ones ``pyflow.materializers.snapshot`` documents: dbt's semantics, made strict where dbt
leaves room — a key that comes back after a delete starts at its updated_at only when that is
after the delete (else at the run time), and unique_key parts match NULL-safely.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pyflow.adapters.base import Adapter
from pyflow.core.nodeconfig import SnapshotConfig
from pyflow.errors import MaterializationError
from pyflow.materializers.base import Job
from pyflow.materializers.snapshot import SnapshotMaterializer
from pyflow.testing import snapshot_step

from .history import Meta, check_history, current_rows
from .tables import (
    TARGET,
    columns_of,
    dicts_of,
    frame,
    leftovers,
    relation,
    rows_of,
    select_rows,
    table_rows,
    writes_to,
)

META = Meta()


def t(day: int, hour: int = 0) -> datetime:
    """A naive UTC time in January 2024 (how snapshot tables store times)."""
    return datetime(2024, 1, day, hour)


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (what a run's ``run_at`` is)."""
    return value.replace(tzinfo=UTC)


U1, U2, U3 = t(1), t(2), t(3)  # updated_at values in the source
R1, R2, R3, R4 = t(1, 12), t(2, 12), t(3, 12), t(4, 12)  # run times
OPEN = None

STRATEGIES: dict[str, dict[str, Any]] = {
    "timestamp": {"strategy": "timestamp", "updated_at": "u"},
    "check-list": {"strategy": "check", "check_cols": ["v"]},
    "check-all": {"strategy": "check", "check_cols": "all"},
}
MODES = ("ignore", "invalidate", "new_record")


def snap(adapter: Adapter, columns: str, rows: list, current: Any, run_at: datetime, **config: Any) -> Any:
    return snapshot_step(frame(columns, rows), current, run_at=utc(run_at), adapter=adapter, **config)


def versions(df: Any, *data: str, meta: Meta = META) -> list[tuple[Any, ...]]:
    """(data..., valid_from, valid_to, is_deleted) per row, sorted; is_deleted False without the column."""
    rows = dicts_of(df)
    out = [
        (*(r[c] for c in data), r[meta.valid_from], r[meta.valid_to], bool(r.get(meta.is_deleted, False)))
        for r in rows
    ]
    return sorted(out, key=repr)


def assert_same(after: Any, before: Any) -> None:
    """The same table: columns, and every row (scd ids included) in any order."""
    assert columns_of(after) == columns_of(before)
    assert rows_of(after) == rows_of(before)


def meta_columns(mode: str, meta: Meta = META) -> list[str]:
    cols = [meta.scd_id, meta.updated_at, meta.valid_from, meta.valid_to]
    return [*cols, meta.is_deleted] if mode == "new_record" else cols


# ---- the story: update, insert, delete, re-insert, unchanged rerun ----------------------------
S1 = [(1, "a", U1), (2, "b", U1), (3, "c", U1)]
S2 = [(1, "a2", U2), (2, "b", U1), (4, "d", U2)]  # 1 updated, 2 unchanged, 3 deleted, 4 new
S3 = [(1, "a2", U2), (2, "b", U1), (3, "c3", U3), (4, "d", U2)]  # 3 is back


def story(strategy: str, mode: str) -> tuple[list, list, list]:
    """Expected versions after runs 1, 2 and 3: (id, v, valid_from, valid_to, is_deleted).

    A change's time is the source's updated_at (timestamp) or the run time (check); a delete is
    always recorded at the run time (R2).
    """
    c1, c2, c3 = (U1, U2, U3) if strategy == "timestamp" else (R1, R2, R3)
    first = [(1, "a", c1, OPEN, False), (2, "b", c1, OPEN, False), (3, "c", c1, OPEN, False)]
    base = [
        (1, "a", c1, c2, False),
        (1, "a2", c2, OPEN, False),
        (2, "b", c1, OPEN, False),
        (4, "d", c2, OPEN, False),
    ]
    after2 = {
        "ignore": [(3, "c", c1, OPEN, False)],
        "invalidate": [(3, "c", c1, R2, False)],
        "new_record": [(3, "c", c1, R2, False), (3, "c", R2, OPEN, True)],
    }[mode]
    after3 = {
        "ignore": [(3, "c", c1, c3, False), (3, "c3", c3, OPEN, False)],
        "invalidate": [(3, "c", c1, R2, False), (3, "c3", c3, OPEN, False)],
        "new_record": [(3, "c", c1, R2, False), (3, "c", R2, c3, True), (3, "c3", c3, OPEN, False)],
    }[mode]
    return sorted(first, key=repr), sorted(base + after2, key=repr), sorted(base + after3, key=repr)


def check_updated_at(df: Any, strategy: str) -> None:
    """updated_at meta: the source's updated_at (timestamp) or valid_from (check, deletes)."""
    for r in dicts_of(df):
        if strategy == "timestamp" and not r.get(META.is_deleted):
            assert r[META.updated_at] == r["u"], r
        else:
            assert r[META.updated_at] == r[META.valid_from], r


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_snapshot_records_updates_inserts_deletes_and_reinserts(
    adapter: Adapter, strategy: str, mode: str
) -> None:
    config = {"unique_key": "id", "hard_deletes": mode, **STRATEGIES[strategy]}
    first, second, third = story(strategy, mode)

    s1 = snap(adapter, "id v u", S1, None, R1, **config)
    assert columns_of(s1) == ["id", "v", "u", *meta_columns(mode)]
    assert versions(s1, "id", "v") == first
    s2 = snap(adapter, "id v u", S2, s1, R2, **config)
    assert versions(s2, "id", "v") == second
    s3 = snap(adapter, "id v u", S3, s2, R3, **config)
    assert versions(s3, "id", "v") == third
    gaps = {(3,): {R2}} if mode == "invalidate" else {}
    for df in (s1, s2, s3):
        check_history(dicts_of(df), ["id"], META, gaps_at=gaps)
        check_updated_at(df, strategy)
    # unchanged rerun: nothing is written, the table is identical (scd ids included)
    s4 = snap(adapter, "id v u", S3, s3, R4, **config)
    assert_same(s4, s3)
    assert leftovers(adapter) == []


@pytest.mark.parametrize("mode", MODES)
def test_timestamp_older_or_equal_updated_at_is_not_a_new_version(adapter: Adapter, mode: str) -> None:
    config = {"unique_key": "id", "hard_deletes": mode, **STRATEGIES["timestamp"]}
    s1 = snap(adapter, "id v u", [(1, "a", U2), (2, "b", U2)], None, R2, **config)
    s2 = snap(adapter, "id v u", [(1, "equal", U2), (2, "older", U1)], s1, R3, **config)
    assert_same(s2, s1)


@pytest.mark.parametrize("mode", ["invalidate", "new_record"])
def test_timestamp_reinsert_with_an_old_updated_at_starts_at_the_run_time(
    adapter: Adapter, mode: str
) -> None:
    """The source brings a deleted key back unchanged: its updated_at predates the delete."""
    config = {"unique_key": "id", "hard_deletes": mode, **STRATEGIES["timestamp"]}
    s1 = snap(adapter, "id v u", [(1, "a", U1), (2, "b", U1)], None, R1, **config)
    s2 = snap(adapter, "id v u", [(1, "a", U1)], s1, R2, **config)
    s3 = snap(adapter, "id v u", [(1, "a", U1), (2, "b", U1)], s2, R3, **config)
    gone = [(2, "b", R2, R3, True)] if mode == "new_record" else []
    assert versions(s3, "id", "v") == sorted(
        [(1, "a", U1, OPEN, False), (2, "b", U1, R2, False), (2, "b", R3, OPEN, False), *gone], key=repr
    )
    back = next(r for r in dicts_of(s3) if r["id"] == 2 and r[META.valid_to] is None)
    assert back[META.updated_at] == U1
    check_history(dicts_of(s3), ["id"], META, gaps_at={(2,): {R2}} if mode == "invalidate" else {})
    s4 = snap(adapter, "id v u", [(1, "a", U1), (2, "b", U1)], s3, R4, **config)
    assert_same(s4, s3)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("strategy", ["check-list", "check-all"])
def test_check_null_to_value_and_value_to_null_are_changes(
    adapter: Adapter, strategy: str, mode: str
) -> None:
    config = {"unique_key": "id", "hard_deletes": mode, **STRATEGIES[strategy]}
    s1 = snap(adapter, "id v u", [(1, None, U1), (2, "b", U1), (3, None, U1)], None, R1, **config)
    s2 = snap(adapter, "id v u", [(1, "a", U1), (2, None, U1), (3, None, U1)], s1, R2, **config)
    s3 = snap(adapter, "id v u", [(1, None, U1), (2, None, U1), (3, None, U1)], s2, R3, **config)
    assert versions(s3, "id", "v") == sorted(
        [
            (1, None, R1, R2, False),
            (1, "a", R2, R3, False),
            (1, None, R3, OPEN, False),
            (2, "b", R1, R2, False),
            (2, None, R2, OPEN, False),
            (3, None, R1, OPEN, False),
        ],
        key=repr,
    )
    check_history(dicts_of(s3), ["id"], META)


@pytest.mark.parametrize("mode", MODES)
def test_check_cols_list_ignores_other_columns(adapter: Adapter, mode: str) -> None:
    config = {"unique_key": "id", "hard_deletes": mode, **STRATEGIES["check-list"]}
    s1 = snap(adapter, "id v w u", [(1, "a", "x", U1)], None, R1, **config)
    s2 = snap(adapter, "id v w u", [(1, "a", "changed", U2)], s1, R2, **config)
    assert_same(s2, s1)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_new_source_column_is_added_to_the_table(adapter: Adapter, strategy: str, mode: str) -> None:
    config = {"unique_key": "id", "hard_deletes": mode, **STRATEGIES[strategy]}
    s1 = snap(adapter, "id v u", [(1, "a", U1), (2, "b", U1)], None, R1, **config)
    s2 = snap(adapter, "id v u w", [(1, "a2", U2, "x"), (2, "b", U1, None)], s1, R2, **config)
    assert columns_of(s2) == ["id", "v", "u", *meta_columns(mode), "w"]  # ALTER TABLE ADD appends
    c1, c2 = (U1, U2) if strategy == "timestamp" else (R1, R2)
    assert versions(s2, "id", "v", "w") == sorted(
        [(1, "a", None, c1, c2, False), (1, "a2", "x", c2, OPEN, False), (2, "b", None, c1, OPEN, False)],
        key=repr,
    )
    check_history(dicts_of(s2), ["id"], META)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_duplicate_source_keys_fail_before_writing(adapter: Adapter, strategy: str) -> None:
    config = {"unique_key": "id", "hard_deletes": "new_record", **STRATEGIES[strategy]}
    dup = [(1, "a", U1), (1, "b", U1), (2, "c", U1)]
    with pytest.raises(MaterializationError) as caught:
        snap(adapter, "id v u", dup, None, R1, **config)
    assert caught.value.code == "duplicate-unique-key"
    assert "1 duplicated" in str(caught.value) and "id=1  (2 rows)" in str(caught.value)
    assert adapter.relation_type(relation(adapter, TARGET)) is None
    assert leftovers(adapter) == []

    s1 = snap(adapter, "id v u", [(1, "a", U1), (2, "c", U1)], None, R1, **config)
    before = table_rows(adapter)
    with pytest.raises(MaterializationError) as caught:
        snap(adapter, "id v u", [(1, "x", U2), (1, "y", U2)], s1, R2, **config)
    assert caught.value.code == "duplicate-unique-key"
    assert table_rows(adapter) == before
    assert leftovers(adapter) == []
    # before writing, not written and rolled back: no statement reached the table
    cfg = SnapshotConfig.model_validate(config)
    job = Job(
        name=TARGET,
        relation=relation(adapter, TARGET),
        adapter=adapter,
        config=cfg,
        run_started_at=utc(R3),
        sql=select_rows(
            adapter, [("id", "BIGINT"), ("v", "VARCHAR"), ("u", "TIMESTAMP")], [(1, "x", U3), (1, "y", U3)]
        ),
    )
    with pytest.raises(MaterializationError):
        SnapshotMaterializer().build(job)
    assert writes_to(adapter, job.log.statements) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_multi_column_unique_key(adapter: Adapter, strategy: str, mode: str) -> None:
    """(k1, k2) identifies a row; a NULL part matches NULL (NULL-safe, like incremental keys)."""
    config = {"unique_key": ["k1", "k2"], "hard_deletes": mode, **STRATEGIES[strategy]}
    s1 = snap(
        adapter, "k1 k2 v u", [(1, 1, "a", U1), (1, 2, "b", U1), (2, None, "c", U1)], None, R1, **config
    )
    s2 = snap(adapter, "k1 k2 v u", [(1, 1, "A", U2), (2, None, "c", U1), (2, 1, "d", U2)], s1, R2, **config)
    c1, c2 = (U1, U2) if strategy == "timestamp" else (R1, R2)
    gone = {
        "ignore": [(1, 2, "b", c1, OPEN, False)],
        "invalidate": [(1, 2, "b", c1, R2, False)],
        "new_record": [(1, 2, "b", c1, R2, False), (1, 2, "b", R2, OPEN, True)],
    }[mode]
    assert versions(s2, "k1", "k2", "v") == sorted(
        [
            (1, 1, "a", c1, c2, False),
            (1, 1, "A", c2, OPEN, False),
            (2, None, "c", c1, OPEN, False),
            (2, 1, "d", c2, OPEN, False),
            *gone,
        ],
        key=repr,
    )
    check_history(dicts_of(s2), ["k1", "k2"], META)
    s3 = snap(adapter, "k1 k2 v u", [(1, 1, "A", U2), (2, None, "c", U1), (2, 1, "d", U2)], s2, R3, **config)
    assert_same(s3, s2)


RENAMED = Meta(
    valid_from="start_at", valid_to="end_at", scd_id="version_id", updated_at="changed_at", is_deleted="gone"
)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_snapshot_meta_column_names_rename_every_meta_column(adapter: Adapter, strategy: str) -> None:
    names = {
        "dbt_valid_from": "start_at",
        "dbt_valid_to": "end_at",
        "dbt_scd_id": "version_id",
        "dbt_updated_at": "changed_at",
        "dbt_is_deleted": "gone",
    }
    config = {
        "unique_key": "id",
        "hard_deletes": "new_record",
        "snapshot_meta_column_names": names,
        **STRATEGIES[strategy],
    }
    s1 = snap(adapter, "id v u", [(1, "a", U1), (2, "b", U1)], None, R1, **config)
    s2 = snap(adapter, "id v u", [(1, "a2", U2)], s1, R2, **config)
    assert columns_of(s2) == ["id", "v", "u", "version_id", "changed_at", "start_at", "end_at", "gone"]
    assert not any(c.startswith("pyflow_") for c in columns_of(s2))
    c1, c2 = (U1, U2) if strategy == "timestamp" else (R1, R2)
    assert versions(s2, "id", "v", meta=RENAMED) == sorted(
        [
            (1, "a", c1, c2, False),
            (1, "a2", c2, OPEN, False),
            (2, "b", c1, R2, False),
            (2, "b", R2, OPEN, True),
        ],
        key=repr,
    )
    check_history(dicts_of(s2), ["id"], RENAMED)
    s3 = snap(adapter, "id v u", [(1, "a2", U2)], s2, R3, **config)
    assert_same(s3, s2)


SENTINEL = datetime(9999, 12, 31)


SENTINEL_CASES = [
    *((strategy, mode, "dbt_valid_to_current") for strategy in ("timestamp", "check-all") for mode in MODES),
    ("check-list", "new_record", "valid_to_current"),
]


@pytest.mark.parametrize(
    ("strategy", "mode", "key"), SENTINEL_CASES, ids=["-".join(c) for c in SENTINEL_CASES]
)
def test_valid_to_current_marks_open_rows(adapter: Adapter, strategy: str, mode: str, key: str) -> None:
    config = {
        "unique_key": "id",
        "hard_deletes": mode,
        key: "CAST('9999-12-31 00:00:00' AS TIMESTAMP)",
        **STRATEGIES[strategy],
    }
    meta = Meta(sentinel=SENTINEL)
    first, second, third = story(strategy, mode)
    s1 = snap(adapter, "id v u", S1, None, R1, **config)
    s2 = snap(adapter, "id v u", S2, s1, R2, **config)
    s3 = snap(adapter, "id v u", S3, s2, R3, **config)
    for df, expected in ((s1, first), (s2, second), (s3, third)):
        got = versions(df, "id", "v")
        assert got == sorted([(*r[:3], SENTINEL if r[3] is OPEN else r[3], r[4]) for r in expected], key=repr)
        check_history(dicts_of(df), ["id"], meta, gaps_at={(3,): {R2}} if mode == "invalidate" else {})
    s4 = snap(adapter, "id v u", S3, s3, R4, **config)
    assert_same(s4, s3)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_invalidate_hard_deletes_true_acts_as_invalidate(adapter: Adapter, strategy: str) -> None:
    config = {"unique_key": "id", "invalidate_hard_deletes": True, **STRATEGIES[strategy]}
    first, second, third = story(strategy, "invalidate")
    s1 = snap(adapter, "id v u", S1, None, R1, **config)
    s2 = snap(adapter, "id v u", S2, s1, R2, **config)
    s3 = snap(adapter, "id v u", S3, s2, R3, **config)
    assert columns_of(s3) == ["id", "v", "u", *meta_columns("invalidate")]
    assert versions(s1, "id", "v") == first
    assert versions(s2, "id", "v") == second
    assert versions(s3, "id", "v") == third
    assert current_rows(dicts_of(s2), ["id"], META) == [(1,), (2,), (4,)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_unchanged_rerun_sends_no_write_to_the_table(adapter: Adapter, strategy: str, mode: str) -> None:
    """Not only the same rows: no INSERT / MERGE / UPDATE / DELETE / ALTER reaches the table."""
    cfg = SnapshotConfig.model_validate({"unique_key": "id", "hard_deletes": mode, **STRATEGIES[strategy]})
    columns = [("id", "BIGINT"), ("v", "VARCHAR"), ("u", "TIMESTAMP")]
    target = relation(adapter, TARGET)
    jobs = []
    for rows, run_at in ((S1, R1), (S2, R2), (S2, R3)):
        job = Job(
            name=TARGET,
            relation=target,
            adapter=adapter,
            sql=select_rows(adapter, columns, rows),
            config=cfg,
            run_started_at=utc(run_at),
        )
        SnapshotMaterializer().build(job)
        jobs.append(job)
    assert writes_to(adapter, jobs[1].log.statements) != []  # the run with changes is seen writing
    assert writes_to(adapter, jobs[2].log.statements) == []


def test_snapshot_step_first_run_starts_from_no_table(adapter: Adapter) -> None:
    """``current=None`` means a first run, even when an earlier step left a table behind."""
    config = {"unique_key": "id", **STRATEGIES["check-all"]}
    snap(adapter, "id v u", S1, None, R1, **config)
    fresh = snap(adapter, "id v u", [(7, "x", U2)], None, R2, **config)
    assert versions(fresh, "id", "v") == [(7, "x", R2, OPEN, False)]


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_snapshot_step_keeps_the_type_of_an_all_null_column(adapter: Adapter, strategy: str) -> None:
    """The snapshot frame passed back as ``current`` keeps its types, even for all-NULL columns."""
    config = {"unique_key": "id", "hard_deletes": "invalidate", **STRATEGIES[strategy]}
    source = frame("id v u", [(1, None, U1), (2, None, U1)], dtypes={"v": "str"})
    s1 = snapshot_step(source, None, run_at=utc(R1), adapter=adapter, **config)
    s2 = snap(adapter, "id v u", [(1, "a", U2), (2, None, U1)], s1, R2, **config)
    c1, c2 = (U1, U2) if strategy == "timestamp" else (R1, R2)
    assert versions(s2, "id", "v") == sorted(
        [(1, None, c1, c2, False), (1, "a", c2, OPEN, False), (2, None, c1, OPEN, False)], key=repr
    )
