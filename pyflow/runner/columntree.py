"""``pyflow show --lineage MODEL.COLUMN``: one column's upstream and downstream trees.

The spec names a model, seed or snapshot and one of its columns (``orders.amount``), or a
source table and a column (``raw.orders.amount``). Only the column's ancestors and
descendants are analysed (:mod:`pyflow.runner.columnlineage`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyflow.core.node import Node, SourceNode
from pyflow.errors import GraphError, closest
from pyflow.runner.columnlineage import column_lineage, downstream_edges

if TYPE_CHECKING:
    from pyflow.runner.session import Session


def label(node: Node) -> str:
    """How a node is named in a spec: ``name``, or ``source.table`` for a source."""
    if isinstance(node, SourceNode):
        return f"{node.source_name}.{node.table_name}"
    return node.name


def _by_label(session: Session) -> dict[str, Node]:
    project = session.project
    named: dict[str, Node] = {label(s): s for s in project.sources.values()}
    named.update(project.seeds)
    named.update(project.snapshots)
    named.update(project.models)
    return named


def resolve_column(session: Session, spec: str) -> tuple[Node, str]:
    """The node and column ``spec`` (``MODEL.COLUMN`` or ``SOURCE.TABLE.COLUMN``) names.

    Raises:
        GraphError: ``unknown-node`` for a node that does not exist, ``unknown-column``
            for a column the node does not have (each with the closest names).

    """
    named = _by_label(session)
    relation, _, column = spec.rpartition(".")
    if not relation or not column:
        raise GraphError(
            f"--lineage '{spec}' does not name a column",
            hint="write MODEL.COLUMN (or SOURCE.TABLE.COLUMN for a source), e.g. "
            "`pyflow show --lineage orders.amount`",
            code="unknown-lineage-column",
        )
    node = named.get(relation)
    if node is None:
        raise GraphError(
            f"--lineage '{spec}': no model, seed, snapshot or source named '{relation}'",
            suggestions=closest(relation, named),
            hint="run `pyflow ls` to see every node; sources are written SOURCE.TABLE",
            code="unknown-node",
        )
    entry = column_lineage(session, [node.unique_id])["nodes"][node.unique_id]
    columns = {c.lower(): c for c in entry["columns"]}
    if column.lower() not in columns:
        why = f" ({entry['error']})" if entry.get("error") else ""
        raise GraphError(
            f"has no column '{column}'{why}",
            model=node.name,
            path=node.path,
            line=node.line,
            resource=node.resource_type,
            suggestions=closest(column, entry["columns"]) or list(entry["columns"])[:5],
            hint=f"pick one of its columns (`pyflow show --lineage {relation}.<column>`); "
            "columns come from the compiled SQL, so fix compile errors first (`pyflow compile`)",
            code="unknown-lineage-column",
        )
    return node, columns[column.lower()]


def column_trees(session: Session, spec: str) -> dict[str, Any]:
    """Upstream and downstream trees of the column ``spec`` names.

    Returns:
        ``{"unique_id", "column", "upstream": [tree], "downstream": [tree]}`` where each tree
        node is ``{"unique_id", "column", "upstream"|"downstream": [...]}``; ``errors`` maps
        nodes whose lineage is unknown (DataFrame models, unreadable SQL) to why.

    """
    node, column = resolve_column(session, spec)
    graph = session.project.graph
    uid = node.unique_id
    near = {uid} | graph.ancestors(uid) | graph.descendants(uid)
    lineage = column_lineage(session, near)
    up = {u: e["columns"] for u, e in lineage["nodes"].items()}
    down = downstream_edges(lineage)

    def walk(edges: dict[str, dict[str, list[dict[str, str]]]], key: str, at: str, col: str) -> list[Any]:
        return [
            {
                "unique_id": e["unique_id"],
                "column": e["column"],
                key: walk(edges, key, e["unique_id"], e["column"]),
            }
            for e in edges.get(at, {}).get(col, [])
        ]

    return {
        "unique_id": uid,
        "column": column,
        "upstream": walk(up, "upstream", uid, column),
        "downstream": walk(down, "downstream", uid, column),
        "errors": {u: e["error"] for u, e in lineage["nodes"].items() if e.get("error")},
    }


def tree_lines(session: Session, trees: dict[str, Any]) -> list[str]:
    """The trees as indented text lines."""
    project = session.project

    def name(uid: str, column: str) -> str:
        node = project.node(uid)
        return f"{node.resource_type} {label(node)}.{column}"

    lines = [name(trees["unique_id"], trees["column"])]
    for key in ("upstream", "downstream"):
        lines.append(f"  {key}:")
        before = len(lines)

        def add(items: list[Any], depth: int, key: str = key) -> None:
            for item in items:
                lines.append("  " * depth + name(item["unique_id"], item["column"]))
                add(item[key], depth + 1)

        add(trees[key], 2)
        if len(lines) == before:
            lines.append("    (none)")
    for uid, error in sorted(trees["errors"].items()):
        lines.append(f"  note: lineage of {label(project.node(uid))} is unknown: {error}")
    return lines
