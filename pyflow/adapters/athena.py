"""Amazon Athena: Trino's SQL over S3 and the Glue data catalog. Lists only its differences.

Differences from :class:`~pyflow.adapters.trino.TrinoAdapter`: the ``pyathena`` driver (imported
when a connection opens; AWS credentials from the standard chain, ``aws_profile_name`` or the
profile's keys), the ``athena`` dialect, ``CREATE TABLE ... WITH (...)`` properties built from
the model's table options, S3 locations from ``s3_data_dir`` + ``s3_data_naming``, and Hive DDL
(``DROP TABLE``, ``ALTER TABLE ... RENAME``, ``CREATE SCHEMA``) written with backticks and
without the catalog, as Athena requires.

Table swaps: ``ALTER TABLE ... RENAME TO`` works on Athena only for Iceberg tables, so an
unpartitioned Hive table (the default ``table_type``) is swapped through the Glue Data Catalog
(:meth:`AthenaAdapter.swap_table`): the new table is built by CTAS under a per-run temporary name
at a fresh S3 location, then the target's Glue entry is created from (first build) or updated to
(rebuild: a new Glue table version, no window without a table) the temporary table's definition,
then the objects under the old table's S3 prefix are deleted, and last the temporary Glue entry
(metadata only): while it exists the next run can finish an interrupted swap
(:mod:`pyflow.adapters.gluerecovery`). A failure before the target changed drops the temporary
table and its S3 objects and leaves the old table as it was.

The adapter's parts: AWS credentials, Glue entries, S3 objects and table locations
(:mod:`~pyflow.adapters.athenaglue`), Hive table swaps and partition overwrites through Glue
(:mod:`~pyflow.adapters.athenaswap`), frames as Parquet (:mod:`~pyflow.adapters.athenaframe`),
query polling (:mod:`~pyflow.adapters.athenapoll`); this module keeps the settings, the SQL and seeds.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pyflow.adapters import athenaframe
from pyflow.adapters.athenaglue import AthenaGlue
from pyflow.adapters.athenapoll import cursor_class
from pyflow.adapters.athenaswap import AthenaSwap, is_hive
from pyflow.adapters.base import Capabilities, Leftover, RelationType, StatementLog, TableOptions
from pyflow.adapters.hivetype import hive_type
from pyflow.adapters.remotequery import AthenaQueries
from pyflow.adapters.s3location import split_s3 as _split_s3
from pyflow.adapters.seedbatch import SeedTable, invalid_seed, read_seed
from pyflow.adapters.trino import TrinoAdapter, literal
from pyflow.errors import PyflowError
from pyflow.relation import Relation

__all__ = ["AthenaAdapter", "hive_type"]  # hive_type (from hivetype.py) is still imported from here

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class AthenaAdapter(AthenaQueries, AthenaSwap, AthenaGlue, TrinoAdapter):
    """Adapter for ``type: athena`` targets."""

    type: ClassVar[str] = "athena"
    dialect: ClassVar[str] = "athena"
    asks_connector: ClassVar[bool] = False  # no system.metadata; what a table supports follows table_type
    # no COMMENT ON and no GRANT: Athena's permissions are Lake Formation's, its comments Glue's
    capabilities: ClassVar[Capabilities] = dataclasses.replace(
        TrinoAdapter.capabilities, comments=False, grants=False, constraints=frozenset()
    )
    drains_results: ClassVar[bool] = False  # pyathena's execute returns once the query finished

    def connect(self) -> Any:
        """A new DB-API connection through ``pyathena``."""
        try:
            from pyathena import connect
        except ImportError:
            raise self.missing_driver("pyathena") from None
        cfg = self.config
        kwargs: dict[str, Any] = {
            "s3_staging_dir": cfg.s3_staging_dir,
            "region_name": cfg.region_name,
            "schema_name": cfg.schema_,
            "catalog_name": cfg.database,
        }
        if cfg.work_group:
            kwargs["work_group"] = cfg.work_group
        kwargs["cursor_class"] = cursor_class(cfg.poll_interval)
        return connect(**kwargs, **self._aws_credentials())

    default_partition_limit: ClassVar[int] = 100
    """Athena's limit of partitions one CTAS or INSERT may write (``partition_batch_size`` overrides)."""

    default_num_retries: ClassVar[int] = 5
    max_query_bytes: ClassVar[int] = 262_144
    """Athena's query string limit (UTF-8 bytes)."""

    # ---- Hive DDL ------------------------------------------------------------------------
    def hive_name(self, relation: Relation) -> str:
        """```schema`.`table``` as Athena's Hive DDL wants it (no catalog)."""
        return ".".join(f"`{p}`" for p in (relation.schema or self.schema, relation.identifier))

    def create_schema_sql(self, database: str | None, schema: str) -> str:  # noqa: D102
        return f"CREATE SCHEMA IF NOT EXISTS `{schema}`"

    def drop_relation_sql(self, relation: Relation, kind: RelationType) -> str:  # noqa: D102
        if kind == "view":
            return super().drop_relation_sql(relation, kind)
        return f"DROP TABLE IF EXISTS {self.hive_name(relation)}"

    def rename_relation_sql(self, relation: Relation, new_identifier: str, kind: RelationType) -> str:  # noqa: D102
        if kind == "view":
            return super().rename_relation_sql(relation, new_identifier, kind)
        return f"ALTER TABLE {self.hive_name(relation)} RENAME TO {self.hive_name(relation.with_identifier(new_identifier))}"

    def add_column_sql(self, target: Relation, column: str, data_type: str) -> str:  # noqa: D102
        return f"ALTER TABLE {self.hive_name(target)} ADD COLUMNS (`{column}` {hive_type(data_type)})"

    def drop_column_sql(self, target: Relation, column: str) -> str:  # noqa: D102
        return f"ALTER TABLE {self.hive_name(target)} DROP COLUMN `{column}`"

    def alter_column_type_sql(self, target: Relation, column: str, data_type: str) -> str:  # noqa: D102
        return (
            f"ALTER TABLE {self.hive_name(target)} CHANGE COLUMN `{column}` `{column}` {hive_type(data_type)}"
        )

    # ---- what Hive and Iceberg tables support ------------------------------------------------
    def incremental_strategies(self, options: TableOptions) -> tuple[str, ...]:
        """Iceberg: all four (MERGE). Hive: append and insert_overwrite.

        Hive tables have no row-level writes; their insert_overwrite writes new prefixes, then
        repoints the Glue partitions (:meth:`replace_partitions`).
        """
        if options.is_iceberg:
            return super().incremental_strategies(options)
        return ("append", "insert_overwrite")

    def can_drop_columns(self, options: TableOptions) -> bool:
        """Only Iceberg tables: Athena cannot drop a Hive table's column."""
        return options.is_iceberg

    def storage_name(self, options: TableOptions) -> str:  # noqa: D102
        return "Iceberg tables" if options.is_iceberg else "Hive tables"

    def partition_limit(self, options: TableOptions) -> int | None:
        """``partition_batch_size`` (default 100) for tables partitioned by plain columns.

        Iceberg transforms (``day(ts)``) cannot be listed up front, so they are not batched.
        """
        if not options.partitioned_by or not all(_COLUMN.match(p) for p in options.partitioned_by):
            return None
        return options.partition_batch_size or self.default_partition_limit

    def partitions_last(self, options: TableOptions) -> bool:
        """Hive tables store partition columns after the others."""
        return is_hive(options) and bool(options.partitioned_by)

    # ---- swaps an interrupted run left -------------------------------------------------
    def recover_swap(  # noqa: D102
        self,
        target: Relation,
        leftovers: Sequence[Leftover],
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> tuple[list[str], list[Leftover]]:
        from pyflow.adapters.gluerecovery import finish_glue_swaps  # Hive swaps through Glue

        return finish_glue_swaps(self, target, leftovers, model=model)

    # ---- seeds -------------------------------------------------------------------------
    def upload_seed(  # noqa: D102
        self,
        relation: Relation,
        path: Path,
        column_types: dict[str, str],
        delimiter: str,
        options: TableOptions | None = None,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> int | None:
        # a plain Hive Parquet table at a known location: one Parquet file, one Glue entry, no query
        opts = options or TableOptions()
        location = self.data_location(relation, opts)
        if (
            location is None
            or opts.is_iceberg
            or opts.partitioned_by
            or opts.bucketed_by
            or (opts.format or "parquet").lower() != "parquet"
        ):
            return None  # INSERT batches (seed_statements)
        import io

        import pyarrow.parquet as pq

        table = read_seed(path, column_types, delimiter)
        arrow = self._seed_arrow(table, path)
        buffer = io.BytesIO()
        compression = (opts.write_compression or "snappy").lower()
        # INT96 timestamps: what Athena's Hive Parquet reader reads as TIMESTAMP
        pq.write_table(arrow, buffer, compression=compression, use_deprecated_int96_timestamps=True)
        bucket, prefix = _split_s3(location)
        key = f"{prefix}{relation.identifier}.parquet"
        database = relation.schema or self.schema
        columns = [
            {"Name": n, "Type": hive_type(t)} for n, t in zip(arrow.column_names, table.types, strict=True)
        ]
        table_input = {
            "Name": relation.identifier,
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
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                    "Parameters": {"serialization.format": "1"},
                },
            },
        }
        try:
            self.aws_client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
            self.aws_client("glue").create_table(DatabaseName=database, TableInput=table_input)
        except PyflowError:
            raise
        except Exception as exc:
            raise self.aws_error(exc, f"uploading the seed {path.name}", model) from exc
        if record is not None:
            record.statements.append(
                f"-- {path.name}: {arrow.num_rows} rows written as Parquet to s3://{bucket}/{key}, "
                f"registered as {database}.{relation.identifier} in Glue"
            )
        return int(arrow.num_rows)

    @staticmethod
    def _seed_arrow(table: SeedTable, path: Path) -> Any:
        """The CSV's columns as an Arrow table of their SQL types (names lowercased, as Athena's)."""
        import pyarrow as pa
        from ibis.backends.sql.datatypes import AthenaType

        arrays = []
        for i, (name, data_type) in enumerate(zip(table.columns, table.types, strict=True)):
            values = [row[i] for row in table.rows]
            if data_type.upper() == "BOOLEAN":
                values = [v.lower() if v is not None else None for v in values]
            try:
                arrow_type = AthenaType.from_string(data_type).to_pyarrow()
                arrays.append(pa.array(values, pa.string()).cast(arrow_type))
            except Exception as exc:
                raise invalid_seed(
                    path,
                    f"the column {name} of the seed {path.name} cannot be read as {data_type}: {exc}",
                    hint="fix the values, or set this column's type in the seed's column_types",
                ) from None
        return pa.table(arrays, names=[c.lower() for c in table.columns])

    # ---- tables --------------------------------------------------------------------------
    def table_properties(self, relation: Relation, options: TableOptions | None) -> list[str]:
        """The ``WITH (...)`` items of a CTAS."""
        opts = options or TableOptions()
        location = self.data_location(relation, opts)
        iceberg = (opts.table_type or "hive").lower() == "iceberg"
        props: list[str] = []
        if iceberg:
            props.append("table_type = 'ICEBERG'")
            props.append("is_external = false")
            if location:
                props.append(f"location = {literal(location)}")
        elif location:
            props.append(f"external_location = {literal(location)}")
        props.append(f"format = {literal((opts.format or 'parquet').upper())}")
        if opts.write_compression:
            props.append(f"write_compression = {literal(opts.write_compression.upper())}")
        if opts.partitioned_by:
            key = "partitioning" if iceberg else "partitioned_by"
            props.append(f"{key} = ARRAY[{', '.join(literal(c) for c in opts.partitioned_by)}]")
        if opts.bucketed_by:
            props.append(f"bucketed_by = ARRAY[{', '.join(literal(c) for c in opts.bucketed_by)}]")
            props.append(f"bucket_count = {int(opts.bucket_count or 1)}")
        return props

    create_table_from_dataframe = athenaframe.create_table_from_dataframe  # Parquet + Glue

    def create_table_as_sql(  # noqa: D102
        self, relation: Relation, select: str, options: TableOptions | None = None
    ) -> str:
        props = ",\n  ".join(self.table_properties(relation, options))
        return f"CREATE TABLE {self.render(relation)}\nWITH (\n  {props}\n) AS\n{select}"

    def type_to_ibis(self, data_type: str) -> str:  # noqa: D102
        from ibis.backends.sql.datatypes import AthenaType

        return str(AthenaType.from_string(data_type))

    def ibis_to_type(self, ibis_type: str) -> str:  # noqa: D102
        import ibis
        from ibis.backends.sql.datatypes import AthenaType

        return str(AthenaType.to_string(ibis.dtype(ibis_type)))
