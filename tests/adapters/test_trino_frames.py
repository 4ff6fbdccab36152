"""DataFrame models on Trino: typed ``INSERT ... VALUES`` batches under the query size limit.

Offline on a recording connection (the exact statements); on a live server (``trino`` marker,
skipped when none answers) a frame with every type is written and read back equal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from pyflow.adapters.base import StatementLog
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import UnsupportedError
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation
from pyflow.runner.frames import call_frame
from tests.adapters.recording import INVOCATION_A, RecordingConnection

UTC = dt.UTC
REL = Relation("memory", "analytics", "frame")


def all_types() -> Any:
    """A frame with one column per type a DataFrame model may return, NULLs in each."""
    import pyarrow as pa

    return pa.table(
        {
            "i": pa.array([1, -(2**40), None], pa.int64()),
            "small": pa.array([1, None, 3], pa.int16()),
            "price": pa.array([Decimal("12.34"), Decimal("-0.01"), None], pa.decimal128(12, 2)),
            "at": pa.array(
                [dt.datetime(2024, 1, 2, 3, 4, 5, 123000), None, dt.datetime(1999, 12, 31)],
                pa.timestamp("ms"),
            ),
            "at_tz": pa.array(
                [
                    dt.datetime(2024, 1, 2, 3, 4, 5, 654000, tzinfo=UTC),
                    None,
                    dt.datetime(2000, 1, 1, tzinfo=UTC),
                ],
                pa.timestamp("ms", tz="UTC"),
            ),
            "day": pa.array([dt.date(2024, 2, 29), None, dt.date(1970, 1, 1)], pa.date32()),
            "name": pa.array(["it's", None, "é ü"], pa.string()),
            "flag": pa.array([True, False, None], pa.bool_()),
            "ratio": pa.array([0.5, None, -1.25], pa.float64()),
            "tags": pa.array([[1, 2], [], None], pa.list_(pa.int64())),
            "point": pa.array(
                [{"x": 1, "label": "a"}, None, {"x": None, "label": "c"}],
                pa.struct([("x", pa.int64()), ("label", pa.string())]),
            ),
        }
    )


def offline(max_query_bytes: int | None = None) -> tuple[TrinoAdapter, RecordingConnection]:
    con = RecordingConnection()
    config = TrinoTarget.model_validate(
        {"type": "trino", "host": "trino.invalid", "database": "memory", "schema": "analytics"}
    )
    adapter = TrinoAdapter(config, invocation_id=INVOCATION_A, connect=lambda: con)
    if max_query_bytes is not None:
        adapter.max_query_bytes = max_query_bytes  # type: ignore[misc]
    adapter.open()
    return adapter, con


def test_trino_frame_of_every_type_is_one_typed_statement() -> None:
    adapter, con = offline()

    assert adapter.create_table_from_dataframe(REL, all_types()) == 3

    assert con.sent() == [
        'CREATE TABLE "memory"."analytics"."frame" AS\n'
        'SELECT CAST("i" AS BIGINT) AS "i", CAST("small" AS SMALLINT) AS "small", '
        'CAST("price" AS DECIMAL(12, 2)) AS "price", CAST("at" AS TIMESTAMP(3)) AS "at", '
        'CAST("at_tz" AS TIMESTAMP(3) WITH TIME ZONE) AS "at_tz", CAST("day" AS DATE) AS "day", '
        'CAST("name" AS VARCHAR) AS "name", CAST("flag" AS BOOLEAN) AS "flag", '
        'CAST("ratio" AS DOUBLE) AS "ratio", CAST("tags" AS ARRAY(BIGINT)) AS "tags", '
        'CAST("point" AS ROW("x" BIGINT, "label" VARCHAR)) AS "point"\n'
        "FROM (VALUES\n"
        "(1, 1, 12.34, TIMESTAMP '2024-01-02 03:04:05.123000', TIMESTAMP '2024-01-02 03:04:05.654000 UTC', "
        "DATE '2024-02-29', 'it''s', TRUE, 0.5, ARRAY[1, 2], ROW(1, 'a')),\n"
        "(-1099511627776, NULL, -0.01, NULL, NULL, NULL, NULL, FALSE, NULL, ARRAY[], NULL),\n"
        "(NULL, 3, NULL, TIMESTAMP '1999-12-31 00:00:00.000000', TIMESTAMP '2000-01-01 00:00:00.000000 UTC', "
        "DATE '1970-01-01', 'é ü', NULL, -1.25, NULL, ROW(NULL, 'c'))\n"
        ') AS pyflow_frame ("i", "small", "price", "at", "at_tz", "day", "name", "flag", "ratio", "tags", "point")'
    ]


def test_trino_frame_is_loaded_in_batches_under_the_query_size_limit() -> None:
    import pyarrow as pa

    adapter, con = offline(max_query_bytes=300)
    frame = pa.table({"id": pa.array(range(40), pa.int64()), "name": [f"row {i:02d}" for i in range(40)]})

    assert adapter.create_table_from_dataframe(REL, frame) == 40

    sent = con.sent()
    assert len(sent) > 2
    assert all(len(s.encode()) <= 300 for s in sent)
    assert sent[0].startswith('CREATE TABLE "memory"."analytics"."frame" AS\nSELECT CAST("id" AS BIGINT)')
    assert all(
        s.startswith('INSERT INTO "memory"."analytics"."frame" ("id", "name")\nSELECT CAST(')
        for s in sent[1:]
    )
    values = [line.rstrip(",") for s in sent for line in s.splitlines() if line.startswith("(")]
    assert values == [f"({i}, 'row {i:02d}')" for i in range(40)]  # every row once, in order


def test_trino_dataframe_model_builds_beside_the_table_then_renames_it_in() -> None:
    import pandas as pd

    adapter, con = offline()
    con.schemas.add("analytics")
    con.tables[("analytics", "frame")] = "BASE TABLE"
    job = Job(
        name="frame",
        relation=REL,
        adapter=adapter,
        frame=lambda: pd.DataFrame({"id": [1]}),
        config=ModelConfig(materialized="table"),
    )

    TableMaterializer().build(job)

    tmp = '"memory"."analytics"."frame__pyflow_tmp_aaaaaaaa"'
    ddl = [s for s in con.sent() if not s.startswith("SELECT")]
    assert ddl == [
        f'CREATE TABLE {tmp} AS\nSELECT CAST("id" AS BIGINT) AS "id"\nFROM (VALUES\n(1)\n) AS pyflow_frame ("id")',
        'ALTER TABLE "memory"."analytics"."frame" RENAME TO "memory"."analytics"."frame__pyflow_old_aaaaaaaa"',
        f'ALTER TABLE {tmp} RENAME TO "memory"."analytics"."frame"',
        'DROP TABLE IF EXISTS "memory"."analytics"."frame__pyflow_old_aaaaaaaa"',
    ]


@pytest.mark.trino
def test_trino_frame_of_every_type_reads_back_equal(trino_server: Any) -> None:
    if "memory" not in trino_server.catalogs:
        pytest.skip(f"the Trino server at {trino_server.url} has no memory catalog")
    schema = f"pyflow_frames_{uuid.uuid4().hex[:8]}"
    config = TrinoTarget.model_validate(
        {
            "type": "trino",
            "host": trino_server.host,
            "port": trino_server.port,
            "user": "pyflow",
            "database": "memory",
            "schema": schema,
        }
    )
    adapter = TrinoAdapter(config, invocation_id=uuid.uuid4().hex)
    rel = Relation("memory", schema, "frame")
    frame = all_types()
    try:
        adapter.execute(adapter.create_schema_sql("memory", schema))
        adapter.max_query_bytes = 900  # type: ignore[misc]  # several INSERT batches
        log = StatementLog()
        assert adapter.create_table_from_dataframe(rel, frame, record=log) == 3
        kinds = [s.split(" ", 2)[:2] for s in log.statements]
        assert kinds[0] == ["CREATE", "TABLE"] and len(kinds) > 1
        assert all(k == ["INSERT", "INTO"] for k in kinds[1:])
        columns = [c.name for c in adapter.get_columns(rel)]
        rows = adapter.fetchall(f'SELECT * FROM {adapter.render(rel)} ORDER BY "day" NULLS LAST, "i"')
    finally:
        adapter.execute(f"DROP TABLE IF EXISTS {adapter.render(rel)}")
        adapter.execute(f'DROP SCHEMA IF EXISTS "memory"."{schema}"')
        adapter.close()
    got = [dict(zip(columns, row, strict=True)) for row in rows]
    expected = sorted(
        frame.to_pylist(), key=lambda r: (r["day"] is None, r["day"] or dt.date.min, r["i"] or 0)
    )
    for row in got:  # the driver returns ROW values as tuples and zoned timestamps in their zone
        row["point"] = None if row["point"] is None else dict(zip(["x", "label"], row["point"], strict=True))
    assert got == expected


@pytest.mark.trino
def test_trino_dataframe_model_feeds_python_and_sql_models_in_one_build(
    trino_server: Any, make_project: Any, cli: Any
) -> None:
    if "memory" not in trino_server.catalogs:
        pytest.skip(f"the Trino server at {trino_server.url} has no memory catalog")
    schema = f"pyflow_frames_{uuid.uuid4().hex[:8]}"
    project = make_project(
        {
            "pyflow.yml": "name: proj\nprofile: live\n",
            "profiles.yml": f"""
                live:
                  target: dev
                  outputs:
                    dev:
                      type: trino
                      host: {trino_server.host}
                      port: {trino_server.port}
                      user: pyflow
                      database: memory
                      schema: {schema}
            """,
            "models/frame.py": """
                import pandas as pd

                from pyflow import model


                @model
                def frame() -> pd.DataFrame:
                    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]})
            """,
            "models/down.py": """
                import ibis

                from pyflow import model


                @model
                def down(frame: ibis.Table) -> ibis.Table:
                    return frame.filter(frame.id > 1).mutate(upper=frame.name.upper())
            """,
            "models/final.sql": "select id, upper from {{ ref('down') }}",
        }
    )
    import trino

    con = trino.dbapi.connect(host=trino_server.host, port=trino_server.port, user="pyflow")
    try:
        result = cli("build", "--project-dir", str(project))
        assert result.exit_code == 0, result.output
        cur = con.cursor()
        cur.execute(f'SELECT id, upper FROM memory."{schema}".final ORDER BY id')
        assert cur.fetchall() == [[2, "B"], [3, "C"]]
    finally:
        con.cursor().execute(f'DROP SCHEMA IF EXISTS memory."{schema}" CASCADE').fetchall()
        con.close()


def test_trino_dataframe_model_reading_inputs_is_unsupported_with_a_fix(make_project: Any) -> None:
    from pyflow.runner.session import Options, Session

    project = make_project(
        {
            "pyflow.yml": "name: proj\nprofile: remote\n",
            "profiles.yml": """
                remote:
                  target: dev
                  outputs:
                    dev: {type: trino, host: trino.invalid, database: memory, schema: analytics}
            """,
            "models/raw.sql": "select 1 as id",
            "models/frame.py": """
                import ibis
                import pandas as pd

                from pyflow import model


                @model
                def frame(raw: ibis.Table) -> pd.DataFrame:
                    return raw.to_pandas()
            """,
        }
    )
    with Session(Options(project_dir=project)) as session:  # offline: trino.invalid is never reached
        node = session.project.by_name("frame")
        with pytest.raises(UnsupportedError) as info:
            call_frame(session.compiler, node)  # type: ignore[arg-type]

    err = info.value
    assert (err.model, err.path, err.code) == ("frame", "models/frame.py", "unsupported")
    assert "a DataFrame model that reads inputs (raw) needs an Ibis backend" in err.message
    assert "which trino has not" in err.message
    assert "DataFrame model without inputs" in (err.hint or "")
