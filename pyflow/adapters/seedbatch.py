"""Seeds for engines that cannot read local files: the CSV as CREATE TABLE AS + INSERT ... VALUES.

The CSV is read strictly (:mod:`pyflow.adapters.csvfile`); each column's type is inferred from its
values (BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP, else VARCHAR; ``column_types`` overrides) and
the rows are cut into batches whose statements stay under the engine's query-size limit. Every
value travels as a string literal (or NULL for an empty field) and is CAST to its column's type
in the SELECT, so overrides with any engine type work the same way. Used by
:class:`~pyflow.adapters.trino.TrinoAdapter` (and so by Athena).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyflow.adapters import csvfile
from pyflow.errors import AdapterError

_BIGINT = re.compile(r"[+-]?\d+")
_DOUBLE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_BOOLEAN = {"true", "false"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?")
_INT64 = 2**63

TYPE_ORDER = ("BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR")
"""The inferred types; a column gets the first one every non-empty value fits."""


@dataclass(frozen=True)
class SeedTable:
    """A CSV read into memory: column names, their SQL types and the rows (None: empty field)."""

    columns: list[str]
    types: list[str]
    rows: list[list[str | None]]


def _fits(value: str, data_type: str) -> bool:
    if data_type == "BIGINT":
        return bool(_BIGINT.fullmatch(value)) and -_INT64 <= int(value) < _INT64
    if data_type == "DOUBLE":
        return bool(_DOUBLE.fullmatch(value))
    if data_type == "BOOLEAN":
        return value.lower() in _BOOLEAN
    try:
        if data_type == "DATE":
            return bool(_DATE.fullmatch(value)) and bool(dt.date.fromisoformat(value))
        if data_type == "TIMESTAMP":
            return bool(_TIMESTAMP.fullmatch(value)) and bool(dt.datetime.fromisoformat(value))
    except ValueError:
        return False
    return True  # VARCHAR


def infer_type(values: Sequence[str | None]) -> str:
    """The first type of :data:`TYPE_ORDER` every non-empty value fits (VARCHAR when all are empty)."""
    present = [v for v in values if v is not None]
    if not present:
        return "VARCHAR"
    return next(t for t in TYPE_ORDER if all(_fits(v, t) for v in present))


def invalid_seed(
    path: Path,
    message: str,
    line: int | None = None,
    hint: str = "fix the CSV: a header row, then one value per column on every row",
) -> AdapterError:
    """The ``seed-csv-invalid`` error for the seed at ``path``."""
    return AdapterError(
        message,
        path=str(path),
        line=line,
        resource="seed",
        model=path.stem,
        hint=hint,
        code="seed-csv-invalid",
    )


def read_seed(path: Path, column_types: dict[str, str], delimiter: str) -> SeedTable:
    """Read a seed CSV strictly (:mod:`pyflow.adapters.csvfile`); an empty field is NULL."""
    try:
        header, records = csvfile.read(path, delimiter)
    except csvfile.CsvInvalid as exc:
        raise seed_error(path, exc.problem) from None
    rows: list[list[str | None]] = [[v if v != "" else None for v in record] for record in records]
    types = [column_types.get(name) or infer_type([row[i] for row in rows]) for i, name in enumerate(header)]
    return SeedTable(list(header), types, rows)


def count_seed(path: Path, delimiter: str, shown: str | None = None) -> int:
    """The data records of a seed CSV, read strictly (``seed-csv-invalid`` when it is malformed).

    ``shown``: the path errors name (e.g. relative to the project), default ``path``.
    """
    try:
        return csvfile.count(path, delimiter)
    except csvfile.CsvInvalid as exc:
        raise seed_error(path, exc.problem, shown) from None


def seed_error(path: Path, problem: csvfile.CsvProblem, shown: str | None = None) -> AdapterError:
    """The ``seed-csv-invalid`` error for a CSV problem of the seed at ``path``."""
    return csvfile.error(shown or path, problem, code="seed-csv-invalid", model=path.stem, resource="seed")


def string_literal(value: str | None) -> str:
    """A SQL string literal (quotes doubled), or NULL."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _normalize(value: str | None, data_type: str) -> str | None:
    """The text the engine casts without surprises (lowercase booleans, a space in timestamps)."""
    if value is None:
        return None
    if data_type == "BOOLEAN":
        return value.lower()
    if data_type == "TIMESTAMP" and _TIMESTAMP.fullmatch(value):
        return value.replace("T", " ")
    return value


def value_rows(table: SeedTable) -> list[str]:
    """One ``('a', NULL, ...)`` tuple per row."""
    return [
        "(" + ", ".join(string_literal(_normalize(v, t)) for v, t in zip(row, table.types, strict=True)) + ")"
        for row in table.rows
    ]


def batches(
    rows: Sequence[str],
    first: Callable[[str], str],
    rest: Callable[[str], str],
    max_bytes: int,
    *,
    path: Path,
) -> list[str]:
    """Statements ``first(values)``, then ``rest(values)`` ..., each at most ``max_bytes`` in UTF-8.

    ``values`` is a run of ``rows`` joined by comma-newline; every row goes in exactly one statement,
    in order. ``rows`` must not be empty.
    """
    out: list[str] = []
    build = first
    current: list[str] = []
    overhead = len(build("\x00").encode()) - 1
    size = overhead
    for row in rows:
        extra = len(row.encode()) + (2 if current else 0)
        if current and size + extra > max_bytes:
            out.append(build(",\n".join(current)))
            build, current = rest, []
            overhead = len(build("\x00").encode()) - 1
            size, extra = overhead, len(row.encode())
        if size + extra > max_bytes:
            raise invalid_seed(
                path,
                f"a row of the seed CSV {path.name} makes a statement longer than the engine's "
                f"{max_bytes:,}-byte query limit",
                hint="shorten that row's values, or load this data with another tool and declare it as a source",
            )
        current.append(row)
        size += extra
    out.append(build(",\n".join(current)))
    return out
