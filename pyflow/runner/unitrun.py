"""YAML unit tests inside ``pyflow test`` / ``pyflow build``: their place in the run, and running them.

A unit test node depends on its model in the graph (so selecting the model selects it), but it
runs on fixtures, not on the model's table: the executor gets a view of the graph where the
unit test waits for nothing and, in ``build``, the model waits for its unit tests instead
(dbt's order) — a failing unit test skips the model and everything below it.

Running goes through :func:`pyflow.testing.unit.run_unit_test`, the same code the pytest
plugin uses, on a private in-memory DuckDB: never on the warehouse. (This is the one place the
runner imports :mod:`pyflow.testing`, inside a function; ``testing`` never imports the session.)
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.compile.model import Columns
from pyflow.core.graph import Graph
from pyflow.core.node import Node, TestNode, is_unit_test
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.errors import PyflowError
from pyflow.runner.compilation import ProjectCompiler
from pyflow.runner.events import NodeResult


def schedule(graph: Graph, ids: Sequence[str]) -> tuple[Graph, dict[str, list[str]], list[str]]:
    """The graph to execute ``ids`` over, which models wait for which unit tests, and the order.

    In the returned graph a unit test has no parents (and is no model's child); the second
    value maps each selected model to its selected unit tests; the order puts unit tests first.
    """
    selected = set(ids)
    units = [uid for uid in ids if is_unit_test(graph.nodes[uid])]
    if not units:
        return graph, {}, list(ids)
    parents = dict(graph.parents)
    children: dict[str, list[str]] = defaultdict(list, {k: list(v) for k, v in graph.children.items()})
    waits: dict[str, list[str]] = {}
    for uid in units:
        for model in parents.get(uid, []):
            children[model] = [c for c in children[model] if c != uid]
            if model in selected:
                waits.setdefault(model, []).append(uid)
        parents[uid] = []
    view = Graph(nodes=graph.nodes, parents=parents, children=children, param_map=graph.param_map)
    first = set(units)
    return view, waits, [*units, *(uid for uid in ids if uid not in first)]


def merge_waits(*tables: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Union of several node -> nodes-it-waits-for tables."""
    out: dict[str, list[str]] = {}
    for table in tables:
        for uid, ups in table.items():
            have = out.setdefault(uid, [])
            have.extend(u for u in ups if u not in have)
    return out


class UnitTestRunner:
    """Runs a session's unit tests with one harness (created on first use, shared by threads).

    Once the session has connected to its target (:meth:`connect`), fixtures are cast to the
    column types of the inputs' built relations there, when they exist; before (unit tests
    alone never connect) the declared or inferred types are used.
    """

    def __init__(self, project: Project, vars: Mapping[str, Any], dialect: str, target: TargetInfo) -> None:
        self.project = project
        self.vars = dict(vars)
        self.dialect = dialect
        self.target = target
        self._harness: Any = None
        self._lock = threading.Lock()
        self._warehouse: Adapter | None = None
        self._namer: ProjectCompiler | None = None

    def connect(self, adapter: Adapter) -> None:
        """Read the column types of built relations from ``adapter`` (an open connection)."""
        self._warehouse = adapter
        self._namer = ProjectCompiler(self.project, adapter, self.target, datetime.now(UTC))

    def built_columns(self, node: Node) -> Columns | None:
        """The columns of ``node``'s relation in the warehouse, or None (not connected, not built)."""
        warehouse, namer = self._warehouse, self._namer
        if warehouse is None or namer is None:
            return None
        try:
            found = warehouse.get_columns(namer.relation(node))
            return tuple((c.name, warehouse.type_to_ibis(c.data_type)) for c in found) or None
        except PyflowError:  # unreadable: the declared or inferred types serve
            return None

    def run(self, node: TestNode, result: NodeResult) -> None:
        """Run ``node``; set the result's status (pass/fail), message and failure count."""
        from pyflow.testing.model import ProjectHarness
        from pyflow.testing.unit import run_unit_test

        with self._lock:
            if self._harness is None:
                self._harness = ProjectHarness(
                    project=self.project,
                    vars=self.vars,
                    dialect=self.dialect,
                    target=self.target,
                    built_columns=self.built_columns,
                )
        outcome = run_unit_test(self._harness, node)
        result.status = outcome.status
        result.message = outcome.message
        diff = outcome.diff
        result.failures = 0 if diff is None else len(diff.missing) + len(diff.unexpected) + len(diff.problems)
        result.response = "PASS" if outcome.ok else f"FAIL {result.failures}"
