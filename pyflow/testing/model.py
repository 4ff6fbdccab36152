"""``run_model``: a model, its inputs as DataFrames, a result DataFrame; no warehouse."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.compile.cache import CompileCache
from pyflow.compile.model import Columns, CompiledModel
from pyflow.config.loader import load_project
from pyflow.core.node import ModelNode, Node, SourceNode
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.deprecations import upstream_deprecations_silenced
from pyflow.errors import GraphError, closest
from pyflow.relation import Relation
from pyflow.testing.fixturedb import FixtureCompiler, FixtureDB, PreparedModel
from pyflow.testing.inputtypes import BuiltColumns

TEST_TARGET = TargetInfo(name="test", type="duckdb", schema="main", database="memory")
_projects: dict[tuple[str, str, str], Project] = {}
_harnesses: dict[tuple[str, str], ProjectHarness] = {}
_lock = threading.Lock()


def _project(project_dir: str | Path, vars: Mapping[str, Any], target: TargetInfo = TEST_TARGET) -> Project:
    root = str(Path(project_dir).resolve())
    key = (root, repr(sorted(vars.items())), repr(target))
    with _lock:
        if key not in _projects:
            _projects[key] = load_project(root, vars=vars, target=target)
        return _projects[key]


class ProjectHarness:
    """A loaded project plus an in-memory DuckDB for running its models on fixtures.

    Args:
        project_dir: the project folder (loaded once per folder, vars and target).
        vars: variables overriding the project's ``vars``.
        project: an already loaded project to use instead of loading ``project_dir``.
        dialect: the dialect of SQL models that set no ``sql_dialect`` (the target's); SQL
            in another dialect than DuckDB's is transpiled before it runs.
        target: the target the project is loaded for (what ``target`` shows in Jinja).
        built_columns: reads an input's built relation in the warehouse; its column types
            come first when fixtures are cast (:mod:`pyflow.testing.inputtypes`).

    """

    def __init__(
        self,
        project_dir: str | Path | None = None,
        vars: Mapping[str, Any] | None = None,
        *,
        project: Project | None = None,
        dialect: str | None = None,
        target: TargetInfo | None = None,
        built_columns: BuiltColumns | None = None,
    ) -> None:
        if project is None:
            if project_dir is None:
                raise TypeError("ProjectHarness needs project_dir or project")
            project = _project(project_dir, dict(vars or {}), target or TEST_TARGET)
        self.project = project
        self.vars = dict(vars or {})
        self.dialect = dialect
        self.target = target or TEST_TARGET
        self.built_columns = built_columns
        self._db = FixtureDB()
        self._columns_memo: dict[Any, Columns | None] = {}
        self._compile_memo: dict[Any, CompiledModel] = {}
        self._derived: dict[str, ProjectHarness] = {}
        self._type_names: dict[str, str] = {}
        self._lock = threading.Lock()

    def with_vars(self, extra: Mapping[str, Any]) -> ProjectHarness:
        """The same project loaded with ``extra`` vars on top of this harness's vars (kept for reuse)."""
        merged = {**self.vars, **extra}
        key = repr(sorted(merged.items()))
        with self._lock:
            if key not in self._derived:
                self._derived[key] = ProjectHarness(
                    self.project.root,
                    merged,
                    dialect=self.dialect,
                    target=self.target,
                    built_columns=self.built_columns,
                )
            return self._derived[key]

    def close(self) -> None:
        """Close the calling thread's in-memory database (a later run opens a new one)."""
        self._db.close()

    def _type_name(self, adapter: DuckDBAdapter, ibis_type: str) -> str:
        """DuckDB's name for an Ibis type (memoized: the conversion goes through sqlglot)."""
        if ibis_type not in self._type_names:
            self._type_names[ibis_type] = adapter.ibis_to_type(ibis_type)
        return self._type_names[ibis_type]

    def _reachable_inputs(self, model: ModelNode) -> dict[str, str]:
        """Map input names to node ids: parents, and parents of ephemeral parents.

        Names are as written, node names and source spellings; ephemeral parents are computed
        from their own inputs, so those may be given instead.
        """
        found: dict[str, str] = {}
        frontier = [model.unique_id]
        while frontier:
            uid = frontier.pop()
            for written, parent in self.project.graph.param_map.get(uid, {}).items():
                node = self.project.node(parent)
                names = {written, node.name}
                if isinstance(node, SourceNode):
                    names |= {node.param_name, f"{node.source_name}.{node.table_name}"}
                for name in names:
                    found.setdefault(name, parent)
                if _is_ephemeral(node):
                    frontier.append(parent)
        return found

    def _input_node(self, model: ModelNode, key: str) -> Node:
        reachable = self._reachable_inputs(model)
        if key in reachable:
            return self.project.node(reachable[key])
        raise GraphError(
            f"'{key}' is not an input of model '{model.name}'",
            model=model.name,
            path=model.path,
            suggestions=closest(key, reachable),
            hint="inputs are keyed by parameter name, ref() name, or 'source.table' (inputs of "
            "ephemeral parents count too)",
            code="unknown-input",
        )

    def _missing_inputs(self, uid: str, given: Mapping[str, Node]) -> list[str]:
        out: list[str] = []
        for parent in self.project.graph.param_map.get(uid, {}).values():
            node = self.project.node(parent)
            if parent in given:
                continue
            if _is_ephemeral(node):
                out += self._missing_inputs(parent, given)
            else:
                out.append(node.name)
        return out

    def run(
        self,
        model_name: str,
        inputs: Mapping[str, Any],
        *,
        is_incremental: bool = False,
        this: Any = None,
    ) -> Any:
        """Run ``model_name`` with ``inputs`` (DataFrames) and return a pandas DataFrame.

        With ``is_incremental=True`` the model's incremental branch runs, with ``this``
        (a DataFrame) as its existing table; the result is the batch the model produces.
        """
        with self.prepared(model_name, inputs, is_incremental=is_incremental, this=this) as run:
            return run.frame()

    @contextmanager
    def prepared(
        self, model_name: str, inputs: Mapping[str, Any], *, is_incremental: bool = False, this: Any = None
    ) -> Iterator[PreparedModel]:
        """A private in-memory DuckDB holding ``inputs``, with the model compiled against them."""
        adapter = self._db.adapter()
        try:
            compiler, model = self._prepare(adapter, model_name, inputs, is_incremental, this)
            yield self._prepared_model(adapter, compiler, model)
        finally:
            self._db.reset()

    def _prepared_model(
        self, adapter: DuckDBAdapter, compiler: FixtureCompiler, model: ModelNode
    ) -> PreparedModel:
        return PreparedModel(
            adapter,
            compiler,
            model,
            function=self.project.functions.get(model.name),
            dialect=self.dialect,
        )

    def run_incremental(self, model_name: str, current: Any, inputs: Mapping[str, Any]) -> Any:
        """Apply the model's incremental batch to ``current`` with its strategy; new table."""
        from pyflow.materializers.base import Job
        from pyflow.materializers.incremental import IncrementalMaterializer

        adapter = self._db.adapter()
        try:
            compiler, model = self._prepare(adapter, model_name, inputs, True, current)
            compiled = compiler.compile(model.unique_id)
            rel = compiler.relation(model)
            job = Job(
                name=model.name,
                relation=rel,
                adapter=adapter,
                sql=compiled.sql,
                config=model.config,
                incremental=True,
            )
            prepared = self._prepared_model(adapter, compiler, model)
            if compiled.is_dataframe:
                job.frame = prepared.frame
            else:
                job.sql = prepared.sql()
            with prepared.attached():
                IncrementalMaterializer().build(job)
            with upstream_deprecations_silenced():  # duckdb's df(): DataFrame.drop(inplace=True)
                return adapter._cursor().execute(f"SELECT * FROM {adapter.render(rel)} ORDER BY ALL").df()
        finally:
            self._db.reset()

    def _prepare(
        self, adapter: DuckDBAdapter, model_name: str, inputs: Mapping[str, Any], incremental: bool, this: Any
    ) -> tuple[FixtureCompiler, ModelNode]:
        project = self.project
        model = project.by_name(model_name)
        if not isinstance(model, ModelNode):
            raise GraphError(f"'{model_name}' is not a model", code="unknown-node")
        compiler = FixtureCompiler(
            project,
            adapter,
            self.target,
            datetime.now(UTC),
            cache=CompileCache(None),
            columns_memo=self._columns_memo,
            compile_memo=self._compile_memo,
            built_columns=self.built_columns,
        )
        given: dict[str, Node] = {}
        for key, frame in inputs.items():
            node = self._input_node(model, key)
            given[node.unique_id] = node
            rel = Relation("memory", "main", f"input__{len(given)}")
            compiler.overrides[node.unique_id] = rel
            self._load(adapter, compiler, node, rel, frame)
        missing = sorted(set(self._missing_inputs(model.unique_id, given)))
        if missing:
            raise GraphError(
                f"no input given for {', '.join(repr(m) for m in missing)}",
                model=model.name,
                path=model.path,
                hint="pass a DataFrame for every input in inputs={...}",
                code="missing-input",
            )
        if incremental:
            if this is None:
                raise GraphError(
                    "is_incremental=True needs this=<DataFrame of the existing table>",
                    model=model.name,
                    path=model.path,
                    hint="pass this=current_table_df",
                    code="missing-input",
                )
            rel = compiler.relation(model)
            adapter.execute(adapter.create_schema_sql(rel.database, rel.schema or "main"))
            self._load(adapter, compiler, model, rel, this)  # typed as the model's own output
            compiler.forget(model.unique_id)
            compiler.this_columns[model.unique_id] = compiler.declared_columns.pop(model.unique_id)
            compiler.overrides.pop(model.unique_id, None)
            compiler.forced_incremental[model.unique_id] = True
        return compiler, model

    def _load(
        self, adapter: DuckDBAdapter, compiler: FixtureCompiler, node: Node, rel: Relation, frame: Any
    ) -> None:
        """Create ``rel`` from ``frame``, cast to the node's declared or inferred types."""
        compiler.overrides.pop(node.unique_id, None)
        columns = compiler.input_columns(node.unique_id)
        compiler.forget(node.unique_id)
        compiler.overrides[node.unique_id] = rel
        cur = adapter._cursor()
        if _has_no_columns(frame):
            if not columns:
                raise GraphError(
                    f"the fixture for '{node.name}' has no columns, and its columns cannot be known offline",
                    path=node.path,
                    line=node.line,
                    hint="give at least one row (or declare the input's columns with data_type)",
                    code="missing-input",
                )
            cols = ", ".join(f"{adapter.quote(c)} {self._type_name(adapter, t)}" for c, t in columns)
            cur.execute(f"CREATE TABLE {adapter.render(rel)} ({cols})")
            compiler.declared_columns[node.unique_id] = tuple(columns)
            return
        cur.register("__pyflow_fixture", frame)
        try:
            present = _column_names(frame)
            if present is None:
                present = [d[0] for d in cur.execute("SELECT * FROM __pyflow_fixture LIMIT 0").description]
            if columns:
                types = {c: self._type_name(adapter, t) for c, t in columns}
                select = ", ".join(
                    f"CAST({adapter.quote(c)} AS {types[c]}) AS {adapter.quote(c)}"
                    if c in types
                    else adapter.quote(c)
                    for c in present
                )
                select += "".join(
                    f", CAST(NULL AS {types[c]}) AS {adapter.quote(c)}"
                    for c, _ in columns
                    if c not in present
                )
            else:
                select = "*"
            cur.execute(f"CREATE TABLE {adapter.render(rel)} AS SELECT {select} FROM __pyflow_fixture")
        finally:
            cur.unregister("__pyflow_fixture")
        compiler.declared_columns[node.unique_id] = tuple(
            (c.name, adapter.type_to_ibis(c.data_type))
            for c in adapter.describe_query(f"SELECT * FROM {adapter.render(rel)}")
        )


def _column_names(frame: Any) -> list[str] | None:
    """Column names of a pyarrow table or pandas DataFrame without asking DuckDB (else None)."""
    names = getattr(frame, "column_names", None)
    if names is None and hasattr(frame, "iloc"):
        names = frame.columns
    return None if names is None else [str(n) for n in names]


def _has_no_columns(frame: Any) -> bool:
    columns: Any = getattr(frame, "column_names", None)
    if columns is None:
        columns = getattr(frame, "columns", ())
    return len(columns) == 0


def _is_ephemeral(node: Node) -> bool:
    return isinstance(node, ModelNode) and node.config.materialized == "ephemeral"


def run_model(
    project_dir: str | Path,
    model_name: str,
    inputs: Mapping[str, Any],
    *,
    vars: Mapping[str, Any] | None = None,
    is_incremental: bool = False,
    this: Any = None,
) -> Any:
    """Run one model of a project on in-memory DuckDB with DataFrames as its inputs.

    Args:
        project_dir: the project folder (holding pyflow.yml).
        model_name: a Python or SQL model.
        inputs: a DataFrame (pandas or pyarrow) per input, keyed by parameter name, ``ref``
            name, ``<source>__<table>`` or ``source.table``. Ephemeral inputs may be omitted
            (they are computed from their own inputs).
        vars: variables overriding the project's ``vars``.
        is_incremental: run the incremental branch (``ctx.is_incremental`` /
            ``is_incremental()`` true).
        this: with ``is_incremental``, the existing table as a DataFrame (``ctx.this`` /
            ``{{ this }}``).

    Returns:
        The model's rows as a pandas DataFrame (for an incremental run: the new batch).

    """
    return harness_for(project_dir, vars).run(model_name, inputs, is_incremental=is_incremental, this=this)


def harness_for(project_dir: str | Path, vars: Mapping[str, Any] | None = None) -> ProjectHarness:
    """The harness of a project folder and vars, shared by every call in this process.

    Sharing keeps its compiled models and its in-memory databases (one per thread) from one
    test to the next.
    """
    key = (str(Path(project_dir).resolve()), repr(sorted((vars or {}).items())))
    found = _harnesses.get(key)
    if found is None:
        found = ProjectHarness(project_dir, vars)
        with _lock:
            found = _harnesses.setdefault(key, found)
    return found
