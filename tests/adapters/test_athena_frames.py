"""DataFrame models on Athena: Parquet under the target's S3 data location, registered in Glue, swapped in.

moto holds Glue and S3; the recording connection stands in for pyathena (and records, in one
list, the SQL statements and the AWS calls).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import boto3
import pytest

from pyflow.adapters.base import TableOptions
from pyflow.core.nodeconfig import ModelConfig
from pyflow.errors import AdapterError
from pyflow.materializers.base import Job
from pyflow.materializers.table import TableMaterializer
from pyflow.relation import Relation
from tests.adapters.recording import RecordingConnection, record_aws_calls
from tests.adapters.recording import athena_adapter as _adapter
from tests.adapters.test_trino_frames import all_types

REL = Relation("awsdatacatalog", "shop", "scores")
TMP = "scores__pyflow_tmp_aaaaaaaa"
OLD = "s3://bucket/tables/shop/scores/old-run/"


def _job(adapter: Any, frame: Any, **config: Any) -> Job:
    return Job(
        name="scores",
        relation=REL,
        adapter=adapter,
        frame=lambda: frame,
        config=ModelConfig(materialized="table", **config),
    )


def _glue(name: str) -> dict[str, Any] | None:
    glue = boto3.client("glue", region_name="eu-west-1")
    try:
        return glue.get_table(DatabaseName="shop", Name=name)["Table"]  # type: ignore[no-any-return]
    except glue.exceptions.EntityNotFoundException:
        return None


def _keys(prefix: str = "tables/") -> list[str]:
    s3 = boto3.client("s3", region_name="eu-west-1")
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bucket", Prefix=prefix).get("Contents", []))


def _read_parquet(key: str) -> Any:
    import pyarrow.parquet as pq

    body = boto3.client("s3", region_name="eu-west-1").get_object(Bucket="bucket", Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def _tmp_location(adapter: Any) -> str:
    tmp = adapter.temp_relation(REL)
    return f"s3://bucket/tables/shop/{tmp.identifier}/{adapter.unique_suffix(tmp)}/"


def test_athena_frame_of_every_type_is_parquet_in_s3_registered_in_glue_and_swapped_in(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = RecordingConnection(schemas={"shop"})
    record_aws_calls(monkeypatch, con.statements)
    adapter = _adapter(con)
    job = _job(adapter, all_types())

    outcome = TableMaterializer().build(job)

    assert outcome.rows == 3
    new = _tmp_location(adapter)
    key = f"{new.removeprefix('s3://bucket/')}{TMP}.parquet"
    assert con.sent() == [  # no query: one Parquet file, one Glue entry, then the Glue swap
        f"s3.PutObject bucket/{key}",
        f"glue.CreateTable shop.{TMP}",
        f"glue.GetTable shop.{TMP}",
        "glue.CreateTable shop.scores",
        f"glue.DeleteTable shop.{TMP}",
    ]
    table = _glue("scores")
    assert table is not None and _glue(TMP) is None
    assert table["StorageDescriptor"]["Location"] == new
    assert table["StorageDescriptor"]["Columns"] == [
        {"Name": "i", "Type": "bigint"},
        {"Name": "small", "Type": "smallint"},
        {"Name": "price", "Type": "decimal(12,2)"},
        {"Name": "at", "Type": "timestamp"},
        {"Name": "at_tz", "Type": "timestamp"},  # Hive has no zoned type: the UTC time is stored
        {"Name": "day", "Type": "date"},
        {"Name": "name", "Type": "string"},
        {"Name": "flag", "Type": "boolean"},
        {"Name": "ratio", "Type": "double"},
        {"Name": "tags", "Type": "array<bigint>"},
        {"Name": "point", "Type": "struct<x:bigint,label:string>"},
    ]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert _keys() == [key]
    expected = all_types().to_pylist()
    for row in expected:
        row["at_tz"] = row["at_tz"] and row["at_tz"].replace(tzinfo=None)
    assert _read_parquet(key).to_pylist() == expected
    assert job.log.statements[0] == (
        f"-- 3 rows written as Parquet to s3://bucket/{key}, registered as shop.{TMP} in Glue"
    )


def test_athena_frame_rebuild_points_glue_at_the_fresh_prefix_then_deletes_the_old_one(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    glue = boto3.client("glue", region_name="eu-west-1")
    glue.create_table(
        DatabaseName="shop",
        TableInput={
            "Name": "scores",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": OLD},
        },
    )
    boto3.client("s3", region_name="eu-west-1").put_object(
        Bucket="bucket", Key=OLD.removeprefix("s3://bucket/") + "old.parquet", Body=b"x"
    )
    con = RecordingConnection(schemas={"shop"}, tables={("shop", "scores"): "BASE TABLE"})
    record_aws_calls(monkeypatch, con.statements)
    adapter = _adapter(con)

    TableMaterializer().build(_job(adapter, pd.DataFrame({"ID": [1, 2], "Label": ["a", None]})))

    new = _tmp_location(adapter)
    assert con.sent()[-5:] == [
        "glue.GetTable shop.scores",
        "glue.UpdateTable shop.scores",
        "s3.ListObjectsV2 bucket/tables/shop/scores/old-run/",
        "s3.DeleteObjects bucket 1",
        f"glue.DeleteTable shop.{TMP}",
    ]
    assert _glue("scores")["StorageDescriptor"]["Location"] == new  # type: ignore[index]
    (key,) = _keys()
    assert key.startswith(new.removeprefix("s3://bucket/"))
    assert _read_parquet(key).to_pylist() == [{"id": 1, "label": "a"}, {"id": 2, "label": None}]


def test_athena_frame_that_glue_refuses_leaves_no_files_and_no_table(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    con = RecordingConnection(schemas={"shop"})
    record_aws_calls(monkeypatch, con.statements)
    adapter = _adapter(con)
    real = adapter.aws_client

    def refusing(service: str) -> Any:
        client = real(service)
        if service == "glue":

            def create_table(**kwargs: Any) -> Any:
                raise client.exceptions.AccessDeniedException(
                    {"Error": {"Code": "AccessDeniedException", "Message": "no glue:CreateTable"}},
                    "CreateTable",
                )

            client.create_table = create_table
        return client

    monkeypatch.setattr(adapter, "aws_client", refusing)

    with pytest.raises(AdapterError, match="no glue:CreateTable") as info:
        TableMaterializer().build(_job(adapter, pd.DataFrame({"id": [1]})))

    assert "writing the frame of" in info.value.message
    assert _keys() == []  # the new prefix was deleted
    assert _glue("scores") is None and _glue(TMP) is None


def test_athena_iceberg_frame_is_a_ctas_from_a_parquet_staging_table_dropped_after(
    lake: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    con = RecordingConnection(schemas={"shop"})
    record_aws_calls(monkeypatch, con.statements)
    adapter = _adapter(con)
    stage = adapter.temp_relation(adapter.temp_relation(REL), "frame")

    TableMaterializer().build(
        _job(adapter, pd.DataFrame({"id": [1], "Day": ["2024-01-01"]}), table_type="iceberg")
    )

    stage_location = f"s3://bucket/tables/shop/{stage.identifier}/{adapter.unique_suffix(stage)}/"
    ctas = next(s for s in con.sent() if s.startswith("CREATE TABLE"))
    assert ctas == (
        f'CREATE TABLE "awsdatacatalog"."shop"."{TMP}"\nWITH (\n  table_type = \'ICEBERG\',\n'
        f"  is_external = false,\n  location = '{_tmp_location(adapter)}',\n  format = 'PARQUET'\n) AS\n"
        f'SELECT "id", "day"\nFROM "awsdatacatalog"."shop"."{stage.identifier}"'
    )
    sent = con.sent()
    assert sent[:2] == [
        f"s3.PutObject bucket/{stage_location.removeprefix('s3://bucket/')}{stage.identifier}.parquet",
        f"glue.CreateTable shop.{stage.identifier}",
    ]
    assert sent.index(ctas) < sent.index(f"DROP TABLE IF EXISTS `shop`.`{stage.identifier}`")
    # the DROP deletes the staging table's Glue entry on Athena (not in moto: no SQL runs here)
    assert not [k for k in _keys() if stage.identifier in k]  # the staging files are gone


def test_athena_partitioned_hive_frame_selects_partition_columns_last(lake: None) -> None:
    import pandas as pd

    con = RecordingConnection(schemas={"shop"})
    adapter = _adapter(con)

    frame = pd.DataFrame({"day": ["2024-01-01"], "id": [1], "v": [2.5]})

    adapter.create_table_from_dataframe(REL, frame, options=TableOptions(partitioned_by=("day",)))

    ctas = next(s for s in con.sent() if s.startswith("CREATE TABLE"))
    assert "partitioned_by = ARRAY['day']" in ctas
    assert ctas.endswith(
        'SELECT "id", "v", "day"\nFROM "awsdatacatalog"."shop"."scores__pyflow_frame_aaaaaaaa"'
    )


def test_athena_frame_without_a_data_location_loads_by_insert_batches(lake: None) -> None:
    import pandas as pd

    con = RecordingConnection(schemas={"shop"})
    adapter = _adapter(con, s3_data_dir=None)

    assert adapter.create_table_from_dataframe(REL, pd.DataFrame({"id": [1, 2]})) == 2

    assert con.sent() == [
        'CREATE TABLE "awsdatacatalog"."shop"."scores"\nWITH (\n  format = \'PARQUET\'\n) AS\n'
        'SELECT CAST("id" AS BIGINT) AS "id"\nFROM (VALUES\n(1),\n(2)\n) AS pyflow_frame ("id")'
    ]
    assert _keys() == []


def test_athena_frame_values_round_trip_decimals_and_dates_exactly(lake: None) -> None:
    import pyarrow as pa

    con = RecordingConnection(schemas={"shop"})
    adapter = _adapter(con)
    frame = pa.table(
        {
            "price": pa.array([Decimal("99999999.99"), Decimal("0.00")], pa.decimal128(10, 2)),
            "day": pa.array([dt.date(1, 1, 1), dt.date(9999, 12, 31)], pa.date32()),
            "empty": pa.nulls(2),
        }
    )

    adapter.create_table_from_dataframe(REL, frame)

    (key,) = _keys()
    assert _read_parquet(key).to_pylist() == [
        {"price": Decimal("99999999.99"), "day": dt.date(1, 1, 1), "empty": None},
        {"price": Decimal("0.00"), "day": dt.date(9999, 12, 31), "empty": None},
    ]
    assert [c["Type"] for c in _glue("scores")["StorageDescriptor"]["Columns"]] == [  # type: ignore[index]
        "decimal(10,2)",
        "date",
        "string",
    ]


def test_athena_frame_refuses_an_external_location_that_holds_files(lake: None) -> None:
    import pandas as pd

    location = "s3://bucket/fixed/scores/"
    boto3.client("s3", region_name="eu-west-1").put_object(
        Bucket="bucket", Key="fixed/scores/old.parquet", Body=b"x"
    )
    adapter = _adapter(RecordingConnection(schemas={"shop"}))
    options = TableOptions(external_location=location)

    with pytest.raises(AdapterError, match="already holds files") as info:
        adapter.create_table_from_dataframe(REL, pd.DataFrame({"id": [1]}), options=options)

    assert "drop `external_location`" in (info.value.hint or "")
    assert _glue("scores") is None
    assert _keys("fixed/") == ["fixed/scores/old.parquet"]
    adapter.aws_client("s3").delete_object(Bucket="bucket", Key="fixed/scores/old.parquet")
    assert adapter.create_table_from_dataframe(REL, pd.DataFrame({"id": [1]}), options=options) == 1
    assert _glue("scores")["StorageDescriptor"]["Location"] == location  # type: ignore[index]
