"""``run_model``: a model, its inputs as DataFrames, a result DataFrame; no warehouse."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.compile.cache import CompileCache
from pyflow.config.loader import load_project
from pyflow.core.node import ModelNode, Node, SourceNode
from pyflow.core.project import Project
from pyflow.core.spec import TargetInfo
from pyflow.errors import GraphError, PyflowError, closest
from pyflow.relation import Relation
from pyflow.runner.compilation import ProjectCompiler

TEST_TARGET = TargetInfo(name="test", type="duckdb", schema="main", database="memory")
_projects: dict[tuple[str, str], Project] = {}
_lock = threading.Lock()


def _project(project_dir: str | Path, vars: Mapping[str, Any]) -> Project:
    root = str(Path(project_dir).resolve())
    key = (root, repr(sorted(vars.items())))
    with _lock:
        if key not in _projects:
            _projects[key] = load_project(root, vars=vars, target=TEST_TARGET)
        return _projects[key]


class ProjectHarness:
    """A loaded project plus an in-memory DuckDB for running its models on fixtures."""

    def __init__(self, project_dir: str | Path, vars: Mapping[str, Any] | None = None) -> None:
        self.project = _project(project_dir, dict(vars or {}))

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
        adapter = DuckDBAdapter.in_memory()
        try:
            compiler, model = self._prepare(adapter, model_name, inputs, is_incremental, this)
            return self._execute(adapter, compiler, model)
        finally:
            adapter.close()

    def run_incremental(self, model_name: str, current: Any, inputs: Mapping[str, Any]) -> Any:
        """Apply the model's incremental batch to ``current`` with its strategy; new table."""
        from pyflow.materializers.base import Job
        from pyflow.materializers.incremental import IncrementalMaterializer

        adapter = DuckDBAdapter.in_memory()
        try:
            compiler, model = self._prepare(adapter, model_name, inputs, True, current)
            compiled = compiler.compile(model.unique_id)
            rel = compiler.relation(model)
            job = Job(name=model.name, relation=rel, adapter=adapter, sql=compiled.sql,
                      config=model.config, incremental=True)
            if compiled.is_dataframe:
                job.frame = lambda: self._execute(adapter, compiler, model)
            IncrementalMaterializer().build(job)
            return adapter._cursor().execute(f"SELECT * FROM {adapter.render(rel)} ORDER BY ALL").df()
        finally:
            adapter.close()

    def _prepare(
        self, adapter: DuckDBAdapter, model_name: str, inputs: Mapping[str, Any], incremental: bool, this: Any
    ) -> tuple[ProjectCompiler, ModelNode]:
        project = self.project
        model = project.by_name(model_name)
        if not isinstance(model, ModelNode):
            raise GraphError(f"'{model_name}' is not a model", code="unknown-node")
        compiler = ProjectCompiler(project, adapter, TEST_TARGET, datetime.now(UTC), cache=CompileCache(None))
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
            adapter.create_table_from_dataframe(rel, this)
            compiler.forced_incremental[model.unique_id] = True
        return compiler, model

    def _execute(self, adapter: DuckDBAdapter, compiler: ProjectCompiler, model: ModelNode) -> Any:
        compiled = compiler.compile(model.unique_id)
        if compiled.is_dataframe:
            from pyflow.compile.python import call_model, is_dataframe

            con = adapter.ibis_connection()
            tables = compiler.bound_tables(con, model.unique_id)
            fn = self.project.functions[model.name]
            value = call_model(fn, model, tables, compiler.context(model, bound=con))
            return value if is_dataframe(value) and hasattr(value, "iloc") else value.to_pandas()
        assert compiled.sql is not None
        return adapter._cursor().execute(compiled.sql).df()

    def _load(self, adapter: DuckDBAdapter, compiler: ProjectCompiler, node: Node, rel: Relation, frame: Any) -> None:
        """Create ``rel`` from ``frame``, cast to the node's declared or inferred types."""
        compiler.overrides.pop(node.unique_id)
        try:
            columns = compiler.columns(node.unique_id)
        except PyflowError:
            columns = None  # not knowable offline: the frame's own types are used
        compiler.forget(node.unique_id)
        compiler.overrides[node.unique_id] = rel
        cur = adapter._cursor()
        cur.register("__pyflow_fixture", frame)
        try:
            present = [d[0] for d in cur.execute("SELECT * FROM __pyflow_fixture LIMIT 0").description]
            if columns:
                types = dict(columns)
                select = ", ".join(
                    f"CAST({adapter.quote(c)} AS {adapter.ibis_to_type(types[c])}) AS {adapter.quote(c)}"
                    if c in types else adapter.quote(c)
                    for c in present
                )
                absent = [c for c, _ in columns if c not in present]
                select += "".join(
                    f", CAST(NULL AS {adapter.ibis_to_type(t)}) AS {adapter.quote(c)}" for c, t in columns if c in absent
                )
            else:
                select = "*"
            cur.execute(f"CREATE TABLE {adapter.render(rel)} AS SELECT {select} FROM __pyflow_fixture")
        finally:
            cur.unregister("__pyflow_fixture")
        compiler.declared_columns[node.unique_id] = tuple(
            (c.name, adapter.type_to_ibis(c.data_type)) for c in adapter.get_columns(rel)
        )


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
    return ProjectHarness(project_dir, vars).run(model_name, inputs, is_incremental=is_incremental, this=this)
