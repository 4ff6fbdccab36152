"""persist_docs and grants on Trino and Athena: the exact statements on a recording connection,
the note when a catalog manages no permissions, and (``trino`` marker) the comments read back
from a live Trino."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.core.node import ColumnInfo, ModelNode
from pyflow.core.nodeconfig import ModelConfig
from pyflow.materializers.base import Job
from pyflow.relation import Relation
from pyflow.runner.annotate import annotate
from tests.adapters.recording import INVOCATION_A, DriverError, RecordingConnection
from tests.adapters.recording import athena_adapter as _athena

REL = Relation("hive", "shop", "orders")


def _trino(con: Any, **target: Any) -> TrinoAdapter:
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "hive", "schema": "shop", **target}
    )
    adapter = TrinoAdapter(config, invocation_id=INVOCATION_A, connect=lambda: con, sleep=lambda s: None)
    adapter.open()
    return adapter


def _node(**config: Any) -> ModelNode:
    return ModelNode(
        name="orders",
        package="shop",
        path="models/orders.sql",
        line=1,
        language="sql",
        config=ModelConfig(materialized="table", **config),
        description="Orders, one per row; it's the fact",
        columns={
            "id": ColumnInfo("id", "the key"),
            "amount": ColumnInfo("amount", ""),
            "gone": ColumnInfo("gone", "not in the table"),
        },
    )


def _table_con(**kwargs: Any) -> RecordingConnection:
    return RecordingConnection(
        tables={("shop", "orders"): "BASE TABLE"},
        columns={("shop", "orders"): [("id", "integer"), ("amount", "double")]},
        **kwargs,
    )


def test_annotation_trino_comments_and_grants_exact_sql() -> None:
    con = _table_con()
    adapter = _trino(con)
    node = _node(persist_docs={"relation": True, "columns": True}, grants={"select": ["reporter", "bi"]})

    annotate(node, Job("orders", REL, adapter))

    assert con.sent() == [
        """COMMENT ON TABLE "hive"."shop"."orders" IS 'Orders, one per row; it''s the fact'""",
        """COMMENT ON COLUMN "hive"."shop"."orders"."id" IS 'the key'""",
        'GRANT SELECT ON "hive"."shop"."orders" TO reporter',
        'GRANT SELECT ON "hive"."shop"."orders" TO bi',
    ]


def test_annotation_trino_catalog_without_permissions_is_a_note(caplog: pytest.LogCaptureFixture) -> None:
    refused = DriverError("NOT_SUPPORTED: This connector does not support grants on tables")
    con = _table_con(fail_on=lambda sql: False, failures=[])
    adapter = _trino(con)
    con.failures = [refused]  # the first GRANT fails; no second GRANT is sent

    with caplog.at_level(logging.INFO, logger="pyflow.sql"):
        annotate(_node(grants={"select": ["reporter", "bi"]}), Job("orders", REL, adapter))

    assert con.sent() == ['GRANT SELECT ON "hive"."shop"."orders" TO reporter']
    notes = [r.getMessage() for r in caplog.records if r.name == "pyflow.sql"]
    assert len(notes) == 1 and notes[0].startswith("model 'orders': not applied: grants (the engine refused")
    assert "does not support grants" in notes[0]


def test_annotation_athena_skips_both_with_one_note(caplog: pytest.LogCaptureFixture) -> None:
    con = _table_con()
    adapter = _athena(con)
    before = list(con.sent())

    with caplog.at_level(logging.INFO, logger="pyflow.sql"):
        annotate(
            _node(persist_docs={"relation": True}, grants={"select": ["reporter"]}),
            Job("orders", Relation("awsdatacatalog", "shop", "orders"), adapter),
        )

    assert con.sent() == before  # nothing sent
    notes = [r.getMessage() for r in caplog.records if r.name == "pyflow.sql"]
    assert notes == [
        "model 'orders': not applied: persist_docs (athena has no COMMENT ON); grants (athena has no GRANT)"
    ]


@pytest.mark.trino
def test_annotation_live_trino_comments_read_back(trino_server: Any) -> None:
    import trino

    schema = f"pyflow_docs_{uuid.uuid4().hex[:8]}"
    con = trino.dbapi.connect(host=trino_server.host, port=trino_server.port, user="pyflow")
    adapter = _trino(con, host=trino_server.host, port=trino_server.port, database="memory", schema=schema)
    rel = Relation("memory", schema, "orders")
    try:
        adapter.execute(f"CREATE SCHEMA memory.{schema}")
        adapter.execute(f"CREATE TABLE memory.{schema}.orders AS SELECT 1 AS id, 2.5 AS amount")
        node = _node(persist_docs={"relation": True, "columns": True}, grants={"select": ["reporter"]})
        annotate(node, Job("orders", rel, adapter))  # memory manages no permissions: a note, no error

        table = adapter.fetchall(
            "SELECT comment FROM system.metadata.table_comments "
            f"WHERE catalog_name = 'memory' AND schema_name = '{schema}' AND table_name = 'orders'"
        )
        columns = adapter.fetchall(
            f"SELECT column_name, comment FROM memory.information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = 'orders' ORDER BY ordinal_position"
        )
    finally:
        adapter.execute(f"DROP TABLE IF EXISTS memory.{schema}.orders")
        adapter.execute(f"DROP SCHEMA IF EXISTS memory.{schema}")
        adapter.close()
    assert [tuple(r) for r in table] == [("Orders, one per row; it's the fact",)]
    assert [tuple(r) for r in columns] == [("id", "the key"), ("amount", None)]
