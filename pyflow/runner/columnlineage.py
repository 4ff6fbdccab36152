"""Column-level lineage of a project: every output column's direct upstream columns.

For each model (SQL or Python: both compile to SQL) the compiled SELECT is analysed by
:func:`pyflow.compile.lineage.select_lineage` against the columns of the relations it reads
(the parents' output columns as the compiler knows them: compiled models, declared or
warehouse source columns, seeds' CSV columns). Ephemeral parents are inlined as CTEs, so their
children's edges go through them to real nodes; sources and seeds are nodes with no upstream.

The result is plain JSON (see :func:`column_lineage`), written to
``target/column_lineage.json`` by :func:`write_column_lineage`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflow.compile.lineage import InputTable, select_lineage
from pyflow.core.node import ModelNode, Node, TestNode
from pyflow.errors import PyflowError

if TYPE_CHECKING:
    from pyflow.runner.session import Session

LINEAGE_FILE = "column_lineage.json"

Edge = dict[str, str]
"""``{"unique_id": ..., "column": ...}``."""


def has_columns(node: Node) -> bool:
    """True for nodes with column lineage: models, snapshots, seeds and sources (not tests)."""
    return not isinstance(node, TestNode)


def _columns(session: Session, uid: str) -> tuple[str, ...] | None:
    try:
        cols = session.compiler.columns(uid)
    except PyflowError:
        return None
    return None if cols is None else tuple(name for name, _ in cols)


def _inputs(session: Session, uid: str) -> tuple[list[InputTable], dict[str, InputTable]]:
    """The relations ``uid``'s compiled SQL reads, looking through ephemeral parents.

    Returns the tables and the CTE names standing for file sources.
    """
    compiler, project = session.compiler, session.project
    tables: list[InputTable] = []
    inline: dict[str, InputTable] = {}
    seen: set[str] = set()
    stack = list(project.graph.param_map.get(uid, {}).values())
    while stack:
        parent = stack.pop()
        if parent in seen:
            continue
        seen.add(parent)
        up = compiler.upstream(parent, with_columns=False)
        if up.relation is None and isinstance(project.node(parent), ModelNode):
            stack.extend(project.graph.param_map.get(parent, {}).values())  # ephemeral: look through
            continue
        cols = _columns(session, parent)
        if up.relation is None:
            assert up.cte_name is not None
            inline[up.cte_name] = InputTable(parent, None, None, up.cte_name, cols)
            continue
        rel = up.relation
        tables.append(InputTable(parent, rel.database, rel.schema, rel.identifier, cols))
    return tables, inline


def _node_entry(session: Session, uid: str) -> dict[str, Any]:
    node = session.project.node(uid)
    if not isinstance(node, ModelNode):  # sources and seeds: where lineage starts
        return {"columns": {c: [] for c in _columns(session, uid) or ()}}
    try:
        compiled = session.compiler.compile(uid)
        tables, inline = _inputs(session, uid)
    except PyflowError as exc:
        return {"columns": {}, "error": exc.message}
    if compiled.sql is None:
        return {"columns": {}, "error": "the model returns a DataFrame: its columns are computed in Python"}
    adapter = session.adapter
    found = select_lineage(
        compiled.sql,
        adapter.dialect,
        tables,
        default_database=adapter.database,
        default_schema=adapter.schema,
        inline=inline,
        output_columns=_columns(session, uid),
    )
    entry: dict[str, Any] = {
        "columns": {
            col: [{"unique_id": key, "column": parent_col} for key, parent_col in edges]
            for col, edges in found.columns.items()
        }
    }
    if found.error:
        entry["error"] = found.error
    return entry


def column_lineage(session: Session, unique_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """Column lineage of ``unique_ids`` (default: every model, snapshot, seed and source).

    Returns:
        ``{"nodes": {uid: {"columns": {column: [{"unique_id": parent, "column": parent_column}]}}}}``
        with each output column's direct upstream columns (an empty list for a column computed
        from constants alone). A node whose lineage cannot be found (a DataFrame model, SQL
        sqlglot cannot read) has no columns and an ``"error"`` saying why.

    """
    project = session.project
    if unique_ids is None:
        ids = [uid for uid, node in project.graph.nodes.items() if has_columns(node)]
    else:
        ids = [uid for uid in unique_ids if has_columns(project.node(uid))]
    return {"nodes": {uid: _node_entry(session, uid) for uid in sorted(ids)}}


def downstream_edges(lineage: dict[str, Any]) -> dict[str, dict[str, list[Edge]]]:
    """Invert :func:`column_lineage`: ``{uid: {column: [direct children's columns]}}``."""
    out: dict[str, dict[str, list[Edge]]] = {}
    for uid, entry in lineage["nodes"].items():
        for column, parents in entry["columns"].items():
            for edge in parents:
                child = {"unique_id": uid, "column": column}
                out.setdefault(edge["unique_id"], {}).setdefault(edge["column"], []).append(child)
    for columns in out.values():
        for children in columns.values():
            children.sort(key=lambda e: (e["unique_id"], e["column"]))
    return out


def write_column_lineage(session: Session, unique_ids: Iterable[str] | None = None) -> Path:
    """Write ``target/column_lineage.json`` and return its path."""
    from pyflow.jsonfile import write_json

    path = session.project.target_dir / LINEAGE_FILE
    write_json(path, column_lineage(session, unique_ids))
    return path


def dumps(lineage: dict[str, Any]) -> str:
    """The lineage as indented JSON text."""
    return json.dumps(lineage, indent=2, sort_keys=True)
