"""What a SQL model's Jinja may use while it renders for a run: the target and dbt's names.

:class:`AdapterDatabase` serves ``run_query``, ``statement``, ``adapter.get_relation`` and
``adapter.get_columns_in_relation`` from the run's adapter (opened on first use, so a project
whose templates never query compiles without a connection). :func:`render_services` bundles
it with dbt's cross-database macros for the target, the invocation id and dbt's ``graph``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.adapters.crossdb import NAMES, cross_db_macros
from pyflow.compile.sql import DEFAULT_FLAGS, RenderServices
from pyflow.core.node import ModelNode, Node
from pyflow.core.project import Project
from pyflow.errors import CompileError, PyflowError
from pyflow.relation import Relation

RENDER_AT_RUN = "render-at-run"
"""Code of the error that postpones a model's render until it runs (see :class:`AdapterDatabase`)."""


class AdapterDatabase:
    """The :class:`~pyflow.core.renderdb.RenderDatabase` of one adapter.

    ``live`` False is the compile pass of ``run``/``build`` before any node runs: a template that
    reads the database then raises :data:`RENDER_AT_RUN`, and the model is rendered again when
    it runs, after its parents are built (dbt renders each model just before running it).
    """

    def __init__(self, adapter: Adapter, *, live: bool = True) -> None:
        self.adapter = adapter
        self.live = live

    def _open(self, model: str | None) -> None:
        if not self.live:
            raise CompileError(
                "the model reads the database while rendering; it renders when it runs",
                model=model,
                hint="nothing to fix: the model is rendered again when its parents are built",
                code="render-at-run",  # RENDER_AT_RUN
            )
        self.adapter.open()

    def query(self, sql: str, model: str | None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql`` on the calling thread's connection; column names and rows."""
        self._open(model)
        try:
            cursor = self.adapter._send(sql, model)  # the adapter's execution path (retries, logging)
            rows = [tuple(r) for r in cursor.fetchall()]
            names = [str(d[0]) for d in cursor.description or ()]
        except PyflowError:
            raise
        except Exception as exc:
            raise self.adapter.wrap_error(exc, sql, model) from exc
        return names, rows

    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        """``(name, type)`` of the relation's columns."""
        self._open(None)
        return [(c.name, c.data_type) for c in self.adapter.get_columns(relation)]

    def relation_type(self, relation: Relation) -> str | None:
        """``table``/``view`` or None."""
        self._open(None)
        kind = self.adapter.relation_type(relation)
        return str(kind) if kind else None

    def render(self, relation: Relation) -> str:
        """The relation's quoted name."""
        return self.adapter.render(relation)


def graph_of(project: Project) -> dict[str, Any]:
    """The ``graph`` context of dbt: ``nodes`` and ``sources`` by unique id, with their main fields."""
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for uid, node in project.graph.nodes.items():
        (sources if node.resource_type == "source" else nodes)[uid] = node_entry(project, node)
    return {"nodes": nodes, "sources": sources, "exposures": {}, "metrics": {}}


def node_entry(project: Project, node: Node) -> dict[str, Any]:
    """One node as dbt's ``graph`` (and a model's ``model`` context) shows it: its main fields."""
    uid = node.unique_id
    config = getattr(node, "config", None)
    dumped = config.model_dump() if config is not None and hasattr(config, "model_dump") else {}
    entry = {
        "unique_id": uid,
        "name": node.name,
        "resource_type": node.resource_type,
        "package_name": node.package,
        "path": node.path,
        "original_file_path": node.path,
        "fqn": list(getattr(node, "fqn", ()) or (node.package, node.name)),
        "description": getattr(node, "description", ""),
        "tags": list(getattr(config, "tags", None) or getattr(node, "tags", ()) or ()),
        "meta": dict(dumped.get("meta") or {}),
        "config": dumped,
        "depends_on": {"nodes": list(project.graph.parents.get(uid, []))},
        "columns": {n: {"name": n} for n in getattr(node, "columns", {}) or {}},
    }
    if isinstance(node, ModelNode):
        entry["raw_code"] = node.raw_code
        entry["language"] = node.language
    return entry


def render_services(
    adapter: Adapter,
    project: Project,
    this: Relation | None,
    *,
    live: bool = True,
    node: Node | None = None,
    flags: Mapping[str, Any] | None = None,
) -> RenderServices:
    """The services of one model's render on ``adapter`` (``live``: see :class:`AdapterDatabase`).

    ``node``: the model rendered, which its template sees as dbt's ``model``; ``flags``: dbt's
    ``flags`` of the invocation.
    """
    macros = cross_db_macros(adapter.type)
    return RenderServices(
        database=AdapterDatabase(adapter, live=live),
        builtins={name: functools.partial(macros.call, name) for name in NAMES},
        invocation_id=adapter.invocation_id,
        graph=lazy_graph(project),
        this_relation=this,
        model=lazy_entry(project, node) if node is not None else None,
        flags=dict(flags) if flags is not None else dict(DEFAULT_FLAGS),
    )


class Lazy(Mapping[str, Any]):
    """A mapping built on first use (few templates read dbt's ``graph`` or ``model``)."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build

    @functools.cached_property
    def _data(self) -> dict[str, Any]:
        return self._build()

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def lazy_graph(project: Project) -> Lazy:
    """The ``graph`` of dbt for ``project``, built on first use."""
    return Lazy(lambda: graph_of(project))


def lazy_entry(project: Project, node: Node) -> Lazy:
    """The ``model`` of dbt a template sees: the node's :func:`node_entry`, built on first use."""
    return Lazy(lambda: node_entry(project, node))
