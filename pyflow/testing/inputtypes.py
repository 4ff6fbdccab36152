"""The column types a unit-test input is cast to: built relation, else declared, else inferred.

A fixture says little about types (a string ``"2024-01-03"``, a column of ``None``), so each
input is cast to the types the real table has, taken from the first of:

1. the built relation in the warehouse, when the caller can read it (``pyflow test`` / ``build``
   once the session has connected to its target);
2. the columns declared in YAML with a ``data_type`` (sources, models, seeds, snapshots); a
   column declared without one (or with a type name DuckDB cannot read) takes the inferred type;
3. the types inferred offline (a source's files, a seed's CSV, a model's compiled SELECT or
   Ibis schema).

Columns none of these name are kept as the fixture gives them.
"""

from __future__ import annotations

from collections.abc import Callable

from pyflow.compile.model import Columns
from pyflow.core.node import Node

BuiltColumns = Callable[[Node], Columns | None]
"""The columns of a node's built relation in the warehouse (None when it is not there)."""


def declared_types(node: Node, to_ibis: Callable[[str], str]) -> dict[str, str]:
    """The Ibis types of the node's columns declared with a ``data_type`` in YAML.

    A type name ``to_ibis`` cannot read (another engine's spelling) is left out: that column
    takes the inferred type, as if it declared none.
    """
    declared = getattr(node, "columns", None) or {}
    out: dict[str, str] = {}
    for column in declared.values():
        if not column.data_type:
            continue
        try:
            dtype = to_ibis(column.data_type)
        except Exception:  # e.g. Ibis's DuckDB parser on 'timestamp(3) with time zone'
            continue
        if not dtype.startswith("unknown"):
            out[column.name] = dtype
    return out


def input_types(
    node: Node,
    *,
    built: BuiltColumns | None,
    to_ibis: Callable[[str], str],
    inferred: Callable[[], Columns | None],
) -> Columns | None:
    """The columns (Ibis types) a fixture for ``node`` is cast to; None when nothing is known.

    Args:
        node: the input (source, seed, model or snapshot).
        built: reads the built relation's columns, or None when the warehouse is not at hand.
        to_ibis: converts a declared ``data_type`` to an Ibis type.
        inferred: the types known offline (called only when the built relation gives none).

    """
    if built is not None:
        found = built(node)
        if found:
            return found
    declared = declared_types(node, to_ibis)
    known = inferred() or ()
    merged = [(name, declared.pop(name, dtype)) for name, dtype in known]
    merged += declared.items()
    return tuple(merged) or None
