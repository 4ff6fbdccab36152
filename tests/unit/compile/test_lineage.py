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


SHAPES = [
    "select * from db.main.orders",
    "select id, amount + 1 as a, sum(amount) over (partition by id) as w from db.main.orders",
    "select x.id, x.n from (select id, count(*) as n from db.main.orders group by id) as x",
    "with a as (select id from db.main.orders), b as (select id, name from db.main.customers) "
    "select b.name, a.id from a join b using (id)",
    "select id, amount from db.main.orders union all select id, 0 from db.main.customers",
    "select c.name, (select max(amount) from db.main.orders as o where o.id = c.id) as top "
    "from db.main.customers as c",
    "select id, case when amount > 1 then 'big' else name end as kind "
    "from db.main.orders join db.main.customers using (id)",
    "select u.v from db.main.orders, unnest([amount, id]) as u(v)",
    "select * from (select * from db.main.orders) as t where t.id > 1",
]


def test_select_lineage_without_sqlglot_copies_equals_the_copying_analysis(monkeypatch) -> None:
    # select_lineage asks sqlglot not to copy the query per column (trim_selects=False,
    # copy=False: a 2,000-model docs site 18.6 -> 13.7 s); the edges must be what sqlglot's
    # defaults give
    import sqlglot.lineage

    fast = [
        select_lineage(sql, "duckdb", [ORDERS, CUSTOMERS], default_database="db", default_schema="main")
        for sql in SHAPES
    ]
    original = sqlglot.lineage.lineage

    def copying(*args, **kwargs):
        kwargs.pop("trim_selects", None)
        kwargs.pop("copy", None)
        return original(*args, **kwargs)

    monkeypatch.setattr(sqlglot.lineage, "lineage", copying)
    slow = [
        select_lineage(sql, "duckdb", [ORDERS, CUSTOMERS], default_database="db", default_schema="main")
        for sql in SHAPES
    ]
    assert [(f.columns, f.error) for f in fast] == [(s.columns, s.error) for s in slow]
    assert sum(1 for f in fast if f.error is None and any(f.columns.values())) >= len(SHAPES) - 1
