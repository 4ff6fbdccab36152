"""Running an invocation's selected nodes: the body of :meth:`pyflow.runner.session.Session.execute`.

Recover interrupted swaps, run the on-run-start hooks, compile, create the schemas, then build
every node on the executor's threads (models, seeds and snapshots through their materializer,
data tests counted and judged, unit tests and monitors by their runners), and write the run's
artifacts. Only ``run``, ``seed``, ``build``, ``snapshot`` and ``test`` need this module and what it
imports (the executor, materializers, hooks, unit test runner, monitors): ``ls``, ``compile``,
``parse`` and ``show`` never load it.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from pyflow.adapters.attachment import attached
from pyflow.adapters.remotequery import with_node_settings
from pyflow.adapters.seedbatch import count_seed
from pyflow.compile.model import CompiledModel
from pyflow.core.monitor import is_monitor
from pyflow.core.node import ModelNode, Node, SeedNode, TestNode, is_unit_test
from pyflow.errors import CancelledError, CompileError, DiskFullError, PyflowError, WarningAsError
from pyflow.materializers.base import Job, SeedFile
from pyflow.materializers.registry import materializer_for
from pyflow.runner import artifacts
from pyflow.runner.events import Event, NodeResult, RunOutcome
from pyflow.runner.execute import Executor
from pyflow.runner.frames import FrameRuns, call_frame
from pyflow.runner.hooks import build_with_hooks, run_end_hooks, run_start_hooks
from pyflow.runner.nodecost import engine_settings
from pyflow.runner.runend import finish_run
from pyflow.runner.unitrun import merge_waits, schedule

if TYPE_CHECKING:
    from pyflow.core.project import Project
    from pyflow.runner.session import Session


def threshold(rule: str, failures: int) -> bool:
    """Evaluate ``warn_if``/``error_if`` (``!= 0``, ``> 10``, ``>=5`` ...) for a failure count.

    Thresholds are checked when the project loads; one that still cannot be read is a CompileError.
    """
    from pyflow.core.nodeconfig import parse_threshold

    try:
        op, value = parse_threshold(rule)
    except ValueError as exc:
        raise CompileError(
            str(exc),
            hint="write it as an operator and a number: '!= 0', '> 10', '>= 100'",
            code="invalid-test",
        ) from None
    return {
        "==": failures == value,
        "=": failures == value,
        "!=": failures != value,
        "<>": failures != value,
        ">=": failures >= value,
        "<=": failures <= value,
        ">": failures > value,
        "<": failures < value,
    }[op]


def decide(severity: str, error_if: str, warn_if: str, failures: int) -> Literal["pass", "warn", "fail"]:
    """Dbt's rule: an error-severity test fails when error_if holds, else warns when warn_if does."""
    if severity == "error" and threshold(error_if, failures):
        return "fail"
    if threshold(warn_if, failures) or (severity == "warn" and threshold(error_if, failures)):
        return "warn"
    return "pass"


def execute(session: Session, command: str) -> RunOutcome:
    """Run ``run``, ``seed``, ``build``, ``snapshot`` or ``test`` over the session's selection."""
    started = time.perf_counter()
    project = session.project
    ids = [
        uid
        for uid in session.selected(command)
        if not (isinstance(n := project.node(uid), ModelNode) and n.config.materialized == "ephemeral")
    ]
    schema_ids = [u for u in ids if not isinstance(project.node(u), TestNode)]
    # the runners the worker threads share are made here, once, before any thread starts
    # (Session makes them on first use, and a cached_property takes no lock on Python 3.12+)
    unit_tests = session.unit_tests
    if any(_is_monitor(project.node(u)) for u in ids):
        _ = session.monitors
    unrecovered: dict[str, PyflowError] = {}
    if not all(is_unit_test(project.node(u)) for u in ids):
        session.adapter.open()  # unit tests alone never connect to the target
        unit_tests.connect(session.adapter)  # once connected: fixtures typed like built tables
        unrecovered = session._recover_swaps(ids)  # before compiling: is_incremental sees the table
        run_start_hooks(session, ids)  # on-run-start: a failure stops the run before any node
    try:
        session.compiler.live = False  # templates reading the database render when their node runs
        compiled = session.compile_nodes(ids)
        session.compiler.live = True
        compiled.update(unrecovered)
        session.write_manifest(compiled)
    except DiskFullError:  # nothing runs: an earlier run's results must not pass for this one's
        artifacts.discard_run_results(project.target_dir / "run_results.json")
        raise
    create_schemas(session, schema_ids)
    threads = session.options.threads or session.target.threads
    session.emit(
        Event(
            "run_start",
            total=len(ids),
            data={"command": command, "threads": threads, "target": session.target.name},
        )
    )
    graph, unit_waits, order = schedule(project.graph, ids)  # a model waits for its unit tests
    executor = Executor(
        graph,
        order,
        node_runner(session, compiled),
        extra_parents=merge_waits(wait_for_tests(project, ids), unit_waits),
        threads=threads,
        fail_fast=session.options.fail_fast,
        emit=session.emit,
        on_cancel=session.adapter.cancel,
        describe=session.describe,
        checkpointer=session.adapter,
    )
    session.frames = FrameRuns(session.compiler)
    results = executor.run()
    if session.frames.recompiled:  # children of DataFrame models compiled once those ran
        compiled.update(session.frames.recompiled)
        session.write_compiled(compiled)
        session.write_manifest(compiled)
    outcome = RunOutcome(results, time.perf_counter() - started, executor.cancelled)
    run_end_hooks(session, outcome)  # on-run-end SQL hooks; a failure joins outcome.errors
    write_run_artifacts(session, command, outcome)
    finish_run(session, command, outcome)  # run history and on-run-end alerts; never raises
    if session.options.warn_error and session.warned:  # warnings during the run: fail it at the end
        outcome.errors.extend(WarningAsError(text) for text in dict.fromkeys(session.warned))
    session.emit(
        Event(
            "run_finish",
            total=len(ids),
            data={"elapsed": outcome.elapsed, "cancelled": outcome.cancelled},
        )
    )
    return outcome


def _is_monitor(node: Node) -> bool:
    return isinstance(node, TestNode) and node.kind == "generic" and is_monitor(node.test_name)


def node_runner(
    session: Session, compiled: dict[str, CompiledModel | PyflowError]
) -> Callable[[str, int, int], NodeResult]:
    """The executor's callback: run a node with its engine settings applied to the adapter.

    Settings such as workgroup and result reuse (:mod:`pyflow.runner.nodecost`).
    """

    def run(uid: str, index: int, total: int) -> NodeResult:
        settings = engine_settings(session.project.graph.nodes.get(uid))
        with with_node_settings(session.adapter, settings):
            return run_node(session, uid, index, total, compiled.get(uid))

    return run


def wait_for_tests(project: Project, ids: Sequence[str]) -> dict[str, list[str]]:
    """In ``build``, a node waits for the data tests above it (a failing test skips it).

    dbt's rule: a test blocks only the nodes below *all* of its parents (for a test of one
    node: that node's descendants), never one of its parents, so a test with several
    parents (``relationships``, a singular test reading two models) runs once all of them
    are built. Only the topmost blocked nodes get the edge; the rest wait for them.
    """
    graph = project.graph
    selected = set(ids)
    cache: dict[str, set[str]] = {}
    tops: dict[frozenset[str], list[str]] = {}  # many tests share their parents: work once
    out: dict[str, list[str]] = {}
    for uid in ids:
        node = project.node(uid)
        if not isinstance(node, TestNode) or is_unit_test(node) or not graph.parents.get(uid):
            continue
        key = frozenset(graph.parents[uid])
        if key not in tops:
            below = {
                n
                for n in graph.downstream_of_all(key, cache)
                if n in selected and not isinstance(graph.nodes[n], TestNode)
            }
            tops[key] = [c for c in sorted(below) if not any(p in below for p in graph.parents.get(c, []))]
        for child in tops[key]:
            out.setdefault(child, []).append(uid)
    return out


def recover_swaps(session: Session, ids: Sequence[str]) -> dict[str, PyflowError]:
    """Put back what interrupted builds of the selected nodes left (:mod:`pyflow.adapters.recovery`).

    Each node recovered gets a warning naming what was restored and dropped; a node whose
    leftovers could not be recovered gets the error instead of being built.
    """
    from pyflow.adapters.base import TableOptions
    from pyflow.adapters.recovery import SwapTarget, recover_swaps

    project, compiler = session.project, session.compiler
    targets: dict[str, str] = {}
    swaps: list[SwapTarget] = []
    for uid in ids:
        node = project.node(uid)
        if isinstance(node, TestNode) and not (node.config.store_failures and not is_unit_test(node)):
            continue
        targets[node.name] = uid
        options = TableOptions.from_config(getattr(node, "config", None))
        swaps.append(SwapTarget(node.name, compiler.relation(node), options))
    if not swaps:
        return {}
    protected = [compiler.relation(n) for n in project.graph.nodes.values()]
    recovery = recover_swaps(session.adapter, swaps, protected=protected)
    for name, actions in recovery.actions.items():
        text = f"{name}: recovered from an interrupted earlier build: " + "; ".join(actions)
        session.emit(Event("message", level="warn", text=text))
    return {targets[name]: exc for name, exc in recovery.errors.items()}


def create_schemas(session: Session, ids: Sequence[str]) -> None:
    """Create every schema the run writes to, once, before threads start (no DDL races)."""
    wanted = {
        (rel.database, rel.schema)
        for rel in (session.compiler.relation(session.project.node(u)) for u in ids)
        if rel.schema
    }
    adapter = session.adapter
    for database, schema in sorted(wanted, key=str):
        if not adapter.schema_exists(database, schema):
            adapter.execute(adapter.create_schema_sql(database, schema))


def run_node(
    session: Session, uid: str, index: int, total: int, compiled: CompiledModel | PyflowError | None
) -> NodeResult:
    """Build, test or check one node; every failure ends up in the result, never raised."""
    project, compiler, adapter = session.project, session.compiler, session.adapter
    node = project.node(uid)
    desc = session.describe(uid)
    session.emit(Event("node_start", index=index, total=total, description=desc, unique_id=uid))
    started = time.time()
    rel = compiler.relation(node)
    stored = not isinstance(node, TestNode) or node.config.store_failures
    result = NodeResult(
        uid,
        node.name,
        "success",
        relation=adapter.render(rel) if stored else None,
        started_at=started,
        thread_id=threading.current_thread().name,
    )
    job = Job(
        name=node.name,
        relation=rel,
        adapter=adapter,
        full_refresh=session.options.full_refresh,
        config=getattr(node, "config", None),
        run_started_at=session.run_started_at,
    )
    try:
        compiled = session.frames.refresh(uid, compiled)  # it waited for a DataFrame model
        if isinstance(compiled, PyflowError):
            raise compiled
        if isinstance(node, TestNode) and is_unit_test(node):
            session.unit_tests.run(node, result)
            kind = ""
        elif _is_monitor(node):
            assert isinstance(node, TestNode) and compiled is not None and compiled.sql is not None
            session.monitors.run(node, compiled.sql, result, job.log.statements)
            kind = ""
        elif isinstance(node, TestNode):
            assert compiled is not None and compiled.sql is not None
            run_test(session, node, compiled.sql, job, result)
            kind = ""
        elif isinstance(node, SeedNode):
            path = project.root / node.path
            job.seed = SeedFile(
                path,
                dict(node.config.column_types),
                node.config.delimiter,
                # strict: a malformed CSV stops here, before anything is written
                records=count_seed(path, node.config.delimiter, node.path),
            )
            if adapter.capabilities.csv_scan:  # else loaded by seed_statements alone
                job.sql = compiler.seed_select(node)
            kind = "seed"
        else:
            assert isinstance(node, ModelNode) and compiled is not None
            job.sql = compiled.sql
            job.incremental = compiler.is_incremental(node)
            if compiled.is_dataframe:
                model = node
                job.frame = lambda: call_frame(compiler, model)
                kind = node.config.materialized
                kind = "table" if kind in ("view", "ephemeral") else kind
            else:
                kind = node.config.materialized
        if kind:
            with attached(adapter, getattr(compiled, "runtime", None), node.name):
                outcome = build_with_hooks(compiler, node, kind, job)
            result.message = outcome.message
            result.rows_affected = outcome.rows
            result.response = outcome.response
            session.frames.built(uid)
    except PyflowError as exc:
        if exc.model in (None, node.name):
            exc.resource = node.resource_type
        exc.model = exc.model or node.name
        exc.path = exc.path or node.path
        result.status = "cancelled" if isinstance(exc, CancelledError) else "error"
        result.message = str(exc)
        result.traceback = "".join(traceback.format_exception(exc))
        result.error = exc.to_dict()
    except Exception as exc:
        result.status = "error"
        result.message = (
            f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            "\nThis is a bug in pyflow: please report it with the traceback above."
        )
        result.error = {"code": "internal", "message": str(exc)}
    result.completed_at = time.time()
    result.execution_time = result.completed_at - started
    result.take_log(job.log)  # the statements sent, and what the engine said they cost
    session.emit(Event("node_finish", index=index, total=total, description=desc, result=result))
    return result


def run_test(session: Session, node: TestNode, sql: str, job: Job, result: NodeResult) -> None:
    """Count the failing rows; decide PASS/WARN/FAIL; keep failures when asked."""
    adapter = session.adapter
    cfg = node.config
    inner = f"SELECT * FROM (\n{sql}\n) AS pyflow_failures LIMIT {cfg.limit}" if cfg.limit else sql
    count_sql = f"SELECT count(*) FROM (\n{inner}\n) AS pyflow_test"
    job.log.statements.append(count_sql)
    failures = int(adapter.fetchall(count_sql, model=node.name)[0][0])
    result.failures = failures
    result.rows_affected = failures
    where = ""
    if cfg.store_failures:
        job.sql = inner
        materializer_for("table").build(job)
        where = f"; failing rows in {adapter.render(job.relation)}"
    status = decide(cfg.severity, cfg.error_if, cfg.warn_if, failures)
    escalated = status == "warn" and session.options.warn_error
    result.status = status = "fail" if escalated else status
    if status == "pass":
        result.message = "passed"
        result.response = "PASS"
        return
    warns = status == "warn" or escalated
    rule = cfg.warn_if if warns else cfg.error_if
    on = f" on {node.attached}" if node.attached else ""
    column = f" column {node.column_name}" if node.column_name else ""
    result.message = (
        f"{'Failure' if status == 'fail' else 'Warning'} in test {node.name} ({node.path}:{node.line})\n"
        f"  test '{node.test_name}'{on}{column}: got {failures} failing row(s), "
        f"configured to {'warn' if warns else 'fail'} if {rule}"
        f"{' (an error with --warn-error)' if escalated else ''}{where}\n"
        f"  compiled SQL: target/compiled/{artifacts.sql_path(session.project, node)}"
    )
    result.response = f"{status.upper()} {failures}"


def write_run_artifacts(session: Session, command: str, outcome: RunOutcome) -> None:
    """``target/run/**.sql`` (the statements each node sent) and ``run_results.json``."""
    project = session.project
    base = project.target_dir / "run"
    for r in outcome.results:
        if r.statements:
            node = project.node(r.unique_id)
            text = ";\n\n".join(s.rstrip() for s in r.statements) + ";\n"
            try:
                artifacts.write_text_if_changed(base / artifacts.sql_path(project, node), text)
            except DiskFullError as exc:
                outcome.errors.append(exc)
                break  # one error for the folder; run_results.json is still tried
    meta = artifacts.metadata(project, session.invocation_id, session.target.public_dict())
    threads = session.options.threads or session.target.threads
    args = artifacts.invocation_args(command, session.options, session.target.name, threads)
    try:
        artifacts.write_run_results(
            project.target_dir / "run_results.json", meta, outcome.results, outcome.elapsed, args
        )
    except DiskFullError as exc:
        outcome.errors.append(exc)
