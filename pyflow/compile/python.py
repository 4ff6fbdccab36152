"""Compile a ``@model`` function: call it with Ibis tables standing for its inputs.

Each input becomes an unbound ``ibis.table`` named after its relation (qualified by database
and schema) or after its CTE; the returned expression compiles to the target's dialect with
Ibis's SQL compilers. Exceptions raised by the function become :class:`CompileError` pointing
at the line of the model's file that raised.

:class:`PythonJob` is one model's compile with everything it reads from the project and the
database resolved into plain data (its inputs' relations and columns, whether it builds
incrementally, the columns of its existing table); :func:`run_python_job` compiles it without
reading anything else, so jobs can run in worker processes (``runner/parallelcompile.py``).
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pyflow.compile.cache import VarReads, environ_reads
from pyflow.compile.columnhint import column_typo
from pyflow.compile.model import Columns, CompiledModel, Upstream, with_ctes
from pyflow.compile.portability import IbisSupport, check_ibis_support, unsupported_operation
from pyflow.compile.runtime import Runtime, plan_runtime, project_root, runtime_ops
from pyflow.core.node import ModelNode, Node
from pyflow.core.spec import CTX_PARAM, Context, TargetInfo
from pyflow.deprecations import upstream_deprecations_silenced
from pyflow.errors import CompileError, PyflowError, display_path, format_user_frames, user_frames
from pyflow.relation import Relation


@dataclass(frozen=True)
class PythonTarget:
    """What compiling any Python model for one target reads: the same for every model."""

    dialect: str
    quote: Callable[[str], str]
    support: IbisSupport
    """Ibis operations whose SQL the target rejects."""
    attach: bool
    """The target attaches memtables and Python UDFs to the connection running the model."""
    vars: Mapping[str, Any]
    target: TargetInfo
    run_started_at: datetime


@dataclass(frozen=True)
class PythonJob:
    """One Python model's compile with what it reads resolved: plain data (picklable)."""

    uid: str
    inputs: Mapping[str, Upstream]
    is_incremental: bool
    this: tuple[Relation, Columns] | None = None
    """The model's existing table and its columns as Ibis dtypes, when it reads ``ctx.this``."""


def this_table(relation: Relation, columns: Columns) -> Any:
    """An unbound Ibis table standing for the model's existing table (``ctx.this``)."""
    import ibis

    return ibis.table(
        _schema(columns), name=relation.identifier, catalog=relation.database, database=relation.schema
    )


def run_python_job(
    job: PythonJob, fn: Callable[..., Any], model: ModelNode, on: PythonTarget
) -> CompiledModel:
    """Compile one Python model (a job) for target ``on``; records the project vars it read."""
    reads = VarReads(on.vars)
    ctx = Context(
        model_name=model.name,
        vars=reads,
        target=on.target,
        run_started_at=on.run_started_at,
        is_incremental=job.is_incremental,
        this=this_table(*job.this) if job.this else None,
    )
    compiled = compile_python_model(
        fn, model, job.inputs, ctx, on.dialect, on.quote, support=on.support, attach=on.attach
    )
    return replace(compiled, vars_read=reads.read())


def ibis_table(up: Upstream, model: Node) -> Any:
    """An unbound Ibis table standing for input ``up``."""
    import ibis

    if up.columns is None:
        raise CompileError(
            f"the columns of input '{up.name}' are unknown",
            model=model.name,
            path=model.path,
            line=model.line,
            hint="declare the columns with data_type in the sources YAML, or load the "
            "source into the database before compiling",
            code="unknown-columns",
        )
    try:
        schema = _schema(up.columns)
    except Exception as exc:  # a column type Ibis cannot hold, e.g. a struct field named ':'
        first = str(exc).strip().splitlines()
        raise CompileError(
            f"the columns of input '{up.name}' cannot be an Ibis table: {first[0] if first else exc}",
            model=model.name,
            path=model.path,
            line=model.line,
            hint=f"give '{up.name}' columns of plain types and plain names (cast or rename the "
            "odd column there, e.g. a struct built from a var)",
            code="unknown-columns",
        ) from exc
    if up.relation is None:
        return ibis.table(schema, name=up.cte_name)
    rel = up.relation
    return ibis.table(schema, name=rel.identifier, catalog=rel.database, database=rel.schema)


@functools.lru_cache(maxsize=4096)
def _schema(columns: Columns) -> Any:
    """The Ibis schema of ``columns`` (immutable; many inputs share a schema, so it is memoized)."""
    import ibis

    return ibis.schema(list(columns))


def _project_root(exc: BaseException, model: Node) -> Path | None:
    """The project folder: where the model's file (``model.path``, relative) sits in the traceback."""
    for frame in traceback.extract_tb(exc.__traceback__):
        root = project_root(model, frame.filename)
        if root is not None:
            return Path(root)
    return None


def _user_line(exc: BaseException, model: Node) -> int:
    """Return the innermost line of the model's file in ``exc``'s traceback (else the ``def`` line)."""
    line = model.line
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(model.path):
            line = frame.lineno or line
    return line


def user_error(
    exc: BaseException, model: Node, what: str, tables: Mapping[str, Any] | None = None
) -> CompileError:
    """A CompileError for an exception raised inside the user's function.

    It points at the innermost frame of the user's code (the model's file or a helper module it
    calls) and shows the user's frames, each with its source line; library frames are left out
    (``--debug`` prints the whole chained traceback). A misspelt column of a table (``tables``:
    the function's inputs) gets the closest names and the table's columns.
    """
    first = str(exc).strip().splitlines()
    frames = user_frames(exc)
    root = _project_root(exc, model)
    path, line = model.path, _user_line(exc, model)
    if frames and not frames[-1].filename.endswith(model.path):
        path, line = display_path(frames[-1].filename, root), frames[-1].lineno or line
    detail = [*first[1:8], format_user_frames(frames, root)] if frames else first[1:8]
    typo = column_typo(exc, tables or {})
    if typo is not None and typo.detail:
        detail.insert(0, typo.detail)
    in_helper = path != model.path
    return CompileError(
        f"{what}: {type(exc).__name__}: {first[0] if first else ''}",
        model=model.name,
        path=path,
        line=line,
        detail="\n".join(detail) or None,
        suggestions=typo.suggestions if typo is not None else (),
        hint="fix the code at that line (in a module the function calls)"
        if in_helper
        else "fix the model function at that line",
        code="python-model-error",
    )


def call_model(
    fn: Callable[..., Any],
    model: ModelNode,
    tables: Mapping[str, Any],
    ctx: Context | None,
) -> Any:
    """Call the model function with its inputs; wrap its failures."""
    kwargs = {p: (ctx if p == CTX_PARAM else tables[p]) for p in _params(fn)}
    try:
        # a DataFrame model calls .to_pandas()/.execute() on its inputs: Ibis's own deprecations
        with upstream_deprecations_silenced():
            return fn(**kwargs)
    except PyflowError as exc:
        exc.model = exc.model or model.name
        if exc.path is None:
            exc.path, exc.line = model.path, exc.line or _user_line(exc, model)
        raise
    except Exception as exc:
        raise user_error(exc, model, "the model function raised", tables) from exc


def _params(fn: Callable[..., Any]) -> tuple[str, ...]:
    spec = getattr(fn, "__pyflow_model__", None)
    if spec is not None:
        return tuple(spec.params)
    import inspect

    return tuple(inspect.signature(fn).parameters)


def is_dataframe(value: Any) -> bool:
    """True for pandas and pyarrow tables (without importing either)."""
    mod = type(value).__module__
    return (mod.startswith("pandas") and type(value).__name__ == "DataFrame") or (
        mod.startswith("pyarrow") and type(value).__name__ == "Table"
    )


def dataframe_columns(frame: Any) -> Columns:
    """Ibis dtype strings of a pandas/pyarrow frame's columns."""
    import ibis

    with upstream_deprecations_silenced():  # ibis reads pandas' deprecated future.infer_string
        schema = ibis.memtable(frame).schema()
    return tuple((n, str(t)) for n, t in schema.items())


def compile_expression(
    result: Any,
    model: Node,
    dialect: str,
    source: str | None = None,
    *,
    attach: bool = False,
    materialized: str | None = None,
) -> tuple[str, Columns, Runtime]:
    """SQL, columns and run-time attachments of an Ibis table expression returned by a model.

    ``source`` is the model's file; ``attach`` says the target can attach memtables and Python
    UDFs to the connection running the model (else memtables are inlined as ``VALUES``; see
    :mod:`pyflow.compile.runtime`); ``materialized`` is the model's materialization.
    """
    import ibis.backends.sql.compilers as sc
    import ibis.expr.operations as ops
    import ibis.expr.types as ir
    from ibis.common.exceptions import OperationNotDefinedError, UnsupportedOperationError

    if not isinstance(result, ir.Table):
        kind = type(result).__name__
        hint = (
            "return a table: wrap a column with `.as_table()` or `.name('x').as_table()`"
            if isinstance(result, ir.Expr)
            else "return an Ibis table expression, or a pandas/pyarrow DataFrame "
            "(annotate the function `-> pd.DataFrame`)"
        )
        if result is None:  # the function ended without `return` (or with a bare one)
            kind, hint = "None (is a `return` missing?)", "end the function with `return <table expression>`"
        raise CompileError(
            f"the model returned {kind}, not an Ibis table or a DataFrame",
            model=model.name,
            path=model.path,
            line=model.line,
            hint=hint,
            code="bad-return-type",
        )
    # one walk finds what plan_runtime needs and whether any table is bound to a backend
    found = result.op().find((ops.DatabaseTable, *runtime_ops()))
    runtime, inlining = plan_runtime(
        result, model, dialect, attach=attach, materialized=materialized, source=source, found=found
    )
    try:
        compiler = inlining or getattr(sc, dialect).compiler
        unbound = result.unbind() if any(isinstance(op, ops.DatabaseTable) for op in found) else result
        query = compiler.to_sqlglot(unbound)
        # keep sqlglot's copy (copy=False saves ~0.2 ms a model but generating Trino SQL then
        # rewrites nodes Ibis shares, and dropped a CAST AS DOUBLE: integer division; the golden
        # files of tests/adapters/test_compile_examples.py caught it)
        sql = query.sql(dialect=compiler.dialect, pretty=True)
        columns = tuple((n, str(t)) for n, t in result.schema().items())
    except PyflowError:
        raise
    except (OperationNotDefinedError, UnsupportedOperationError) as exc:
        raise unsupported_operation(exc, model, dialect, source) from exc
    except Exception as exc:
        raise CompileError(
            f"Ibis cannot compile the expression for {dialect}: {type(exc).__name__}: {exc}",
            model=model.name,
            path=model.path,
            line=model.line,
            hint=f"use operations {dialect} supports, or write this model in SQL",
            code="ibis-compile",
        ) from exc
    return sql, columns, runtime


def compile_python_model(
    fn: Callable[..., Any],
    model: ModelNode,
    inputs: Mapping[str, Upstream],
    ctx: Context | None,
    dialect: str,
    quote: Callable[[str], str],
    *,
    support: IbisSupport | None = None,
    attach: bool = False,
) -> CompiledModel:
    """Compile one Python model; DataFrame-returning models compile to no SQL.

    ``support`` names Ibis operations whose SQL the target rejects (default: all run).
    ``attach``: the target can attach memtables and Python UDFs to the connection that runs the
    model; they are then carried by the compiled model (``runtime``) beside its SQL.
    """
    if model.returns_dataframe:
        return CompiledModel(model.name, None, None, is_dataframe=True)
    tables = {name: ibis_table(up, model) for name, up in inputs.items()}
    namespace = getattr(fn, "__globals__", None)
    with environ_reads(*([namespace] if isinstance(namespace, dict) else [])) as environ:
        result = call_model(fn, model, tables, ctx)
    volatile = (ctx is not None and ctx._read_run_started_at) or environ.listed
    env = tuple(sorted(environ.seen.items()))
    if is_dataframe(result):
        return CompiledModel(
            model.name, None, dataframe_columns(result), is_dataframe=True, env=env, volatile=volatile
        )
    source = getattr(getattr(fn, "__code__", None), "co_filename", None)
    if support is not None and hasattr(result, "op"):
        check_ibis_support(result, model, dialect, support, source)
    sql, columns, runtime = compile_expression(
        result, model, dialect, source, attach=attach, materialized=model.config.materialized
    )
    ctes = [
        (up.cte_name, up.cte_sql) for up in inputs.values() if up.is_inline and up.cte_name and up.cte_sql
    ]
    return CompiledModel(
        model.name, with_ctes(sql, ctes, quote), columns, env=env, volatile=volatile, runtime=runtime or None
    )
