"""A stand-in for what Athena does to Glue and S3 when it runs a statement (moto holds the state).

moto's Athena runs no SQL, so tests that need the catalog and the files to change as Athena
would change them pass :class:`AthenaLake` as the recording connection's ``on_execute``. It
understands the statements pyflow sends for Hive tables partitioned by ``day``:

- ``CREATE TABLE ... WITH (external_location = ..., [partitioned_by = ARRAY['day']]) AS ...``
  registers the table in Glue and writes one object per partition (``day=<value>/``), or one
  object for an unpartitioned table. The partitions are the ``"day" = DATE '...'`` values in the
  statement's WHERE, or else every value of ``days``.
- ``INSERT INTO`` a partitioned table adds its partitions and objects the same way.
- ``DROP TABLE IF EXISTS `schema`.`table``` removes the Glue entry and keeps the files (Hive).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import boto3

REGION = "eu-west-1"
COLUMNS = [{"Name": "id", "Type": "int"}, {"Name": "amount", "Type": "double"}]
DAY_KEY = [{"Name": "day", "Type": "date"}]

_CTAS = re.compile(r'^CREATE TABLE "[^"]*"\."([^"]*)"\."([^"]*)"\nWITH \((.*?)\n\) AS\n(.*)$', re.S)
_INSERT = re.compile(r'^INSERT INTO "[^"]*"\."([^"]*)"\."([^"]*)" \(.*?\)\n(.*)$', re.S)
_DROP = re.compile(r"^DROP TABLE IF EXISTS `([^`]*)`\.`([^`]*)`$")
_DAY = re.compile(r"\"day\" = DATE '([0-9-]+)'")


def glue() -> Any:
    return boto3.client("glue", region_name=REGION)


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def put(url: str) -> None:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    s3().put_object(Bucket=bucket, Key=key, Body=b"x")


def keys(prefix: str = "", bucket: str = "bucket") -> list[str]:
    pages = s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def hive_table(schema: str, name: str, location: str, *, partitioned: bool) -> None:
    glue().create_table(
        DatabaseName=schema,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
            "PartitionKeys": DAY_KEY if partitioned else [],
            "StorageDescriptor": {"Columns": COLUMNS, "Location": location},
        },
    )


def add_partitions(schema: str, name: str, location: str, days: Sequence[str]) -> None:
    """Partitions ``day=<d>`` under ``location`` with one object each (existing ones kept)."""
    client = glue()
    for day in days:
        where = f"{location}day={day}/"
        try:
            client.create_partition(
                DatabaseName=schema,
                TableName=name,
                PartitionInput={
                    "Values": [day],
                    "StorageDescriptor": {"Columns": COLUMNS, "Location": where},
                },
            )
        except client.exceptions.AlreadyExistsException:
            pass
        put(where + "part-00000.parquet")


def partitions(name: str, schema: str = "shop") -> dict[str, str]:
    """``{day: location}`` of a table's Glue partitions."""
    pages = glue().get_paginator("get_partitions").paginate(DatabaseName=schema, TableName=name)
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for page in pages for p in page["Partitions"]}


def table(name: str, schema: str = "shop") -> dict[str, Any] | None:
    client = glue()
    try:
        return client.get_table(DatabaseName=schema, Name=name)["Table"]  # type: ignore[no-any-return]
    except client.exceptions.EntityNotFoundException:
        return None


class AthenaLake:
    """``on_execute`` hook: apply a statement's effect on Glue and S3 as Athena would."""

    def __init__(self, days: Sequence[str] = ()) -> None:
        self.days = list(days)

    def __call__(self, sql: str) -> None:
        if m := _CTAS.match(sql):
            schema, name, props, body = m[1], m[2], m[3], m[4]
            if "ICEBERG" in props:
                return
            location = re.search(r"external_location = '([^']*)'", props)
            assert location, "the tests give every Hive CTAS an external_location"
            partitioned = "partitioned_by" in props
            hive_table(schema, name, location[1], partitioned=partitioned)
            if partitioned:
                add_partitions(schema, name, location[1], _DAY.findall(body) or self.days)
            else:
                put(location[1] + "part-00000.parquet")
        elif m := _INSERT.match(sql):
            found = table(m[2], m[1])
            if found and found.get("PartitionKeys"):
                location = found["StorageDescriptor"]["Location"]
                add_partitions(m[1], m[2], location, _DAY.findall(m[3]) or self.days)
        elif m := _DROP.match(sql):
            client = glue()
            try:
                client.delete_table(DatabaseName=m[1], Name=m[2])
            except client.exceptions.EntityNotFoundException:
                pass
