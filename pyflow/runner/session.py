"""A session: one invocation against one target (load, select, compile, execute, artifacts)."""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pyflow.adapters import adapter_class
from pyflow.adapters.attachment import attached
from pyflow.adapters.base import Adapter
from pyflow.adapters.seedbatch import count_seed
from pyflow.compile.cache import CompileCache
from pyflow.compile.model import CompiledModel
from pyflow.config.loader import load_project
from pyflow.config.partial import request_for
from pyflow.config.profile import Target, load_target
from pyflow.config.project import load_project_config
from pyflow.core.monitor import is_monitor
from pyflow.core.node import ModelNode, Node, SeedNode, SnapshotNode, SourceNode, TestNode
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.core.version import ref_call_key
from pyflow.errors import CancelledError, CompileError, DiskFullError, PyflowError
from pyflow.materializers.base import Job, SeedFile
from pyflow.materializers.registry import materializer_for
from pyflow.runner import artifacts
from pyflow.runner.compilation import CACHE_FILE, ProjectCompiler
from pyflow.runner.defer import deferred_relations, read_states
from pyflow.runner.events import Emit, Event, NodeResult, ignore
from pyflow.runner.execute import Executor
from pyflow.runner.frames import FrameRuns, call_frame
from pyflow.runner.hooks import build_with_hooks, run_end_hooks, run_start_hooks
from pyflow.runner.logfile import EventHandler, LogFile
from pyflow.runner.monitors import MonitorRunner
from pyflow.runner.nodecost import node_runner
from pyflow.runner.runend import finish_run, open_history
from pyflow.runner.selection import COMMAND_TYPES, NOTHING_TO_DO, only_selection, resolve_selection
from pyflow.runner.unitrun import UnitTestRunner, is_unit_test, merge_waits, schedule
from pyflow.secret import ScrubbingFormatter

log = logging.getLogger("pyflow")


@dataclass
class Options:
    """What every command accepts."""

    project_dir: Path = Path(".")
    profiles_dir: Path | None = None
    target: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    select: Sequence[str] = ()
    exclude: Sequence[str] = ()
    threads: int | None = None
    full_refresh: bool = False
    fail_fast: bool = False
    selector: str | None = None
    """A named selector of selectors.yml (instead of ``select``/``exclude``)."""
    indirect_selection: str = "eager"
    """How tests join the nodes they test: eager, cautious, buildable or empty."""
    state: Path | None = None
    """``--state``: the folder holding an earlier run's manifest.json (``state:``, ``--defer``)."""
    defer: bool = False
    favor_state: bool = False
    defer_state: Path | None = None  # --defer-state: defer to this manifest instead of --state's
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """Stamped on every event and artifact of the invocation."""
    only: frozenset[str] | None = None
    """``pyflow retry``: the unique ids to act on, instead of a selection."""
    retry_of: str | None = None
    """``pyflow retry``: the invocation whose failures this one reruns."""
    lists_only: bool = False
    """``pyflow ls``: nothing is compiled or run, so model modules need not be imported."""
    event_time_window: tuple[datetime | None, datetime | None] = (None, None)
    """``--event-time-start`` / ``--event-time-end``: the window microbatch models build."""


@dataclass
class RunOutcome:
    """Results of ``run``/``seed``/``build``."""

    results: list[NodeResult]
    elapsed: float
    cancelled: bool = False
    errors: list[PyflowError] = field(default_factory=list)
    """Failures outside any node: artifacts that could not be written (a full disk)."""

    def count(self, status: str) -> int:
        """How many nodes ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        """True when nothing failed and the run was not cancelled."""
        return (
            not self.cancelled
            and not self.errors
            and not any(self.count(s) for s in ("error", "fail", "cancelled"))
        )


def _target_info(target: Target) -> TargetInfo:
    return TargetInfo(name=target.name, type=target.type, schema=target.schema_name, database=target.database)


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


class Session:
    """One invocation: a project loaded for a target, with an adapter."""

    def __init__(self, options: Options, emit: Emit = ignore) -> None:
        self.options = options
        self.emit = self._stamped(emit)
        self.root = Path(options.project_dir).resolve()
        self.invocation_id = options.invocation_id
        self.run_started_at = datetime.now(UTC)
        cfg, _ = load_project_config(self.root)
        self.state, self.defer_state = read_states(
            options.state, options.defer_state, options.defer, options.favor_state
        )
        self.target = load_target(self.root, cfg.profile, options.target, options.profiles_dir)
        self.target_info = _target_info(self.target)
        self.project: Project = load_project(
            self.root, vars=options.vars, target=self.target_info, needs=request_for(options)
        )
        self.adapter: Adapter = adapter_class(self.target.type)(
            self.target.config, invocation_id=self.invocation_id
        )
        self._log_handler = self._file_logging()
        self._console_handler = EventHandler(self.emit)
        logging.getLogger("pyflow.sql").addHandler(self._console_handler)
        self._compiler: ProjectCompiler | None = None
        self.frames: FrameRuns  # DataFrame models of the current execute()
        self.unit_tests = UnitTestRunner(self.project, options.vars, self.adapter.dialect, self.target_info)
        self.history = open_history(self.project.config.run_history, self.adapter, self.target)
        self.monitors = MonitorRunner(self.adapter, self.history, decide)

    # ---- setup ---------------------------------------------------------------------------
    def _stamped(self, emit: Emit) -> Emit:
        """``emit`` with this invocation's id on every event."""

        def stamp(event: Event) -> None:
            event.invocation_id = event.invocation_id or self.invocation_id
            emit(event)

        return stamp

    def _file_logging(self) -> logging.Handler | None:
        folder = self.root / self.project.config.log_path
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handler = LogFile(folder / "pyflow.log", self.emit)
        except OSError:
            return None
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(  # secret values are masked in every line (and traceback)
            ScrubbingFormatter("%(asctime)s [%(levelname)s] %(threadName)s %(name)s: %(message)s")
        )
        logging.getLogger("pyflow").addHandler(handler)
        logging.getLogger("pyflow").setLevel(logging.DEBUG)
        log.info("invocation %s in %s (target %s)", self.invocation_id, self.root, self.target.name)
        return handler

    @property
    def compiler(self) -> ProjectCompiler:
        """The project compiler (with the on-disk compile cache)."""
        if self._compiler is None:
            cache = CompileCache(self.project.target_dir / CACHE_FILE)
            self._compiler = ProjectCompiler(
                self.project,
                self.adapter,
                self.target_info,
                self.run_started_at,
                cache=cache,
                full_refresh=self.options.full_refresh,
            )
            self._compiler.event_time_window = self.options.event_time_window
        return self._compiler

    def close(self) -> None:
        """Save the cache, close connections, detach the log file."""
        if self._compiler is not None:
            self._compiler.close()
        self.adapter.close()
        logging.getLogger("pyflow.sql").removeHandler(self._console_handler)
        if self._log_handler is not None:
            logging.getLogger("pyflow").removeHandler(self._log_handler)
            self._log_handler.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- selection -----------------------------------------------------------------------
    def selected(self, command: str) -> list[str]:
        """Selected node ids for a command, in DAG order (warnings emitted as events)."""
        o = self.options
        if o.only is not None:  # pyflow retry: the nodes that did not succeed last time
            ids, warnings = only_selection(self.project, o.only)
        else:
            sel = resolve_selection(
                self.project, o.select, o.exclude, COMMAND_TYPES[command],
                selector=o.selector, indirect_selection=o.indirect_selection, state=self.state,
            )  # fmt: skip
            ids, warnings = set(sel.ids), list(sel.warnings)
        if self.defer_state is not None and (o.defer or o.favor_state) and command != "ls":
            self.compiler.deferred = deferred_relations(
                self.compiler, self.defer_state, ids, favor_state=o.favor_state
            )
        nothing = [] if ids or command == "ls" else [NOTHING_TO_DO]  # ls says it its own way
        for warning in [*self.project.warnings, *warnings, *nothing]:
            self.emit(Event("message", level="warn", text=warning))
        return self.project.graph.topo_order(ids)

    def describe(self, uid: str) -> str:
        """``sql view model main.stg_orders`` as in the log lines."""
        node = self.project.node(uid)
        rel = self.compiler.relation(node).dotted()
        if isinstance(node, SeedNode):
            return f"seed file {rel}"
        if isinstance(node, SnapshotNode):
            return f"snapshot {rel}"
        if isinstance(node, TestNode):
            return f"test {node.name}"
        assert isinstance(node, ModelNode)
        kind = "table" if node.returns_dataframe else node.config.materialized
        return f"{node.language} {kind} model {rel}"

    # ---- compile -------------------------------------------------------------------------
    def compile_nodes(self, ids: Sequence[str]) -> dict[str, CompiledModel | PyflowError]:
        """Compile models (in order), keeping each error with its node."""
        out: dict[str, CompiledModel | PyflowError] = {}
        for uid in ids:
            node = self.project.node(uid)
            if not isinstance(node, ModelNode | TestNode) or is_unit_test(node):
                continue  # a unit test compiles its model against fixtures when it runs
            try:
                out[uid] = self.compiler.compile(uid)
            except PyflowError as exc:
                out[uid] = exc
        self.write_compiled(out)
        return out

    def write_compiled(self, compiled: Mapping[str, CompiledModel | PyflowError]) -> None:
        """Write ``target/compiled/**.sql`` for every compiled model."""
        base = self.project.target_dir / "compiled"
        for uid, item in compiled.items():
            if isinstance(item, PyflowError):
                continue
            node = self.project.node(uid)
            text = (
                item.sql
                if item.sql is not None
                else (f"-- {node.name} returns a DataFrame: it is computed in Python at run time\n")
            )
            artifacts.write_text_if_changed(
                base / artifacts.sql_path(self.project, node), text.rstrip() + "\n"
            )

    def write_manifest(self, compiled: Mapping[str, CompiledModel | PyflowError] | None = None) -> None:
        """Write ``target/manifest.json`` for the whole project (kept as is after a partial load)."""
        if self.project.partial:
            return
        entries: dict[str, dict[str, Any]] = {}
        compiled = compiled or {}
        for uid, node in self.project.graph.nodes.items():
            item = compiled.get(uid)
            sql = item.sql if isinstance(item, CompiledModel) else None
            cols = item.columns if isinstance(item, CompiledModel) else None
            rel, parts = None, None
            inline = isinstance(node, ModelNode) and node.config.materialized == "ephemeral"
            inline = inline or (isinstance(node, SourceNode) and node.external_location is not None)
            if not inline:
                rel = self.adapter.render(parts := self.compiler.relation(node))
            entries[uid] = artifacts.node_entry(self.project, node, rel, sql, cols, parts)
        meta = artifacts.metadata(self.project, self.invocation_id, self.target.public_dict())
        artifacts.write_manifest(self.project, self.project.target_dir / "manifest.json", meta, entries)

    # ---- execution -----------------------------------------------------------------------
    def execute(self, command: str) -> RunOutcome:
        """Run ``run``, ``seed`` or ``build`` over the selection."""
        started = time.perf_counter()
        ids = [
            uid
            for uid in self.selected(command)
            if not (
                isinstance(n := self.project.node(uid), ModelNode) and n.config.materialized == "ephemeral"
            )
        ]
        schema_ids = [u for u in ids if not isinstance(self.project.node(u), TestNode)]
        unrecovered: dict[str, PyflowError] = {}
        if not all(is_unit_test(self.project.node(u)) for u in ids):
            self.adapter.open()  # unit tests alone never connect to the target
            self.unit_tests.connect(self.adapter)  # once connected: fixtures typed like built tables
            unrecovered = self._recover_swaps(ids)  # before compiling: is_incremental sees the table
            run_start_hooks(self, ids)  # on-run-start: a failure stops the run before any node
        try:
            self.compiler.live = False  # templates reading the database render when their node runs
            compiled = self.compile_nodes(ids)
            self.compiler.live = True
            compiled.update(unrecovered)
            self.write_manifest(compiled)
        except DiskFullError:  # nothing runs: an earlier run's results must not pass for this one's
            artifacts.discard_run_results(self.project.target_dir / "run_results.json")
            raise
        self._create_schemas(schema_ids)
        threads = self.options.threads or self.target.threads
        self.emit(
            Event(
                "run_start",
                total=len(ids),
                data={"command": command, "threads": threads, "target": self.target.name},
            )
        )
        graph, unit_waits, order = schedule(self.project.graph, ids)  # a model waits for its unit tests
        executor = Executor(
            graph,
            order,
            node_runner(self, compiled),  # _run_node with the node's engine settings (workgroup ...)
            extra_parents=merge_waits(self._wait_for_tests(ids), unit_waits),
            threads=threads,
            fail_fast=self.options.fail_fast,
            emit=self.emit,
            on_cancel=self.adapter.cancel,
            describe=self.describe,
        )
        self.frames = FrameRuns(self.compiler)
        results = executor.run()
        if self.frames.recompiled:  # children of DataFrame models compiled once those ran
            compiled.update(self.frames.recompiled)
            self.write_compiled(compiled)
            self.write_manifest(compiled)
        outcome = RunOutcome(results, time.perf_counter() - started, executor.cancelled)
        run_end_hooks(self, outcome)  # on-run-end SQL hooks; a failure joins outcome.errors
        self._write_run_artifacts(command, outcome)
        finish_run(self, command, outcome)  # run history and on-run-end alerts; never raises
        self.emit(
            Event(
                "run_finish",
                total=len(ids),
                data={"elapsed": outcome.elapsed, "cancelled": outcome.cancelled},
            )
        )
        return outcome

    def _wait_for_tests(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """In ``build``, a node waits for the data tests above it (a failing test skips it).

        dbt's rule: a test blocks only the nodes below *all* of its parents (for a test of one
        node: that node's descendants), never one of its parents, so a test with several
        parents (``relationships``, a singular test reading two models) runs once all of them
        are built. Only the topmost blocked nodes get the edge; the rest wait for them.
        """
        graph = self.project.graph
        selected = set(ids)
        cache: dict[str, set[str]] = {}
        tops: dict[frozenset[str], list[str]] = {}  # many tests share their parents: work once
        out: dict[str, list[str]] = {}
        for uid in ids:
            node = self.project.node(uid)
            if not isinstance(node, TestNode) or is_unit_test(node) or not graph.parents.get(uid):
                continue
            key = frozenset(graph.parents[uid])
            if key not in tops:
                below = {
                    n
                    for n in graph.downstream_of_all(key, cache)
                    if n in selected and not isinstance(graph.nodes[n], TestNode)
                }
                tops[key] = [
                    c for c in sorted(below) if not any(p in below for p in graph.parents.get(c, []))
                ]
            for child in tops[key]:
                out.setdefault(child, []).append(uid)
        return out

    def _recover_swaps(self, ids: Sequence[str]) -> dict[str, PyflowError]:
        """Put back what interrupted builds of the selected nodes left (:mod:`pyflow.adapters.recovery`).

        Each node recovered gets a warning naming what was restored and dropped; a node whose
        leftovers could not be recovered gets the error instead of being built.
        """
        from pyflow.adapters.base import TableOptions
        from pyflow.adapters.recovery import SwapTarget, recover_swaps

        targets: dict[str, str] = {}
        swaps: list[SwapTarget] = []
        for uid in ids:
            node = self.project.node(uid)
            if isinstance(node, TestNode) and not (node.config.store_failures and not is_unit_test(node)):
                continue
            targets[node.name] = uid
            options = TableOptions.from_config(getattr(node, "config", None))
            swaps.append(SwapTarget(node.name, self.compiler.relation(node), options))
        if not swaps:
            return {}
        protected = [self.compiler.relation(n) for n in self.project.graph.nodes.values()]
        recovery = recover_swaps(self.adapter, swaps, protected=protected)
        for name, actions in recovery.actions.items():
            text = f"{name}: recovered from an interrupted earlier build: " + "; ".join(actions)
            self.emit(Event("message", level="warn", text=text))
        return {targets[name]: exc for name, exc in recovery.errors.items()}

    def _create_schemas(self, ids: Sequence[str]) -> None:
        """Create every schema the run writes to, once, before threads start (no DDL races)."""
        wanted = {
            (rel.database, rel.schema)
            for rel in (self.compiler.relation(self.project.node(u)) for u in ids)
            if rel.schema
        }
        for database, schema in sorted(wanted, key=str):
            if not self.adapter.schema_exists(database, schema):
                self.adapter.execute(self.adapter.create_schema_sql(database, schema))

    def _run_node(
        self, uid: str, index: int, total: int, compiled: CompiledModel | PyflowError | None
    ) -> NodeResult:
        node = self.project.node(uid)
        desc = self.describe(uid)
        self.emit(Event("node_start", index=index, total=total, description=desc, unique_id=uid))
        started = time.time()
        rel = self.compiler.relation(node)
        stored = not isinstance(node, TestNode) or node.config.store_failures
        result = NodeResult(
            uid,
            node.name,
            "success",
            relation=self.adapter.render(rel) if stored else None,
            started_at=started,
            thread_id=threading.current_thread().name,
        )
        job = Job(
            name=node.name,
            relation=rel,
            adapter=self.adapter,
            full_refresh=self.options.full_refresh,
            config=getattr(node, "config", None),
            run_started_at=self.run_started_at,
        )
        try:
            compiled = self.frames.refresh(uid, compiled)  # it waited for a DataFrame model
            if isinstance(compiled, PyflowError):
                raise compiled
            if isinstance(node, TestNode) and is_unit_test(node):
                self.unit_tests.run(node, result)
                kind = ""
            elif isinstance(node, TestNode) and node.kind == "generic" and is_monitor(node.test_name):
                assert compiled is not None and compiled.sql is not None
                self.monitors.run(node, compiled.sql, result, job.log.statements)
                kind = ""
            elif isinstance(node, TestNode):
                assert compiled is not None and compiled.sql is not None
                self._run_test(node, compiled.sql, job, result)
                kind = ""
            elif isinstance(node, SeedNode):
                path = self.project.root / node.path
                job.seed = SeedFile(
                    path,
                    dict(node.config.column_types),
                    node.config.delimiter,
                    # strict: a malformed CSV stops here, before anything is written
                    records=count_seed(path, node.config.delimiter, node.path),
                )
                if self.adapter.capabilities.csv_scan:  # else loaded by seed_statements alone
                    job.sql = self.compiler.seed_select(node)
                kind = "seed"
            else:
                assert isinstance(node, ModelNode) and compiled is not None
                job.sql = compiled.sql
                job.incremental = self.compiler.is_incremental(node)
                if compiled.is_dataframe:
                    job.frame = lambda: call_frame(self.compiler, node)
                    kind = node.config.materialized
                    kind = "table" if kind in ("view", "ephemeral") else kind
                else:
                    kind = node.config.materialized
            if kind:
                with attached(self.adapter, getattr(compiled, "runtime", None), node.name):
                    outcome = build_with_hooks(self.compiler, node, kind, job)
                result.message = outcome.message
                result.rows_affected = outcome.rows
                result.response = outcome.response
                self.frames.built(uid)
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
        self.emit(Event("node_finish", index=index, total=total, description=desc, result=result))
        return result

    def _run_test(self, node: TestNode, sql: str, job: Job, result: NodeResult) -> None:
        """Count the failing rows; decide PASS/WARN/FAIL; keep failures when asked."""
        cfg = node.config
        inner = f"SELECT * FROM (\n{sql}\n) AS pyflow_failures LIMIT {cfg.limit}" if cfg.limit else sql
        count_sql = f"SELECT count(*) FROM (\n{inner}\n) AS pyflow_test"
        job.log.statements.append(count_sql)
        failures = int(self.adapter.fetchall(count_sql, model=node.name)[0][0])
        result.failures = failures
        result.rows_affected = failures
        where = ""
        if cfg.store_failures:
            job.sql = inner
            materializer_for("table").build(job)
            where = f"; failing rows in {self.adapter.render(job.relation)}"
        status = decide(cfg.severity, cfg.error_if, cfg.warn_if, failures)
        result.status = status
        if status == "pass":
            result.message = "passed"
            result.response = "PASS"
            return
        rule = cfg.error_if if status == "fail" else cfg.warn_if
        attached = f" on {node.attached}" if node.attached else ""
        column = f" column {node.column_name}" if node.column_name else ""
        result.message = (
            f"{'Failure' if status == 'fail' else 'Warning'} in test {node.name} ({node.path}:{node.line})\n"
            f"  test '{node.test_name}'{attached}{column}: got {failures} failing row(s), "
            f"configured to {'fail' if status == 'fail' else 'warn'} if {rule}{where}\n"
            f"  compiled SQL: target/compiled/{artifacts.sql_path(self.project, node)}"
        )
        result.response = f"{status.upper()} {failures}"

    def _write_run_artifacts(self, command: str, outcome: RunOutcome) -> None:
        base = self.project.target_dir / "run"
        for r in outcome.results:
            if r.statements:
                node = self.project.node(r.unique_id)
                text = ";\n\n".join(s.rstrip() for s in r.statements) + ";\n"
                try:
                    artifacts.write_text_if_changed(base / artifacts.sql_path(self.project, node), text)
                except DiskFullError as exc:
                    outcome.errors.append(exc)
                    break  # one error for the folder; run_results.json is still tried
        meta = artifacts.metadata(self.project, self.invocation_id, self.target.public_dict())
        args = artifacts.invocation_args(
            command, self.options, self.target.name, self.options.threads or self.target.threads
        )
        try:
            artifacts.write_run_results(
                self.project.target_dir / "run_results.json", meta, outcome.results, outcome.elapsed, args
            )
        except DiskFullError as exc:
            outcome.errors.append(exc)

    # ---- other commands ------------------------------------------------------------------
    def compile(self) -> dict[str, CompiledModel | PyflowError]:
        """``pyflow compile``: write compiled SQL and the manifest; no model runs."""
        ids = self.selected("compile")
        self.compiler.call_frames = True  # DataFrame models not built yet are called for their columns
        compiled = self.compile_nodes(ids)
        self.write_manifest(compiled)
        return compiled

    def show(
        self, name: str | None, inline: str | None, limit: int
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Preview rows of a model (compiled SQL) or of an inline query."""
        runtime = None
        if inline is not None:
            sql = self.render_inline(inline)
        else:
            assert name is not None
            node = self.project.by_name(name)
            if isinstance(node, SeedNode | SnapshotNode):  # preview the table, not its input
                sql = f"SELECT * FROM {self.adapter.render(self.compiler.relation(node))}"
            else:
                compiled = self.compiler.compile(node.unique_id)
                if compiled.sql is None:
                    sql = f"SELECT * FROM {self.adapter.render(self.compiler.relation(node))}"
                else:
                    sql, runtime = compiled.sql, compiled.runtime
        cur = self.adapter._cursor()
        query = f"SELECT * FROM (\n{sql}\n) AS pyflow_show LIMIT {int(limit)}"
        try:
            with attached(self.adapter, runtime, name):
                cur.execute(query)
                cols = [d[0] for d in cur.description]
                return cols, list(cur.fetchall())
        except PyflowError:
            raise
        except Exception as exc:
            err = self.adapter.wrap_error(exc, query, name)
            err.hint = "build the model's inputs first (`pyflow build`), then preview again"
            raise err from exc

    def render_inline(self, text: str) -> str:
        """Render an ad-hoc query whose ``ref``/``source`` resolve against the project."""
        from pyflow.compile.model import with_ctes
        from pyflow.compile.statement import check_one_statement
        from pyflow.core.sqlcontext import base_context
        from pyflow.runner.renderdb import render_services

        project = self.project
        jinja = project.jinja
        quote = self.adapter.quote
        inlined: dict[str, str] = {}  # ephemeral models become CTEs, as in compiled models

        def use(uid: str) -> str:
            up = self.compiler.upstream(uid, with_columns=False)
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

        ctx = base_context("inline", project.vars, self.target_info, self.run_started_at, quote)
        ctx.update(ref=ref, source=source, config=lambda *a, **k: "", this="", is_incremental=lambda: False)
        jinja.add_template("<inline>", text)
        sql = jinja.render(
            "<inline>", ctx, model="inline", builtins=render_services(self.adapter, project, None).builtins
        )
        check_one_statement(sql, self.adapter.dialect, model="inline", path="--inline", resource="query")
        sql = sql.strip().rstrip(";")
        return with_ctes(sql, list(inlined.items()), quote)

    def list_nodes(self) -> list[Node]:
        """``pyflow ls``: selected nodes in DAG order."""
        return [self.project.node(u) for u in self.selected("ls")]
