"""AthenaAdapter on a recording connection: CTAS properties, S3 locations, Hive DDL, swaps."""

from __future__ import annotations

from typing import Any

import pytest

from pyflow.adapters import adapter_class
from pyflow.adapters.athena import AthenaAdapter
from pyflow.adapters.base import TableOptions
from pyflow.adapters.trino import TrinoAdapter
from pyflow.config.profile import AthenaTarget
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import AdapterError
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.materializers.view import ViewMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import INVOCATION_A, INVOCATION_B, RecordingConnection

REL = Relation("awsdatacatalog", "shop", "orders")
SELECT = "SELECT 1 AS id"


def _config(**extra: Any) -> AthenaTarget:
    base = {
        "type": "athena",
        "s3_staging_dir": "s3://bucket/results/",
        "s3_data_dir": "s3://bucket/tables",
        "region_name": "eu-west-1",
        "schema": "shop",
    }
    return AthenaTarget.model_validate({**base, **extra})


def _adapter(con: RecordingConnection, invocation_id: str = INVOCATION_A, **extra: Any) -> AthenaAdapter:
    adapter = AthenaAdapter(
        _config(**extra), invocation_id=invocation_id, connect=lambda: con, sleep=lambda seconds: None
    )
    adapter.open()
    return adapter


def _job(adapter: AthenaAdapter, materialized: str = "table", **config: Any) -> Job:
    return Job(
        name="orders",
        relation=REL,
        adapter=adapter,
        sql=SELECT,
        config=ModelConfig(materialized=materialized, **config),
    )


def _tmp_location(invocation_id: str) -> str:
    adapter = AthenaAdapter(_config(), invocation_id=invocation_id)
    tmp = adapter.temp_relation(REL)
    return f"s3://bucket/tables/shop/{tmp.identifier}/{adapter.unique_suffix(tmp)}/"


def test_athena_is_a_trino_subclass_with_its_own_dialect() -> None:
    assert adapter_class("athena") is AthenaAdapter
    assert issubclass(AthenaAdapter, TrinoAdapter)
    assert AthenaAdapter.dialect == "athena"
    assert AthenaAdapter.capabilities == TrinoAdapter.capabilities
    # only its differences are defined on the class
    own = {k for k in vars(AthenaAdapter) if not k.startswith("_")}
    assert own <= {
        "type",
        "dialect",
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
        "type_to_ibis",
        "ibis_to_type",
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


def test_athena_unique_location_differs_per_run() -> None:
    first = AthenaAdapter(_config(s3_data_naming="unique"), invocation_id=INVOCATION_A)
    second = AthenaAdapter(_config(s3_data_naming="unique"), invocation_id=INVOCATION_B)
    assert first.data_location(REL, None) != second.data_location(REL, None)
    assert first.data_location(REL, None) == first.data_location(REL, None)


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


def test_athena_table_rebuild_ctas_at_fresh_location_then_swap() -> None:
    con = RecordingConnection(tables={("shop", "orders"): "BASE TABLE"}, schemas={"shop"})
    adapter = _adapter(con)

    TableMaterializer().build(_job(adapter, partitioned_by=["day"]))

    tmp = "orders__pyflow_tmp_aaaaaaaa"
    assert con.sent() == [
        f'CREATE TABLE "awsdatacatalog"."shop"."{tmp}"\n'
        "WITH (\n"
        f"  external_location = '{_tmp_location(INVOCATION_A)}',\n"
        "  format = 'PARQUET',\n"
        "  partitioned_by = ARRAY['day']\n"
        f") AS\n{SELECT}",
        "ALTER TABLE `shop`.`orders` RENAME TO `shop`.`orders__pyflow_old_aaaaaaaa`",
        f"ALTER TABLE `shop`.`{tmp}` RENAME TO `shop`.`orders`",
        "DROP TABLE IF EXISTS `shop`.`orders__pyflow_old_aaaaaaaa`",
    ]


def test_athena_first_build_creates_the_schema() -> None:
    con = RecordingConnection()
    TableMaterializer().build(_job(_adapter(con)))
    assert con.sent()[0] == "CREATE SCHEMA IF NOT EXISTS `shop`"
    assert con.sent()[-1] == "ALTER TABLE `shop`.`orders__pyflow_tmp_aaaaaaaa` RENAME TO `shop`.`orders`"
    assert len(con.sent()) == 3


def test_athena_failed_rebuild_leaves_the_old_table() -> None:
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


def test_athena_two_concurrent_runs_use_different_names_and_locations() -> None:
    first, second = RecordingConnection(schemas={"shop"}), RecordingConnection(schemas={"shop"})

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

    con = RecordingConnection(tables={("shop", "orders"): "BASE TABLE"})
    adapter = _adapter(con)
    TableMaterializer().build(_job(adapter, partitioned_by=["day"], bucketed_by="id", bucket_count=4))
    ViewMaterializer().build(_job(adapter, "view"))

    assert len(con.statements) > 5
    for statement in con.statements:
        sqlglot.parse(statement, read="athena", error_level=ErrorLevel.RAISE)
