"""AthenaAdapter on a recording connection: CTAS properties, S3 locations, Hive DDL, swaps."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import boto3
import pytest

from pyflow.adapters import adapter_class
from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.base import TableOptions
from pyflow.adapters.trino import TrinoAdapter
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import AdapterError
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.materializers.view import ViewMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import (
    INVOCATION_A,
    INVOCATION_B,
    RecordingConnection,
    record_aws_calls,
)
from tests.adapters.recording import (
    athena_adapter as _adapter,
)
from tests.adapters.recording import (
    athena_config as _config,
)

REL = Relation("awsdatacatalog", "shop", "orders")
SELECT = "SELECT 1 AS id"


def _job(adapter: AthenaAdapter, materialized: str = "table", **config: Any) -> Job:
    return Job(
        name="orders",
        relation=REL,
        adapter=adapter,
        sql=SELECT,
        config=ModelConfig(materialized=materialized, **config),
    )


_CTAS = re.compile(r'^CREATE TABLE "[^"]*"\."([^"]*)"\."([^"]*)"\nWITH \((.*?)\n\) AS', re.S)


def _athena_ctas(sql: str) -> None:
    """What Athena does on a Hive CTAS: register the table in Glue and write its files to S3."""
    m = _CTAS.match(sql)
    if not m or "ICEBERG" in m[3]:
        return
    location = re.search(r"external_location = '([^']*)'", m[3])
    assert location, "the tests give every Hive CTAS an external_location"
    _glue_table(m[1], m[2], location[1])
    _put(location[1] + "part-00000.parquet")


def _glue_table(database: str, name: str, location: str) -> None:
    boto3.client("glue", region_name="eu-west-1").create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}], "Location": location},
        },
    )


def _put(url: str) -> None:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    boto3.client("s3", region_name="eu-west-1").put_object(Bucket=bucket, Key=key, Body=b"x")


def _keys(prefix: str = "") -> list[str]:
    s3 = boto3.client("s3", region_name="eu-west-1")
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bucket", Prefix=prefix).get("Contents", []))


def _glue(name: str) -> dict[str, Any] | None:
    glue = boto3.client("glue", region_name="eu-west-1")
    try:
        return glue.get_table(DatabaseName="shop", Name=name)["Table"]  # type: ignore[no-any-return]
    except glue.exceptions.EntityNotFoundException:
        return None


def _tmp_location(invocation_id: str) -> str:
    adapter = AthenaAdapter(_config(), invocation_id=invocation_id)
    tmp = adapter.temp_relation(REL)
    return f"s3://bucket/tables/shop/{tmp.identifier}/{adapter.unique_suffix(tmp)}/"


def test_athena_is_a_trino_subclass_with_its_own_dialect() -> None:
    assert adapter_class("athena") is AthenaAdapter
    assert issubclass(AthenaAdapter, TrinoAdapter)
    assert AthenaAdapter.dialect == "athena"
    # Trino's, but no COMMENT ON and no GRANT (Glue holds comments, Lake Formation permissions)
    assert AthenaAdapter.capabilities == dataclasses.replace(
        TrinoAdapter.capabilities, comments=False, grants=False, constraints=frozenset()
    )
    # only its differences are defined on the class
    own = {k for k in vars(AthenaAdapter) if not k.startswith("_")}
    assert own <= {
        "type",
        "dialect",
        "capabilities",
        "asks_connector",
        "drains_results",
        "connect",
        "default_num_retries",
        "max_query_bytes",
        "query_link",
        "hive_name",
        "create_schema_sql",
        "drop_relation_sql",
        "rename_relation_sql",
        "data_location",
        "table_properties",
        "create_table_as_sql",
        "create_table_from_dataframe",  # Parquet to S3 + Glue (pyflow.adapters.athenaframe)
        "type_to_ibis",
        "ibis_to_type",
        "aws_client",
        "aws_error",
        "glue_table",
        "delete_s3_prefix",
        "swap_table",
        "discard_table",
        "recover_swap",
        # Hive vs Iceberg: what each supports, partitions through Glue
        "default_partition_limit",
        "add_column_sql",
        "drop_column_sql",
        "alter_column_type_sql",
        "incremental_strategies",
        "storage_name",
        "can_drop_columns",
        "upload_seed",
        "partition_limit",
        "partitions_last",
        "glue_partitions",
        "repoint_partitions",
        "replace_partitions",
    }


@pytest.mark.parametrize(
    ("naming", "path"),
    [
        ("unique", "{u}/"),
        ("table", "orders/"),
        ("table_unique", "orders/{u}/"),
        ("schema_table", "shop/orders/"),
        ("schema_table_unique", "shop/orders/{u}/"),
    ],
)
def test_athena_s3_data_naming(naming: str, path: str) -> None:
    adapter = AthenaAdapter(_config(s3_data_naming=naming), invocation_id=INVOCATION_A)
    unique = adapter.unique_suffix(REL)
    assert adapter.data_location(REL, None) == "s3://bucket/tables/" + path.format(u=unique)


def test_athena_unique_location_differs_per_run_and_is_stable_within_one() -> None:
    def location(invocation_id: str) -> str:
        return AthenaAdapter(_config(s3_data_naming="unique"), invocation_id=invocation_id).data_location(
            REL, None
        )

    # the same run (a retried statement, a second adapter of one invocation) writes to one place
    # golden values: the location is a function of the invocation id and the relation only
    assert location(INVOCATION_A) == "s3://bucket/tables/3b8cdd4ee17c50de98288c5ff237a8a9/"
    assert location(INVOCATION_B) == "s3://bucket/tables/f53a15d5988d5552aa3292e96490f1ce/"


def test_athena_hive_ctas_properties() -> None:
    adapter = AthenaAdapter(_config(s3_data_naming="table"))
    options = TableOptions(
        format="orc", write_compression="zstd", partitioned_by=("day",), bucketed_by=("id",), bucket_count=8
    )
    assert adapter.create_table_as_sql(REL, SELECT, options) == (
        'CREATE TABLE "awsdatacatalog"."shop"."orders"\n'
        "WITH (\n"
        "  external_location = 's3://bucket/tables/orders/',\n"
        "  format = 'ORC',\n"
        "  write_compression = 'ZSTD',\n"
        "  partitioned_by = ARRAY['day'],\n"
        "  bucketed_by = ARRAY['id'],\n"
        "  bucket_count = 8\n"
        ") AS\n"
        f"{SELECT}"
    )


def test_athena_iceberg_ctas_properties_and_explicit_location() -> None:
    adapter = AthenaAdapter(_config())
    options = TableOptions(
        table_type="iceberg", external_location="s3://other/orders/", partitioned_by=("day(at)",)
    )
    assert adapter.create_table_as_sql(REL, SELECT, options) == (
        'CREATE TABLE "awsdatacatalog"."shop"."orders"\n'
        "WITH (\n"
        "  table_type = 'ICEBERG',\n"
        "  is_external = false,\n"
        "  location = 's3://other/orders/',\n"
        "  format = 'PARQUET',\n"
        "  partitioning = ARRAY['day(at)']\n"
        ") AS\n"
        f"{SELECT}"
    )


def test_athena_without_data_dir_leaves_the_location_to_the_workgroup() -> None:
    adapter = AthenaAdapter(_config(s3_data_dir=None))
    assert adapter.table_properties(REL, None) == ["format = 'PARQUET'"]


def test_athena_ddl_uses_hive_quoting() -> None:
    adapter = AthenaAdapter(_config())
    assert adapter.create_schema_sql("awsdatacatalog", "shop") == "CREATE SCHEMA IF NOT EXISTS `shop`"
    assert adapter.drop_relation_sql(REL, "table") == "DROP TABLE IF EXISTS `shop`.`orders`"
    assert adapter.drop_relation_sql(REL, "view") == 'DROP VIEW IF EXISTS "awsdatacatalog"."shop"."orders"'
    assert (
        adapter.rename_relation_sql(REL, "orders_old", "table")
        == "ALTER TABLE `shop`.`orders` RENAME TO `shop`.`orders_old`"
    )


def test_athena_iceberg_rebuild_ctas_at_fresh_location_then_rename_swap() -> None:
    con = RecordingConnection(tables={("shop", "orders"): "BASE TABLE"}, schemas={"shop"})
    adapter = _adapter(con)

    TableMaterializer().build(_job(adapter, table_type="iceberg"))

    tmp = "orders__pyflow_tmp_aaaaaaaa"
    assert con.sent() == [
        f'CREATE TABLE "awsdatacatalog"."shop"."{tmp}"\n'
        "WITH (\n"
        "  table_type = 'ICEBERG',\n"
        "  is_external = false,\n"
        f"  location = '{_tmp_location(INVOCATION_A)}',\n"
        "  format = 'PARQUET'\n"
        f") AS\n{SELECT}",
        "ALTER TABLE `shop`.`orders` RENAME TO `shop`.`orders__pyflow_old_aaaaaaaa`",
        f"ALTER TABLE `shop`.`{tmp}` RENAME TO `shop`.`orders`",
        "DROP TABLE IF EXISTS `shop`.`orders__pyflow_old_aaaaaaaa`",
    ]


def test_athena_first_build_creates_the_schema(lake: None) -> None:
    con = RecordingConnection(on_execute=_athena_ctas)
    TableMaterializer().build(_job(_adapter(con)))
    assert con.sent()[0] == "CREATE SCHEMA IF NOT EXISTS `shop`"
    assert con.sent()[1].startswith('CREATE TABLE "awsdatacatalog"."shop"."orders__pyflow_tmp_aaaaaaaa"')
    assert len(con.sent()) == 2  # the swap itself goes through Glue (tested below)
    assert _location_of("orders") == _tmp_location(INVOCATION_A)


def _location_of(name: str) -> str | None:
    table = _glue(name)
    return None if table is None else table["StorageDescriptor"]["Location"]  # type: ignore[no-any-return]


def test_athena_failed_rebuild_leaves_the_old_table(lake: None) -> None:
    con = RecordingConnection(
        tables={("shop", "orders"): "BASE TABLE"},
        schemas={"shop"},
        fail_on=lambda sql: sql.startswith("CREATE TABLE"),
    )
    with pytest.raises(AdapterError) as info:
        TableMaterializer().build(_job(_adapter(con)))

    assert [s.splitlines()[0] for s in con.sent()] == [
        'CREATE TABLE "awsdatacatalog"."shop"."orders__pyflow_tmp_aaaaaaaa"',
        "DROP TABLE IF EXISTS `shop`.`orders__pyflow_tmp_aaaaaaaa`",
    ]
    assert "athena error" in str(info.value)


def test_athena_two_concurrent_runs_use_different_names_and_locations(lake: None) -> None:
    first = RecordingConnection(schemas={"shop"}, on_execute=_athena_ctas)
    second = RecordingConnection(
        schemas={"shop"}, tables={("shop", "orders"): "BASE TABLE"}, on_execute=_athena_ctas
    )

    TableMaterializer().build(_job(_adapter(first, INVOCATION_A)))
    TableMaterializer().build(_job(_adapter(second, INVOCATION_B)))

    assert "orders__pyflow_tmp_aaaaaaaa" in first.sent()[0] and _tmp_location(INVOCATION_A) in first.sent()[0]
    assert (
        "orders__pyflow_tmp_bbbbbbbb" in second.sent()[0] and _tmp_location(INVOCATION_B) in second.sent()[0]
    )
    assert _tmp_location(INVOCATION_A) != _tmp_location(INVOCATION_B)
    assert not set(first.sent()) & set(second.sent())


def test_athena_view_is_created_or_replaced() -> None:
    con = RecordingConnection(schemas={"shop"})
    ViewMaterializer().build(_job(_adapter(con), "view"))
    assert con.sent() == [f'CREATE OR REPLACE VIEW "awsdatacatalog"."shop"."orders" AS\n{SELECT}']


def test_athena_connect_passes_profile_settings_to_pyathena(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyathena

    seen: dict[str, Any] = {}
    monkeypatch.setattr(pyathena, "connect", lambda **kw: seen.update(kw) or RecordingConnection())
    adapter = AthenaAdapter(_config(work_group="etl", aws_profile_name="prod", database="lake"))
    adapter.open()
    assert seen.pop("cursor_class").poll_cap == 1.0  # pyflow's polling schedule (adapters/athenapoll.py)
    assert seen == {
        "s3_staging_dir": "s3://bucket/results/",
        "region_name": "eu-west-1",
        "schema_name": "shop",
        "catalog_name": "lake",
        "work_group": "etl",
        "profile_name": "prod",
    }


def test_athena_statements_parse_in_the_athena_dialect() -> None:
    import sqlglot
    from sqlglot.errors import ErrorLevel

    con = RecordingConnection(
        tables={("shop", "orders"): "BASE TABLE"},
        columns={("shop", "orders__pyflow_stage_aaaaaaaa"): [("id", "integer"), ("day", "date")]},
        answer=lambda sql: [("2024-01-01",), ("2024-01-02",)] if "SELECT DISTINCT" in sql else None,
    )
    adapter = _adapter(con)
    TableMaterializer().build(
        _job(adapter, table_type="iceberg", partitioned_by=["day"], partition_batch_size=1)
    )
    ViewMaterializer().build(_job(adapter, "view"))

    assert sum(s.startswith(("CREATE TABLE", "INSERT INTO")) and "WHERE" in s for s in con.statements) == 2
    assert len(con.statements) > 5
    for statement in con.statements:
        sqlglot.parse(statement, read="athena", error_level=ErrorLevel.RAISE)


# ---- Hive table swap through the Glue Data Catalog (moto for Glue/S3, recording for SQL) -----
TMP = "orders__pyflow_tmp_aaaaaaaa"
OLD = "s3://bucket/tables/shop/orders/old-run/"


def _old_table() -> None:
    """An existing Hive ``shop.orders`` at OLD, plus a sibling prefix that must survive."""
    _glue_table("shop", "orders", OLD)
    _put(OLD + "part-00000.parquet")
    _put(OLD + "day=1/part-00001.parquet")
    _put("s3://bucket/tables/shop/orders/old-run-2/keep.parquet")


def _ctas(invocation_id: str = INVOCATION_A) -> str:
    return (
        f'CREATE TABLE "awsdatacatalog"."shop"."orders__pyflow_tmp_{invocation_id[:8]}"\n'
        f"WITH (\n  external_location = '{_tmp_location(invocation_id)}',\n  format = 'PARQUET'\n) AS\n{SELECT}"
    )


def test_athena_hive_first_build_registers_the_table_in_glue(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = RecordingConnection(schemas={"shop"}, on_execute=_athena_ctas)
    record_aws_calls(monkeypatch, con.statements)

    TableMaterializer().build(_job(_adapter(con)))

    assert con.sent() == [
        _ctas(),
        f"glue.GetTable shop.{TMP}",
        "glue.CreateTable shop.orders",
        f"glue.DeleteTable shop.{TMP}",
    ]
    new = _tmp_location(INVOCATION_A)
    table = _glue("orders")
    assert table is not None and table["StorageDescriptor"]["Location"] == new
    assert table["StorageDescriptor"]["Columns"] == [{"Name": "id", "Type": "int"}]
    assert _glue(TMP) is None
    assert _keys() == [new.removeprefix("s3://bucket/") + "part-00000.parquet"]  # data kept, now the target's


def test_athena_hive_rebuild_updates_glue_then_deletes_the_old_prefix(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_table()
    con = RecordingConnection(
        schemas={"shop"}, tables={("shop", "orders"): "BASE TABLE"}, on_execute=_athena_ctas
    )
    record_aws_calls(monkeypatch, con.statements)

    TableMaterializer().build(_job(_adapter(con)))

    assert con.sent() == [
        _ctas(),
        f"glue.GetTable shop.{TMP}",
        "glue.GetTable shop.orders",
        "glue.UpdateTable shop.orders",
        "s3.ListObjectsV2 bucket/tables/shop/orders/old-run/",
        "s3.DeleteObjects bucket 2",
        f"glue.DeleteTable shop.{TMP}",  # last: while it exists, the next run finishes the swap
    ]
    new = _tmp_location(INVOCATION_A)
    assert _location_of("orders") == new
    versions = boto3.client("glue", region_name="eu-west-1").get_table_versions(
        DatabaseName="shop", TableName="orders"
    )["TableVersions"]
    assert sorted(v["Table"]["StorageDescriptor"]["Location"] for v in versions) == sorted([OLD, new])
    assert _glue(TMP) is None
    assert _keys() == sorted(
        [
            "tables/shop/orders/old-run-2/keep.parquet",  # a sibling prefix, not the old table's
            new.removeprefix("s3://bucket/") + "part-00000.parquet",
        ]
    )


def test_athena_hive_failed_ctas_keeps_the_old_table_and_cleans_the_temp(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_table()
    partial = _tmp_location(INVOCATION_A) + "partial-00000.parquet"
    _put(partial)  # what the failed CTAS managed to write
    before = _keys()
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "orders"): "BASE TABLE"},
        fail_on=lambda sql: sql.startswith("CREATE TABLE"),
    )
    record_aws_calls(monkeypatch, con.statements)

    with pytest.raises(AdapterError, match="athena error: TABLE_ALREADY_EXISTS"):
        TableMaterializer().build(_job(_adapter(con)))

    assert con.sent() == [
        _ctas(),
        f"glue.GetTable shop.{TMP}",
        "glue.GetTable shop.orders",
        "s3.ListObjectsV2 bucket/" + _tmp_location(INVOCATION_A).removeprefix("s3://bucket/"),
        "s3.DeleteObjects bucket 1",
        f"DROP TABLE IF EXISTS `shop`.`{TMP}`",  # the Glue entry last: the files go first
    ]
    assert _location_of("orders") == OLD
    versions = boto3.client("glue", region_name="eu-west-1").get_table_versions(
        DatabaseName="shop", TableName="orders"
    )["TableVersions"]
    assert len(versions) == 1
    assert _keys() == sorted(set(before) - {partial.removeprefix("s3://bucket/")})


def test_athena_hive_failed_glue_update_keeps_the_old_table_and_drops_the_temp(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_table()
    con = RecordingConnection(
        schemas={"shop"}, tables={("shop", "orders"): "BASE TABLE"}, on_execute=_athena_ctas
    )
    record_aws_calls(monkeypatch, con.statements)
    real = AthenaAdapter.aws_client

    def refusing_updates(self: AthenaAdapter, service: str) -> Any:
        client = real(self, service)

        def deny(**kw: Any) -> None:
            raise PermissionError("AccessDeniedException: glue:UpdateTable")

        client.meta.events.register("before-call.glue.UpdateTable", deny)
        return client

    monkeypatch.setattr(AthenaAdapter, "aws_client", refusing_updates)

    with pytest.raises(AdapterError, match="glue:UpdateTable"):
        TableMaterializer().build(_job(_adapter(con)))

    assert con.sent() == [
        _ctas(),
        f"glue.GetTable shop.{TMP}",
        "glue.GetTable shop.orders",
        "glue.UpdateTable shop.orders",
        f"glue.GetTable shop.{TMP}",
        "glue.GetTable shop.orders",
        "s3.ListObjectsV2 bucket/" + _tmp_location(INVOCATION_A).removeprefix("s3://bucket/"),
        "s3.DeleteObjects bucket 1",
        f"DROP TABLE IF EXISTS `shop`.`{TMP}`",  # the Glue entry last: the files go first
    ]
    assert _location_of("orders") == OLD
    assert _keys(OLD.removeprefix("s3://bucket/")) == [
        "tables/shop/orders/old-run/day=1/part-00001.parquet",
        "tables/shop/orders/old-run/part-00000.parquet",
    ]
    assert _keys(_tmp_location(INVOCATION_A).removeprefix("s3://bucket/")) == []


def test_athena_hive_never_deletes_data_the_target_uses(lake: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # an explicit external_location equal to the old table's: the failed CTAS must not touch it
    _old_table()
    before = _keys()
    con = RecordingConnection(
        schemas={"shop"},
        tables={("shop", "orders"): "BASE TABLE"},
        fail_on=lambda sql: sql.startswith("CREATE TABLE"),
    )
    record_aws_calls(monkeypatch, con.statements)

    with pytest.raises(AdapterError):
        TableMaterializer().build(_job(_adapter(con), external_location=OLD))

    assert con.sent()[-1] == f"DROP TABLE IF EXISTS `shop`.`{TMP}`"
    assert not [s for s in con.sent() if s.startswith("s3.")]
    assert _keys() == before and _location_of("orders") == OLD


def test_athena_iceberg_keeps_the_rename_swap(lake: None, monkeypatch: pytest.MonkeyPatch) -> None:
    con = RecordingConnection(schemas={"shop"}, tables={("shop", "orders"): "BASE TABLE"})
    record_aws_calls(monkeypatch, con.statements)
    TableMaterializer().build(_job(_adapter(con), table_type="iceberg"))
    assert [s.split()[0] for s in con.sent()] == ["CREATE", "ALTER", "ALTER", "DROP"]


def test_athena_aws_clients_use_the_profile_region_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    class Session:
        def __init__(self, **kwargs: Any) -> None:
            seen.append(kwargs)

        def client(self, service: str) -> str:
            return f"client:{service}"

    monkeypatch.setattr(boto3.session, "Session", Session)
    adapter = AthenaAdapter(
        _config(aws_profile_name="prod", aws_access_key_id="AKIA", aws_secret_access_key="s3cr3t")
    )
    assert adapter.aws_client("glue") == "client:glue"
    assert seen == [
        {
            "region_name": "eu-west-1",
            "profile_name": "prod",
            "aws_access_key_id": "AKIA",
            "aws_secret_access_key": "s3cr3t",
        }
    ]


def test_athena_seed_is_uploaded_as_parquet_registered_in_glue_and_swapped_in(
    lake: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import datetime as dt
    import io
    from decimal import Decimal

    import pyarrow.parquet as pq

    from pyflow.materializers.base import SeedFile
    from pyflow.materializers.seed import SeedMaterializer

    _old_table()
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "ID,paid,day,at,note,price\n1,TRUE,2024-01-02,2024-01-02T03:04:05.678,o'hara,1.5\n2,false,,,,\n",
        encoding="utf-8",
    )
    con = RecordingConnection(schemas={"shop"}, tables={("shop", "orders"): "BASE TABLE"}, row_count=2)
    record_aws_calls(monkeypatch, con.statements)
    job = Job("orders", REL, _adapter(con), seed=SeedFile(csv, column_types={"price": "DECIMAL(10,2)"}))

    outcome = SeedMaterializer().build(job)

    assert (outcome.message, outcome.rows) == ("loaded", 2)
    new = _tmp_location(INVOCATION_A)
    key = f"{new.removeprefix('s3://bucket/')}{TMP}.parquet"
    assert con.sent() == [  # no query loads the rows: one file, one Glue entry, then the swap
        f"s3.PutObject bucket/{key}",
        f"glue.CreateTable shop.{TMP}",
        f'SELECT count(*) FROM "awsdatacatalog"."shop"."{TMP}"',  # the rows, checked before the swap
        f"glue.GetTable shop.{TMP}",
        "glue.GetTable shop.orders",
        "glue.UpdateTable shop.orders",
        "s3.ListObjectsV2 bucket/tables/shop/orders/old-run/",
        "s3.DeleteObjects bucket 2",
        f"glue.DeleteTable shop.{TMP}",
    ]
    found = _glue("orders")
    assert found is not None
    assert found["StorageDescriptor"]["Location"] == new
    assert found["StorageDescriptor"]["Columns"] == [
        {"Name": "id", "Type": "bigint"},
        {"Name": "paid", "Type": "boolean"},
        {"Name": "day", "Type": "date"},
        {"Name": "at", "Type": "timestamp"},
        {"Name": "note", "Type": "string"},
        {"Name": "price", "Type": "decimal(10,2)"},
    ]
    assert found["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    body = boto3.client("s3", region_name="eu-west-1").get_object(Bucket="bucket", Key=key)["Body"].read()
    data = pq.read_table(io.BytesIO(body))
    assert data.to_pylist() == [
        {
            "id": 1,
            "paid": True,
            "day": dt.date(2024, 1, 2),
            "at": dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
            "note": "o'hara",
            "price": Decimal("1.50"),
        },
        {"id": 2, "paid": False, "day": None, "at": None, "note": None, "price": None},
    ]
    assert job.log.statements[0].startswith(f"-- orders.csv: 2 rows written as Parquet to s3://bucket/{key}")


def test_athena_seed_uploads_only_plain_hive_parquet_at_a_known_location(tmp_path: Any) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text("id\n1\n", encoding="utf-8")
    con = RecordingConnection()
    # elsewhere the seed loads by INSERT batches (seed_statements, tested in test_seeds.py)
    for adapter, options in [
        (_adapter(con, s3_data_dir=None), TableOptions()),  # the location is Athena's choice
        (_adapter(con), TableOptions(table_type="iceberg")),
        (_adapter(con), TableOptions(partitioned_by=("id",))),
        (_adapter(con), TableOptions(format="orc")),
    ]:
        assert adapter.upload_seed(REL, csv, {}, ",", options) is None, options
    assert con.sent() == []


def test_athena_seed_with_a_bad_value_for_its_type_names_the_column(lake: None, tmp_path: Any) -> None:
    from pyflow.errors import AdapterError
    from pyflow.materializers.base import SeedFile
    from pyflow.materializers.seed import SeedMaterializer

    csv = tmp_path / "orders.csv"
    csv.write_text("id,price\n1,cheap\n", encoding="utf-8")
    con = RecordingConnection(schemas={"shop"})
    with pytest.raises(AdapterError) as caught:
        SeedMaterializer().build(
            Job("orders", REL, _adapter(con), seed=SeedFile(csv, column_types={"price": "DECIMAL(10,2)"}))
        )
    assert caught.value.code == "seed-csv-invalid"
    assert "the column price of the seed orders.csv cannot be read as DECIMAL(10,2)" in caught.value.message
    assert _glue(TMP) is None and _glue("orders") is None


def test_athena_hive_rebuild_passes_the_glue_version_it_read(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_table()
    updates: list[dict[str, Any]] = []
    real = AthenaAdapter.aws_client

    def aws_client(self: AthenaAdapter, service: str) -> Any:
        client = real(self, service)
        client.meta.events.register(
            "before-parameter-build.glue.UpdateTable", lambda params, **kw: updates.append(dict(params))
        )
        return client

    monkeypatch.setattr(AthenaAdapter, "aws_client", aws_client)
    version = boto3.client("glue", region_name="eu-west-1").get_table(DatabaseName="shop", Name="orders")[
        "Table"
    ]["VersionId"]
    con = RecordingConnection(
        schemas={"shop"}, tables={("shop", "orders"): "BASE TABLE"}, on_execute=_athena_ctas
    )

    TableMaterializer().build(_job(_adapter(con)))

    # a concurrent rebuild that updated the table in between makes Glue refuse this update
    assert [u.get("VersionId") for u in updates] == [version]


@pytest.mark.parametrize(
    ("trino", "hive"),
    [
        ("varchar", "string"),
        ("varchar(12)", "string"),
        ("integer", "int"),
        ("bigint", "bigint"),
        ("real", "float"),
        ("double", "double"),
        ("decimal(10,2)", "decimal(10,2)"),
        ("timestamp(3)", "timestamp"),
        ("timestamp(6) with time zone", "timestamp"),
        ("date", "date"),
        ("boolean", "boolean"),
        ("array(varchar)", "array<string>"),
        ("map(varchar, array(integer))", "map<string,array<int>>"),
        ('row("a" integer, b varchar)', "struct<a:int,b:string>"),
    ],
)
def test_hive_type_spells_trino_types_for_hive_ddl(trino: str, hive: str) -> None:
    from pyflow.adapters.athena import hive_type

    assert hive_type(trino) == hive


def test_partition_filters_use_typed_nullsafe_literals() -> None:
    import datetime as dt
    from decimal import Decimal

    adapter = AthenaAdapter(_config())
    assert adapter.in_partitions_sql(
        ["day", "region"], [(dt.date(2024, 1, 2), "eu'w"), (dt.date(2024, 1, 3), None)]
    ) == (
        """(("day" = DATE '2024-01-02' AND "region" = 'eu''w') OR ("day" = DATE '2024-01-03' AND "region" IS NULL))"""
    )
    assert adapter.literal_sql(Decimal("1.50")) == "1.50"
    assert adapter.literal_sql(True) == "TRUE"
    # every digit, unlike snapshot run times (milliseconds): a filter must match stored values exactly
    assert (
        adapter.literal_sql(dt.datetime(2024, 1, 2, 3, 4, 5, 678901))
        == "TIMESTAMP '2024-01-02 03:04:05.678901'"
    )
    aware = dt.datetime(2024, 1, 2, 4, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert adapter.literal_sql(aware) == "TIMESTAMP '2024-01-02 03:04:05.000000 UTC'"
