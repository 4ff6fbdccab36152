"""A session: one invocation against one target (load, select, compile, execute, artifacts)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pyflow.adapters import adapter_class
from pyflow.adapters.base import Adapter
from pyflow.compile.model import CompiledModel
from pyflow.config.loader import load_project
from pyflow.config.partial import request_for
from pyflow.config.profile import Target, load_target
from pyflow.config.project import load_project_config
from pyflow.core.node import ModelNode, Node, SeedNode, SnapshotNode, SourceNode, TestNode, is_unit_test
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.errors import PyflowError, WarningAsError
from pyflow.runner import artifacts
from pyflow.runner.defer import deferred_relations, read_states
from pyflow.runner.events import Emit, Event, RunOutcome, ignore
from pyflow.runner.logfile import EventHandler, LogFile
from pyflow.runner.selection import (
    COMMAND_TYPES,
    NOTHING_TO_DO,
    keep_types,
    only_selection,
    resolve_selection,
)
from pyflow.secret import ScrubbingFormatter

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler
    from pyflow.runner.frames import FrameRuns
    from pyflow.runner.history import RunHistory
    from pyflow.runner.monitors import MonitorRunner
    from pyflow.runner.unitrun import UnitTestRunner

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
    resource_types: tuple[str, ...] = ()
    """``--resource-type``: only nodes of these dbt resource types (``unit_test`` apart from ``test``)."""
    exclude_resource_types: tuple[str, ...] = ()
    """``--exclude-resource-type``: never nodes of these types."""
    warn_error: bool = False
    """``--warn-error``: a warning fails the command (a ``warn`` test fails; see runner/noderun.py)."""
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


def _target_info(target: Target, project_name: str) -> TargetInfo:
    """What templates see of the target (``profile_name``: the project's name when no profile is set)."""
    return TargetInfo(
        name=target.name,
        type=target.type,
        schema=target.schema_name,
        database=target.database,
        profile_name=target.profile or project_name,
        threads=target.threads,
    )


class Session:
    """One invocation: a project loaded for a target, with an adapter."""

    def __init__(self, options: Options, emit: Emit = ignore) -> None:
        self.options = options
        self.warned: list[str] = []
        """The warnings emitted so far (``--warn-error`` fails the command on them)."""
        self.emit = self._stamped(emit)
        self.root = Path(options.project_dir).resolve()
        self.invocation_id = options.invocation_id
        self.run_started_at = datetime.now(UTC)
        cfg, _ = load_project_config(self.root)
        self.state, self.defer_state = read_states(
            options.state, options.defer_state, options.defer, options.favor_state
        )
        self.target = load_target(self.root, cfg.profile, options.target, options.profiles_dir)
        self.target_info = _target_info(self.target, cfg.name)
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
        self.command = "compile"
        """The command running (``flags.WHICH`` in templates): set by :meth:`use_command`."""
        self.frames: FrameRuns  # DataFrame models of the current execute()

    # What only running nodes needs is made on first use: ``ls``, ``compile`` and ``parse``
    # neither build these nor import their modules.
    @cached_property
    def unit_tests(self) -> UnitTestRunner:
        """Runs the selected YAML unit tests (on in-memory DuckDB, typed like the target's tables)."""
        from pyflow.runner.unitrun import UnitTestRunner

        return UnitTestRunner(self.project, self.options.vars, self.adapter.dialect, self.target_info)

    @cached_property
    def history(self) -> RunHistory | None:
        """The target's run history table when ``run-history`` is on, else None."""
        from pyflow.runner.runend import open_history

        return open_history(self.project.config.run_history, self.adapter, self.target)

    @cached_property
    def monitors(self) -> MonitorRunner:
        """Runs the monitor tests (volume, freshness, schema change ...) against the history."""
        from pyflow.runner.monitors import MonitorRunner
        from pyflow.runner.noderun import decide

        if not self.options.warn_error:
            return MonitorRunner(self.adapter, self.history, decide)

        def strict(
            severity: str, error_if: str, warn_if: str, failures: int
        ) -> Literal["pass", "warn", "fail"]:
            status = decide(severity, error_if, warn_if, failures)
            return "fail" if status == "warn" else status  # --warn-error

        return MonitorRunner(self.adapter, self.history, strict)

    # ---- setup ---------------------------------------------------------------------------
    def _stamped(self, emit: Emit) -> Emit:
        """``emit`` with this invocation's id on every event."""

        def stamp(event: Event) -> None:
            event.invocation_id = event.invocation_id or self.invocation_id
            if event.kind == "message" and event.level == "warn":
                self.warned.append(str(event.text))
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
            from pyflow.compile.cache import CompileCache
            from pyflow.runner.compilation import CACHE_FILE, ProjectCompiler

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
            self._compiler.which = self.command
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

    def use_command(self, command: str) -> None:
        """Name the command templates see as dbt's ``flags.WHICH``."""
        self.command = command
        if self._compiler is not None:
            self._compiler.which = command

    # ---- selection -----------------------------------------------------------------------
    def selected(self, command: str) -> list[str]:
        """Selected node ids for a command, in DAG order (warnings emitted as events)."""
        self.use_command(command)
        o = self.options
        if o.only is not None:  # pyflow retry: the nodes that did not succeed last time
            ids, warnings = only_selection(self.project, o.only)
        else:
            sel = resolve_selection(
                self.project, o.select, o.exclude, COMMAND_TYPES[command],
                selector=o.selector, indirect_selection=o.indirect_selection, state=self.state,
            )  # fmt: skip
            ids, warnings = set(sel.ids), list(sel.warnings)
        ids = keep_types(self.project, ids, o.resource_types, o.exclude_resource_types)
        if self.defer_state is not None and (o.defer or o.favor_state) and command != "ls":
            self.compiler.deferred = deferred_relations(
                self.compiler, self.defer_state, ids, favor_state=o.favor_state
            )
        nothing = [] if ids or command == "ls" else [NOTHING_TO_DO]  # ls says it its own way
        for warning in [*self.project.warnings, *warnings, *nothing]:
            self.emit(Event("message", level="warn", text=warning))
        if o.warn_error and self.warned:  # before anything runs
            raise WarningAsError(self.warned[0])
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
        """Compile models (in order), keeping each error with its node; write their SQL files.

        Many Python models are compiled in worker processes first (runner/parallelcompile.py),
        while a thread writes their files (this process is idle then); the loop writes the rest.
        """
        from concurrent.futures import Future, ThreadPoolExecutor

        from pyflow.runner.parallelcompile import precompile

        written: dict[str, Future[bool]] = {}
        with ThreadPoolExecutor(1, thread_name_prefix="pyflow-compiled") as writer:

            def write(uid: str, item: CompiledModel) -> None:
                written[uid] = writer.submit(artifacts.write_text_if_changed, *self.compiled_file(uid, item))

            precompile(self.compiler, ids, on_compiled=write)
            out: dict[str, CompiledModel | PyflowError] = {}
            for uid in ids:
                node = self.project.node(uid)
                if not isinstance(node, ModelNode | TestNode) or is_unit_test(node):
                    continue  # a unit test compiles its model against fixtures when it runs
                try:
                    out[uid] = compiled = self.compiler.compile(uid)
                except PyflowError as exc:
                    out[uid] = exc
                    continue
                if uid not in written:
                    artifacts.write_text_if_changed(*self.compiled_file(uid, compiled))
        for future in written.values():
            future.result()  # the first failure (a full disk: an error naming the file)
        return out

    def write_compiled(self, compiled: Mapping[str, CompiledModel | PyflowError]) -> None:
        """Write ``target/compiled/**.sql`` for every compiled model."""
        for uid, item in compiled.items():
            if not isinstance(item, PyflowError):
                artifacts.write_text_if_changed(*self.compiled_file(uid, item))

    def compiled_file(self, uid: str, item: CompiledModel) -> tuple[Path, str]:
        """Where a model's compiled SQL is written, and the text."""
        node = self.project.node(uid)
        frame = f"-- {node.name} returns a DataFrame: it is computed in Python at run time"
        text = item.sql if item.sql is not None else frame
        path = self.project.target_dir / "compiled" / artifacts.sql_path(self.project, node)
        return path, text.rstrip() + "\n"

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
        """Run ``run``, ``seed``, ``build``, ``snapshot`` or ``test`` over the selection.

        In :mod:`pyflow.runner.noderun`, imported here: only these commands need it.
        """
        from pyflow.runner.noderun import execute

        return execute(self, command)

    def _recover_swaps(self, ids: Sequence[str]) -> dict[str, PyflowError]:
        """Put back what interrupted builds of the selected nodes left (connected, before compiling).

        See :func:`pyflow.runner.noderun.recover_swaps`; a node whose leftovers could not be
        recovered gets the error instead of being built.
        """
        from pyflow.runner.noderun import recover_swaps

        return recover_swaps(self, ids)

    # ---- other commands ------------------------------------------------------------------
    def compile(self) -> dict[str, CompiledModel | PyflowError]:
        """``pyflow compile``: write compiled SQL and the manifest; no model runs."""
        ids = self.selected("compile")
        self.compiler.call_frames = True  # DataFrame models not built yet are called for their columns
        compiled = self.compile_nodes(ids)
        self.write_manifest(compiled)
        return compiled

    def list_nodes(self) -> list[Node]:
        """``pyflow ls``: selected nodes in DAG order."""
        return [self.project.node(u) for u in self.selected("ls")]
