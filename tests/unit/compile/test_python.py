"""Tests for pyflow.compile.python: a @model function -> one DuckDB SELECT."""

from __future__ import annotations

from typing import Any

import pytest

from pyflow import model
from pyflow.compile.model import Upstream
from pyflow.compile.python import compile_python_model, is_dataframe
from pyflow.core.node import ModelNode
from pyflow.errors import CompileError
from pyflow.relation import Relation

NODE = ModelNode(name="big_orders", package="shop", path="models/big_orders.py", line=10)
ORDERS = Upstream(
    "orders",
    '"warehouse"."staging"."orders"',
    Relation("warehouse", "staging", "orders"),
    columns=(("id", "int64"), ("amount", "float64")),
)
FLAGS = Upstream(
    "flags",
    '"__pyflow_cte__flags"',
    None,
    "__pyflow_cte__flags",
    "SELECT 1 AS id, TRUE AS vip UNION ALL SELECT 2, FALSE",
    columns=(("id", "int32"), ("vip", "boolean")),
)


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


@model
def big_orders(orders: Any) -> Any:
    return orders.filter(orders.amount > 10).select("id", "amount")


@model
def vip_orders(orders: Any, flags: Any) -> Any:
    return orders.join(flags, "id").filter(flags.vip).select("id", "amount")


def test_python_compile_reads_inputs_qualified_by_catalog_and_schema() -> None:
    compiled = compile_python_model(big_orders, NODE, {"orders": ORDERS}, None, "duckdb", _quote)

    assert compiled.sql is not None
    assert 'FROM "warehouse"."staging"."orders"' in compiled.sql
    assert compiled.columns == (("id", "int64"), ("amount", "float64"))
    assert not compiled.is_dataframe


def test_python_compile_runs_on_duckdb(duckdb_adapter: Any) -> None:
    duckdb_adapter.execute("ATTACH ':memory:' AS warehouse")
    duckdb_adapter.execute("CREATE SCHEMA warehouse.staging")
    duckdb_adapter.execute(
        "CREATE TABLE warehouse.staging.orders AS SELECT * FROM (VALUES (1, 5.0), (2, 50.0)) t(id, amount)"
    )

    compiled = compile_python_model(big_orders, NODE, {"orders": ORDERS}, None, "duckdb", _quote)

    assert compiled.sql is not None
    assert duckdb_adapter.fetchall(compiled.sql) == [(2, 50.0)]


def test_python_compile_injects_inline_inputs_as_ctes(duckdb_adapter: Any) -> None:
    duckdb_adapter.execute("ATTACH ':memory:' AS warehouse")
    duckdb_adapter.execute("CREATE SCHEMA warehouse.staging")
    duckdb_adapter.execute(
        "CREATE TABLE warehouse.staging.orders AS SELECT * FROM (VALUES (1, 5.0), (2, 50.0)) t(id, amount)"
    )

    compiled = compile_python_model(
        vip_orders, NODE, {"orders": ORDERS, "flags": FLAGS}, None, "duckdb", _quote
    )

    assert compiled.sql is not None
    assert compiled.sql.startswith('WITH "__pyflow_cte__flags" AS (\nSELECT 1 AS id, TRUE AS vip')
    assert duckdb_adapter.fetchall(compiled.sql) == [(1, 5.0)]


def test_python_compile_dataframe_annotation_compiles_to_no_sql() -> None:
    node = ModelNode(name="frame", package="shop", path="models/frame.py", line=1, returns_dataframe=True)

    compiled = compile_python_model(lambda: None, node, {}, None, "duckdb", _quote)

    assert compiled.sql is None
    assert compiled.is_dataframe


def test_python_compile_input_without_columns_is_an_error() -> None:
    unknown = Upstream("orders", '"orders"', Relation(None, None, "orders"))

    with pytest.raises(CompileError) as info:
        compile_python_model(big_orders, NODE, {"orders": unknown}, None, "duckdb", _quote)

    assert info.value.code == "unknown-columns"
    assert (info.value.model, info.value.line) == ("big_orders", 10)


def test_python_is_dataframe_without_importing_pandas() -> None:
    import pyarrow as pa

    assert is_dataframe(pa.table({"x": [1]}))
    assert not is_dataframe({"x": [1]})
