"""Compare two sets of rows and show how they differ: the rows only one side has, side by side.

The comparison runs in DuckDB: the expected side is cast to the actual side's column types (so
``"2024-01-03"`` equals a DATE and ``1`` equals ``1.0``), floating-point values are compared
rounded to 10 decimal places, NULLs equal NULLs, and rows are a multiset (a row expected twice
must appear twice). :func:`compare` works on two relations of one DuckDB connection (the unit
test runner uses it); :func:`assert_frame_equal` on two DataFrames (pandas or pyarrow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MAX_ROWS = 20
"""Differing rows shown per side; the rest are counted."""
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8")
_POSITION = "__pyflow_position"


@dataclass
class FrameDiff:
    """How actual rows differ from expected rows (over ``columns``)."""

    columns: tuple[str, ...]
    missing: list[tuple[Any, ...]] = field(default_factory=list)
    """Expected rows the actual rows lack."""
    unexpected: list[tuple[Any, ...]] = field(default_factory=list)
    """Actual rows that were not expected."""
    problems: list[str] = field(default_factory=list)
    """Differences that are not about rows: missing columns, types, values that cannot be cast."""
    actual_rows: int = 0
    expected_rows: int = 0
    positional: bool = False
    """Rows carry their position first (order was compared)."""

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not (self.missing or self.unexpected or self.problems)

    def render(self, indent: str = "  ") -> str:
        """A readable report: problems, then the differing rows in two columns."""
        lines = [f"{indent}{p}" for p in self.problems]
        if self.missing or self.unexpected:
            lines.append(
                f"{indent}{len(self.missing)} expected row(s) missing, {len(self.unexpected)} unexpected "
                f"row(s) (expected {self.expected_rows} row(s), got {self.actual_rows}; compared "
                f"column(s): {', '.join(self.columns)}{'; order compared' if self.positional else ''})"
            )
            lines.append("")
            lines.extend(
                indent + line
                for line in side_by_side(self.columns, self.missing, self.unexpected, self.positional)
            )
        return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return repr(value) if value == "NULL" or value != value.strip() or value == "" else value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _pair(
    left: list[tuple[Any, ...]], right: list[tuple[Any, ...]], positional: bool
) -> list[tuple[Any, Any]]:
    """Line rows up so that near-identical rows sit side by side (by position when ordered)."""
    if positional:
        by_pos_l = {r[0]: r for r in left}
        by_pos_r = {r[0]: r for r in right}
        return [(by_pos_l.get(p), by_pos_r.get(p)) for p in sorted({*by_pos_l, *by_pos_r})]
    free = list(right)
    pairs: list[tuple[Any, Any]] = []
    for row in left:
        best, score = None, 0
        for i, other in enumerate(free):
            same = sum(1 for a, b in zip(row, other, strict=True) if a == b)
            if same > score:
                best, score = i, same
        pairs.append((row, free.pop(best) if best is not None else None))
    pairs.extend((None, row) for row in free)
    return pairs


def side_by_side(
    columns: Sequence[str],
    missing: list[tuple[Any, ...]],
    unexpected: list[tuple[Any, ...]],
    positional: bool = False,
) -> list[str]:
    """Two tables next to each other: expected rows not produced | produced rows not expected.

    A row on the right that lines up with one on the left differs in the cells marked ``*``.
    """
    head = (_POSITION, *columns) if positional else tuple(columns)
    shown = ["row", *columns] if positional else list(columns)
    pairs = _pair(sorted(missing, key=_sort_key), sorted(unexpected, key=_sort_key), positional)
    more = len(pairs) - MAX_ROWS
    pairs = pairs[:MAX_ROWS]
    left_cells = [[_cell(v) for v in row] if row else [""] * len(head) for row, _ in pairs]
    right_cells = []
    for row, other in pairs:
        if other is None:
            right_cells.append([""] * len(head))
            continue
        cells = [_cell(v) for v in other]
        if row is not None:
            cells = [c + ("*" if a != b else "") for c, a, b in zip(cells, row, other, strict=True)]
        right_cells.append(cells)

    def widths(rows: list[list[str]]) -> list[int]:
        return [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(shown)]

    lw, rw = widths(left_cells), widths(right_cells)

    def fmt(cells: Sequence[str], w: list[int]) -> str:
        return "  ".join(c.ljust(n) for c, n in zip(cells, w, strict=True))

    left_title, right_title = "expected, missing from actual", "actual, not expected"
    left_width = max(len(fmt(shown, lw)), len(left_title))
    out = [
        f"{left_title.ljust(left_width)} | {right_title}",
        f"{fmt(shown, lw).ljust(left_width)} | {fmt(shown, rw)}".rstrip(),
    ]
    for lc, rc, (row, other) in zip(left_cells, right_cells, pairs, strict=True):
        left = fmt(lc, lw) if row is not None else ""
        right = fmt(rc, rw) if other is not None else ""
        out.append(f"{left.ljust(left_width)} | {right}".rstrip())
    if more > 0:
        out.append(f"... and {more} more differing row(s)")
    return out


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, type(v).__name__, _cell(v)) for v in row)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _types(cursor: Any, relation: str) -> dict[str, str]:
    return {d[0]: d[1] for d in cursor.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _value_of(expr: str, dtype: str) -> str:
    """``expr`` as compared: floating-point values rounded to 10 decimal places."""
    return f"round({expr}, 10)" if dtype.upper().split("(")[0] in _FLOAT_TYPES else expr


def _value(col: str, dtype: str) -> str:
    return _value_of(_q(col), dtype)


def compare(
    cursor: Any,
    actual: str,
    expected: str,
    columns: Sequence[str] | None = None,
    *,
    ordered: bool = False,
    expected_columns: Sequence[str] | None = None,
) -> FrameDiff:
    """Compare relation ``actual`` with relation ``expected`` (SQL names in ``cursor``'s database).

    Args:
        cursor: a DuckDB connection or cursor seeing both relations.
        actual: the rows produced.
        expected: the rows wanted; cast to ``actual``'s column types.
        columns: the columns to compare (default: every column of ``expected``); each must
            exist on both sides.
        ordered: compare row order too; both relations then hold a ``__pyflow_position``
            column numbering their rows.
        expected_columns: the column names of ``expected`` when the caller knows them
            (saves a query).

    Returns:
        The differing rows and problems (empty when equal).

    """
    have = _types(cursor, actual)
    want = dict.fromkeys(expected_columns) if expected_columns is not None else _types(cursor, expected)
    have.pop(_POSITION, None)
    want.pop(_POSITION, None)
    cols = tuple(columns) if columns is not None else tuple(want)
    diff = FrameDiff(columns=cols, positional=ordered)
    absent = [c for c in cols if c not in have]
    if absent:
        diff.problems.append(
            f"column(s) {', '.join(absent)} expected but not produced; the output has: {', '.join(have)}"
        )
    unknown = [c for c in cols if c not in want and c not in absent]
    if unknown:
        diff.problems.append(f"column(s) {', '.join(unknown)} are not in the expected rows")
    if diff.problems:
        return diff
    keys = [_POSITION] if ordered else []
    act = ", ".join([*keys, *(_value(c, have[c]) + f" AS {_q(c)}" for c in cols)])
    casts = {c: f"CAST({_q(c)} AS {have[c]})" for c in cols}
    exp = ", ".join([*keys, *(_value_of(casts[c], have[c]) + f" AS {_q(c)}" for c in cols)])
    a_sql, e_sql = f"SELECT {act} FROM {actual}", f"SELECT {exp} FROM {expected}"
    try:  # one query: the rows each side lacks, tagged
        rows = cursor.execute(
            f"SELECT 'missing' AS __side, * FROM ({e_sql} EXCEPT ALL {a_sql}) "
            f"UNION ALL SELECT 'unexpected', * FROM ({a_sql} EXCEPT ALL {e_sql})"
        ).fetchall()
    except Exception:  # an expected value the produced type cannot hold: say which
        for c in cols:
            try:
                cursor.execute(f"SELECT {casts[c]} FROM {expected}").fetchall()
            except Exception as exc:  # reported as a difference
                first = str(exc).splitlines()[0]
                diff.problems.append(
                    f"expected column '{c}' cannot be read as {have[c]} (the produced type): {first}"
                )
        if diff.problems:
            return diff
        raise
    diff.missing = [r[1:] for r in rows if r[0] == "missing"]
    diff.unexpected = [r[1:] for r in rows if r[0] == "unexpected"]
    if rows:
        counts = cursor.execute(
            f"SELECT (SELECT count(*) FROM {actual}), (SELECT count(*) FROM {expected})"
        ).fetchone()
        diff.actual_rows, diff.expected_rows = int(counts[0]), int(counts[1])
    return diff


def _arrow(frame: Any) -> Any:
    """A pandas frame as an Arrow table (DuckDB cannot scan every pandas layout, e.g. reversed views)."""
    import pyarrow as pa

    if isinstance(frame, pa.Table) or not hasattr(frame, "iloc"):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def _positioned(frame: Any) -> Any:
    import pyarrow as pa

    table = _arrow(frame)
    return table.append_column(_POSITION, pa.array(range(table.num_rows), pa.int64()))


def _dtypes(frame: Any) -> dict[str, str]:
    schema = getattr(frame, "schema", None)
    if schema is not None and hasattr(schema, "names"):
        return {n: str(t) for n, t in zip(schema.names, schema.types, strict=True)}
    return {str(c): str(t) for c, t in frame.dtypes.items()}


def assert_frame_equal(
    actual: Any,
    expected: Any,
    *,
    ignore_order: bool = True,
    check_dtype: bool = False,
    columns: Sequence[str] | None = None,
) -> None:
    """Assert two DataFrames hold the same rows; on failure show only the differing rows.

    Args:
        actual: the rows produced (pandas DataFrame or pyarrow Table).
        expected: the rows wanted; its values are cast to ``actual``'s column types.
        ignore_order: compare rows as a multiset (default); False compares position by position.
        check_dtype: also require equal column types (pandas dtypes / Arrow types).
        columns: compare only these columns; by default both frames must have the same columns.

    Raises:
        AssertionError: listing the problems and the differing rows, side by side.

    """
    import duckdb

    a_names, e_names = list(_dtypes(actual)), list(_dtypes(expected))
    problems: list[str] = []
    if columns is None:
        only_a = [c for c in a_names if c not in e_names]
        only_e = [c for c in e_names if c not in a_names]
        if only_a or only_e:
            problems.append(
                "the frames have different columns: "
                + "; ".join(
                    part
                    for part in (
                        f"only in actual: {', '.join(only_a)}" if only_a else "",
                        f"only in expected: {', '.join(only_e)}" if only_e else "",
                    )
                    if part
                )
            )
        compared = [c for c in e_names if c in a_names]
    else:
        compared = list(columns)
    if check_dtype:
        a_types, e_types = _dtypes(actual), _dtypes(expected)
        for c in compared:
            if c in a_types and c in e_types and a_types[c] != e_types[c]:
                problems.append(f"column '{c}' has type {a_types[c]} in actual but {e_types[c]} in expected")
    con = duckdb.connect()
    try:
        con.register("__pyflow_actual", _positioned(actual) if not ignore_order else _arrow(actual))
        con.register("__pyflow_expected", _positioned(expected) if not ignore_order else _arrow(expected))
        diff = compare(con, "__pyflow_actual", "__pyflow_expected", compared, ordered=not ignore_order)
    finally:
        con.close()
    diff.problems[:0] = problems
    if not diff.ok:
        raise AssertionError("DataFrames differ:\n" + diff.render())
