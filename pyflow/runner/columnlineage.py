"""Column-level lineage of a project: every output column's direct upstream columns.

For each model (SQL or Python: both compile to SQL) the compiled SELECT is analysed by
:func:`pyflow.compile.lineage.select_lineage` against the columns of the relations it reads
(the parents' output columns as the compiler knows them: compiled models, declared or
warehouse source columns, seeds' CSV columns). Ephemeral parents are inlined as CTEs, so their
children's edges go through them to real nodes; sources and seeds are nodes with no upstream.

The result is plain JSON (see :func:`column_lineage`), written to
``target/column_lineage.json`` by :func:`write_column_lineage`.

The analysis is the costly part (sqlglot qualifies and walks every column), and it depends on
nothing but its inputs: the compiled SQL, the dialect, the relations read with their columns.
:class:`LineageCache` keeps each result under a hash of those, in
``target/.pyflow/lineage-cache.json``, so a model whose SQL and inputs did not change is not
analysed again (``docs generate`` of an unchanged project, ``show --lineage``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflow.compile.cache import digest
from pyflow.compile.lineage import InputTable, SelectLineage, select_lineage
from pyflow.core.node import ModelNode, Node, TestNode
from pyflow.errors import PyflowError
from pyflow.jsonfile import read_versioned_file, write_json
from pyflow.secret import contains_secret
from pyflow.version import toolchain

if TYPE_CHECKING:
    from pyflow.runner.session import Session

LINEAGE_FILE = "column_lineage.json"
CACHE_FILE = ".pyflow/lineage-cache.json"
CACHE_VERSION = 1

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


class LineageCache:
    """Results of :func:`select_lineage` by a hash of its arguments, for the toolchain that found them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        stored = read_versioned_file(path, CACHE_VERSION)
        entries = stored.get("entries") if stored.get("toolchain") == toolchain() else None
        self.entries: dict[str, Any] = entries if isinstance(entries, dict) else {}
        self.used: set[str] = set()
        self.dirty = False

    def lineage(self, sql: str, dialect: str, tables: list[InputTable], **options: Any) -> SelectLineage:
        """:func:`select_lineage` of these arguments: stored, or found now and stored."""
        inline = sorted((name, list(vars(t).values())) for name, t in (options.get("inline") or {}).items())
        key = digest(sql, dialect, [list(vars(t).values()) for t in tables], {**options, "inline": inline})
        self.used.add(key)
        known = self.entries.get(key)
        if isinstance(known, dict):
            try:
                columns = {
                    str(c): [(str(k), str(p)) for k, p in edges] for c, edges in known["columns"].items()
                }
                return SelectLineage(columns, known.get("error"))
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # written by hand or cut short: found again below
        found = select_lineage(sql, dialect, tables, **options)
        entry: dict[str, Any] = {
            "columns": {c: [list(e) for e in edges] for c, edges in found.columns.items()}
        }
        if found.error:
            entry["error"] = found.error  # sqlglot's message may quote the SQL
        if not contains_secret(entry):  # stored masked, it would be reused with the mask in it
            self.entries[key] = entry
            self.dirty = True
        return found

    def save(self, *, complete: bool) -> None:
        """Write what changed; ``complete``: every node was analysed, so unused entries go."""
        if complete and set(self.entries) - self.used:
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
            self.dirty = True
        if not self.dirty:
            return
        try:
            write_json(
                self.path, {"version": CACHE_VERSION, "toolchain": toolchain(), "entries": self.entries}
            )
        except OSError:
            pass  # a read-only or full disk: the next command analyses again, that is all
        self.dirty = False


def _node_entry(session: Session, uid: str, cache: LineageCache | None) -> dict[str, Any]:
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
    found = (select_lineage if cache is None else cache.lineage)(
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


def column_lineage(
    session: Session, unique_ids: Iterable[str] | None = None, *, cached: bool = True
) -> dict[str, Any]:
    """Column lineage of ``unique_ids`` (default: every model, snapshot, seed and source).

    Args:
        session: The loaded project and its compiler.
        unique_ids: The nodes to trace (default: all of them).
        cached: Reuse and keep analyses in :class:`LineageCache` (off for callers asking for
            one node at a time, which would read and write the whole file each time).

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
    cache = LineageCache(project.target_dir / CACHE_FILE) if cached else None
    out = {"nodes": {uid: _node_entry(session, uid, cache) for uid in sorted(ids)}}
    if cache is not None:
        cache.save(complete=unique_ids is None)
    return out


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
    path = session.project.target_dir / LINEAGE_FILE
    write_json(path, column_lineage(session, unique_ids))
    return path


def dumps(lineage: dict[str, Any]) -> str:
    """The lineage as indented JSON text."""
    return json.dumps(lineage, indent=2, sort_keys=True)
