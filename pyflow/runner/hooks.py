"""Running SQL hooks: a node's ``pre_hook``/``post_hook`` and the project's ``on-run-start``/``on-run-end``.

Hooks are Jinja templates rendered when they run, with the names a SQL model sees (``target``,
``var``, ``env_var``, ``run_started_at``, the project's macros, ``ref``/``source`` naming a
relation without adding a dependency ...) plus:

- node hooks: ``this`` (the node's relation; ``this.schema``, ``this.identifier`` ...) and
  ``is_incremental()``. Pre-hooks run on the node's connection before its build statements
  and post-hooks after them, as dbt runs them: hooks with ``transaction: true`` (the default)
  run inside the transaction that builds the node, so on an engine with transactions (DuckDB)
  a failing post-hook rolls the build back and the target stays as it was; hooks with
  ``transaction: false`` run before BEGIN (pre) or after COMMIT (post). Engines without
  transactions (Trino, Athena) run them in the same order, but a failing post-hook fails the
  node after its target was built and swapped in. A failing pre-hook fails the node before
  anything is built.
- run hooks: ``schemas`` (the schemas the run's nodes write to) and, in ``on-run-end``,
  ``results`` (one entry per node: ``node.name``, ``node.unique_id``, ``status``, ``message``,
  ``execution_time``). An ``on-run-start`` failure stops the run before any node; an
  ``on-run-end`` failure is reported after the nodes and fails the command.

Hook configuration (spellings, accumulation) is read by :mod:`pyflow.core.hook`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from pyflow.compile.sql import should_full_refresh
from pyflow.config.project import load_project_config, project_file
from pyflow.core.configcall import ConfigCall
from pyflow.core.hook import Hook
from pyflow.core.jinjaext import Flags
from pyflow.core.node import ModelNode, Node, TestNode, is_unit_test
from pyflow.core.renderdb import RenderCalls
from pyflow.core.sqlcontext import base_context
from pyflow.core.version import ref_call_key
from pyflow.errors import CompileError, MaterializationError, PyflowError, closest
from pyflow.materializers.base import Job, Outcome
from pyflow.materializers.registry import materializer_for
from pyflow.relation import Relation
from pyflow.runner.annotate import annotate, has_annotations
from pyflow.runner.artifacts import discard_run_results
from pyflow.runner.constraints import plan_constraints
from pyflow.runner.contract import check_contract
from pyflow.runner.events import Event
from pyflow.runner.microbatch import is_microbatch, plan_batches
from pyflow.runner.renderdb import lazy_entry

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler
    from pyflow.runner.events import RunOutcome
    from pyflow.runner.session import Session

log = logging.getLogger(__name__)

_SNIPPET_LINES = 5


class ThisRelation(str):
    """The relation a hook sees as ``this``: its rendered name, with dbt's attributes (``this.schema`` ...)."""

    database: str | None
    schema: str | None
    identifier: str
    name: str

    def __new__(cls, rendered: str, relation: Relation) -> ThisRelation:  # noqa: D102
        self = super().__new__(cls, rendered)
        self.database = relation.database
        self.schema = relation.schema
        self.identifier = relation.identifier
        self.name = relation.identifier
        return self


@dataclass(frozen=True)
class _Where:
    """What a hook belongs to, for its errors."""

    label: str
    """``pre-hook``, ``post-hook``, ``on-run-start`` or ``on-run-end``."""
    model: str | None
    path: str
    resource: str = "model"
    lines: tuple[int | None, ...] = ()
    """The line of each hook in ``path`` when known (run hooks in the project file)."""
    stage: str | None = None
    """What a failure left behind, when it is not the label's usual one."""


_ROLLED_BACK = "the build was rolled back with it: the target is as it was"
_COMMITTED = "it runs after the build was committed: the node was built"


def build_with_hooks(compiler: ProjectCompiler, node: Node, kind: str, job: Job) -> Outcome:
    """Check the node's contract, run its pre-hooks, build it with the materializer of ``kind``, then its post-hooks."""
    check_contract(compiler, node)  # before anything runs: a broken contract leaves the target
    if kind == "incremental" and is_microbatch(node):
        assert isinstance(node, ModelNode)
        job.batches, kind = plan_batches(compiler, node, job), "microbatch"
    job.create = plan_constraints(node, kind, job)  # an enforced contract's constraints, in the DDL
    config = getattr(node, "config", None)
    pre: tuple[Hook, ...] = getattr(config, "pre_hook", ())
    post: tuple[Hook, ...] = getattr(config, "post_hook", ())
    if (pre or post or has_annotations(node)) and not isinstance(node, TestNode):
        context = _node_context(compiler, node, job)
        # a microbatch model commits batch by batch: its hooks run outside those transactions
        atomic = job.adapter.capabilities.transactions and kind != "microbatch"
        where = _Where("pre-hook", node.name, node.path, node.resource_type, (node.line,) * len(pre))
        _run(compiler, pre, context, where, job, pick=lambda h: not h.transaction)  # dbt's before_begin
        post_where = _Where("post-hook", node.name, node.path, node.resource_type, (node.line,) * len(post))
        # in-transaction hooks commit (or roll back) with the build, as in dbt
        with job.adapter.transaction() if atomic else nullcontext():
            _run(compiler, pre, context, where, job, pick=lambda h: h.transaction)
            outcome = materializer_for(kind).build(job)
            annotate(node, job)  # persist_docs, grants
            rolled_back = replace(post_where, stage=_ROLLED_BACK) if atomic else post_where
            _run(compiler, post, context, rolled_back, job, pick=lambda h: h.transaction)
        after = replace(post_where, stage=_COMMITTED) if atomic else post_where
        _run(compiler, post, context, after, job, pick=lambda h: not h.transaction)  # dbt's after_commit
        return outcome
    return materializer_for(kind).build(job)


def run_start_hooks(session: Session, ids: Sequence[str]) -> None:
    """Run the project's ``on-run-start`` hooks; the first failure raises (no node has run yet).

    First the templates of the selected nodes' hooks are registered with the project's Jinja
    environment, here, before any thread starts: registering adds to a dict other threads read.
    """
    for uid in ids:
        node = session.project.graph.nodes.get(uid)
        config = getattr(node, "config", None)
        if node is None or isinstance(node, TestNode):
            continue
        for label in ("pre-hook", "post-hook"):
            node_hooks: tuple[Hook, ...] = getattr(config, label.replace("-", "_"), ())
            where = _Where(label, node.name, node.path, node.resource_type)
            for i, hook in enumerate(node_hooks, start=1):
                _template(session.compiler, hook.sql, where, _hook_name(where, i, len(node_hooks)))
    hooks = session.project.config.on_run_start
    if not hooks:
        return
    context = _run_context(session, ids)
    where = _Where("on-run-start", None, _project_file(session), lines=_lines(session, "on-run-start", hooks))
    session.emit(Event("message", level="info", text=f"Running {len(hooks)} on-run-start hook(s)"))
    try:
        _run(session.compiler, tuple(Hook(sql=h) for h in hooks), context, where, None)
    except PyflowError:  # nothing runs: an earlier run's results must not pass for this one's
        discard_run_results(session.project.target_dir / "run_results.json")
        raise


def run_end_hooks(session: Session, outcome: RunOutcome) -> None:
    """Run the project's ``on-run-end`` SQL hooks; a failure is added to ``outcome.errors``."""
    hooks = session.project.config.run_end_hooks
    if not hooks or outcome.cancelled or not outcome.results:
        return  # an interrupted run stops at once; a run of nothing (or unit tests alone) never connected
    if all(is_unit_test(session.project.node(r.unique_id)) for r in outcome.results):
        return
    ids = [r.unique_id for r in outcome.results]
    context = _run_context(session, ids)
    context["results"] = [_result_view(session, r) for r in outcome.results]
    where = _Where("on-run-end", None, _project_file(session), lines=_lines(session, "on-run-end", hooks))
    session.emit(Event("message", level="info", text=f"Running {len(hooks)} on-run-end hook(s)"))
    try:
        _run(session.compiler, tuple(Hook(sql=h) for h in hooks), context, where, None)
    except PyflowError as exc:
        outcome.errors.append(exc)


def _lines(session: Session, key: str, hooks: Sequence[str]) -> tuple[int | None, ...]:
    """The line of each SQL hook of ``key`` in the project file (a string entry, or the key itself)."""
    _, doc = load_project_config(session.root)
    raw = doc.data.get(key) if isinstance(doc.data, dict) else None
    if isinstance(raw, str):
        return (doc.line_of((key,)),)
    entries = [i for i, v in enumerate(raw or []) if isinstance(v, str) and v.strip()]
    return tuple(doc.line_of((key, i)) or doc.line_of((key,)) for i in entries[: len(hooks)])


def _project_file(session: Session) -> str:
    path = project_file(session.root)
    return path.name if path is not None else "pyflow.yml"


# ---- contexts --------------------------------------------------------------------------------
def jinja_context(compiler: ProjectCompiler, model: str, calls: RenderCalls | None = None) -> dict[str, Any]:
    """The names a hook (or ``pyflow run-operation``'s macro) sees, ``ref``/``source`` naming relations.

    ``calls`` lets ``run_query``, ``statement`` and the catalog reads of ``adapter`` reach the
    target; without it they run nothing, as while parsing.
    """
    context = base_context(
        model,
        compiler.project.vars,
        compiler.target,
        compiler.run_started_at,
        compiler.adapter.quote,
        calls=calls,
        invocation_id=compiler.adapter.invocation_id,
    )
    project = compiler.project

    def ref(*args: str, **kwargs: Any) -> str:  # a hook's ref() names a relation; it adds no dependency
        return compiler.adapter.render(compiler.relation(project.by_name(ref_call_key(args, kwargs))))

    def source(source_name: str, table_name: str) -> str:
        found = project.sources.get((source_name, table_name))
        if found is None:
            raise CompileError(
                f"source('{source_name}', '{table_name}') is not a declared source table",
                model=model,
                suggestions=closest(f"{source_name}.{table_name}", [f"{s}.{t}" for s, t in project.sources]),
                hint="declare it under sources: in a YAML properties file",
                code="missing-dependency",
            )
        return compiler.adapter.render(compiler.relation(found))

    context.update(ref=ref, source=source, flags=Flags(compiler.flags()))
    return context


def _node_context(compiler: ProjectCompiler, node: Node, job: Job) -> dict[str, Any]:
    context = jinja_context(compiler, node.name)
    incremental = isinstance(node, ModelNode) and job.incremental
    context.update(
        this=ThisRelation(compiler.adapter.render(job.relation), job.relation),
        is_incremental=lambda: incremental,
        config=ConfigCall(lambda: _config_of(node), node.name),
        model=lazy_entry(compiler.project, node),  # dbt's `model` in a pre-/post-hook
        should_full_refresh=lambda: should_full_refresh(
            _config_of(node).get("full_refresh"), Flags(compiler.flags())
        ),
    )
    return context


def _config_of(node: Node) -> dict[str, Any]:
    config = getattr(node, "config", None)
    return config.model_dump() if config is not None and hasattr(config, "model_dump") else {}


def _run_context(session: Session, ids: Sequence[str]) -> dict[str, Any]:
    context = jinja_context(session.compiler, session.project.name)
    pairs: dict[tuple[str | None, str], None] = {}
    for uid in ids:
        node = session.project.graph.nodes.get(uid)
        if node is None or (isinstance(node, TestNode) and not node.config.store_failures):
            continue
        rel = session.compiler.relation(node)
        if rel.schema:
            pairs[(rel.database, rel.schema)] = None
    context.update(
        schemas=sorted(dict.fromkeys(schema for _, schema in pairs)),
        database_schemas=sorted(pairs, key=str),
        config=lambda *a, **k: "",
    )
    return context


def _result_view(session: Session, result: Any) -> SimpleNamespace:
    node = session.project.graph.nodes.get(result.unique_id)
    return SimpleNamespace(
        node=SimpleNamespace(
            name=result.name,
            unique_id=result.unique_id,
            resource_type=node.resource_type if node is not None else None,
            path=node.path if node is not None else None,
        ),
        status=result.status,
        message=result.message,
        execution_time=result.execution_time,
        rows_affected=result.rows_affected,
        failures=result.failures,
        adapter_response={"_message": result.response, "rows_affected": result.rows_affected},
    )


# ---- rendering and running -------------------------------------------------------------------
def _run(
    compiler: ProjectCompiler,
    hooks: Sequence[Hook],
    context: dict[str, Any],
    where: _Where,
    job: Job | None,
    pick: Callable[[Hook], bool] = lambda _: True,
) -> None:
    for i, hook in enumerate(hooks, start=1):
        if not pick(hook):
            continue
        name = _hook_name(where, i, len(hooks))
        sql = _render(compiler, hook.sql, context, where, name, i).strip().rstrip(";").strip()
        if not sql:
            continue  # a hook that renders to nothing (a Jinja condition) runs nothing
        try:
            if job is not None:
                job.execute(sql)
            else:
                compiler.adapter.execute(sql, model=where.model)
        except PyflowError as exc:
            first = (exc.message.strip().splitlines() or [type(exc).__name__])[0]
            raise _hook_error(where, name, f"failed: {first}", sql, i) from exc


def _hook_name(where: _Where, index: int, count: int) -> str:
    return f"{where.label} {index}" if count > 1 else where.label


def _template(compiler: ProjectCompiler, text: str, where: _Where, name: str) -> str:
    """The Jinja template name of a hook, registered with the project's environment if new."""
    key = f"{where.path} [{where.model or compiler.project.name} {name}]"
    if compiler.project.jinja.sources.get(key) != text:
        compiler.project.jinja.add_template(key, text)
    return key


def _render(
    compiler: ProjectCompiler, text: str, context: dict[str, Any], where: _Where, name: str, index: int
) -> str:
    if "{{" not in text and "{%" not in text:
        return text
    jinja = compiler.project.jinja
    key = _template(compiler, text, where, name)
    try:
        return jinja.render(key, dict(context), model=where.model)
    except PyflowError as exc:
        raise _hook_error(where, name, f"cannot be rendered: {exc.message}", text, index) from exc


def _hook_error(where: _Where, name: str, what: str, sql: str, index: int) -> MaterializationError:
    lines = sql.strip().splitlines()
    shown = "\n".join(lines[:_SNIPPET_LINES]) + ("\n..." if len(lines) > _SNIPPET_LINES else "")
    stage = (
        where.stage
        or {
            "pre-hook": "nothing was built: the target is as it was",
            "post-hook": "the node was built before the hook ran",
            "on-run-start": "no node was run",
            "on-run-end": "the nodes ran; their results stand",
        }[where.label]
    )
    return MaterializationError(
        f"{name} {what} ({stage})",
        model=where.model,
        path=where.path,
        line=where.lines[index - 1] if 0 < index <= len(where.lines) else None,
        resource=where.resource,
        detail="hook SQL:\n" + shown,
        hint=f"correct the {where.label} SQL in {where.path} (or where the node's config sets it: "
        "its YAML properties or the project file)"
        if where.model
        else f"correct the {where.label} entry in {where.path}",
        code="hook-failed",
    )
