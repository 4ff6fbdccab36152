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
  look moved;
* ``macros``: a macro the node calls, directly or through other macros, has another
  ``macro_sql``, or is not in the earlier manifest (:mod:`pyflow.core.macrodeps`);
* ``contract``: dbt's ``same_contract``: the contract was switched on or off, or, enforced in
  both, the checksum of its columns' names, data types and constraints (and, for tables and
  incremental models, the materialization and model-level constraints) differs.

A node is *modified* when it has any change (``new`` included, as in dbt); *unmodified* and
*old* nodes are in the state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyflow.core.graph import Graph
from pyflow.core.node import ModelNode, Node, SnapshotNode, SourceNode
from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.core.macrodeps import MacroIndex

STATE_VALUES: tuple[str, ...] = (
    "new",
    "modified",
    "modified.body",
    "modified.configs",
    "modified.relation",
    "modified.macros",
    "modified.contract",
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
        contract: Its ``contract`` then (``enforced``, ``checksum``; None when not stored).

    """

    checksum: str | None = None
    config: Mapping[str, Any] | None = None
    relation_config: Mapping[str, Any] = field(default_factory=dict)
    relation: Relation | None = None
    contract: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class State:
    """An earlier manifest, as far as state comparison and deferral need it."""

    path: str
    """Where it was read from, for messages."""
    nodes: Mapping[str, StateNode]
    target_name: str | None = None
    results: Mapping[str, str] | None = None
    """Status per unique id from ``run_results.json`` next to the manifest (None: no such file)."""
    macros: Mapping[str, str] | None = None
    """``macro_sql`` per macro unique id (None: the manifest stores no macro text)."""


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


_ENFORCING = ("table", "incremental")
"""Materializations whose constraints count in a contract's checksum (dbt's)."""


def contract_checksum(node: ModelNode) -> str:
    """The contract checksum (dbt's): columns (sorted by name) with data types and constraints."""
    text = ""
    for column in sorted(node.columns.values(), key=lambda c: c.name):
        text += f"|{column.name}{column.data_type}{_canonical(column.constraints)}"
    if node.config.materialized in _ENFORCING:
        text += node.config.materialized + _canonical(node.constraints)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def node_contract(node: Node) -> dict[str, Any] | None:
    """A model's ``contract`` as written to ``manifest.json`` (None for other nodes)."""
    if not isinstance(node, ModelNode) or isinstance(node, SnapshotNode):
        return None
    contract = node.config.contract
    checksum = contract_checksum(node) if contract.enforced else None
    return {"enforced": contract.enforced, "alias_types": contract.alias_types, "checksum": checksum}


def same_contract(now: Mapping[str, Any] | None, before: Mapping[str, Any] | None) -> bool:
    """As dbt's ``same_contract``: unchanged unless switched on/off or, enforced, its checksum differs."""
    if now is None or before is None:
        return True  # not a model, or nothing stored to compare with
    if not before.get("enforced") and not now.get("enforced"):
        return True
    if bool(before.get("enforced")) != bool(now.get("enforced")):
        return False
    return bool(now.get("checksum") == before.get("checksum"))


def changes(
    node: Node, before: StateNode | None, state: State | None = None, macros: MacroIndex | None = None
) -> frozenset[str]:
    """How ``node`` differs from ``before`` (its entry in the earlier manifest ``state``).

    ``macros`` (the current project's) finds ``macros`` changes against ``state.macros``.
    """
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
    if macros is not None and state is not None and state.macros is not None:
        old = state.macros
        reached = macros.reached(node.unique_id)
        infos = [info for uid in reached if (info := macros.macros.get(uid)) is not None]
        if any(old.get(info.unique_id) != info.macro_sql for info in infos):
            out.add("macros")
    if not same_contract(node_contract(node), before.contract):
        out.add("contract")
    return frozenset(out)


def compare(graph: Graph, state: State, macros: MacroIndex | None = None) -> dict[str, frozenset[str]]:
    """Every node's changes against ``state`` (an empty set: unmodified)."""
    return {uid: changes(node, state.nodes.get(uid), state, macros) for uid, node in graph.nodes.items()}


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
