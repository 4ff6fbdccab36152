"""Compile Python data tests (``@generic_test`` and ``@data_test`` functions) to a SELECT.

Like a Python model, the function is called with unbound Ibis tables standing for its inputs
and returns an Ibis table: the failing rows, compiled to the target's dialect. A generic test's
``model`` is the tested relation; with a ``where`` config it is instead an inline CTE
``SELECT * FROM <relation> WHERE <where>``. Arguments naming a relation (``to: ref('x')``)
arrive as Ibis tables too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pyflow.compile.model import CompiledModel, Upstream, with_ctes
from pyflow.compile.python import compile_expression, ibis_table, user_error
from pyflow.core.node import TestNode
from pyflow.core.spec import CTX_PARAM, Context
from pyflow.deprecations import upstream_deprecations_silenced
from pyflow.errors import CompileError, PyflowError


def _call(fn: Callable[..., Any], node: TestNode, kwargs: Mapping[str, Any]) -> Any:
    try:
        with upstream_deprecations_silenced():  # ibis.memtable reads pandas' future.infer_string
            return fn(**kwargs)
    except PyflowError as exc:
        exc.model = exc.model or node.name
        exc.resource = "test"
        if exc.path is None:
            exc.path, exc.line = node.path, exc.line or node.line
        raise
    except Exception as exc:
        err = user_error(exc, node, "the test function raised")
        err.resource = "test"
        if err.path == node.path:  # else the line is in a helper module, and the hint says so
            err.hint = "fix the test function at that line"
        raise err from exc


def _compile(
    fn: Callable[..., Any],
    node: TestNode,
    kwargs: Mapping[str, Any],
    dialect: str,
    ctes: list[tuple[str, str]],
    quote: Callable[[str], str],
) -> CompiledModel:
    """Call the test function and compile the failing rows it returns."""
    import ibis.expr.types as ir

    result = _call(fn, node, kwargs)
    if not isinstance(result, ir.Table):
        raise CompileError(
            f"the test returned {type(result).__name__}, not an Ibis table of failing rows",
            model=node.name,
            resource="test",
            path=node.path,
            line=node.line,
            hint="return the rows that break the rule, e.g. `return model.filter(model[column_name] < 0)`",
            code="bad-return-type",
        )
    source = getattr(getattr(fn, "__code__", None), "co_filename", None)
    sql, columns, _ = compile_expression(result, node, dialect, source)  # memtables inlined, no UDFs
    return CompiledModel(node.name, with_ctes(sql, ctes, quote), columns)


def _inline(ups: list[Upstream]) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for up in ups:
        if up.is_inline and up.cte_name and up.cte_sql:
            out.setdefault(up.cte_name, up.cte_sql)
    return list(out.items())


def compile_generic_test(
    fn: Callable[..., Any],
    node: TestNode,
    inputs: Mapping[str, Upstream],
    dialect: str,
    quote: Callable[[str], str],
) -> CompiledModel:
    """The failing-rows SELECT of one use of a ``@generic_test`` function."""
    import ibis

    assert node.attached is not None
    tested = inputs[node.attached]
    used = [tested, *(inputs[k] for k in node.ref_args.values())]
    ctes = _inline(used)
    table = ibis_table(tested, node)
    if node.config.where:
        name = f"__pyflow_where__{node.name}"
        ctes.append((name, f"SELECT * FROM {tested.sql_ref} WHERE {node.config.where}"))
        table = ibis.table(table.schema(), name=name)
    kwargs: dict[str, Any] = {"model": table}
    for arg, value in node.kwargs.items():
        kwargs[arg] = ibis_table(inputs[node.ref_args[arg]], node) if arg in node.ref_args else value
    return _compile(fn, node, kwargs, dialect, ctes, quote)


def compile_singular_test(
    fn: Callable[..., Any],
    node: TestNode,
    inputs: Mapping[str, Upstream],
    ctx: Context,
    dialect: str,
    quote: Callable[[str], str],
) -> CompiledModel:
    """The failing-rows SELECT of a ``@data_test`` function."""
    import inspect

    kwargs = {
        p: ctx if p == CTX_PARAM else ibis_table(inputs[p], node) for p in inspect.signature(fn).parameters
    }
    return _compile(fn, node, kwargs, dialect, _inline(list(inputs.values())), quote)
