"""Reading an SCD2 snapshot table as per-key version histories, and checking their invariants.

Used by the scenario tests and the property tests alike, so both hold the engine to the same
rules (see the docstring of ``pyflow.materializers.snapshot``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Meta:
    """Meta column names of a snapshot (lower-cased) and its open-row marker."""

    valid_from: str = "pyflow_valid_from"
    valid_to: str = "pyflow_valid_to"
    scd_id: str = "pyflow_scd_id"
    updated_at: str = "pyflow_updated_at"
    is_deleted: str = "pyflow_is_deleted"
    sentinel: datetime | None = None
    """``valid_to`` of open rows when ``dbt_valid_to_current`` is set (else NULL)."""

    @property
    def names(self) -> set[str]:
        """Every meta column name."""
        return {self.valid_from, self.valid_to, self.scd_id, self.updated_at, self.is_deleted}

    def is_open(self, row: Mapping[str, Any]) -> bool:
        """The row is its key's current version."""
        return row[self.valid_to] is None if self.sentinel is None else row[self.valid_to] == self.sentinel

    def is_deleted_row(self, row: Mapping[str, Any]) -> bool:
        """The row records a hard delete (``hard_deletes: new_record``)."""
        return bool(row.get(self.is_deleted))


def by_key(
    rows: Sequence[Mapping[str, Any]], keys: Sequence[str], meta: Meta
) -> dict[tuple[Any, ...], list[dict]]:
    """Versions per key, ordered by valid_from."""
    out: dict[tuple[Any, ...], list[dict]] = defaultdict(list)
    for row in rows:
        out[tuple(row[k] for k in keys)].append(dict(row))
    for versions in out.values():
        versions.sort(key=lambda r: r[meta.valid_from])
    return dict(out)


def check_history(
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    meta: Meta,
    *,
    gaps_at: Mapping[tuple[Any, ...], Collection[datetime]] | None = None,
) -> dict[tuple[Any, ...], list[dict]]:
    """Assert the SCD2 invariants; return the histories.

    Per key: at most one open version, and it is the latest; windows are non-empty, ordered and
    never overlap; each closed window ends exactly where the next one starts, except across a
    deletion gap (``hard_deletes: invalidate``), allowed only where ``gaps_at`` lists that key's
    window end (by default no gap anywhere). scd ids are unique and not NULL.
    """
    ids = [r[meta.scd_id] for r in rows]
    assert None not in ids, "a version has no scd id"
    assert len(set(ids)) == len(ids), "scd ids repeat"
    histories = by_key(rows, keys, meta)
    for key, versions in histories.items():
        open_rows = [v for v in versions if meta.is_open(v)]
        assert len(open_rows) <= 1, f"key {key} has {len(open_rows)} current versions: {versions}"
        if open_rows:
            assert versions[-1] is open_rows[0], (
                f"key {key}: the current version is not the latest: {versions}"
            )
        for older, newer in itertools.pairwise(versions):
            end = older[meta.valid_to]
            assert end is not None and not meta.is_open(older), (
                f"key {key}: an open version is not the latest"
            )
            assert older[meta.valid_from] < end, f"key {key}: empty or inverted window {older}"
            assert end <= newer[meta.valid_from], f"key {key}: windows overlap: {older} / {newer}"
            if end != newer[meta.valid_from]:
                allowed = (gaps_at or {}).get(key, ())
                assert end in allowed, (
                    f"key {key}: gap between {end} and {newer[meta.valid_from]} that is not a deletion"
                )
        last = versions[-1]
        if not meta.is_open(last):
            assert last[meta.valid_from] < last[meta.valid_to], f"key {key}: empty or inverted window {last}"
    return histories


def current_rows(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], meta: Meta, *, deleted: bool = False
) -> list[tuple[Any, ...]]:
    """Data of the open versions (by default the ones that do not record a delete)."""
    return sorted(
        (tuple(r[c] for c in columns) for r in rows if meta.is_open(r) and meta.is_deleted_row(r) == deleted),
        key=repr,
    )
