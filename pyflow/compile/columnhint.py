"""What a misspelt column (or table method) in a Python model most likely meant.

Ibis reports ``'Table' object has no attribute 'amout'`` for ``t.amout`` and ``Column 'amout'
is not found in table. Existing columns: ...`` for ``t["amout"]`` or ``t.select("amout")``. The
model's inputs are known by parameter name, so :func:`column_typo` turns either into which
table lacks the column, the closest names (pyflow's "Did you mean") and the table's columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyflow.errors import closest

_NOT_FOUND = re.compile(r"Column '(?P<name>.*?)' is not found in table\. Existing columns: (?P<cols>.*?)\.?$")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_LISTED = 20
"""Columns listed at most (a wide table's list is cut, with how many more there are)."""


@dataclass(frozen=True)
class ColumnTypo:
    """The line to add to the error, and the names it suggests."""

    detail: str | None
    suggestions: list[str]


def column_typo(exc: BaseException, tables: Mapping[str, Any]) -> ColumnTypo | None:
    """The misspelt column or method ``exc`` reports, with what was meant; None for other errors.

    ``tables`` are the model's inputs by parameter name (anything else among them is ignored).
    """
    found = _missing(exc)
    if found is None:
        return None
    name, columns, table = found
    meant = closest(name, columns)
    if table is not None and not meant:
        methods = closest(name, [a for a in dir(table) if not a.startswith("_") and a not in columns])
        if methods:  # t.group_bye: a method, not a column
            return ColumnTypo(None, methods)
    where = _which(columns, table, tables)
    shown = ", ".join(columns[:_LISTED]) + (
        f" (and {len(columns) - _LISTED} more)" if len(columns) > _LISTED else ""
    )
    return ColumnTypo(f"{where} has no column '{name}'; its columns: {shown}", meant)


def _missing(exc: BaseException) -> tuple[str, list[str], Any] | None:
    """(missing name, the table's columns, the table when known) of an Ibis lookup failure."""
    import ibis.expr.types as ir

    if isinstance(exc, AttributeError):
        table = getattr(exc, "obj", None)
        name = getattr(exc, "name", None)
        if isinstance(table, ir.Table) and isinstance(name, str):
            return name, list(table.columns), table
        return None
    match = _NOT_FOUND.search(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    if match is None or type(exc).__module__.split(".")[0] != "ibis":
        return None
    return match["name"], [a or b for a, b in _QUOTED.findall(match["cols"])], None


def _which(columns: list[str], table: Any, tables: Mapping[str, Any]) -> str:
    """``input 'name'`` when the table is one of the model's inputs as given, else ``the table``."""
    import ibis.expr.types as ir

    inputs = {p: t for p, t in tables.items() if isinstance(t, ir.Table)}
    if table is not None:
        same = [p for p, t in inputs.items() if t is table or t.op() is table.op()]
    else:  # only the columns are known: an input with exactly these
        same = [p for p, t in inputs.items() if list(t.columns) == columns]
    return f"input '{same[0]}'" if len(same) == 1 else "the table"
