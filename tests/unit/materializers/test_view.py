"""Tests for pyflow.materializers.view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflow.adapters.duckdb import DuckDBAdapter
from pyflow.errors import AdapterError
from pyflow.materializers.base import Job
from pyflow.materializers.view import ViewMaterializer
from pyflow.relation import Relation

TARGET = Relation("memory", "main", "orders")


def test_view_creates_and_replaces_a_view(duckdb_adapter: DuckDBAdapter) -> None:
    ViewMaterializer().build(Job("orders", TARGET, duckdb_adapter, sql="SELECT 1 AS id"))
    ViewMaterializer().build(Job("orders", TARGET, duckdb_adapter, sql="SELECT 2 AS id, 'x' AS extra"))

    assert duckdb_adapter.relation_type(TARGET) == "view"
    assert duckdb_adapter.fetchall("SELECT * FROM orders") == [(2, "x")]


def test_view_replaces_a_table_of_the_same_name(duckdb_adapter: DuckDBAdapter) -> None:
    duckdb_adapter.execute("CREATE TABLE orders AS SELECT 1 AS id")

    outcome = ViewMaterializer().build(Job("orders", TARGET, duckdb_adapter, sql="SELECT 2 AS id"))

    assert outcome.message == "created"
    assert duckdb_adapter.relation_type(TARGET) == "view"
    assert duckdb_adapter.fetchall("SELECT id FROM orders") == [(2,)]


def test_view_failure_keeps_the_old_table(duckdb_adapter: DuckDBAdapter) -> None:
    duckdb_adapter.execute("CREATE TABLE orders AS SELECT 1 AS id")

    with pytest.raises(AdapterError):
        ViewMaterializer().build(Job("orders", TARGET, duckdb_adapter, sql="SELECT * FROM no_such_table"))

    assert duckdb_adapter.relation_type(TARGET) == "table"
    assert duckdb_adapter.fetchall("SELECT id FROM orders") == [(1,)]


def test_view_of_a_dataframe_model_is_a_table(duckdb_adapter: DuckDBAdapter) -> None:
    import pyarrow as pa

    ViewMaterializer().build(Job("orders", TARGET, duckdb_adapter, frame=lambda: pa.table({"id": [1]})))

    assert duckdb_adapter.relation_type(TARGET) == "table"


def test_view_statements_drop_a_view_first_without_replace_view(
    recording_adapter: Callable[..., Any],
) -> None:
    adapter = recording_adapter(
        transactions=False, replace_view=False, existing={Relation("db", "main", "v"): "view"}
    )

    ViewMaterializer().build(Job("v", Relation("db", "main", "v"), adapter, sql="SELECT 1"))

    assert adapter.statements == [
        'CREATE SCHEMA IF NOT EXISTS "db"."main"',
        'DROP VIEW IF EXISTS "db"."main"."v"',
        'CREATE OR REPLACE VIEW "db"."main"."v" AS\nSELECT 1',
    ]


def test_view_statements_replacing_a_table_in_a_transaction(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter(transactions=True, existing={Relation("db", "main", "v"): "table"})

    ViewMaterializer().build(Job("v", Relation("db", "main", "v"), adapter, sql="SELECT 1"))

    assert adapter.statements == [
        'CREATE SCHEMA IF NOT EXISTS "db"."main"',
        "BEGIN TRANSACTION",
        'DROP TABLE IF EXISTS "db"."main"."v"',
        'CREATE OR REPLACE VIEW "db"."main"."v" AS\nSELECT 1',
        "COMMIT",
    ]
