"""Model constraints on Trino and Athena, on a recording connection: Trino enforces NOT NULL in
CREATE TABLE (the table is created empty, then filled by INSERT ... SELECT, then swapped in);
the rest, and everything on Athena, is left out with one note."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from pyflow.core.node import ColumnInfo, ModelNode
from pyflow.core.nodeconfig import ModelConfig
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation
from pyflow.runner.constraints import plan_constraints
from tests.adapters.recording import RecordingConnection
from tests.adapters.recording import athena_adapter as _athena
from tests.adapters.test_annotation import _trino

SELECT = "SELECT 1 AS id, 'a' AS code"


def _node() -> ModelNode:
    return ModelNode(
        name="orders",
        package="shop",
        path="models/orders.sql",
        line=1,
        language="sql",
        config=ModelConfig(materialized="table", contract={"enforced": True}),
        columns={
            "id": ColumnInfo("id", "", "integer", {}, ({"type": "not_null"}, {"type": "primary_key"})),
            "code": ColumnInfo("code", "", "varchar", {}, ()),
        },
        constraints=({"type": "check", "expression": "id > 0"},),
    )


def _job(adapter: Any, rel: Relation) -> Job:
    return Job("orders", rel, adapter, sql=SELECT, config=ModelConfig(materialized="table"))


def test_constraint_sql_trino_creates_not_null_columns_then_inserts(caplog: pytest.LogCaptureFixture) -> None:
    con = RecordingConnection(schemas={"shop"})
    adapter = _trino(con)
    job = _job(adapter, Relation("hive", "shop", "orders"))

    with caplog.at_level(logging.INFO, logger="pyflow.sql"):
        job.create = plan_constraints(_node(), "table", job)
        TableMaterializer().build(job)

    tmp = '"hive"."shop"."orders__pyflow_tmp_aaaaaaaa"'
    assert con.sent() == [
        f'CREATE TABLE {tmp} (\n    "id" integer NOT NULL,\n    "code" varchar\n)',
        f'INSERT INTO {tmp} ("id", "code")\nSELECT "id", "code" FROM (\n{SELECT}\n) AS pyflow_contract',
        f'ALTER TABLE {tmp} RENAME TO "hive"."shop"."orders"',
    ]
    notes = [r.getMessage() for r in caplog.records if r.name == "pyflow.sql"]
    assert notes == [
        "model 'orders': constraints not enforced: check, primary_key (trino does not enforce them)"
    ]


def test_constraint_sql_athena_keeps_ctas_and_notes_every_constraint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = _athena(RecordingConnection())
    job = _job(adapter, Relation("awsdatacatalog", "shop", "orders"))

    with caplog.at_level(logging.INFO, logger="pyflow.sql"):
        create = plan_constraints(_node(), "table", job)

    assert create is None  # built by CREATE TABLE AS, as without constraints
    notes = [r.getMessage() for r in caplog.records if r.name == "pyflow.sql"]
    assert notes == [
        "model 'orders': constraints not enforced: check, not_null, primary_key (athena does not enforce them)"
    ]


@pytest.mark.trino
def test_constraint_sql_live_trino_not_null_fails_the_build_and_keeps_the_old_table(
    trino_server: Any,
) -> None:
    import uuid

    import trino

    from pyflow.errors import AdapterError

    schema = f"pyflow_nn_{uuid.uuid4().hex[:8]}"
    con = trino.dbapi.connect(host=trino_server.host, port=trino_server.port, user="pyflow")
    adapter = _trino(con, host=trino_server.host, port=trino_server.port, database="memory", schema=schema)
    rel = Relation("memory", schema, "orders")
    try:
        job = _job(adapter, rel)
        job.create = plan_constraints(_node(), "table", job)
        TableMaterializer().build(job)
        bad = Job("orders", rel, adapter, sql="SELECT CAST(NULL AS integer) AS id, 'b' AS code")
        bad.create = plan_constraints(_node(), "table", bad)
        with pytest.raises(AdapterError, match="NULL value not allowed for NOT NULL column: id"):
            TableMaterializer().build(bad)
        rows = adapter.fetchall(f"SELECT id, code FROM memory.{schema}.orders")
        tables = adapter.fetchall(
            f"SELECT table_name FROM memory.information_schema.tables WHERE table_schema = '{schema}'"
        )
    finally:
        for (name,) in adapter.fetchall(
            f"SELECT table_name FROM memory.information_schema.tables WHERE table_schema = '{schema}'"
        ):
            adapter.execute(f'DROP TABLE IF EXISTS memory.{schema}."{name}"')
        adapter.execute(f"DROP SCHEMA IF EXISTS memory.{schema}")
        adapter.close()
    assert [tuple(r) for r in rows] == [(1, "a")]
    assert [tuple(r) for r in tables] == [("orders",)]
