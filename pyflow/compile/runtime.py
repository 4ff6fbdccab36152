"""What a Python model needs beside its SQL: in-memory tables (memtables) and Python UDFs.

A model's Ibis expression may hold data (``ibis.memtable(...)``) and Python functions
(``@ibis.udf.scalar.python`` / ``.pyarrow`` / ``.pandas``) that exist only in this process.
The compiled SQL names them; this module finds them and decides, per target and
materialization, how each reaches the engine:

- a target that can attach Python objects to the connection running the model (DuckDB) gets
  them as :class:`Runtime`, plain data carried by the compiled model beside its SQL;
- otherwise, and for models whose SQL outlives the run (views, and ephemeral models inlined into
  other models), a memtable compiles to an inline, typed ``VALUES`` list, up to
  :data:`MAX_INLINE_CELLS` cells and :data:`MAX_INLINE_CHARS` characters of SQL per model, and a
  Python UDF is a :class:`~pyflow.errors.CompileError` (the function exists only in pyflow).

Builtin UDFs (``@ibis.udf.scalar.builtin`` / ``@ibis.udf.agg.builtin``) name a function of the
engine and need nothing at run time. Ibis 12 has no Python aggregate UDFs.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflow.compile.model import Columns
from pyflow.compile.portability import line_using
from pyflow.core.node import Node
from pyflow.errors import CompileError, display_path

MAX_INLINE_CELLS = 10_000
"""Most cells (rows x columns, all memtables of a model together) inlined as ``VALUES``."""
MAX_INLINE_CHARS = 100_000
"""Most characters of ``VALUES`` SQL inlined per model (Athena refuses queries over 256 KB)."""
PERSISTED = ("view", "ephemeral")
"""Materializations whose SQL is read after pyflow's run (or inlined into another model's)."""


@dataclass(frozen=True)
class Memtable:
    """An ``ibis.memtable`` a model uses: its name in the SQL, columns and rows (a pyarrow Table)."""

    name: str
    columns: Columns
    data: Any = field(repr=False, compare=False)

    @property
    def rows(self) -> int:
        """Number of rows."""
        return int(self.data.num_rows)


@dataclass(frozen=True)
class PythonUdf:
    """A Python scalar UDF a model calls, as the engine must register it.

    ``params`` and ``returns`` are Ibis dtype strings; ``kind`` is ``python`` (row at a time),
    ``pyarrow`` or ``pandas`` (vectorized).
    """

    name: str
    """The function's name in the compiled SQL (Ibis numbers each definition: ``add_one_0``)."""
    function: str
    """The Python function's name."""
    kind: str
    func: Callable[..., Any] = field(repr=False, compare=False)
    params: tuple[str, ...] = ()
    returns: str = ""
    config: tuple[tuple[str, Any], ...] = ()
    """Extra ``create_function`` arguments given to the decorator (e.g. ``null_handling``)."""

    def location(self, root: str | None) -> str:
        """``file:line`` of the function's ``def`` (relative to ``root``, the project, when under it)."""
        code = getattr(self.func, "__code__", None)
        if code is None:
            return self.function
        return f"{display_path(code.co_filename, Path(root) if root else None)}:{code.co_firstlineno}"


@dataclass(frozen=True)
class Runtime:
    """Memtables and UDFs to attach to the connection that runs a model's SQL."""

    memtables: tuple[Memtable, ...] = ()
    udfs: tuple[PythonUdf, ...] = ()
    root: str | None = None
    """The project folder: paths in errors (a UDF that raised) are shown relative to it."""

    def __bool__(self) -> bool:
        return bool(self.memtables or self.udfs)

    @property
    def tables(self) -> dict[str, Any]:
        """Memtable name -> pyarrow Table."""
        return {m.name: m.data for m in self.memtables}


def project_root(node: Node, source: str | None) -> str | None:
    """The project folder, from the model's file (``source``, absolute) and ``node.path`` (relative)."""
    if source is None:
        return None
    parts, rel = Path(source).parts, Path(node.path).parts
    return str(Path(*parts[: -len(rel)])) if parts[-len(rel) :] == rel else None


def find_memtables(result: Any, found: Sequence[Any] | None = None) -> list[Memtable]:
    """The memtables of an Ibis expression (among ``found``, its operations already looked up)."""
    import ibis.expr.operations as ops

    out: dict[str, Memtable] = {}
    for op in result.op().find(ops.InMemoryTable) if found is None else found:
        if isinstance(op, ops.InMemoryTable) and op.name not in out:
            columns = tuple((n, str(t)) for n, t in op.schema.items())
            out[op.name] = Memtable(op.name, columns, op.data.to_pyarrow(op.schema))
    return list(out.values())


def find_udfs(result: Any, found: Sequence[Any] | None = None) -> list[PythonUdf]:
    """The Python (non-builtin) UDFs an Ibis expression calls (among ``found``, as above)."""
    import ibis.expr.operations as ops
    from ibis.expr.operations.udf import InputType

    out: dict[str, PythonUdf] = {}
    for op in result.op().find((ops.ScalarUDF, ops.AggUDF)) if found is None else found:
        if not isinstance(op, ops.ScalarUDF | ops.AggUDF):
            continue
        if op.__input_type__ == InputType.BUILTIN or type(op).__name__ in out:
            continue
        params = tuple(str(p.annotation.pattern.dtype) for p in op.__signature__.parameters.values())
        out[type(op).__name__] = PythonUdf(
            name=type(op).__name__,
            function=op.__func_name__,
            kind=op.__input_type__.name.lower(),
            func=op.__func__,
            params=params,
            returns=str(op.dtype),
            config=tuple(sorted(op.__config__.items())),
        )
    return list(out.values())


def runtime_ops() -> tuple[type, ...]:
    """The Ibis operation types :func:`plan_runtime` looks for (to find them in one walk)."""
    import ibis.expr.operations as ops

    return (ops.InMemoryTable, ops.ScalarUDF, ops.AggUDF)


def plan_runtime(
    result: Any,
    node: Node,
    dialect: str,
    *,
    attach: bool,
    materialized: str | None,
    source: str | None,
    found: Sequence[Any] | None = None,
) -> tuple[Runtime, Any]:
    """What ``result`` needs at run time, and the Ibis compiler to compile it with.

    The compiler is None for the dialect's own (memtables are attached), else one compiling
    memtables to inline ``VALUES``. ``attach``: the target can attach Python objects to the
    connection running the model. Raises a CompileError for a UDF the model cannot use there,
    or memtables too large to inline. ``found``: the expression's operations of the types
    :func:`runtime_ops` names (or more), when the caller already walked it.
    """
    memtables = find_memtables(result, found)
    udfs = find_udfs(result, found)
    persisted = materialized in PERSISTED
    root = project_root(node, source)
    if udfs and (not attach or persisted):
        raise _udf_error(udfs[0], node, dialect, attach=attach, materialized=materialized, root=root)
    if attach and not persisted:
        return Runtime(tuple(memtables), tuple(udfs), root), None
    compiler = _inlining_class(dialect)()
    compiler.inlined = _inline_values(compiler, memtables, node, dialect, attach=attach, source=source)
    return Runtime(), compiler


def _udf_error(
    udf: PythonUdf, node: Node, dialect: str, *, attach: bool, materialized: str | None, root: str | None
) -> CompileError:
    what = f"the Python UDF '{udf.function}' ({udf.kind}, defined at {udf.location(root)})"
    if attach:
        return CompileError(
            f"{what} cannot be used in a model materialized as {materialized}: the function exists "
            "only while pyflow runs the model, so the "
            + (
                "view could not be read afterwards"
                if materialized == "view"
                else "models inlining it could not run"
            ),
            model=node.name,
            path=node.path,
            line=node.line,
            hint='materialize the model as a table (`@model(materialized="table")`) or incremental',
            code="python-udf-materialization",
        )
    why = (
        f"cannot run on {dialect}: Python UDFs run only on DuckDB, in pyflow's process"
        if node.resource_type == "model"
        else "cannot run in a data test: Python UDFs run only in models built on DuckDB"
    )
    return CompileError(
        f"{what} {why}",
        model=node.name,
        path=node.path,
        line=node.line,
        hint=f"use a built-in function of {dialect} (an Ibis method or "
        f"`@ibis.udf.scalar.builtin`), or create a SQL UDF in {dialect} and call it with "
        "`@ibis.udf.scalar.builtin(name=...)`",
        code="python-udf-unsupported",
    )


def _inline_values(
    compiler: Any, memtables: list[Memtable], node: Node, dialect: str, *, attach: bool, source: str | None
) -> dict[str, Any]:
    """Each memtable's ``VALUES`` SELECT (sqlglot), checked against the limits."""
    cells = 0
    chars = 0
    out: dict[str, Any] = {}
    for m in memtables:
        cells += m.rows * len(m.columns)
        if cells <= MAX_INLINE_CELLS:
            out[m.name] = values_select(compiler, m.name, m.data, _schema(m))
            chars += len(out[m.name].sql(dialect=compiler.dialect))
        if cells > MAX_INLINE_CELLS or chars > MAX_INLINE_CHARS:
            size = f"{m.rows} rows x {len(m.columns)} columns"
            also = (
                "; or, on DuckDB, materialize the model as a table (memtables of any size are "
                "then attached to the connection, not inlined)"
                if attach
                else ""
            )
            raise CompileError(
                f"memtable '{m.name}' (columns {', '.join(n for n, _ in m.columns)}; {size}) is too "
                f"large to inline into the {dialect} SQL as VALUES: a model inlines at most "
                f"{MAX_INLINE_CELLS:,} cells and {MAX_INLINE_CHARS:,} characters of VALUES",
                model=node.name,
                path=node.path,
                line=line_using(node, "memtable", source),
                hint="load the data as a seed (a CSV under seeds/, read with a parameter named after "
                "it) or return it from a DataFrame model" + also,
                code="memtable-too-large",
            )
    return out


def _schema(m: Memtable) -> Any:
    import ibis

    return ibis.schema(list(m.columns))


def values_select(compiler: Any, name: str, data: Any, schema: Any) -> Any:
    """``SELECT CAST(c AS t) AS c, ... FROM (VALUES ...) AS name(c, ...)``: the rows, typed.

    Every cell is an Ibis literal of its column's type (NULL cast to it); no rows is a SELECT
    of typed NULLs ``WHERE FALSE``.
    """
    import ibis.expr.operations as ops
    import sqlglot as sg
    import sqlglot.expressions as sge

    quoted = compiler.quoted
    names = list(schema.names)
    types = list(schema.types)
    cols = [sg.column(n, quoted=quoted) for n in names]

    def literal(value: Any, dtype: Any) -> Any:
        if value is None:
            return compiler.cast(sge.Null(), dtype)
        if dtype.is_timestamp() and _text_timestamps(compiler) and isinstance(value, datetime.datetime):
            return compiler.cast(sge.convert(_timestamp_text(value)), dtype)
        lit = ops.Literal(value, dtype)
        return compiler.visit_Literal(lit, value=lit.value, dtype=lit.dtype)

    rows = data.to_pylist() if hasattr(data, "to_pylist") else data.to_pyarrow(schema).to_pylist()
    if not rows:
        typed = [
            compiler.cast(sge.Null(), t).as_(n, quoted=quoted) for n, t in zip(names, types, strict=True)
        ]
        return sg.select(*typed).where(sge.false())
    tuples = [
        sge.Tuple(expressions=[literal(row[n], t) for n, t in zip(names, types, strict=True)]) for row in rows
    ]
    alias = sge.TableAlias(this=sg.to_identifier(name, quoted=quoted), columns=cols)
    values = sge.Values(expressions=tuples, alias=alias)
    typed = [compiler.cast(c, t).as_(n, quoted=quoted) for c, n, t in zip(cols, names, types, strict=True)]
    return sg.select(*typed).from_(values)


def _text_timestamps(compiler: Any) -> bool:
    """Whether timestamps are inlined as strings cast to their type (Trino and Athena).

    Ibis writes a timestamp literal there as ``from_iso8601_timestamp(...)``, which keeps
    milliseconds only (and reads a naive time in the session's zone); a string cast to the
    column's type keeps every digit the type holds.
    """
    from ibis.backends.sql.compilers.trino import TrinoCompiler

    return isinstance(compiler, TrinoCompiler)


def _timestamp_text(value: datetime.datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff``; an aware time in UTC, marked ``UTC``."""
    if value.tzinfo is None:
        return value.isoformat(sep=" ", timespec="microseconds")
    utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return utc.isoformat(sep=" ", timespec="microseconds") + " UTC"


def _visit_in_memory_table(self: Any, op: Any, *, name: str, schema: Any, data: Any) -> Any:
    found = getattr(self, "inlined", {}).get(name)  # built once, while checking the limits
    return found if found is not None else values_select(self, name, data.to_pyarrow(schema), schema)


@functools.cache
def _inlining_class(dialect: str) -> type[Any]:
    """The Ibis compiler class of ``dialect``, compiling memtables to inline ``VALUES``."""
    import ibis.backends.sql.compilers as sc

    base = type(getattr(sc, dialect).compiler)
    return type(f"Inlining{base.__name__}", (base,), {"visit_InMemoryTable": _visit_in_memory_table})
