"""Compile a whole project for one target: names, inputs, schemas, cache.

For every node this module decides its relation (dbt's custom-schema rule), how it appears to
its children (a relation, or an inline CTE for ephemeral models and file sources), its columns
(declared, from the database, from Ibis, or from the schema oracle), and its compile key, then
compiles it once per content (see :mod:`pyflow.compile.cache`).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pyflow.adapters.attachment import AttachesPython
from pyflow.adapters.base import Adapter
from pyflow.compile.cache import CompileCache, VarReads
from pyflow.compile.model import Columns, CompiledModel, Upstream
from pyflow.compile.portability import IbisSupport, check_sql
from pyflow.compile.python import PythonJob, PythonTarget, run_python_job
from pyflow.compile.sql import compile_sql_model
from pyflow.core.node import ModelNode, Node, SeedNode, SourceNode, TestNode
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.errors import CompileError, PyflowError, UnsupportedError
from pyflow.materializers.incremental import resolve_strategy
from pyflow.relation import Relation
from pyflow.runner.compilekey import CompileKeys
from pyflow.runner.frames import check_inputs, frame_columns
from pyflow.runner.naming import RelationNamer
from pyflow.runner.nodecolumns import describe_sql_model, learn_ancestors_first, seed_columns, source_columns
from pyflow.runner.oracle import SchemaOracle
from pyflow.runner.renderdb import render_services
from pyflow.runner.testcompile import compile_test_node

CACHE_FILE = ".pyflow/compile-cache.json"


class ProjectCompiler:
    """Compiles the nodes of one project for one target, memoized per invocation."""

    def __init__(
        self,
        project: Project,
        adapter: Adapter,
        target: TargetInfo,
        run_started_at: datetime,
        *,
        cache: CompileCache | None = None,
        full_refresh: bool = False,
    ) -> None:
        self.project = project
        self.adapter = adapter
        self.target = target
        self.run_started_at = run_started_at
        self.cache = cache if cache is not None else CompileCache(None)
        self.oracle = SchemaOracle()
        self._compiled: dict[str, CompiledModel] = {}
        self.keys = CompileKeys(self)
        self._columns: dict[str, Columns | None] = {}
        self._inputs: dict[str, dict[str, Upstream]] = {}
        self.overrides: dict[str, Relation] = {}
        """Relations to read instead of a node's own (used by unit tests)."""
        self.deferred: dict[str, Relation] = {}
        """Unselected parents read from the ``--state`` target (``--defer``: runner/defer.py)."""
        self.declared_columns: dict[str, Columns] = {}
        self.full_refresh = full_refresh
        self._incremental: dict[str, bool] = {}
        self.raw_sources: dict[str, tuple[str, list[tuple[str, str]]] | None] = {}
        """Memo of :func:`~pyflow.runner.nodecolumns.source_raw_columns`."""
        self.call_frames = False
        """Call DataFrame models to learn their columns (``pyflow compile``; builds wait for them)."""
        self.frame_errors: dict[str, str] = {}
        self.below_frames: frozenset[str] | None = None
        """Models at or below a DataFrame model through models (runner/frames.py computes it)."""
        self.learning = False
        """True while :func:`~pyflow.runner.nodecolumns.learn_ancestors_first` runs."""
        self.live = True
        """Templates may read the database (False in run/build's compile pass: see runner/renderdb.py)."""
        self.which = "compile"
        """The command (dbt's ``flags.WHICH``: run, build, compile, show ...)."""
        self.event_time_window: tuple[datetime | None, datetime | None] = (None, None)
        """``--event-time-start`` / ``--event-time-end`` of run and build (microbatch models)."""
        self.forced_incremental: dict[str, bool] = {}
        self._relations: dict[str, Relation] = {}
        cfg = project.config
        self.namer = RelationNamer(
            project.jinja,
            target,
            project.vars,
            run_started_at,
            database=adapter.database,
            schema=adapter.schema,
            quote=adapter.quote,
            resource_paths=(*cfg.model_paths, *cfg.seed_paths, *cfg.snapshot_paths, *cfg.test_paths),
        )
        """Per-node override of is_incremental (unit tests of the incremental branch)."""

    # ---- naming --------------------------------------------------------------------------
    def relation(self, node: Node) -> Relation:
        """Where a node lives."""
        if node.unique_id in self.overrides:
            return self.overrides[node.unique_id]
        if isinstance(node, SourceNode):
            return Relation(node.database or self.adapter.database, node.schema, node.identifier)
        # models, seeds, snapshots, tests (where store_failures keeps the failing rows)
        rel = self._relations.get(node.unique_id)
        if rel is None:
            rel = self._relations[node.unique_id] = self.namer.relation(node)
        return rel

    def read_relation(self, node: Node) -> Relation:
        """Where a child reads a node: its own relation, or the state's when deferred."""
        if node.unique_id in self.deferred and node.unique_id not in self.overrides:
            return self.deferred[node.unique_id]
        return self.relation(node)

    def is_incremental(self, node: ModelNode) -> bool:
        """True when an incremental model's table exists and no full refresh applies."""
        uid = node.unique_id
        if uid in self.forced_incremental:
            return self.forced_incremental[uid]
        if uid not in self._incremental:
            cfg = node.config
            refresh = (
                self.full_refresh if getattr(cfg, "full_refresh", None) is None else bool(cfg.full_refresh)
            )
            self._incremental[uid] = (
                cfg.materialized == "incremental"
                and not refresh
                and self.adapter.relation_type(self.relation(node)) == "table"
            )
        return self._incremental[uid]

    def file_location(self, node: SourceNode) -> str:
        """A source's file path or glob, absolute."""
        assert node.external_location is not None
        loc = node.external_location
        if "://" in loc or Path(loc).is_absolute():
            return loc
        return str(self.project.root / loc)

    def reads_files(self, node: SourceNode) -> bool:
        """True when the source is read from its files.

        That is when it has files and the target can read them, or it declares no table
        (``schema``/``database``) to read instead.
        """
        if not node.external_location:
            return False
        return self.adapter.capabilities.file_sources or not node.has_table

    # ---- inputs --------------------------------------------------------------------------
    def upstream(self, uid: str, *, with_columns: bool) -> Upstream:
        """How node ``uid`` appears to a child."""
        node = self.project.node(uid)
        q = self.adapter.quote
        columns = self.columns(uid) if with_columns else None
        if isinstance(node, SourceNode) and self.reads_files(node) and uid not in self.overrides:
            if not self.adapter.capabilities.file_sources:
                raise UnsupportedError(
                    f"source '{node.name}' points at files ({node.external_location}), which "
                    f"{self.adapter.type} cannot read directly",
                    path=node.path,
                    line=node.line,
                    hint="load the files into a table and declare the source's `schema` (and "
                    "`database`): engines that cannot read files read that table instead",
                    code="unsupported-file-source",
                )
            scan = self.adapter.file_scan_sql(self.file_location(node), node.file_format)
            cte = f"__pyflow_source__{node.source_name}__{node.table_name}"
            return Upstream(node.name, scan, None, cte, f"SELECT * FROM {scan}", columns)
        if (
            isinstance(node, ModelNode)
            and node.config.materialized == "ephemeral"
            and uid not in self.overrides
        ):
            compiled = self.compile(uid)
            cte = f"__pyflow_cte__{node.name}"
            return Upstream(node.name, q(cte), None, cte, compiled.sql, columns)
        rel = self.read_relation(node)
        return Upstream(node.name, self.adapter.render(rel), rel, None, None, columns)

    def inputs(self, uid: str) -> dict[str, Upstream]:
        """A model's inputs keyed as written (parameter, ref name, or ``source.table``)."""
        if uid not in self._inputs:
            node = self.project.node(uid)
            python = isinstance(node, ModelNode | TestNode) and node.language == "python"
            self._inputs[uid] = {
                key: self.upstream(parent, with_columns=python)
                for key, parent in self.project.graph.param_map.get(uid, {}).items()
            }
        return self._inputs[uid]

    # ---- columns -------------------------------------------------------------------------
    def columns(self, uid: str) -> Columns | None:
        """A node's output columns as Ibis dtypes, or None when unknowable."""
        if uid in self._columns:
            return self._columns[uid]
        learn_ancestors_first(self, uid)
        node = self.project.node(uid)
        cols: Columns | None
        found = self.adapter.get_columns(self.deferred[uid]) if uid in self.deferred else []
        if uid in self.declared_columns:
            cols = self.declared_columns[uid]
        elif found:  # a deferred parent: as built in the state's target
            cols = tuple((c.name, self.adapter.type_to_ibis(c.data_type)) for c in found)
        elif isinstance(node, SourceNode):
            cols = source_columns(self, node)
        elif isinstance(node, SeedNode):
            cols = seed_columns(self, node)
        else:
            assert isinstance(node, ModelNode)
            compiled = None if node.returns_dataframe else self.compile(uid)
            # a DataFrame model's: declared, built, or (compile only) its frame's (runner/frames.py)
            cols = frame_columns(self, node) if compiled is None else compiled.columns
            if cols is None and compiled is not None and compiled.sql is not None:
                cols = describe_sql_model(self, uid, compiled.sql)
        self._columns[uid] = cols
        return cols

    def known_columns(self, uid: str) -> bool:
        """Whether :meth:`columns` answers ``uid`` without computing anything."""
        return uid in self._columns or uid in self.declared_columns

    def seed_select(self, node: SeedNode) -> str:
        """The SELECT that reads a seed's CSV."""
        path = self.project.root / node.path
        return self.adapter.csv_scan_sql(path, dict(node.config.column_types), node.config.delimiter)

    # ---- keys and compilation --------------------------------------------------------------
    def key(self, uid: str) -> str:
        """Content key of a node's compile result (see :mod:`pyflow.runner.compilekey`)."""
        return self.keys.key(uid)

    def compile(self, uid: str) -> CompiledModel:
        """Compile a model (memoized; cached on disk by content key)."""
        if uid in self._compiled:
            return self._compiled[uid]
        node = self.project.node(uid)
        if isinstance(node, TestNode):
            self._compiled[uid] = compile_test_node(self, node)
            return self._compiled[uid]
        assert isinstance(node, ModelNode)
        key, compiled = self.lookup(node)
        if compiled is None:
            self.store(uid, key, self._compile_fresh(node))
        else:
            self.remember(uid, compiled)
        return self._compiled[uid]

    def lookup(self, node: ModelNode) -> tuple[str, CompiledModel | None]:
        """A model's compile key and its cached result (None: to compile); raises on bad config."""
        if node.returns_dataframe and node.config.materialized == "ephemeral":
            raise CompileError(
                "a model returning a DataFrame cannot be ephemeral (it is computed in Python, "
                "not inlined as SQL)",
                model=node.name,
                path=node.path,
                line=node.line,
                hint="materialize it as a table (the default for DataFrame models) or return an "
                "Ibis expression",
                code="dataframe-ephemeral",
            )
        if node.config.materialized == "incremental":
            self._check_strategy(node)
        key = self.key(node.unique_id)
        return key, self.cache.get(node.name, key, self.project.vars)

    def store(self, uid: str, key: str, compiled: CompiledModel) -> None:
        """Keep a model's fresh compile result (memoized, and in the cache under ``key``)."""
        self.cache.put(key, compiled, self.project.vars)
        self._compiled[uid] = compiled

    def remember(self, uid: str, compiled: CompiledModel) -> None:
        """Keep a model's compile result found in the cache."""
        self._compiled[uid] = compiled

    def has_compiled(self, uid: str) -> bool:
        """True when the node is compiled in this invocation."""
        return uid in self._compiled

    def _check_strategy(self, node: ModelNode) -> None:
        """Fail at compile time when the target cannot apply the model's incremental strategy."""
        try:
            resolve_strategy(node.config, self.adapter)
        except PyflowError as exc:
            exc.model, exc.path, exc.line = node.name, node.path, node.line
            raise

    def column_type(self, uid: str, column: str) -> str | None:
        """The engine type of a node's column (None when unknown)."""
        found = {name.lower(): dtype for name, dtype in self.columns(uid) or ()}
        dtype = found.get(column.strip('"').lower())
        return self.adapter.ibis_to_type(dtype) if dtype else None

    def _compile_fresh(self, node: ModelNode) -> CompiledModel:
        if node.is_python:
            return run_python_job(
                self.python_job(node), self.project.functions[node.name], node, self.python_target
            )
        reads = VarReads(self.project.vars)
        compiled = compile_sql_model(
            node,
            self.project.jinja,
            self.inputs(node.unique_id),
            vars=reads,
            target=self.target,
            run_started_at=self.run_started_at,
            this=self.adapter.render(self.relation(node)),
            is_incremental=self.is_incremental(node),
            quote=self.adapter.quote,
            dialect=self.adapter.dialect,
            block=getattr(node, "block", None),
            services=render_services(
                self.adapter, self.project, self.relation(node), live=self.live, node=node, flags=self.flags()
            ),
        )
        if compiled.sql is not None:
            check_sql(compiled.sql, self.adapter.dialect, node)
        return replace(compiled, vars_read=reads.read())

    def flags(self) -> dict[str, Any]:
        """The ``flags`` of dbt a template sees: ``FULL_REFRESH`` and ``WHICH`` (the command)."""
        return {"FULL_REFRESH": self.full_refresh, "WHICH": self.which}

    def python_job(self, node: ModelNode) -> PythonJob:
        """A Python model's compile with its inputs and existing table resolved (plain data)."""
        inputs = self.inputs(node.unique_id)
        check_inputs(self, node)
        return PythonJob(node.unique_id, inputs, self.is_incremental(node), self.this(node))

    @functools.cached_property
    def python_target(self) -> PythonTarget:
        """What every Python model's compile reads of the project and the target."""
        caps = self.adapter.capabilities
        return PythonTarget(
            dialect=self.adapter.dialect,
            quote=self.adapter.quote,
            support=IbisSupport(asof_join=caps.asof_join, unnest_struct_arrays=caps.unnest_struct_arrays),
            attach=isinstance(self.adapter, AttachesPython),  # memtables/UDFs ride along (compile.runtime)
            vars=self.project.vars,
            target=self.target,
            run_started_at=self.run_started_at,
        )

    def this(self, node: ModelNode) -> tuple[Relation, Columns] | None:
        """The model's existing table and its columns as Ibis dtypes, when it reads ``ctx.this``."""
        cols = self.keys.this_columns(node)
        if not cols:
            return None
        return self.relation(node), tuple((n, self.adapter.type_to_ibis(t)) for n, t in cols)

    def forget(self, uid: str) -> None:
        """Drop what is memoized about ``uid`` (its relation or columns changed)."""
        self.keys.forget(uid)
        for memo in (
            self._compiled,
            self._columns,
            self._inputs,
            self._incremental,
            self.raw_sources,
        ):
            memo.pop(uid, None)

    def close(self) -> None:
        """Persist the cache and drop the oracle."""
        self.cache.save()
        self.oracle.close()
