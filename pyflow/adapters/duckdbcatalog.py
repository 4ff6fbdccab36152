"""DuckDB's ``information_schema`` under a catalog name, as dbt macros write it.

dbt macros list relations with ``{{ database }}.information_schema.tables`` (dbt_utils'
``get_relations_by_pattern`` and ``get_tables_by_pattern_sql`` do). DuckDB keeps
``information_schema`` in its ``system`` catalog only, so that name is refused for an attached
database. :func:`catalog_information_schema` reads each such table as the ``system`` one
restricted to that catalog, by rewriting the parsed query (sqlglot), never the text.
"""

from __future__ import annotations

from typing import Any

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


_READ_ONLY = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE_INTO", "EXPLAIN", "TRANSACTION"}
)
"""Statement types that leave the catalog's relations and schemas as they are (SET and USE are
not: they change how unqualified names resolve; COPY may copy a whole database)."""


def may_change_catalog(connection: Any, sql: str) -> bool:
    """True unless every statement of ``sql`` is of a kind that creates, drops or renames nothing.

    DuckDB's own parser tells the kinds (``extract_statements``); SQL it cannot parse changed
    nothing either, as it did not run.
    """
    import duckdb

    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error:
        return False
    return any(s.type.name not in _READ_ONLY for s in statements)
