"""Tests for pyflow.adapters.base: the shared SQL builders, naming and execution path.

Uses the recording adapter (tests/unit/conftest.py): statements are captured, nothing runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflow.adapters.base import StatementLog
from pyflow.errors import AdapterError, UnsupportedError
from pyflow.relation import Relation

REL = Relation("db", "main", "orders")


def test_base_quote_and_render_double_quote_every_part(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter()

    assert adapter.quote('we"ird') == '"we""ird"'
    assert adapter.render(REL) == '"db"."main"."orders"'
    assert adapter.render(Relation(None, "main", "orders")) == '"main"."orders"'
    assert str(REL) == '"db"."main"."orders"'
    assert REL.dotted() == "main.orders"


def test_base_temp_relation_is_beside_the_target_and_unique_per_run(
    recording_adapter: Callable[..., Any],
) -> None:
    adapter = recording_adapter()

    assert adapter.temp_relation(REL) == Relation("db", "main", "orders__pyflow_tmp_abcdef12")
    assert adapter.temp_relation(REL, "old").identifier == "orders__pyflow_old_abcdef12"


def test_base_ddl_builders(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter()

    assert adapter.create_schema_sql("db", "main") == 'CREATE SCHEMA IF NOT EXISTS "db"."main"'
    assert adapter.create_schema_sql(None, "main") == 'CREATE SCHEMA IF NOT EXISTS "main"'
    assert (
        adapter.create_view_sql(REL, "SELECT 1") == 'CREATE OR REPLACE VIEW "db"."main"."orders" AS\nSELECT 1'
    )
    assert adapter.create_table_as_sql(REL, "SELECT 1") == 'CREATE TABLE "db"."main"."orders" AS\nSELECT 1'
    assert adapter.drop_relation_sql(REL, "view") == 'DROP VIEW IF EXISTS "db"."main"."orders"'
    assert (
        adapter.rename_relation_sql(REL, "new", "table") == 'ALTER TABLE "db"."main"."orders" RENAME TO "new"'
    )


def test_base_execute_records_and_sends_the_statement(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter()
    log = StatementLog()

    adapter.execute("SELECT 1", record=log)

    assert log.statements == ["SELECT 1"]
    assert adapter.statements == ["SELECT 1"]


def test_base_execute_wraps_driver_errors(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter(fail_on=lambda sql: "boom" in sql)

    with pytest.raises(AdapterError) as info:
        adapter.execute("SELECT boom\nFROM t", model="m")

    err = info.value
    assert err.message == "recording error: simulated failure of: SELECT boom"
    assert err.model == "m"
    assert err.detail == "SQL:\n  SELECT boom\n  FROM t"
    assert isinstance(err.__cause__, RuntimeError)


def test_base_transaction_is_a_no_op_without_transactions(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter(transactions=False)

    with adapter.transaction():
        adapter.execute("SELECT 1")

    assert adapter.statements == ["SELECT 1"]


def test_base_transaction_commits_or_rolls_back(recording_adapter: Callable[..., Any]) -> None:
    adapter = recording_adapter(transactions=True)

    with adapter.transaction():
        adapter.execute("SELECT 1")
    with pytest.raises(ValueError, match="inside"), adapter.transaction():
        raise ValueError("inside")

    assert adapter.statements == ["BEGIN TRANSACTION", "SELECT 1", "COMMIT", "BEGIN TRANSACTION", "ROLLBACK"]


def test_base_dataframes_are_unsupported_without_an_ibis_backend(
    recording_adapter: Callable[..., Any],
) -> None:
    with pytest.raises(UnsupportedError) as info:
        recording_adapter().ibis_connection()

    assert "recording" in info.value.message
    assert info.value.hint
