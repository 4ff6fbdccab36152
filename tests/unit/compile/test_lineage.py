"""Tests for pyflow.compile.lineage: one SELECT's column lineage, offline."""

from __future__ import annotations

from pyflow.compile.lineage import InputTable, select_lineage

ORDERS = InputTable("orders", "db", "main", "orders", ("id", "amount", "Status"))
CUSTOMERS = InputTable("customers", "db", "main", "customers", ("id", "name"))


def test_select_lineage_cte_join_and_star() -> None:
    sql = """
        with o as (select id, amount * 2 as twice from "db"."main"."orders")
        select c.*, o.twice, upper(o2.status) as st, 42 as answer
        from "db"."main"."customers" as c
        join o on o.id = c.id
        join main.orders as o2 on o2.id = c.id
    """
    found = select_lineage(sql, "duckdb", [ORDERS, CUSTOMERS], default_database="db", default_schema="main")
    assert found.error is None
    assert found.columns == {
        "id": [("customers", "id")],
        "name": [("customers", "name")],
        "twice": [("orders", "amount")],
        "st": [("orders", "Status")],  # the input's spelling of the column
        "answer": [],
    }


def test_select_lineage_output_spelling_from_the_model() -> None:
    found = select_lineage(
        'select "Status" from db.main.orders',
        "duckdb",
        [ORDERS],
        default_database="db",
        default_schema="main",
        output_columns=["Status"],
    )
    assert found.columns == {"Status": [("orders", "Status")]}


def test_select_lineage_file_source_cte_stands_for_its_input() -> None:
    sql = """
        with "__pyflow_source__raw__events" as (select * from read_parquet('/data/*.parquet'))
        select kind, count(*) as n from "__pyflow_source__raw__events" group by kind
    """
    events = InputTable("events", None, None, "__pyflow_source__raw__events", ("kind", "at"))
    found = select_lineage(
        sql,
        "duckdb",
        [],
        default_database="db",
        default_schema="main",
        inline={"__pyflow_source__raw__events": events},
    )
    assert found.columns == {"kind": [("events", "kind")], "n": []}


def test_select_lineage_without_catalogs_uses_two_levels() -> None:
    orders = InputTable("orders", None, "raw", "orders", ("id", "amount"))
    found = select_lineage(
        "select * from raw.orders", "trino", [orders], default_database=None, default_schema="raw"
    )
    assert found.columns == {"id": [("orders", "id")], "amount": [("orders", "amount")]}


def test_select_lineage_ignores_tables_outside_the_inputs() -> None:
    found = select_lineage(
        "select o.id, x.v from db.main.orders o cross join db.other.unknown x",
        "duckdb",
        [ORDERS],
        default_database="db",
        default_schema="main",
    )
    assert found.columns == {"id": [("orders", "id")], "v": []}


def test_select_lineage_unreadable_sql_is_an_error_not_an_exception() -> None:
    found = select_lineage(
        "select from where", "duckdb", [ORDERS], default_database="db", default_schema="main"
    )
    assert found.columns == {}
    assert found.error is not None


def test_select_lineage_quoted_names_with_dots_and_quotes() -> None:
    odd = InputTable("odd", "db", "main", "odd", ("a.b", 'say "hi"'))
    found = select_lineage(
        'select "a.b" as x, "say ""hi""" as y from db.main.odd',
        "duckdb",
        [odd],
        default_database="db",
        default_schema="main",
    )
    assert found.columns == {"x": [("odd", "a.b")], "y": [("odd", 'say "hi"')]}
