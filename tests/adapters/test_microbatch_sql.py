"""Microbatch models on Trino and Athena, on a recording connection: the exact DELETE + INSERT
of each batch's window (no transaction on these engines), and Athena Hive tables refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import PyflowError
from pyflow.materializers.base import Job
from pyflow.materializers.incremental import resolve_strategy
from pyflow.materializers.microbatch import Batch, MicrobatchMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import RecordingConnection
from tests.adapters.recording import athena_adapter as _athena
from tests.adapters.test_annotation import _trino

CONFIG = ModelConfig(
    materialized="incremental",
    incremental_strategy="microbatch",
    event_time="event_time",
    batch_size="day",
    begin="2024-01-01",
)
BATCHES = [
    Batch(datetime(2024, 1, 1), datetime(2024, 1, 2), "SELECT * FROM e1"),
    Batch(datetime(2024, 1, 2), datetime(2024, 1, 3), "SELECT * FROM e2"),
]


def _con(schema: str = "shop") -> RecordingConnection:
    return RecordingConnection(
        tables={(schema, "daily"): "BASE TABLE"},
        schemas={schema},
        columns={(schema, "daily"): [("event_time", "timestamp(3)"), ("id", "integer")]},
    )


def _job(adapter: Any, rel: Relation) -> Job:
    return Job("daily", rel, adapter, sql="SELECT 1", incremental=True, config=CONFIG, batches=BATCHES)


def test_microbatch_sql_trino_deletes_then_inserts_each_window() -> None:
    con = _con()
    adapter = _trino(con)

    outcome = MicrobatchMaterializer().build(_job(adapter, Relation("hive", "shop", "daily")))

    target = '"hive"."shop"."daily"'
    window = "\"event_time\" >= TIMESTAMP '{} 00:00:00.000' AND \"event_time\" < TIMESTAMP '{} 00:00:00.000'"
    expected = []
    for (start, end), sql in ((("2024-01-01", "2024-01-02"), "e1"), (("2024-01-02", "2024-01-03"), "e2")):
        expected += [
            f"DELETE FROM {target} AS DBT_INTERNAL_DEST\nWHERE ({window.format(start, end)})",
            f'INSERT INTO {target} ("event_time", "id")\nSELECT "event_time", "id" FROM (\n'
            f"SELECT * FROM {sql}\n) AS pyflow_batch",
        ]
    assert con.sent() == expected
    assert outcome.message == "2 batches"


def test_microbatch_sql_athena_hive_tables_cannot_delete_a_window() -> None:
    adapter = _athena(RecordingConnection())

    with pytest.raises(PyflowError, match="cannot apply incremental_strategy 'microbatch'") as caught:
        resolve_strategy(CONFIG, adapter)
    assert caught.value.code == "unsupported-strategy"
    iceberg = CONFIG.model_copy(update={"table_type": "iceberg"})
    assert resolve_strategy(iceberg, adapter) == "microbatch"
