"""Compile a SQL model: render its Jinja with ``ref``/``source``/``this`` bound to inputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pyflow.compile.model import CompiledModel, Upstream, with_ctes
from pyflow.compile.statement import check_one_statement
from pyflow.core.jinja import JinjaProject
from pyflow.core.node import ModelNode
from pyflow.core.spec import TargetInfo
from pyflow.core.sqlcontext import base_context
from pyflow.errors import CompileError


def compile_sql_model(
    model: ModelNode,
    jinja: JinjaProject,
    inputs: Mapping[str, Upstream],
    *,
    vars: Mapping[str, Any],
    target: TargetInfo,
    run_started_at: datetime,
    this: str,
    is_incremental: bool,
    quote: Callable[[str], str],
    dialect: str,
    block: str | None = None,
) -> CompiledModel:
    """Render the model's template to one SELECT in the target dialect.

    The rendered SQL must be one statement (:func:`check_one_statement`): a rendered value
    cannot add statements of its own.
    """
    used: dict[str, Upstream] = {}

    def lookup(key: str, shown: str) -> str:
        up = inputs.get(key)
        if up is None:  # the graph resolved every static call; this is a dynamic one
            raise CompileError(
                f"{shown} is not a dependency known before rendering",
                model=model.name,
                path=model.path,
                hint="call ref()/source() with literal names so the DAG can see them",
                code="dynamic-ref",
            )
        used[key] = up
        return up.sql_ref

    def ref(*args: str, **_: Any) -> str:
        return lookup(args[-1], f"ref('{args[-1]}')")

    def source(source_name: str, table_name: str) -> str:
        return lookup(f"{source_name}.{table_name}", f"source('{source_name}', '{table_name}')")

    env_reads: dict[str, str | None] = {}
    ctx = base_context(model.name, vars, target, run_started_at, quote, env_reads)
    ctx.update(
        ref=ref,
        source=source,
        config=lambda *a, **k: "",
        this=this,
        is_incremental=lambda: is_incremental,
    )
    sql = jinja.render(model.path, ctx, model=model.name, block=block)
    check_one_statement(sql, dialect, model=model.name, path=model.path, resource=model.resource_type)
    sql = sql.strip().rstrip(";").strip()
    if not sql:
        raise CompileError(
            "the model renders to empty SQL",
            model=model.name,
            path=model.path,
            hint="a SQL model must render to one SELECT statement",
            code="empty-model",
        )
    ctes = [
        (up.cte_name, up.cte_sql)
        for up in used.values()
        if up.cte_name and up.cte_sql and up.sql_ref == quote(up.cte_name)
    ]
    volatile = "run_started_at" in model.raw_code or any(
        "run_started_at" in text for path, text in jinja.sources.items() if path in jinja.macro_paths.values()
    )
    return CompiledModel(
        model.name, with_ctes(sql, ctes, quote), env=tuple(sorted(env_reads.items())), volatile=volatile
    )
