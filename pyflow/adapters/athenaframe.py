"""DataFrame models (and other frames) on Athena: Parquet written to S3, the table registered in Glue.

A plain Hive Parquet table (Athena's default) at a known location (``s3_data_dir`` or the model's
``external_location``) is created with no query at all: the frame becomes one Parquet file under
the new table's own location and one Glue entry. The table materializer creates it under a
per-run temporary name, whose location is a fresh prefix, then swaps it in through Glue
(:meth:`~pyflow.adapters.athena.AthenaAdapter.swap_table`), so readers see the old table or the
new one; a failure before the swap deletes the new files and leaves the old table.

Other tables (Iceberg, partitioned, bucketed, another ``format``) are created by one CTAS reading
such a Parquet table written under a staging name, which is dropped with its files afterwards.
Without a known location (no ``s3_data_dir``) the frame loads as on Trino: ``INSERT ... VALUES``
batches.

Types follow the frame's Arrow schema as Athena's Hive DDL spells them (``bigint``,
``decimal(p,s)``, ``date``, ``timestamp``, ``string``, ``boolean``, ``array<...>``,
``struct<...>``). Hive tables have no zoned timestamp: a timestamp with a time zone is stored as
its UTC time. Column names are lowercased, as Glue stores them. A column of NULLs only is a
``string``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from pyflow.adapters.base import StatementLog, TableOptions
from pyflow.adapters.hivetype import hive_type
from pyflow.adapters.s3location import split_s3
from pyflow.adapters.trino import TrinoAdapter
from pyflow.errors import AdapterError, PyflowError
from pyflow.relation import Relation

if TYPE_CHECKING:
    from pyflow.adapters.athena import AthenaAdapter

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def as_athena_arrow(frame: Any) -> Any:
    """The frame as a pyarrow Table Athena's Hive tables read back unchanged.

    Lowercase names, zoned timestamps as their UTC time, NULL-only columns as strings.
    """
    import pyarrow as pa

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            column = column.cast(pa.timestamp(kind.unit))  # the stored value is already UTC
        elif pa.types.is_null(kind):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=[str(n).lower() for n in table.column_names])


def glue_columns(arrow: Any) -> list[dict[str, str]]:
    """Glue ``Columns`` (Hive type names) of an Arrow table's schema."""
    import ibis
    from ibis.backends.sql.datatypes import AthenaType

    schema = ibis.Schema.from_pyarrow(arrow.schema)
    # Glue spells decimal(10,2) without a space
    return [
        {"Name": n, "Type": hive_type(AthenaType.to_string(t)).replace(", ", ",")} for n, t in schema.items()
    ]


def parquet_table_input(
    name: str, columns: list[dict[str, str]], location: str, compression: str
) -> dict[str, Any]:
    """The Glue ``TableInput`` of an external Hive table of Parquet files at ``location``."""
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "classification": "parquet",
            "parquet.compression": compression.upper(),
        },
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        },
    }


def is_plain_parquet(options: TableOptions) -> bool:
    """A Hive Parquet table with no partitions or buckets: what one Parquet file and a Glue entry make."""
    return not (
        options.is_iceberg
        or options.partitioned_by
        or options.bucketed_by
        or (options.format or "parquet").lower() != "parquet"
    )


def write_parquet_table(
    adapter: AthenaAdapter,
    relation: Relation,
    arrow: Any,
    location: str,
    compression: str,
    record: StatementLog | None,
) -> None:
    """Put ``arrow`` as one Parquet file under ``location`` and register ``relation`` there in Glue."""
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    # INT96 timestamps: what Athena's Hive Parquet reader reads as TIMESTAMP
    pq.write_table(arrow, buffer, compression=compression, use_deprecated_int96_timestamps=True)
    bucket, prefix = split_s3(location)
    key = f"{prefix}{relation.identifier}.parquet"
    database = relation.schema or adapter.schema
    table_input = parquet_table_input(relation.identifier, glue_columns(arrow), location, compression)
    try:
        adapter.aws_client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
        adapter.aws_client("glue").create_table(DatabaseName=database, TableInput=table_input)
    except PyflowError:
        raise
    except Exception as exc:
        raise adapter.aws_error(exc, f"writing the frame of {relation.identifier} to S3", None) from exc
    if record is not None:
        record.statements.append(
            f"-- {arrow.num_rows} rows written as Parquet to s3://{bucket}/{key}, "
            f"registered as {database}.{relation.identifier} in Glue"
        )


def _check_empty(adapter: AthenaAdapter, location: str) -> None:
    """Refuse to add a table's files to a prefix holding files (Athena's CTAS refuses it too)."""
    bucket, prefix = split_s3(location)
    try:
        found = adapter.aws_client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except Exception as exc:
        raise adapter.aws_error(exc, f"listing {location}", None) from exc
    if found.get("KeyCount", 0):
        raise AdapterError(
            f"the external_location {location} already holds files: the frame's table would read "
            "them as well as its own",
            hint="drop `external_location` (each build then writes to a fresh prefix under "
            "s3_data_dir and is swapped in), or empty that prefix first",
            code="unsupported",
        )


def create_table_from_dataframe(
    adapter: AthenaAdapter,
    relation: Relation,
    frame: Any,
    *,
    record: StatementLog | None = None,
    options: TableOptions | None = None,
) -> int:
    """Create ``relation`` holding ``frame`` (see the module docstring); its row count."""
    opts = options or TableOptions()
    plain = is_plain_parquet(opts)
    location = (
        adapter.data_location(relation, opts) if plain else adapter.data_location(relation, TableOptions())
    )
    if location is None:  # Athena would choose the location: load by INSERT batches instead
        return TrinoAdapter.create_table_from_dataframe(adapter, relation, frame, record=record, options=opts)
    arrow = as_athena_arrow(frame)
    compression = (opts.write_compression or "snappy").lower()
    if plain:
        if opts.external_location:
            _check_empty(adapter, location)
        write_parquet_table(adapter, relation, arrow, location, compression, record)
        return int(arrow.num_rows)
    stage = adapter.temp_relation(relation, "frame")
    staging = TableOptions()
    stage_location = adapter.data_location(stage, staging)
    assert stage_location is not None  # s3_data_dir is set: data_location above was not None
    try:
        write_parquet_table(adapter, stage, arrow, stage_location, "snappy", record)
        names = list(arrow.column_names)
        if adapter.partitions_last(opts):  # Hive stores partition columns last: select them last
            keys = [c.lower() for c in opts.partitioned_by or ()]
            names = [n for n in names if n not in keys] + [n for n in keys if n in names]
        select = f"SELECT {adapter.column_list(names)}\nFROM {adapter.render(stage)}"
        adapter.execute(adapter.create_table_as_sql(relation, select, opts), record=record)
    finally:
        adapter.discard_table(stage, staging, beside=relation, record=record)
    return int(arrow.num_rows)
