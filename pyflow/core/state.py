"""State comparison: how each node differs from a previous manifest (dbt's ``state:`` method).

Owns the fingerprint of a node (the checksum of its source, its config, the configured parts
of its relation name) and comparing it with the same fingerprint stored in an earlier
``manifest.json`` (read by :mod:`pyflow.runner.state`). Knows nothing about engines, files
or running. The kinds of change, as in dbt:

* ``new``: the node is not in the earlier manifest;
* ``body``: the checksum of its source differs (a SQL file, a Python model's function, a
  seed's CSV, a test's definition);
* ``configs``: any config value differs;
* ``relation``: the configured ``database``/``schema``/``alias`` differ (for sources: the
  declared ``database``/``schema``/``identifier``). Configured values are compared, not
  rendered names, so a state from another target (production) does not make every node
  look moved.

A node is *modified* when it has any change; *unmodified* and *old* nodes are in the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyflow.core.graph import Graph
from pyflow.core.node import Node, SourceNode
from pyflow.relation import Relation

STATE_VALUES: tuple[str, ...] = (
    "new",
    "modified",
    "modified.body",
    "modified.configs",
    "modified.relation",
    "unmodified",
    "old",
)
"""Values of the ``state:`` selector method."""

RESULT_VALUES: tuple[str, ...] = ("success", "error", "fail", "warn", "pass", "skipped", "cancelled")
"""Values of the ``result:`` selector method: the statuses of ``run_results.json``."""

_RELATION_KEYS = ("database", "schema", "alias", "target_database", "target_schema")


@dataclass(frozen=True)
class StateNode:
    """What an earlier manifest says about one node.

    Attributes:
        checksum: The sha256 of its source then (None when the manifest has none).
        config: Its config then, as JSON (None for sources and when absent).
        relation_config: The configured relation parts then (see :func:`relation_config`).
        relation: Where it was built in the state's target (None: not stored, ephemeral).

    """

    checksum: str | None = None
    config: Mapping[str, Any] | None = None
    relation_config: Mapping[str, Any] = field(default_factory=dict)
    relation: Relation | None = None


@dataclass(frozen=True)
class State:
    """An earlier manifest, as far as state comparison and deferral need it."""

    path: str
    """Where it was read from, for messages."""
    nodes: Mapping[str, StateNode]
    target_name: str | None = None
    results: Mapping[str, str] | None = None
    """Status per unique id from ``run_results.json`` next to the manifest (None: no such file)."""


ACCESS_DEFAULT = "protected"
"""dbt's ``access`` of a model that sets none (its manifest schema allows no null)."""


def node_config(node: Node) -> dict[str, Any] | None:
    """A node's config as JSON (as written to ``manifest.json``), None for sources."""
    cfg = getattr(node, "config", None)
    if cfg is None or not hasattr(cfg, "model_dump"):
        return None
    dumped: dict[str, Any] = cfg.model_dump(mode="json", by_alias=True)
    if "access" in dumped and dumped["access"] is None:
        dumped["access"] = ACCESS_DEFAULT
    return dumped


def relation_config(node: Node) -> dict[str, Any]:
    """The configured parts of a node's relation name (not the rendered name)."""
    if isinstance(node, SourceNode):
        return source_relation(node.database, node.schema, node.identifier)
    return configured_relation(node_config(node) or {})


def configured_relation(config: Mapping[str, Any]) -> dict[str, Any]:
    """The relation keys set in a node's ``config`` (as JSON)."""
    return {key: config[key] for key in _RELATION_KEYS if config.get(key) is not None}


def source_relation(database: Any, schema: Any, identifier: Any) -> dict[str, Any]:
    """A source's declared relation parts."""
    return {"database": database, "schema": schema, "identifier": identifier}


def changes(node: Node, before: StateNode | None) -> frozenset[str]:
    """How ``node`` differs from ``before`` (its entry in the earlier manifest)."""
    if before is None:
        return frozenset({"new"})
    out: set[str] = set()
    checksum = getattr(node, "checksum", None)
    if checksum and before.checksum is not None and checksum != before.checksum:
        out.add("body")
    config = node_config(node)
    if config is not None and before.config is not None and config != dict(before.config):
        out.add("configs")
    if relation_config(node) != dict(before.relation_config):
        out.add("relation")
    return frozenset(out)


def compare(graph: Graph, state: State) -> dict[str, frozenset[str]]:
    """Every node's changes against ``state`` (an empty set: unmodified)."""
    return {uid: changes(node, state.nodes.get(uid)) for uid, node in graph.nodes.items()}


def matches_state(found: frozenset[str], value: str) -> bool:
    """Whether a node with changes ``found`` matches ``state:<value>``."""
    if value == "new":
        return "new" in found
    if value == "old":
        return "new" not in found
    if value == "unmodified":
        return not found
    if value == "modified":
        return bool(found)
    return value.removeprefix("modified.") in found
