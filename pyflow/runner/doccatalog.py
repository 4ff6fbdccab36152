"""``catalog.json`` (dbt's shape): the columns and types of every relation the target holds.

Read from the engine's ``information_schema`` through the adapter (``relations_in``,
``get_columns``), for the models, seeds, snapshots and sources of the project. A node that
is not built (or is ephemeral, or a source read from files) has no entry: the docs site then
shows the columns its YAML declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyflow.core.node import ModelNode, SeedNode, SourceNode

if TYPE_CHECKING:
    from pyflow.relation import Relation
    from pyflow.runner.session import Session

_TYPES = {"table": "BASE TABLE", "view": "VIEW"}


def build_catalog(session: Session, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The catalog of the session's target: ``metadata``, ``nodes``, ``sources``, ``errors``."""
    project = session.project
    wanted: dict[str, Relation] = {}
    for uid, node in project.graph.nodes.items():
        if isinstance(node, ModelNode) and node.config.materialized == "ephemeral":
            continue
        if isinstance(node, SourceNode) and node.external_location is not None:
            continue
        if isinstance(node, ModelNode | SeedNode | SourceNode):  # snapshots are ModelNodes
            wanted[uid] = session.compiler.relation(node)
    found = session.adapter.relations_in(list(wanted.values()))
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for uid, rel in wanted.items():
        kind = found.get(rel)
        if kind is None:
            continue
        cols = session.adapter.get_columns(rel)
        entry = {
            "unique_id": uid,
            "metadata": {
                "type": _TYPES.get(str(kind), str(kind).upper()),
                "database": rel.database,
                "schema": rel.schema,
                "name": rel.identifier,
                "comment": None,
                "owner": None,
            },
            "columns": {
                c.name: {"type": c.data_type, "index": i, "name": c.name, "comment": None}
                for i, c in enumerate(cols, start=1)
            },
            "stats": {},
        }
        (sources if uid.startswith("source.") else nodes)[uid] = entry
    return {"metadata": dict(meta), "nodes": nodes, "sources": sources, "errors": None}
