"""``pyflow show``: the first rows of a model, seed, snapshot, data test or inline query.

As ``dbt show``: a model is previewed from its compiled SQL (not its table), a seed or snapshot
from its table, a data test by the failing rows its query returns; the query is wrapped in a
subquery with ``LIMIT n`` so the engine stops early (a negative limit shows every row).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pyflow.adapters.attachment import attached
from pyflow.core.node import Node, SeedNode, SnapshotNode, is_unit_test
from pyflow.core.selector import select_nodes
from pyflow.core.version import ref_call_key
from pyflow.errors import CompileError, GraphError, PyflowError, SelectionError, closest

if TYPE_CHECKING:
    from pyflow.runner.session import Session

PREVIEWED = frozenset({"model", "seed", "snapshot", "test"})
"""Resource types ``--select`` may pick (one of them)."""
_NAME = re.compile(r"[\w.-]+")
"""A plain node name (``dim.v2`` included), looked up by name rather than as a selector."""


def preview(
    session: Session, name: str | None, inline: str | None, limit: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and up to ``limit`` rows (all of them when negative) of a node or a query."""
    runtime = None
    session.use_command("show")  # dbt's flags.WHICH
    if inline is not None:
        sql = render_inline(session, inline)
    else:
        assert name is not None
        node = previewed_node(session, name)
        name = node.name
        if isinstance(node, SeedNode | SnapshotNode):  # preview the table, not its input
            sql = f"SELECT * FROM {session.adapter.render(session.compiler.relation(node))}"
        else:
            compiled = session.compiler.compile(node.unique_id)
            if compiled.sql is None:  # a DataFrame model: its table
                sql = f"SELECT * FROM {session.adapter.render(session.compiler.relation(node))}"
            else:
                sql, runtime = compiled.sql, compiled.runtime
    query = f"SELECT * FROM (\n{sql}\n) AS pyflow_show" + (f" LIMIT {int(limit)}" if limit >= 0 else "")
    cur = session.adapter._cursor()
    try:
        with attached(session.adapter, runtime, name):
            cur.execute(query)
            cols = [d[0] for d in cur.description]
            return cols, list(cur.fetchall())
    except PyflowError:
        raise
    except Exception as exc:
        err = session.adapter.wrap_error(exc, query, name)
        err.hint = "build the model's inputs first (`pyflow build`), then preview again"
        raise err from exc


def previewed_node(session: Session, select: str) -> Node:
    """The one node ``select`` names: a node name, or a selector that picks exactly one node."""
    project = session.project
    if not _NAME.fullmatch(select):
        chosen = select_nodes(project.graph, [select], resource_types=PREVIEWED).ids
        if len(chosen) != 1:
            names = sorted(project.node(uid).name for uid in chosen)
            raise SelectionError(
                f"`pyflow show` previews one node; '{select}' selects "
                + (
                    f"{len(names)}: {', '.join(names[:10])}{' ...' if len(names) > 10 else ''}"
                    if names
                    else "none"
                ),
                hint="name the node: `pyflow show NAME` (or `--select NAME`)",
            )
        node = project.node(next(iter(chosen)))
    elif select in project.tests:
        node = project.tests[select]
    else:
        try:
            return project.by_name(select)
        except GraphError as exc:
            exc.suggestions = closest(
                select, [*project.models, *project.seeds, *project.snapshots, *project.tests]
            )
            raise
    if is_unit_test(node):
        raise SelectionError(
            f"'{node.name}' is a unit test: it runs on its fixtures, not on the target's tables",
            hint=f"run it with `pyflow test --select {node.name}`",
        )
    return node


def render_inline(session: Session, text: str) -> str:
    """Render an ad-hoc query whose ``ref``/``source`` resolve against the project."""
    from pyflow.compile.model import with_ctes
    from pyflow.compile.statement import check_one_statement
    from pyflow.core.sqlcontext import base_context
    from pyflow.runner.renderdb import render_services

    project = session.project
    jinja = project.jinja
    quote = session.adapter.quote
    inlined: dict[str, str] = {}  # ephemeral models become CTEs, as in compiled models

    def use(uid: str) -> str:
        up = session.compiler.upstream(uid, with_columns=False)
        if up.cte_name and up.cte_sql and up.sql_ref == quote(up.cte_name):
            inlined[up.cte_name] = up.cte_sql
        return up.sql_ref

    def ref(*args: str, **kwargs: Any) -> str:
        return use(project.by_name(ref_call_key(args, kwargs)).unique_id)

    def source(source_name: str, table_name: str) -> str:
        key = (source_name, table_name)
        if key not in project.sources:
            raise CompileError(
                f"source('{source_name}', '{table_name}') is not declared", code="missing-dependency"
            )
        return use(project.sources[key].unique_id)

    ctx = base_context("inline", project.vars, session.target_info, session.run_started_at, quote)
    ctx.update(ref=ref, source=source, config=lambda *a, **k: "", this="", is_incremental=lambda: False)
    jinja.add_template("<inline>", text)
    sql = jinja.render(
        "<inline>", ctx, model="inline", builtins=render_services(session.adapter, project, None).builtins
    )
    check_one_statement(sql, session.adapter.dialect, model="inline", path="--inline", resource="query")
    sql = sql.strip().rstrip(";")
    return with_ctes(sql, list(inlined.items()), quote)
