"""Which column type changes a table's storage can make (``on_schema_change: sync_all_columns``).

``sync_all_columns`` alters a column to the type the model now produces. Engines differ:
DuckDB converts any column it can cast; Iceberg tables change a type only where no data file
must be rewritten (the spec's *type promotions*); Trino's ``hive`` and ``memory`` connectors
cannot change a column's type at all. The rules are data here so that a change the storage
refuses is reported before anything is written, not as the engine's error halfway through.

=========  =================================================================================
rules      a change from ``old`` to ``new`` is possible when
=========  =================================================================================
any        always (the engine casts the stored values, or reports values it cannot cast)
iceberg    both are the same Iceberg type (``varchar(5)`` and ``varchar`` are both ``string``),
           or ``int -> long``, ``float -> double``, or a decimal of the same scale with a
           larger precision; a type not listed below is left to the engine
none       never
=========  =================================================================================

Types are named as Trino (and Athena) report them: ``integer``, ``varchar(5)``,
``decimal(9,2)``, ``timestamp(6) with time zone``.
"""

from __future__ import annotations

import re
from typing import Literal

TypeChanges = Literal["any", "iceberg", "none"]
"""How a table's storage changes column types (see the module's table)."""

_ICEBERG_TYPES = {
    "tinyint": "int",
    "smallint": "int",
    "integer": "int",
    "int": "int",
    "bigint": "long",
    "real": "float",
    "float": "float",
    "double": "double",
    "varchar": "string",
    "char": "string",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "timestamp": "timestamp",
    "timestamp with time zone": "timestamptz",
    "varbinary": "binary",
    "uuid": "uuid",
}
"""Trino/Athena type (without its length or precision) -> the Iceberg type that stores it."""

_PROMOTIONS = frozenset({("int", "long"), ("float", "double")})

_DECIMAL = re.compile(r"decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")
_LENGTH = re.compile(r"\s*\(\s*\d+\s*\)")


def _iceberg_type(data_type: str) -> str | tuple[int, int] | None:
    """The Iceberg type storing ``data_type``: a name, (precision, scale) for a decimal, or None."""
    text = " ".join(data_type.lower().split())
    decimal = _DECIMAL.fullmatch(text)
    if decimal:
        return int(decimal[1]), int(decimal[2])
    return _ICEBERG_TYPES.get(_LENGTH.sub("", text))


def can_change_type(rules: TypeChanges, old: str, new: str) -> bool:
    """Whether storage following ``rules`` can change a column of type ``old`` to ``new``."""
    if rules == "any":
        return True
    if rules == "none":
        return False
    before, after = _iceberg_type(old), _iceberg_type(new)
    if before is None or after is None:
        return True  # a type these rules do not know: the engine decides
    if isinstance(before, tuple) or isinstance(after, tuple):
        if not (isinstance(before, tuple) and isinstance(after, tuple)):
            return False
        return after[1] == before[1] and after[0] >= before[0]
    return before == after or (before, after) in _PROMOTIONS
