"""The DuckDB side of the harness: fixture tables, a compiler that reads them, a prepared model.

:class:`FixtureDB` is one in-memory DuckDB per thread and harness, reused from run to run (a
DuckDB connection costs ~10 ms; a run drops everything it created when it ends).
:class:`FixtureCompiler` is the project compiler with two memos owned by the harness: the
column types of inputs (they depend on the project, not on fixture rows) and compiled models
(keyed by everything a compile reads: the inputs' relations and column types, the incremental
flag and the existing table's columns), so running a model again on other rows recompiles
nothing. :class:`PreparedModel` runs the compiled model on the fixtures.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from typing import Any

from pyflow.adapters.attachment import attached
from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.compile.model import Columns, CompiledModel
from pyflow.core.node import ModelNode
from pyflow.deprecations import upstream_deprecations_silenced
from pyflow.relation import Relation
from pyflow.runner.compilation import ProjectCompiler
from pyflow.runner.frames import bound_tables, model_context
from pyflow.testing.inputtypes import BuiltColumns, input_types
from pyflow.testing.transpile import check_binds, source_dialect, to_duckdb


class FixtureDB:
    """One reusable in-memory DuckDB adapter per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def adapter(self) -> DuckDBAdapter:
        """The calling thread's adapter (opened on first use)."""
        found: DuckDBAdapter | None = getattr(self._local, "adapter", None)
        if found is None:
            found = DuckDBAdapter.in_memory()
            self._local.adapter = found
        return found

    def reset(self) -> None:
        """Drop every table and view a run created; on failure start over with a new database."""
        found: DuckDBAdapter | None = getattr(self._local, "adapter", None)
        if found is None:
            return
        try:
            cur = found._cursor()
            rows = cur.execute(
                "SELECT 'TABLE', schema_name, table_name FROM duckdb_tables() WHERE database_name = 'memory' "
                "UNION ALL SELECT 'VIEW', schema_name, view_name FROM duckdb_views() "
                "WHERE database_name = 'memory' AND NOT internal"
            ).fetchall()
            for kind, schema, name in rows:
                cur.execute(f"DROP {kind} IF EXISTS {found.render(Relation('memory', schema, name))}")
        except Exception:
            self.close()

    def close(self) -> None:
        """Close this thread's adapter."""
        found: DuckDBAdapter | None = getattr(self._local, "adapter", None)
        if found is not None:
            found.close()
            self._local.adapter = None


class FixtureCompiler(ProjectCompiler):
    """A project compiler over fixture tables, with the harness's memos of columns and compiles."""

    def __init__(
        self,
        *args: Any,
        columns_memo: dict[Hashable, Columns | None],
        compile_memo: dict[Hashable, CompiledModel],
        built_columns: BuiltColumns | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.columns_memo = columns_memo
        self.compile_memo = compile_memo
        self.built_columns = built_columns
        """Reads an input's built relation in the warehouse (None: the warehouse is not at hand)."""
        self.this_columns: dict[str, Columns] = {}
        """Columns of the existing table, per model run incrementally (part of its compile key)."""

    def _given(self, uid: str) -> tuple[Any, ...]:
        """The fixture relations (and their column types) among ``uid``'s ancestors."""
        ancestors = self.project.graph.ancestors(uid)
        return tuple(
            sorted(
                (a, str(rel), self.declared_columns.get(a))
                for a, rel in self.overrides.items()
                if a in ancestors
            )
        )

    def input_columns(self, uid: str) -> Columns | None:
        """The column types an input really has (see :mod:`pyflow.testing.inputtypes`; memoized)."""
        key = ("columns", uid, self._given(uid))
        if key not in self.columns_memo:
            self.columns_memo[key] = input_types(
                self.project.node(uid),
                built=self.built_columns,
                to_ibis=self.adapter.type_to_ibis,
                inferred=lambda: self._inferred_columns(uid),
            )
        return self.columns_memo[key]

    def _inferred_columns(self, uid: str) -> Columns | None:
        from pyflow.errors import PyflowError

        try:
            return self.columns(uid)
        except PyflowError:
            return None  # not knowable offline: declared types or the fixture's own are used

    def compile(self, uid: str) -> CompiledModel:
        """Compile, reusing the harness's compile of the same model over the same fixture shapes."""
        node = self.project.node(uid)
        if not isinstance(node, ModelNode):
            return super().compile(uid)
        key = (
            "compile",
            uid,
            self.forced_incremental.get(uid, False),
            self.this_columns.get(uid),
            self._given(uid),
        )
        hit = self.compile_memo.get(key)
        if hit is not None and all(os.environ.get(k) == v for k, v in hit.env):
            return hit
        compiled = super().compile(uid)
        if not compiled.volatile:
            self.compile_memo[key] = compiled
        return compiled


class PreparedModel:
    """A model compiled against fixture tables in the harness's DuckDB: run it, read its rows."""

    def __init__(
        self,
        adapter: DuckDBAdapter,
        compiler: ProjectCompiler,
        model: ModelNode,
        *,
        function: Callable[..., Any] | None,
        dialect: str | None,
    ):
        self.function = function
        """The model's Python function (what a DataFrame model calls; None for a SQL model)."""
        self.dialect = dialect
        """The dialect of SQL models that set no ``sql_dialect`` (the harness's)."""
        self.adapter = adapter
        self.compiler = compiler
        self.model = model

    def sql(self) -> str:
        """The model's SELECT in DuckDB's dialect (transpiled from the model's dialect if needed)."""
        compiled = self.compiler.compile(self.model.unique_id)
        assert compiled.sql is not None
        dialect = source_dialect(self.model, self.dialect)
        if dialect is None:
            return compiled.sql
        sql = to_duckdb(compiled.sql, dialect, self.model)
        check_binds(self.adapter._cursor(), sql, compiled.sql, dialect, self.model)
        return sql

    def attached(self) -> AbstractContextManager[None]:
        """The model's memtables and Python UDFs attached to the harness's DuckDB for the block."""
        runtime = self.compiler.compile(self.model.unique_id).runtime
        return attached(self.adapter, runtime, self.model.name)

    def _value(self) -> Any:
        """What a DataFrame model returns (a DataFrame, pyarrow table or Ibis table)."""
        from pyflow.compile.python import call_model

        assert self.function is not None, "only Python models return DataFrames"
        con = self.adapter.ibis_connection()
        tables = bound_tables(self.compiler, con, self.model.unique_id)
        return call_model(
            self.function, self.model, tables, model_context(self.compiler, self.model, bound=con)
        )

    def frame(self) -> Any:
        """Run the model; its rows as a pandas DataFrame."""
        if self.compiler.compile(self.model.unique_id).is_dataframe:
            from pyflow.compile.python import is_dataframe

            value = self._value()
            if is_dataframe(value) and hasattr(value, "iloc"):
                return value
            with upstream_deprecations_silenced():  # ibis reads pandas' deprecated future.infer_string
                return value.to_pandas()
        with self.attached(), upstream_deprecations_silenced():  # duckdb's df(): DataFrame.drop(inplace=True)
            return self.adapter._cursor().execute(self.sql()).df()

    def create(self, relation: Relation) -> None:
        """Run the model into a new table ``relation``."""
        a = self.adapter
        if self.compiler.compile(self.model.unique_id).is_dataframe:
            value = self._value()
            if not hasattr(value, "__dataframe__") and hasattr(value, "to_pyarrow"):
                value = value.to_pyarrow()
            a.create_table_from_dataframe(relation, value)
        else:
            with self.attached():
                a.execute(a.create_table_as_sql(relation, self.sql()), model=self.model.name)
