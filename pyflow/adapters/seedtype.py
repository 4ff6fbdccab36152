"""The column types dbt gives a seed, for engines that load seeds as dbt-duckdb does.

dbt reads a seed with agate and a fixed type tester (dbt-common's ``build_type_tester``); a
column gets the first type every non-null value fits, in this order, and dbt-duckdb turns it
into a column type with dbt-adapters' SQL defaults:

=====================================  ==========================================
agate type (values)                    DuckDB column type
=====================================  ==========================================
Number without decimal places          ``INTEGER`` (``BIGINT`` when a value is out
                                       of INTEGER's range, where dbt-duckdb fails)
Number with decimal places (``1.0``)   ``DOUBLE`` (dbt's ``float8``)
Date ``%Y-%m-%d``                      ``DATE``
DateTime ``%Y-%m-%d %H:%M:%S``, ISO    ``TIMESTAMP``
8601 with ``T``
Boolean (``true``/``false``, any case) ``BOOLEAN``
anything else                          ``VARCHAR`` (dbt's ``text``)
=====================================  ==========================================

``""`` and ``null`` are NULL and fit every type, so a column with no values at all is
a Number: ``INTEGER``. Agate's Number also reads grouping commas, currency signs and percent
signs (``1,000``, ``$5``, ``7%``); here such values are text, which the engine can load as is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from pyflow.adapters import csvfile

NULL_STRINGS = ("", "null", "NULL", "Null")
"""Values that load as NULL in every column (agate's ``""`` and ``null``; other casings of
``null``, and values with surrounding spaces, are text here)."""

_NUMBER = re.compile(r"[+-]?(?:(\d+)(?:\.(\d*))?|\.(\d+))")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_DATETIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_INT32 = 2**31
_INT64 = 2**63


def is_null(value: str) -> bool:
    """True for the values a seed loads as NULL (:data:`NULL_STRINGS`)."""
    return value in NULL_STRINGS


def _number(values: Sequence[str]) -> str | None:
    decimals = False
    low = high = 0
    for value in values:
        m = _NUMBER.fullmatch(value)
        if m is None:
            return None
        if m[2] or m[3]:
            decimals = True
        else:
            n = int(value.rstrip("."))
            low, high = min(low, n), max(high, n)
    if decimals:
        return "DOUBLE"
    if low >= -_INT32 and high < _INT32:
        return "INTEGER"
    return "BIGINT" if low >= -_INT64 and high < _INT64 else "DOUBLE"


def _parses(values: Sequence[str], pattern: re.Pattern[str], fmt: str | None) -> bool:
    for value in values:
        if not pattern.fullmatch(value):
            return False
        try:
            if fmt is not None:
                dt.datetime.strptime(value, fmt)
            else:
                dt.datetime.fromisoformat(value.replace(",", "."))
        except ValueError:
            return False
    return True


def seed_type(values: Sequence[str]) -> str:
    """The DuckDB type dbt-duckdb gives a seed column holding ``values`` (as read from the CSV)."""
    present = [v for v in values if not is_null(v)]
    number = _number(present)
    if number is not None:
        return number
    if _parses(present, _DATE, "%Y-%m-%d"):
        return "DATE"
    if _parses(present, _DATETIME, "%Y-%m-%d %H:%M:%S") or _parses(present, _ISO_DATETIME, None):
        return "TIMESTAMP"
    if all(v.lower() in ("true", "false") for v in present):
        return "BOOLEAN"
    return "VARCHAR"


def seed_types(header: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, str]:
    """Each column's type (:func:`seed_type`)."""
    return {name: seed_type([row[i] for row in rows if i < len(row)]) for i, name in enumerate(header)}


def column_types_for(path: Path, delimiter: str, overrides: dict[str, str]) -> dict[str, str]:
    """Every column's type for loading the seed at ``path``, ``+column_types`` winning.

    The types are dbt's (:func:`seed_types`); ``overrides`` names match case-insensitively.

    A CSV that does not read gets ``overrides`` alone: loading it then reports the problem.
    """
    try:
        header, rows = csvfile.read(path, delimiter)
    except (csvfile.CsvInvalid, OSError):
        return dict(overrides)
    given = {name.lower() for name in overrides}
    inferred = {k: v for k, v in seed_types(header, rows).items() if k.lower() not in given}
    return {**inferred, **overrides}
