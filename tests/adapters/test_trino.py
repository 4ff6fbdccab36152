"""TrinoAdapter on a recording connection: the exact statements of each method and materialization."""

from __future__ import annotations

import pytest

from pyflow.adapters import adapter_class
from pyflow.adapters.base import Column
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import TrinoTarget
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import AdapterError, UnsupportedError
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.materializers.view import ViewMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import INVOCATION_A, INVOCATION_B, RecordingConnection

CONFIG = TrinoTarget.model_validate(
    {
        "type": "trino",
        "host": "trino.invalid",
        "database": "hive",
        "schema": "analytics",
        "auth": {"method": "basic", "password": "s3cr3t-canary"},
    }
)
REL = Relation("hive", "analytics", "orders")
SELECT = "SELECT 1 AS id"


def _adapter(con: RecordingConnection, invocation_id: str = INVOCATION_A) -> TrinoAdapter:
    adapter = TrinoAdapter(CONFIG, invocation_id=invocation_id, connect=lambda: con)
    adapter.open()
    return adapter


def _job(adapter: TrinoAdapter, materialized: str = "table", rel: Relation = REL) -> Job:
    return Job(
        name=rel.identifier,
        relation=rel,
        adapter=adapter,
        sql=SELECT,
        config=ModelConfig(materialized=materialized),
    )


def test_trino_is_registered_and_declares_its_capabilities() -> None:
    assert adapter_class("trino") is TrinoAdapter
    caps = TrinoAdapter.capabilities
    assert (caps.transactions, caps.rename_table, caps.replace_view, caps.merge, caps.file_sources) == (
        False,
        True,
        True,
        True,
        False,
    )
    assert TrinoAdapter.dialect == "trino"


def test_trino_catalog_queries_use_information_schema() -> None:
    con = RecordingConnection(
        tables={("analytics", "orders"): "BASE TABLE", ("analytics", "v"): "VIEW"},
        schemas={"analytics"},
        columns={("analytics", "orders"): [("id", "bigint"), ("at", "timestamp(3)")]},
    )
    adapter = _adapter(con)

    assert adapter.relation_type(REL) == "table"
    assert adapter.relation_type(REL.with_identifier("v")) == "view"
    assert adapter.relation_type(REL.with_identifier("missing")) is None
    assert adapter.schema_exists(None, "analytics") is True
    assert adapter.schema_exists("hive", "other") is False
    assert adapter.get_columns(REL) == [Column("id", "bigint"), Column("at", "timestamp(3)")]
    assert con.statements == [
        """SELECT table_type FROM "hive".information_schema.tables WHERE table_schema = 'analytics' AND table_name = 'orders'""",
        """SELECT table_type FROM "hive".information_schema.tables WHERE table_schema = 'analytics' AND table_name = 'v'""",
        """SELECT table_type FROM "hive".information_schema.tables WHERE table_schema = 'analytics' AND table_name = 'missing'""",
        """SELECT schema_name FROM "hive".information_schema.schemata WHERE schema_name = 'analytics'""",
        """SELECT schema_name FROM "hive".information_schema.schemata WHERE schema_name = 'other'""",
        """SELECT column_name, data_type FROM "hive".information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'orders' ORDER BY ordinal_position""",
    ]


def test_trino_describe_query_reads_cursor_metadata_of_an_empty_select() -> None:
    con = RecordingConnection(describe=[("id", "bigint"), ("name", "varchar")])
    adapter = _adapter(con)

    assert adapter.describe_query(SELECT) == [Column("id", "bigint"), Column("name", "varchar")]
    assert con.statements == [f"SELECT * FROM (\n{SELECT}\n) AS pyflow_describe LIMIT 0"]


def test_trino_sql_builders() -> None:
    adapter = TrinoAdapter(CONFIG)
    assert adapter.create_schema_sql("hive", "analytics") == 'CREATE SCHEMA IF NOT EXISTS "hive"."analytics"'
    assert (
        adapter.create_view_sql(REL, SELECT)
        == f'CREATE OR REPLACE VIEW "hive"."analytics"."orders" AS\n{SELECT}'
    )
    assert (
        adapter.create_table_as_sql(REL, SELECT) == f'CREATE TABLE "hive"."analytics"."orders" AS\n{SELECT}'
    )
    assert adapter.drop_relation_sql(REL, "view") == 'DROP VIEW IF EXISTS "hive"."analytics"."orders"'
    assert (
        adapter.rename_relation_sql(REL, "orders_old", "table")
        == 'ALTER TABLE "hive"."analytics"."orders" RENAME TO "hive"."analytics"."orders_old"'
    )
    assert adapter.type_to_ibis("varchar") == "string"
    assert adapter.type_to_ibis("timestamp(3)") == "timestamp(3)"
    assert adapter.ibis_to_type("int64") == "BIGINT"


def test_trino_offline_adapter_sends_nothing_and_sees_no_relation() -> None:
    opened = []
    adapter = TrinoAdapter(CONFIG, connect=lambda: opened.append(1))

    assert adapter.relation_type(REL) is None
    assert adapter.schema_exists(None, "analytics") is False
    assert adapter.get_columns(REL) == []
    assert opened == [] and not adapter.is_online


def test_trino_table_build_creates_schema_then_ctas_under_unique_name_then_renames_in() -> None:
    con = RecordingConnection()
    adapter = _adapter(con)

    TableMaterializer().build(_job(adapter))

    assert con.sent() == [
        'CREATE SCHEMA IF NOT EXISTS "hive"."analytics"',
        f'CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" AS\n{SELECT}',
        'ALTER TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" RENAME TO "hive"."analytics"."orders"',
    ]


def test_trino_table_rebuild_swaps_old_aside_then_drops_it() -> None:
    con = RecordingConnection(tables={("analytics", "orders"): "BASE TABLE"}, schemas={"analytics"})
    adapter = _adapter(con)

    TableMaterializer().build(_job(adapter))

    assert con.sent() == [
        f'CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" AS\n{SELECT}',
        'ALTER TABLE "hive"."analytics"."orders" RENAME TO "hive"."analytics"."orders__pyflow_old_aaaaaaaa"',
        'ALTER TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" RENAME TO "hive"."analytics"."orders"',
        'DROP TABLE IF EXISTS "hive"."analytics"."orders__pyflow_old_aaaaaaaa"',
    ]


def test_trino_failed_rebuild_drops_the_temporary_table_and_leaves_the_old_one() -> None:
    con = RecordingConnection(
        tables={("analytics", "orders"): "BASE TABLE"},
        schemas={"analytics"},
        fail_on=lambda sql: sql.startswith("CREATE TABLE"),
    )
    adapter = _adapter(con)

    with pytest.raises(AdapterError) as info:
        TableMaterializer().build(_job(adapter))

    assert con.sent() == [
        f'CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" AS\n{SELECT}',
        'DROP TABLE IF EXISTS "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa"',
    ]
    assert not any("RENAME" in s for s in con.sent())
    text = str(info.value)
    assert "trino error" in text and "model 'orders'" in text
    assert 'CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa"' in text


def test_trino_two_concurrent_runs_use_different_temporary_names() -> None:
    first, second = RecordingConnection(schemas={"analytics"}), RecordingConnection(schemas={"analytics"})

    TableMaterializer().build(_job(_adapter(first, INVOCATION_A)))
    TableMaterializer().build(_job(_adapter(second, INVOCATION_B)))

    assert first.sent()[0].startswith('CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa"')
    assert second.sent()[0].startswith('CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_bbbbbbbb"')
    assert not set(first.sent()) & set(second.sent())


def test_trino_view_is_created_or_replaced() -> None:
    con = RecordingConnection(tables={("analytics", "orders"): "VIEW"}, schemas={"analytics"})

    ViewMaterializer().build(_job(_adapter(con), "view"))

    assert con.sent() == [f'CREATE OR REPLACE VIEW "hive"."analytics"."orders" AS\n{SELECT}']


def test_trino_view_replacing_a_table_drops_the_table_first() -> None:
    con = RecordingConnection(tables={("analytics", "orders"): "BASE TABLE"}, schemas={"analytics"})

    ViewMaterializer().build(_job(_adapter(con), "view"))

    assert con.sent() == [
        'DROP TABLE IF EXISTS "hive"."analytics"."orders"',
        f'CREATE OR REPLACE VIEW "hive"."analytics"."orders" AS\n{SELECT}',
    ]


def test_trino_errors_name_engine_model_and_sql_and_hide_secrets() -> None:
    con = RecordingConnection(fail_on=lambda sql: sql.startswith("SELECT 's3cr3t"))
    adapter = _adapter(con)

    with pytest.raises(AdapterError) as info:
        adapter.execute("SELECT 's3cr3t-canary'\nFROM x", model="m")

    text = str(info.value)
    assert "trino error" in text and "model 'm'" in text and "FROM x" in text
    assert "s3cr3t-canary" not in text


def test_trino_connection_failure_is_an_adapter_error_without_secrets() -> None:
    def refuse() -> None:
        raise OSError("cannot reach https://user:s3cr3t-canary@trino.invalid:8080")

    adapter = TrinoAdapter(CONFIG, connect=refuse)
    with pytest.raises(AdapterError) as info:
        adapter.open()
    assert info.value.code == "connection-failed"
    assert "s3cr3t-canary" not in str(info.value) and "trino.invalid" in str(info.value)


def test_trino_cannot_read_files() -> None:
    adapter = TrinoAdapter(CONFIG)
    with pytest.raises(UnsupportedError):
        adapter.file_scan_sql("data/x.parquet")


def test_trino_loads_a_frame_by_typed_values() -> None:
    import datetime as dt

    import pyarrow as pa

    con = RecordingConnection()
    frame = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "name": ["o'hara", None],
            "at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 678901), None], pa.timestamp("us")),
            "score": [1.5, float("nan")],
            "nothing": pa.nulls(2),
        }
    )
    rows = _adapter(con).create_table_from_dataframe(REL, frame)
    assert rows == 2
    # a microsecond timestamp: the catalog's connector is asked whether it stores them (unknown here)
    assert con.sent()[0] == "SELECT connector_name FROM system.metadata.catalogs WHERE catalog_name = 'hive'"
    assert con.sent()[1:] == [
        'CREATE TABLE "hive"."analytics"."orders" AS\n'
        'SELECT CAST("id" AS BIGINT) AS "id", CAST("name" AS VARCHAR) AS "name", CAST("at" AS TIMESTAMP(6)) AS "at", '
        'CAST("score" AS DOUBLE) AS "score", CAST("nothing" AS VARCHAR) AS "nothing"\n'
        "FROM (VALUES\n"
        "(1, 'o''hara', TIMESTAMP '2024-01-02 03:04:05.678901', 1.5, NULL),\n"
        "(2, NULL, NULL, NULL, NULL)\n"
        ') AS pyflow_frame ("id", "name", "at", "score", "nothing")'
    ]


def test_trino_loads_an_empty_frame_as_an_empty_typed_table() -> None:
    import pyarrow as pa

    con = RecordingConnection()
    assert _adapter(con).create_table_from_dataframe(REL, pa.table({"id": pa.array([], pa.int32())})) == 0
    assert con.sent() == [
        'CREATE TABLE "hive"."analytics"."orders" AS\nSELECT CAST(NULL AS INTEGER) AS "id"\nWHERE false'
    ]


def test_trino_expression_builders_parse_as_trino() -> None:
    from datetime import datetime

    import sqlglot
    from sqlglot.errors import ErrorLevel

    adapter = TrinoAdapter(CONFIG)
    exprs = [
        adapter.timestamp_literal(datetime(2024, 1, 2, 3, 4, 5, 6)),
        adapter.utc_timestamp_sql('"at"', "timestamp(3) with time zone"),
        adapter.utc_timestamp_sql('"at"', "timestamp(3)"),
        adapter.now_minus_sql(3, "day"),
        adapter.hash_sql(['"a"', '"b"']),
    ]
    assert exprs[0] == "TIMESTAMP '2024-01-02 03:04:05.000'"  # milliseconds: what every connector stores
    assert exprs[2] == 'CAST("at" AS TIMESTAMP(3))'
    assert exprs[3] == "CAST(current_timestamp AT TIME ZONE 'UTC' AS TIMESTAMP(3)) - INTERVAL '3' DAY"
    for expr in exprs:
        sqlglot.parse_one(f"SELECT {expr}", read="trino", error_level=ErrorLevel.RAISE)


def test_trino_connect_passes_profile_settings_to_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    import trino

    seen: dict[str, object] = {}
    monkeypatch.setattr(trino.dbapi, "connect", lambda **kw: seen.update(kw) or RecordingConnection())
    TrinoAdapter(CONFIG).open()

    auth = seen.pop("auth")
    assert isinstance(auth, trino.auth.BasicAuthentication)
    assert seen == {
        "host": "trino.invalid",
        "port": 8080,
        "user": "pyflow",
        "catalog": "hive",
        "schema": "analytics",
        "http_scheme": "http",
        "session_properties": {},
        "source": "pyflow",
    }


@pytest.mark.parametrize(("engine", "package"), [("trino", "trino"), ("athena", "pyathena")])
def test_missing_driver_is_a_user_error_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, engine: str, package: str
) -> None:
    import sys

    from pyflow.config.profile import AthenaTarget

    monkeypatch.setitem(sys.modules, package, None)  # makes `import <package>` fail
    config = (
        CONFIG
        if engine == "trino"
        else AthenaTarget.model_validate(
            {"type": "athena", "s3_staging_dir": "s3://b/", "region_name": "eu-west-1", "schema": "s"}
        )
    )
    with pytest.raises(UnsupportedError) as info:
        adapter_class(engine)(config).open()
    assert info.value.code == "missing-driver"
    assert f"pip install {package}" in str(info.value)
    assert f'pip install "pyflow[{engine}]"' in str(info.value)


def test_trino_failed_rename_in_puts_the_old_table_back() -> None:
    tmp_in = (
        'ALTER TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" RENAME TO "hive"."analytics"."orders"'
    )
    con = RecordingConnection(
        tables={("analytics", "orders"): "BASE TABLE"},
        schemas={"analytics"},
        fail_on=lambda sql: sql == tmp_in,
    )

    with pytest.raises(AdapterError):
        TableMaterializer().build(_job(_adapter(con)))

    assert con.sent() == [
        f'CREATE TABLE "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa" AS\n{SELECT}',
        'ALTER TABLE "hive"."analytics"."orders" RENAME TO "hive"."analytics"."orders__pyflow_old_aaaaaaaa"',
        tmp_in,
        'ALTER TABLE "hive"."analytics"."orders__pyflow_old_aaaaaaaa" RENAME TO "hive"."analytics"."orders"',
        'DROP TABLE IF EXISTS "hive"."analytics"."orders__pyflow_tmp_aaaaaaaa"',
    ]


def test_cancel_stops_the_running_query_and_the_run() -> None:
    import threading

    from pyflow.errors import CancelledError
    from tests.adapters.recording import DriverError, RecordingCursor

    started, stopped = threading.Event(), threading.Event()

    class SlowCursor(RecordingCursor):
        """Runs a CTAS until cancel() is called, then fails as the driver does."""

        def execute(self, sql: str, params: object = None) -> RecordingCursor:
            if not sql.startswith("CREATE TABLE"):
                return super().execute(sql)
            self.con.statements.append(sql)
            self.query_id = "q-slow"
            started.set()
            if not stopped.wait(10):
                raise AssertionError("the query was never cancelled")
            raise DriverError("USER_CANCELED: Query was canceled")

        def cancel(self) -> None:
            super().cancel()
            stopped.set()

    class SlowConnection(RecordingConnection):
        def cursor(self) -> RecordingCursor:
            return SlowCursor(self)

    con = SlowConnection(schemas={"analytics"})
    adapter = _adapter(con)
    errors: list[BaseException] = []

    def build() -> None:
        try:
            TableMaterializer().build(_job(adapter))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=build)
    worker.start()
    assert started.wait(10)
    adapter.cancel()
    worker.join(10)

    # every thread's cursor is asked: the worker's running query, and the idle main-thread cursor
    assert sorted(con.cancelled, key=str) == [None, "q-slow"]
    assert len(errors) == 1 and isinstance(errors[0], CancelledError)
    assert con.sent()[-1].startswith("CREATE TABLE")  # nothing was sent after the cancel
    with pytest.raises(CancelledError):
        adapter.execute("SELECT 1")
