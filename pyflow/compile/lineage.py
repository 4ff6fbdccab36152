"""Column-level lineage of one compiled SELECT (sqlglot's ``lineage``), offline.

Given a model's compiled SQL and the columns of the relations it reads, this module answers,
for every output column, which input columns it is computed from. It knows nothing about
nodes or the project: the runner (:mod:`pyflow.runner.columnlineage`) names the inputs.
CTEs (ephemeral models are inlined as CTEs) are traced through to the relations below them;
``SELECT *`` is expanded where an input's columns are known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FILE_SCHEMA = "__pyflow_file__"
"""The schema of the stand-in tables that replace file-source CTEs during the analysis."""


@dataclass(frozen=True)
class InputTable:
    """A relation the SQL reads: who it is (``key``) and its columns when known."""

    key: str
    database: str | None
    schema: str | None
    identifier: str
    columns: tuple[str, ...] | None = None


@dataclass
class SelectLineage:
    """Each output column's direct inputs as ``(input key, input column)``, or why unknown."""

    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    error: str | None = None


def _parts(database: str | None, schema: str | None, name: str) -> tuple[str, str, str]:
    return ((database or "").lower(), (schema or "").lower(), name.lower())


def select_lineage(
    sql: str,
    dialect: str,
    inputs: Sequence[InputTable],
    *,
    default_database: str | None,
    default_schema: str | None,
    inline: Mapping[str, InputTable] | None = None,
    output_columns: Sequence[str] | None = None,
) -> SelectLineage:
    """Trace every output column of ``sql`` back to columns of ``inputs``.

    Args:
        sql: One SELECT (with CTEs), as compiled for ``dialect``.
        dialect: sqlglot dialect name.
        inputs: The relations the SQL names (ephemeral parents' inputs included).
        default_database: Catalog of unqualified table names.
        default_schema: Schema of unqualified table names.
        inline: CTE names standing for inputs read from files (file sources): the CTE is
            treated as that input's table.
        output_columns: The model's columns as known elsewhere (their spelling wins).

    Returns:
        The lineage; ``error`` is set (and ``columns`` empty) when sqlglot cannot analyse the SQL.

    """
    from sqlglot import exp, parse_one
    from sqlglot.errors import SqlglotError
    from sqlglot.lineage import lineage

    tables = list(inputs)
    try:
        tree = parse_one(sql, dialect=dialect)
        for cte in list(tree.find_all(exp.CTE)):
            stand_in = (inline or {}).get(cte.alias)
            if stand_in is not None:  # a file scan: make it a table whose columns we know
                table = exp.table_(cte.alias, db=FILE_SCHEMA, catalog=default_database)
                cte.set("this", exp.select("*").from_(table))
                tables.append(
                    InputTable(stand_in.key, default_database, FILE_SCHEMA, cte.alias, stand_in.columns)
                )
        by_name = {_parts(t.database or default_database, t.schema, t.identifier): t for t in tables}
        schema = _schema(tables, default_database)
        nodes = lineage(
            None,
            tree,
            schema=schema,
            dialect=dialect,
            catalog=default_database if _three_level(tables, default_database) else None,
            db=default_schema,
            trim_selects=False,  # a node's `source` (unread here) stays the scope's query, not a copy
            copy=False,  # the tree is this call's own
        )
    except (SqlglotError, RecursionError, ValueError, KeyError) as exc:
        return SelectLineage(error=f"{type(exc).__name__}: {exc}")
    spelled = {c.lower(): c for c in output_columns or ()}
    result = SelectLineage()
    for out_name, root in nodes.items():
        edges: set[tuple[str, str]] = set()
        for node in root.walk():
            if not isinstance(node.expression, exp.Table):
                continue
            table = node.expression
            found = by_name.get(_parts(table.catalog or default_database, table.db, table.name))
            if found is None and not table.catalog:
                found = by_name.get(_parts(None, table.db, table.name))
            if found is None:
                continue  # a table function or an object the project does not know
            column = _column_name(node.name)
            known = {c.lower(): c for c in found.columns or ()}
            edges.add((found.key, known.get(column.lower(), column)))
        result.columns[spelled.get(out_name.lower(), out_name)] = sorted(edges)
    return result


_LAST_PART = re.compile(r'(?:"((?:[^"]|"")*)"|`((?:[^`]|``)*)`|([^."`]+))$')


def _column_name(dotted: str) -> str:
    """The column of a qualified reference: ``t2."customer_id"`` -> ``customer_id``."""
    found = _LAST_PART.search(dotted)
    if found is None:
        return dotted
    double, back, bare = found.groups()
    if double is not None:
        return double.replace('""', '"')
    if back is not None:
        return back.replace("``", "`")
    return str(bare)


def _three_level(tables: Sequence[InputTable], default_database: str | None) -> bool:
    return all(t.database or default_database for t in tables)


def _schema(tables: Sequence[InputTable], default_database: str | None) -> dict[str, Any]:
    """The nested mapping sqlglot reads: (catalog ->) schema -> table -> column -> type."""
    three = _three_level(tables, default_database)
    schema: dict[str, Any] = {}
    for t in tables:
        if t.columns is None:
            continue
        level = schema
        if three:
            level = level.setdefault(t.database or default_database or "", {})
        level = level.setdefault(t.schema or "", {})
        level[t.identifier] = {c: "UNKNOWN" for c in t.columns}
    return schema
