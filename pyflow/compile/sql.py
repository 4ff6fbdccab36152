"""Compile a SQL model: render its Jinja with ``ref``/``source``/``this`` bound to inputs."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pyflow.compile.model import CompiledModel, Upstream, with_ctes
from pyflow.compile.statement import check_one_statement
from pyflow.core.configcall import ConfigCall
from pyflow.core.jinja import JinjaProject
from pyflow.core.jinjaext import Flags
from pyflow.core.node import ModelNode
from pyflow.core.renderdb import RelationText, RenderCalls, RenderDatabase
from pyflow.core.spec import TargetInfo
from pyflow.core.sqlcontext import base_context
from pyflow.core.version import ref_call_key
from pyflow.errors import CompileError
from pyflow.relation import Relation

DEFAULT_FLAGS: Mapping[str, Any] = {"FULL_REFRESH": False, "WHICH": "compile"}
"""dbt's ``flags`` when the runner gave none."""
VOLATILE = re.compile(r"\b(?:run_started_at|invocation_id)\b")
"""A model whose template (or a macro) names one of these renders again at every invocation
(reading ``flags`` or ``should_full_refresh()`` is seen as it happens)."""


@dataclass(frozen=True)
class RenderServices:
    """What a render for a run may use beyond the model's inputs (all given by the runner).

    ``database`` runs ``run_query``/``statement`` and catalog reads; ``builtins`` are dbt's
    cross-database macros for the target (the ``dbt`` namespace); ``graph`` is dbt's ``graph``.
    """

    database: RenderDatabase | None = None
    builtins: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    invocation_id: str = ""
    graph: Mapping[str, Any] = field(default_factory=dict)
    this_relation: Relation | None = None
    model: Mapping[str, Any] | None = None
    """dbt's ``model``: the rendered node's fields (``model.config.materialized``, ``model.unique_id`` ...)."""
    flags: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_FLAGS))
    """dbt's ``flags``: ``FULL_REFRESH``, ``WHICH`` (the command)."""


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
    services: RenderServices | None = None,
    batch: Any = None,
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
        return RelationText(up.sql_ref, up.relation)

    def ref(*args: str, **kwargs: Any) -> str:
        key = ref_call_key(args, kwargs)
        return lookup(key, f"ref('{args[-1]}')" if key == args[-1] else f"ref('{args[-1]}') of version {key}")

    def source(source_name: str, table_name: str) -> str:
        return lookup(f"{source_name}.{table_name}", f"source('{source_name}', '{table_name}')")

    services = services or RenderServices()
    env_reads: dict[str, str | None] = {}
    calls = RenderCalls(services.database, model.name)
    ctx = base_context(
        model.name,
        vars,
        target,
        run_started_at,
        quote,
        env_reads,
        calls=calls,
        invocation_id=services.invocation_id,
    )
    flags = Flags(services.flags)
    ctx.update(
        ref=ref,
        source=source,
        config=ConfigCall(model.config.model_dump, model.name),
        this=RelationText(this, services.this_relation),
        is_incremental=lambda: is_incremental,
        graph=services.graph,
        model=services.model if services.model is not None else _bare_entry(model),
        flags=flags,
        should_full_refresh=lambda: should_full_refresh(model.config.full_refresh, flags),
    )
    if batch is not None:  # a microbatch model's window: batch.event_time_start / _end
        ctx["batch"] = batch
    sql = jinja.render(model.path, ctx, model=model.name, block=block, builtins=services.builtins)
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
    macro_text = [jinja.sources[path] for path in jinja.macro_files()]
    volatile = (
        calls.used or flags.read or any(VOLATILE.search(text) for text in [model.raw_code, *macro_text])
    )
    volatile = volatile or getattr(ctx.get("modules"), "read_clock", False)  # modules.datetime
    return CompiledModel(
        model.name, with_ctes(sql, ctes, quote), env=tuple(sorted(env_reads.items())), volatile=volatile
    )


def _bare_entry(model: ModelNode) -> dict[str, Any]:
    """``model`` when the runner gave none: the fields the node itself knows."""
    return {
        "unique_id": model.unique_id,
        "name": model.name,
        "resource_type": model.resource_type,
        "package_name": model.package,
        "path": model.path,
        "original_file_path": model.path,
        "raw_code": model.raw_code,
        "language": model.language,
        "config": model.config.model_dump(),
    }


def should_full_refresh(configured: bool | None, flags: Flags) -> bool:
    """What dbt's ``should_full_refresh()`` gives: the node's ``full_refresh`` when set, else the flag."""
    full_refresh = flags.FULL_REFRESH  # read either way: the result is the invocation's
    return bool(full_refresh) if configured is None else bool(configured)
