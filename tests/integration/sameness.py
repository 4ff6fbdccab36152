"""Type-aware comparison of one relation's rows on two engines (DuckDB and Trino).

Drivers return the same value as different Python types (``Decimal`` or ``float``, naive or
aware ``datetime``), and engines name the same type differently (``BIGINT`` / ``bigint``,
``TIMESTAMP`` / ``timestamp(6)``, ``VARCHAR`` / ``varchar(9)``). Two relations are the same when
their columns have the same names, in the same order, of the same type *family*, and their rows
are the same multiset once every value is normalised:

- a number (``int``, ``float``, ``Decimal``) compares by value: floats and decimals as floats
  rounded to 9 significant digits (two engines may sum doubles in different orders);
- a ``datetime`` with a time zone compares as the same instant in UTC, without zone;
- NULL equals NULL (and nothing else); strings, dates, booleans compare as they are.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

FAMILIES = [
    ("integer", re.compile(r"^(tinyint|smallint|integer|int|bigint|hugeint|int\d+)$")),
    ("number", re.compile(r"^(decimal|numeric|double|real|float)")),
    ("string", re.compile(r"^(varchar|char|string|text)")),
    ("boolean", re.compile(r"^bool")),
    ("date", re.compile(r"^date$")),
    ("timestamp with time zone", re.compile(r"^timestamp(\(\d+\))? with time zone$|^timestamptz$")),
    ("timestamp", re.compile(r"^timestamp(\(\d+\))?$")),
]
"""Type family by engine type name (lower case); a number is one family: the values compare
by value whether the engine stored a DECIMAL or a DOUBLE."""


def family(data_type: str) -> str:
    """The family of an engine's type name (the name itself when none matches)."""
    text = data_type.lower().strip()
    return next((name for name, pattern in FAMILIES if pattern.search(text)), text)


def normal(value: Any) -> Any:
    """A driver value in the form two engines agree on (see the module docstring)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if number == 0 or not math.isfinite(number):
            return number
        return float(f"{number:.9g}")
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _key(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((v is None, type(v).__name__, "" if v is None else v) for v in row)


def rows(
    raw: Iterable[Sequence[Any]], transform: Callable[[list[Any]], list[Any]] | None = None
) -> list[tuple[Any, ...]]:
    """Normalised rows, sorted (NULLs last); ``transform`` may rewrite each normalised row."""
    out = []
    for row in raw:
        values = [normal(v) for v in row]
        out.append(tuple(transform(values) if transform else values))
    return sorted(out, key=_key)


def differences(left: list[tuple[Any, ...]], right: list[tuple[Any, ...]], limit: int = 5) -> list[str]:
    """Up to ``limit`` rows only in ``left`` or only in ``right`` (as ``-`` / ``+`` lines)."""
    from collections import Counter

    a, b = Counter(left), Counter(right)
    only_left = sorted((a - b).elements(), key=_key)[:limit]
    only_right = sorted((b - a).elements(), key=_key)[:limit]
    return [f"- {r}" for r in only_left] + [f"+ {r}" for r in only_right]
