"""Property tests: random histories of a small source keep every SCD2 invariant.

Each example draws a strategy (timestamp, check on a list, check on ``all``), a
``hard_deletes`` mode and 3-6 runs over at most 6 keys; per run and key the source keeps the
row, updates it, drops it, or brings it back (with a new updated_at, or exactly the row it had
before the delete). updated_at only moves forward when a row changes and never passes the run
time, as a source system would behave; the timestamp strategy's guarantees assume that.

After every run: at most one current row per key; windows per key are ordered, non-empty and
never overlap, and a closed window ends where the next begins, except at a deletion in
``invalidate`` mode; the current non-deleted rows are the source's rows; a key absent from the
source has no current non-deleted row (``ignore``: it stays current with its last data;
``new_record``: its current row is a deletion record with that data); replaying the run (same
source, same run time) changes nothing. Every valid_from is the row's updated_at (timestamp) or
a run time (check, deletion records, and timestamp rows whose updated_at is not after the window
they follow).

The examples share one adapter and keep the table in place between runs (no DataFrame round
trip), so 200 examples stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyflow.adapters.base import Adapter
from pyflow.core.nodeconfig import SnapshotConfig
from pyflow.materializers.base import Job
from pyflow.materializers.snapshot import SnapshotMaterializer

from .conftest import property_settings
from .history import Meta, by_key, check_history, current_rows
from .tables import TARGET, relation, select_rows, sorted_rows

META = Meta()
KEYS = (1, 2, 3, 4, 5, 6)
VALUES = ("a", "b", None)
COLUMNS = (("id", "BIGINT"), ("v", "VARCHAR"), ("u", "TIMESTAMP"))
START = datetime(2024, 1, 1, 12, 0)
STRATEGIES: dict[str, dict[str, Any]] = {
    "timestamp": {"strategy": "timestamp", "updated_at": "u"},
    "check-list": {"strategy": "check", "check_cols": ["v"]},
    "check-all": {"strategy": "check", "check_cols": "all"},
}
MODES = ("ignore", "invalidate", "new_record")
Row = tuple[int, str | None, datetime]


@dataclass(frozen=True)
class History:
    """A drawn scenario: config and, per run, its time and the source rows."""

    strategy: str
    mode: str
    runs: tuple[tuple[datetime, tuple[Row, ...]], ...]


@st.composite
def histories(draw: st.DrawFn) -> History:
    strategy = draw(st.sampled_from(list(STRATEGIES)))
    mode = draw(st.sampled_from(MODES))
    source: dict[int, Row] = {}
    last: dict[int, Row] = {}  # each key's row when it was last present
    runs = []
    for i in range(draw(st.integers(3, 6))):
        at = START + timedelta(days=i)
        nxt: dict[int, Row] = {}
        for key in KEYS:
            fresh = at - timedelta(hours=draw(st.integers(0, 3)))  # later than any earlier updated_at
            if key in source:
                action = draw(st.sampled_from(["keep", "update", "delete"]))
                if action == "keep":
                    nxt[key] = source[key]
                elif action == "update":
                    nxt[key] = (key, draw(st.sampled_from(VALUES)), fresh)
            else:
                action = draw(
                    st.sampled_from(["absent", "insert", "restore"] if key in last else ["absent", "insert"])
                )
                if action == "insert":
                    nxt[key] = (key, draw(st.sampled_from(VALUES)), fresh)
                elif action == "restore":
                    nxt[key] = last[key]
        source = nxt
        last.update(source)
        runs.append((at, tuple(source[k] for k in sorted(source))))
    return History(strategy, mode, tuple(runs))


def read(adapter: Adapter, columns: list[str]) -> list[dict[str, Any]]:
    """The snapshot table's rows (columns known up front: no catalog query per read)."""
    sql = f"SELECT {adapter.column_list(columns)} FROM {adapter.render(relation(adapter, TARGET))}"
    return [dict(zip(columns, r, strict=True)) for r in sorted_rows(adapter.fetchall(sql))]


def snapshot(adapter: Adapter, cfg: SnapshotConfig, rows: tuple[Row, ...], at: datetime) -> None:
    job = Job(
        name=TARGET,
        relation=relation(adapter, TARGET),
        adapter=adapter,
        sql=select_rows(adapter, COLUMNS, rows),
        config=cfg,
        run_started_at=at.replace(tzinfo=UTC),
    )
    SnapshotMaterializer().build(job)


def test_snapshot_histories_keep_the_scd2_invariants(
    engine_adapter: Adapter, request: pytest.FixtureRequest
) -> None:
    @property_settings(request)
    @given(history=histories())
    def check(history: History) -> None:
        adapter = engine_adapter
        adapter.execute(adapter.drop_relation_sql(relation(adapter, TARGET), "table"))
        cfg = SnapshotConfig.model_validate(
            {"unique_key": "id", "hard_deletes": history.mode, **STRATEGIES[history.strategy]}
        )
        data = ["id", "v"] if history.strategy == "check-list" else ["id", "v", "u"]
        meta = [META.scd_id, META.updated_at, META.valid_from, META.valid_to]
        columns = ["id", "v", "u", *meta, *([META.is_deleted] if history.mode == "new_record" else [])]
        seen: dict[int, Row] = {}
        gaps: dict[tuple[Any, ...], set[datetime]] = {}
        run_times: set[datetime] = set()
        for at, rows in history.runs:
            present = {r[0] for r in rows}
            for key in set(seen) - present:
                gaps.setdefault((key,), set()).add(at)  # a delete recorded at this run (invalidate)
            run_times.add(at)
            snapshot(adapter, cfg, rows, at)
            table = read(adapter, columns)

            check_history(table, ["id"], META, gaps_at=gaps if history.mode == "invalidate" else {})
            for row in table:  # valid_from: the source's updated_at, else (and always for check) a run time
                start = row[META.valid_from]
                if history.strategy == "timestamp" and not row.get(META.is_deleted):
                    assert start == row["u"] or (start in run_times and start > row["u"]), row
                else:
                    assert start in run_times, row
            index = {c: i for i, c in enumerate(("id", "v", "u"))}
            absent = {k: seen[k] for k in seen if k not in present}
            expected = [tuple(r[index[c]] for c in data) for r in rows]
            kept = (
                [tuple(r[index[c]] for c in data) for r in absent.values()]
                if history.mode == "ignore"
                else []
            )
            assert current_rows(table, data, META) == sorted(expected + kept, key=repr)
            deleted = current_rows(table, data, META, deleted=True)
            if history.mode == "new_record":
                assert deleted == sorted(
                    (tuple(r[index[c]] for c in data) for r in absent.values()), key=repr
                )
            else:
                assert deleted == []
            if history.mode == "invalidate":
                histories_now = by_key(table, ["id"], META)
                assert all(not any(META.is_open(v) for v in histories_now[(k,)]) for k in absent)

            snapshot(adapter, cfg, rows, at)  # replay: same source, same run time
            assert read(adapter, columns) == table
            seen.update({r[0]: r for r in rows})

    check()
