"""The project registry: nodes by kind, Python functions, macros and the resolved graph.

Built by :func:`pyflow.config.loader.load_project` from explicit paths; never filled at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pyflow.core.graph import Graph
from pyflow.core.jinja import JinjaProject
from pyflow.core.macrodeps import MacroIndex, macro_index
from pyflow.core.node import ModelNode, Node, SeedNode, SnapshotNode, SourceNode, TestNode
from pyflow.core.nodeconfig import ProjectConfig
from pyflow.core.version import version_aliases
from pyflow.errors import GraphError, closest


@dataclass
class Project:
    """A loaded project: config, nodes by kind, Python functions, macros and the graph."""

    root: Path
    config: ProjectConfig
    vars: dict[str, Any]
    models: dict[str, ModelNode]
    seeds: dict[str, SeedNode]
    snapshots: dict[str, SnapshotNode]
    tests: dict[str, TestNode]
    sources: dict[tuple[str, str], SourceNode]
    functions: Mapping[str, Callable[..., Any]]
    jinja: JinjaProject
    graph: Graph
    macro_checksum: str = ""
    disabled: dict[str, Node] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Things worth telling the user that are not errors."""
    generic_tests: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """``@generic_test`` functions by test name."""
    test_functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """``@data_test`` functions by test node name."""
    resources: dict[str, list[tuple[dict[str, Any], str, int | None]]] = field(default_factory=dict)
    """YAML entries pyflow builds nothing from (``exposures``, ``metrics``, ``semantic_models`` ...):
    per properties key, ``(entry, file, line)``; written to the manifest."""
    partial: bool = False
    """True when only the nodes a selection needs were loaded (:mod:`pyflow.config.partial`)."""

    @property
    def name(self) -> str:
        """The project name from pyflow.yml."""
        return self.config.name

    @cached_property
    def macro_index(self) -> MacroIndex:
        """Every macro with its text and calls, and the macros each node calls (read once)."""
        return macro_index(self.jinja, self.name, self.graph.nodes.values())

    def node(self, uid: str) -> Node:
        """Node by unique id."""
        return self.graph.nodes[uid]

    def by_name(self, name: str) -> Node:
        """Model or seed by name; a GraphError with suggestions otherwise."""
        if name in self.models:
            return self.models[name]
        if name in self.seeds:
            return self.seeds[name]
        if name in self.snapshots:
            return self.snapshots[name]
        versioned = version_aliases(self.models.values()).get(name)  # dim.v2, or dim for its latest
        if versioned is not None:
            return versioned
        raise GraphError(
            f"no model or seed named '{name}'",
            suggestions=closest(name, [*self.models, *self.seeds, *self.snapshots]),
            hint="run `pyflow ls` to see every node",
            code="unknown-node",
        )

    @property
    def target_dir(self) -> Path:
        """Where artifacts are written."""
        return self.root / self.config.target_path
