"""Compile keys: when a model's cached compile result is still valid.

A model's key digests what its compiled SQL is a function of, and nothing else:

- its own code and config, macros (SQL models), target, relation, whether it builds
  incrementally, and its existing columns when a Python model reads ``ctx.this``;
- for each input, where the model reads it and what the model can see of it. A Python model
  sees its inputs' *columns* (it is called with Ibis tables of that schema), so it keys on
  them, not on its parents' code: a parent's body change that keeps its schema does not
  recompile the children, and a schema change recompiles exactly the children that read it.
  A SQL model sees only the names of its inputs (``ref()`` renders a relation). What the key
  cannot see through, it keys on the parent's own key: an inlined (ephemeral) parent, whose SQL
  is pasted into the child, and parents whose columns cost a query to learn (SQL models and
  seeds are described on DuckDB; sources are keyed on their declared or read columns).
- dbt's ``graph`` (every node of the project) when the model's or any macro's text names it.

Project vars are not in the key: each compile records the vars it read
(:class:`~pyflow.compile.cache.VarReads`) and the cache entry is valid while those vars keep
their values (see :mod:`pyflow.compile.cache`), so changing a var recompiles only the models
that read it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pyflow.compile.cache import digest
from pyflow.core.node import ModelNode, SeedNode, SourceNode
from pyflow.core.spec import CTX_PARAM
from pyflow.runner.frames import is_frame_model
from pyflow.runner.nodecolumns import source_raw_columns
from pyflow.runner.renderdb import graph_of

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler

_GRAPH_WORD = re.compile(r"\bgraph\b")


class CompileKeys:
    """Computes and memoizes the compile key of each node of one compiler's project."""

    def __init__(self, compiler: ProjectCompiler) -> None:
        self.compiler = compiler
        self.keys: dict[str, str] = {}
        self._graph_digest: str | None = None
        self._macros_read_graph: bool | None = None

    def key(self, uid: str) -> str:
        """The node's key; its ancestors' first, in a loop (a chain thousands deep is valid)."""
        if uid in self.keys:
            return self.keys[uid]
        for ancestor in self._uncached_ancestors(uid):
            self.keys[ancestor] = self._key(ancestor)
        return self.keys[uid]

    def forget(self, uid: str) -> None:
        """Drop the memoized key of ``uid``."""
        self.keys.pop(uid, None)

    def _uncached_ancestors(self, uid: str) -> list[str]:
        """``uid`` and its ancestors without a key yet, each after its parents."""
        parents = self.compiler.project.graph.param_map
        order: list[str] = []
        expanded: set[str] = set()
        stack: list[tuple[str, bool]] = [(uid, False)]
        while stack:
            current, done = stack.pop()
            if done:
                order.append(current)
            elif current not in expanded:
                expanded.add(current)
                stack.append((current, True))
                stack.extend(
                    (p, False)
                    for p in parents.get(current, {}).values()
                    if p not in expanded and p not in self.keys
                )
        return order

    def _key(self, uid: str) -> str:
        c = self.compiler
        node = c.project.node(uid)
        if isinstance(node, SourceNode):
            return digest(
                "source",
                node.unique_id,
                source_raw_columns(c, node),
                str(c.relation(node)),
                node.external_location,
            )
        if isinstance(node, SeedNode):
            return digest("seed", node.checksum, node.config.model_dump(mode="json"))
        assert isinstance(node, ModelNode)
        target = c.target
        sql = node.language == "sql"
        return digest(
            "model",
            node.language,
            node.checksum,
            c.project.macro_checksum if sql else "",
            node.config.model_dump(mode="json"),
            target.key(),
            str(c.relation(node)),
            self.this_columns(node),
            c.is_incremental(node),
            self.graph_digest() if sql and self._reads_graph(node) else "",
            sorted(
                (param, str(c.read_relation(c.project.node(p))), self._seen(p, python=not sql))
                for param, p in c.project.graph.param_map.get(uid, {}).items()
            ),
        )

    def _seen(self, parent: str, *, python: bool) -> Any:
        """What a child sees of ``parent``.

        Its columns when the child reads them and they are cheap, else its key (module docstring).
        """
        c = self.compiler
        node = c.project.node(parent)
        if is_frame_model(c, parent):  # a DataFrame model's columns come from its data, not its code
            return ["frame", c.columns(parent)]
        inlined = isinstance(node, ModelNode) and node.config.materialized == "ephemeral"
        if python and not inlined and isinstance(node, ModelNode) and node.is_python:
            return ["columns", c.columns(parent)]
        if not python and not inlined and isinstance(node, ModelNode):
            return ["model"]  # a SQL child renders ref() to the relation, already in the key
        return ["key", self.key(parent)]

    def this_columns(self, node: ModelNode) -> Any:
        """The existing table's columns, for a Python model that reads ``ctx.this``."""
        if not node.is_python or CTX_PARAM not in node.params:
            return None
        c = self.compiler
        return [(col.name, col.data_type) for col in c.adapter.get_columns(c.relation(node))]

    def _reads_graph(self, node: ModelNode) -> bool:
        """True when the SQL model's text, or any macro's, names ``graph``."""
        if self._macros_read_graph is None:
            jinja = self.compiler.project.jinja
            self._macros_read_graph = any(
                _GRAPH_WORD.search(jinja.sources[path]) for path in jinja.macro_files()
            )
        return self._macros_read_graph or bool(_GRAPH_WORD.search(node.raw_code or ""))

    def graph_digest(self) -> str:
        """A digest of dbt's ``graph`` as templates see it (every node's main fields)."""
        if self._graph_digest is None:
            self._graph_digest = digest(graph_of(self.compiler.project))
        return self._graph_digest
