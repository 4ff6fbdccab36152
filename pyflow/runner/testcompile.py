"""Compile a data test: a generic or singular test in SQL (Jinja) or Python, to its failing-rows SELECT.

The test's inputs (the node it tests, the models a ``relationships`` test reads) come from the
project compiler like a model's; freshness and recency tests also need the tested column's
type, to compare it as a UTC timestamp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflow.compile.datatest import compile_test
from pyflow.compile.model import CompiledModel
from pyflow.compile.pythontest import compile_generic_test, compile_singular_test
from pyflow.core.node import TestNode
from pyflow.core.spec import Context
from pyflow.errors import PyflowError
from pyflow.runner.renderdb import render_services

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler


def compile_test_node(compiler: ProjectCompiler, node: TestNode) -> CompiledModel:
    """The test's SELECT of failing rows (not memoized: :meth:`ProjectCompiler.compile` is)."""
    if node.language == "python":
        return _python_test(compiler, node)
    adapter = compiler.adapter
    column = str(node.kwargs.get("field", node.kwargs.get("column_name", "")))  # recency, freshness
    return compile_test(
        node,
        compiler.project.jinja,
        compiler.inputs(node.unique_id),
        vars=compiler.project.vars,
        target=compiler.target,
        run_started_at=compiler.run_started_at,
        quote=adapter.quote,
        now_minus=adapter.now_minus_sql,
        dialect=adapter.dialect,
        to_utc=lambda expr: _tested_utc(compiler, node, column, expr),
        services=render_services(adapter, compiler.project, None, live=compiler.live),
    )


def _tested_utc(compiler: ProjectCompiler, node: TestNode, column: str, expr: str) -> str:
    """``expr`` (the tested node's ``column``) as a UTC TIMESTAMP, whatever its type."""
    tested = compiler.project.graph.param_map.get(node.unique_id, {}).get(node.attached or "")
    try:
        data_type = compiler.column_type(tested, column) if tested else None
    except PyflowError:  # columns unknowable: take the column as a UTC TIMESTAMP
        data_type = None
    return compiler.adapter.utc_timestamp_sql(expr, data_type or "TIMESTAMP")


def _python_test(compiler: ProjectCompiler, node: TestNode) -> CompiledModel:
    inputs = compiler.inputs(node.unique_id)
    dialect, q = compiler.adapter.dialect, compiler.adapter.quote
    if node.kind == "generic":
        fn = compiler.project.generic_tests[node.test_name]
        return compile_generic_test(fn, node, inputs, dialect, q)
    ctx = Context(
        model_name=node.name,
        vars=compiler.project.vars,
        target=compiler.target,
        run_started_at=compiler.run_started_at,
    )
    return compile_singular_test(compiler.project.test_functions[node.name], node, inputs, ctx, dialect, q)
