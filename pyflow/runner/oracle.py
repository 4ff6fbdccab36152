"""Schema oracle: an in-memory DuckDB that answers "which columns would this SELECT return?".

Upstream relations are mirrored as empty tables with their known columns, so the schema of a
SQL model is known offline, before (and without) building anything.
"""

from __future__ import annotations

from typing import Any

from pyflow.adapters import adapter_class
from pyflow.compile.model import Columns
from pyflow.compile.portability import ORACLE_DIALECT
from pyflow.relation import Relation


class SchemaOracle:
    """Empty stand-ins for relations, and DESCRIBE of queries over them."""

    def __init__(self) -> None:
        self._adapter: Any = None
        self._catalogs: set[str] = {"memory"}
        self._schemas: set[tuple[str, str]] = set()
        self._tables: set[Relation] = set()

    @property
    def adapter(self) -> Any:
        """The in-memory DuckDB adapter (opened on first use)."""
        if self._adapter is None:
            self._adapter = adapter_class("duckdb").in_memory()  # type: ignore[attr-defined]
        return self._adapter

    def ensure_table(self, relation: Relation, columns: Columns) -> None:
        """Create an empty table standing for ``relation`` (once)."""
        if relation in self._tables:
            return
        a = self.adapter
        db = relation.database or "memory"
        if db not in self._catalogs:
            a.execute(f"ATTACH ':memory:' AS {a.quote(db)}")
            self._catalogs.add(db)
        schema = relation.schema or "main"
        if (db, schema) not in self._schemas:
            a.execute(f"CREATE SCHEMA IF NOT EXISTS {a.quote(db)}.{a.quote(schema)}")
            self._schemas.add((db, schema))
        cols = ", ".join(f"{a.quote(n)} {a.ibis_to_type(t)}" for n, t in columns)
        a.execute(f"CREATE TABLE {a.render(Relation(db, schema, relation.identifier))} ({cols})")
        self._tables.add(relation)

    def forget(self, relation: Relation) -> None:
        """Drop the empty copy of ``relation`` (its columns changed): the next use makes it again."""
        if relation in self._tables:
            self._tables.discard(relation)
            db = relation.database or "memory"
            rel = Relation(db, relation.schema or "main", relation.identifier)
            self.adapter.execute(f"DROP TABLE IF EXISTS {self.adapter.render(rel)}")

    def describe(self, sql: str, model: str | None = None, *, dialect: str = ORACLE_DIALECT) -> Columns:
        """Columns (Ibis dtypes) of a SELECT written in ``dialect`` (transpiled to DuckDB first)."""
        a = self.adapter
        return tuple((c.name, a.type_to_ibis(c.data_type)) for c in a.describe_query(to_duckdb(sql, dialect)))

    def close(self) -> None:
        """Release the in-memory database."""
        if self._adapter is not None:
            self._adapter.close()
            self._adapter = None


def to_duckdb(sql: str, dialect: str) -> str:
    """``sql`` in DuckDB's dialect (unchanged when it already is)."""
    if dialect == ORACLE_DIALECT:
        return sql
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    from pyflow.errors import CompileError

    try:
        return sqlglot.transpile(sql, read=dialect, write="duckdb", error_level=ErrorLevel.RAISE)[0]
    except SqlglotError as exc:
        raise CompileError(
            f"cannot read the compiled SQL as {dialect}: {str(exc).splitlines()[0]}",
            hint=f"write SQL that {dialect} accepts",
            code="sql-model-error",
        ) from None
