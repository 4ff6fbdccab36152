"""DataFrame models: their columns before they have run, their calls, and the children they unblock.

A model annotated ``-> pd.DataFrame`` (or ``pyarrow.Table``, ``polars.DataFrame``) is computed
in Python at run time, so its columns are known, in this order, from:

1. its declared columns, when every one has a ``data_type`` (YAML properties or ``@model(columns=...)``);
2. its table in the database, once built;
3. the frame it returns: ``pyflow compile`` calls the function for that (``call_frames``);
   ``build`` and ``run`` do not call it twice, they wait for it to run (:class:`FrameRuns`).

When none of these applies, a child that needs the columns gets :data:`PENDING`: ``build``
compiles that child again once the DataFrame model has been built in the same invocation.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pyflow.compile.model import Columns, CompiledModel
from pyflow.compile.python import call_model, dataframe_columns, is_dataframe, this_table
from pyflow.core.node import ModelNode
from pyflow.core.spec import CTX_PARAM, Context
from pyflow.deprecations import upstream_deprecations_silenced
from pyflow.errors import AdapterError, CompileError, PyflowError, UnsupportedError
from pyflow.runner.renderdb import RENDER_AT_RUN

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler

PENDING = "dataframe-columns-unknown"
"""Error code: an input's columns wait for a DataFrame model that has not run yet."""

_MISSING: Any = object()


def is_frame_model(compiler: ProjectCompiler, uid: str) -> bool:
    """True for a model declared to return a DataFrame (annotated ``-> pd.DataFrame``)."""
    node = compiler.project.node(uid)
    return isinstance(node, ModelNode) and node.returns_dataframe


def declared_columns(compiler: ProjectCompiler, node: ModelNode) -> Columns | None:
    """The model's declared columns as Ibis dtypes, when every one has a ``data_type``."""
    declared = list(node.columns.values())
    if not declared or not all(c.data_type for c in declared):
        return None
    out = []
    for col in declared:
        try:
            dtype = compiler.adapter.type_to_ibis(str(col.data_type))
        except Exception:
            dtype = "unknown"
        if dtype.startswith("unknown"):  # Ibis parsed no type out of it
            raise CompileError(
                f"the declared data_type '{col.data_type}' of column '{col.name}' is not a "
                f"{compiler.adapter.type} type",
                model=node.name,
                path=node.path,
                line=node.line,
                hint=f"write a {compiler.adapter.type} type name (bigint, varchar, decimal(10, 2), "
                "timestamp ...) or drop the data_type",
                code="invalid-config",
            )
        out.append((col.name, dtype))
    return tuple(out)


def frame_columns(compiler: ProjectCompiler, node: ModelNode) -> Columns | None:
    """A DataFrame model's columns: declared, else of its table, else (compile only) of its frame."""
    declared = declared_columns(compiler, node)
    if declared is not None:
        return declared
    adapter = compiler.adapter
    found = adapter.get_columns(compiler.read_relation(node))
    if found:
        return tuple((c.name, adapter.type_to_ibis(c.data_type)) for c in found)
    if not compiler.call_frames:
        return None
    try:
        frame = call_frame(compiler, node)
    except (AdapterError, UnsupportedError) as exc:  # its inputs are not in the database
        compiler.frame_errors[node.unique_id] = f"it cannot be called yet: {exc.message}"
        return None
    return dataframe_columns(frame)


def pending_error(node: ModelNode, frame: ModelNode, key: str, why: str | None = None) -> CompileError:
    """The error of ``node``, whose input ``key`` waits for the DataFrame model ``frame``."""
    after = f" (it reads the DataFrame model '{frame.name}')" if key != frame.name else ""
    return CompileError(
        f"the columns of input '{key}' are unknown{after}: '{frame.name}' has not been built"
        + (f" and {why}" if why else ""),
        model=node.name,
        path=node.path,
        line=node.line,
        hint=f"build it in the same run (`pyflow build --select +{node.name}`), or declare the "
        f"columns of '{frame.name}' with a data_type each (`@model(columns=...)` or its YAML properties)",
        code="dataframe-columns-unknown",  # PENDING
    )


def check_inputs(compiler: ProjectCompiler, node: ModelNode) -> None:
    """Raise :data:`PENDING` when an input of a Python model waits for an unbuilt DataFrame model."""
    graph = compiler.project.graph
    below = _below_frames(compiler)
    for key, parent in graph.param_map.get(node.unique_id, {}).items():
        frame = _unknown_frame(compiler, parent, set()) if parent in below else None
        if frame is not None:
            raise pending_error(node, frame, key, compiler.frame_errors.get(frame.unique_id))


def _below_frames(compiler: ProjectCompiler) -> frozenset[str]:
    """The models :func:`_unknown_frame` can find a DataFrame model from (computed once a project).

    DataFrame models and the models reading them through models only: any other start of the
    walk finds none, so a project without DataFrame models (or a model far from them) skips it
    (walking up from every model cost the square of a chain's depth).
    """
    if compiler.below_frames is None:
        project = compiler.project
        graph = project.graph
        children: dict[str, list[str]] = {}
        for child, inputs in graph.param_map.items():
            for parent in inputs.values():
                children.setdefault(parent, []).append(child)
        stack = [uid for uid in graph.nodes if is_frame_model(compiler, uid)]
        found: set[str] = set()
        while stack:
            current = stack.pop()
            if current not in found and isinstance(project.node(current), ModelNode):
                found.add(current)
                stack.extend(children.get(current, ()))
        compiler.below_frames = frozenset(found)
    return compiler.below_frames


def _unknown_frame(compiler: ProjectCompiler, uid: str, seen: set[str]) -> ModelNode | None:
    """The DataFrame model, ``uid`` or above it through models, whose columns are not known.

    Depth first, parents in parameter order, in a loop (a chain of models may be thousands deep).
    """
    parents = compiler.project.graph.param_map
    stack = [uid]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        node = compiler.project.node(current)
        if not isinstance(node, ModelNode) or current in compiler.declared_columns:
            continue
        if node.returns_dataframe:
            if compiler.columns(current) is None:
                return node
            continue
        stack.extend(reversed(list(parents.get(current, {}).values())))
    return None


def call_frame(compiler: ProjectCompiler, node: ModelNode) -> Any:
    """Call a DataFrame model with its inputs bound to the live connection; its frame.

    A polars DataFrame becomes a pyarrow Table and an Ibis expression is executed, so adapters
    receive pandas or pyarrow. A model with no input (and no use of ``ctx.this``) needs no
    Ibis backend: it runs on every engine.
    """
    inputs = compiler.inputs(node.unique_id)
    adapter = compiler.adapter
    if inputs or (CTX_PARAM in node.params and adapter.capabilities.ibis_backend):
        if not adapter.capabilities.ibis_backend:
            raise UnsupportedError(
                f"a DataFrame model that reads inputs ({', '.join(inputs)}) needs an Ibis backend "
                f"on the connection, which {adapter.type} has not",
                model=node.name,
                path=node.path,
                line=node.line,
                hint="compute the inputs' part as an Ibis model and keep Python-only steps in a "
                "DataFrame model without inputs, or return an Ibis expression",
                code="unsupported",
            )
        con = adapter.ibis_connection()
        tables = bound_tables(compiler, con, node.unique_id)
        ctx = model_context(compiler, node, bound=con)
    else:
        tables, ctx = {}, model_context(compiler, node)
    value = call_model(compiler.project.functions[node.name], node, tables, ctx)
    return as_frame(value, node)


def as_frame(value: Any, node: ModelNode) -> Any:
    """``value`` as a pandas DataFrame or pyarrow Table, or a CompileError for anything else."""
    kind = type(value)
    if kind.__module__.startswith("polars") and kind.__name__ == "DataFrame":
        return value.to_arrow()
    if is_dataframe(value):
        return value
    import ibis.expr.types as ir

    if isinstance(value, ir.Table):
        return value.to_pyarrow()
    missing = value is None  # the function ended without `return` (or with a bare one)
    raise CompileError(
        f"the model returned {'None (is a `return` missing?)' if missing else kind.__name__}, "
        "not a DataFrame or an Ibis table",
        model=node.name,
        path=node.path,
        line=node.line,
        hint="end the function with `return <DataFrame>`"
        if missing
        else "return a pandas or polars DataFrame, a pyarrow Table or an Ibis table expression",
        code="bad-return-type",
    )


class FrameRuns:
    """What ``build``/``run`` does around DataFrame models built in this invocation.

    Once a DataFrame model is built, its columns are read from its table; when they differ from
    what its descendants were compiled with (unknown, or an older table's), those descendants
    are compiled again when their turn comes. Thread-safe: recompiles take one lock.
    """

    def __init__(self, compiler: ProjectCompiler) -> None:
        self.compiler = compiler
        self._lock = threading.Lock()
        self._stale: set[str] = set()
        self.recompiled: dict[str, CompiledModel | PyflowError] = {}
        """Nodes compiled again at run time, with their new result (for the artifacts)."""

    def built(self, uid: str) -> None:
        """A node was built: if it is a DataFrame model whose columns changed, mark its descendants."""
        if not is_frame_model(self.compiler, uid):
            return
        c = self.compiler
        with self._lock:
            before = c._columns.get(uid, _MISSING)
            c.forget(uid)
            if c.columns(uid) == before:
                return
            c.oracle.forget(c.relation(c.project.node(uid)))
            for child in c.project.graph.descendants(uid):
                c.forget(child)
                self._stale.add(child)

    def refresh(
        self, uid: str, compiled: CompiledModel | PyflowError | None
    ) -> CompiledModel | PyflowError | None:
        """``compiled``, or a new compile when it waited for (or used older columns of) a DataFrame model."""
        pending = isinstance(compiled, PyflowError) and compiled.code in (PENDING, RENDER_AT_RUN)
        if not pending and uid not in self._stale:
            return compiled
        with self._lock:
            self._stale.discard(uid)
            self.compiler.forget(uid)
            fresh: CompiledModel | PyflowError
            try:
                fresh = self.compiler.compile(uid)
            except PyflowError as exc:
                fresh = exc
            self.recompiled[uid] = fresh
            return fresh


def model_context(compiler: ProjectCompiler, node: ModelNode, *, bound: Any = None) -> Context:
    """The ``ctx`` of a model called on live tables (a DataFrame model, a unit test; ``bound``: the connection)."""
    this = None
    found = compiler.this(node)
    if found is not None:
        rel = found[0]
        with upstream_deprecations_silenced():  # ibis's schema query: fetch_arrow_table
            this = (
                bound.table(rel.identifier, database=(rel.database, rel.schema))
                if bound is not None
                else this_table(*found)
            )
    return Context(
        model_name=node.name,
        vars=compiler.project.vars,
        target=compiler.target,
        run_started_at=compiler.run_started_at,
        is_incremental=compiler.is_incremental(node),
        this=this,
    )


def bound_tables(compiler: ProjectCompiler, con: Any, uid: str) -> dict[str, Any]:
    """A model's inputs as Ibis tables bound to the live connection ``con``."""
    node = compiler.project.node(uid)
    tables: dict[str, Any] = {}
    for key, up in compiler.inputs(uid).items():
        try:
            with upstream_deprecations_silenced():  # ibis's schema query: fetch_arrow_table
                if up.relation is not None:
                    rel = up.relation
                    tables[key] = con.table(rel.identifier, database=(rel.database, rel.schema))
                else:
                    tables[key] = con.sql(up.cte_sql or f"SELECT * FROM {up.sql_ref}")
        except Exception as exc:
            raise AdapterError(
                f"cannot read input '{key}' ({up.sql_ref}): {type(exc).__name__}: {exc}",
                model=node.name,
                path=node.path,
                line=node.line,
                hint="build the model's inputs first (`pyflow build --select +" + node.name + "`)",
                code="database-error",
            ) from exc
    return tables
