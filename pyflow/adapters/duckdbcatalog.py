"""DuckDB's ``information_schema`` under a catalog name, as dbt macros write it.

dbt macros list relations with ``{{ database }}.information_schema.tables`` (dbt_utils'
``get_relations_by_pattern`` and ``get_tables_by_pattern_sql`` do). DuckDB keeps
``information_schema`` in its ``system`` catalog only, so that name is refused for an attached
database. :func:`catalog_information_schema` reads each such table as the ``system`` one
restricted to that catalog, by rewriting the parsed query (sqlglot), never the text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

_CATALOG_COLUMN = {"schemata": "catalog_name"}
"""The column naming the catalog in each information_schema view (``table_catalog`` elsewhere)."""


def catalog_information_schema(sql: str) -> str:
    """``sql`` with ``<catalog>.information_schema.<view>`` read from ``system`` for that catalog.

    Queries that name no catalog-qualified ``information_schema`` (every one pyflow sends itself)
    are returned unchanged, without parsing.
    """
    if ".information_schema" not in sql.lower().replace('"', ""):
        return sql
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return sql  # the engine reports what is wrong with it

    def swap(node: exp.Expression) -> exp.Expression:
        if not (
            isinstance(node, exp.Table)
            and node.db.lower() == "information_schema"
            and node.catalog
            and node.catalog.lower() != "system"
        ):
            return node
        view = node.name
        column = _CATALOG_COLUMN.get(view.lower(), "table_catalog")
        inner = (
            exp.select("*")
            .from_(exp.table_(view, db="information_schema", catalog="system"))
            .where(exp.column(column).eq(exp.Literal.string(node.catalog)))
        )
        return inner.subquery(node.alias or view)

    rewritten = tree.transform(swap)
    return sql if rewritten == tree else rewritten.sql(dialect="duckdb")


def statement_kinds(connection: Any, sql: str) -> set[str]:
    """The kinds of the statements in ``sql`` (``SELECT``, ``CREATE``, ``TRANSACTION`` ...).

    As DuckDB's own parser tells them (``extract_statements``); none for SQL it cannot parse
    (which did not run, so it changed nothing).
    """
    import duckdb

    try:
        return {s.type.name for s in connection.extract_statements(sql)}
    except duckdb.Error:
        return set()


def load_catalog(
    fetchall: Callable[[str], list[tuple[Any, ...]]],
) -> tuple[list[tuple[tuple[str, str, str], Literal["table", "view"]]], list[tuple[str, str]], set[str]]:
    """Every relation (with its kind) and schema of this process's own DuckDB catalogs.

    Own: DuckDB files and in-memory databases, which no other process can change while this one
    holds them. Catalogs another process may change under the run (Postgres, SQLite, MotherDuck
    attached through extensions) and the internal ``system``/``temp`` ones are left out: the
    snapshot does not answer for them (the third item lists the catalogs it covers).
    """
    own = {
        str(name)
        for (name,) in fetchall(
            "SELECT database_name FROM duckdb_databases() "
            "WHERE NOT internal AND type = 'duckdb' AND coalesce(path, '') NOT LIKE 'md:%'"
        )
    }
    rows = fetchall(
        "SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables"
    )
    schemata = fetchall("SELECT catalog_name, schema_name FROM information_schema.schemata")
    relations: list[tuple[tuple[str, str, str], Literal["table", "view"]]] = [
        ((str(c), str(s), str(n)), "view" if t == "VIEW" else "table") for c, s, n, t in rows if c in own
    ]
    return relations, [(str(c), str(s)) for c, s in schemata if c in own], own
