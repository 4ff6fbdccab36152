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
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pyflow.adapters import athenaframe
from pyflow.adapters.athenapoll import cursor_class
from pyflow.adapters.base import Capabilities, Leftover, RelationType, StatementLog, TableOptions
from pyflow.adapters.hivetype import hive_type
from pyflow.adapters.remotequery import AthenaQueries
from pyflow.adapters.s3location import glue_location as _location
from pyflow.adapters.s3location import overlaps as _overlaps
from pyflow.adapters.s3location import split_s3 as _split_s3
from pyflow.adapters.seedbatch import SeedTable, invalid_seed, read_seed
from pyflow.adapters.trino import TrinoAdapter, literal
from pyflow.errors import AdapterError, MaterializationError, PyflowError
from pyflow.relation import Relation

log = logging.getLogger(__name__)

_TABLE_INPUT_KEYS = ("StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
"""What a swap copies from the temporary table's Glue definition to the target's."""


def _is_hive(options: TableOptions) -> bool:
    return not options.is_iceberg


_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _partition_input(partition: dict[str, Any]) -> dict[str, Any]:
    """The PartitionInput that recreates a Glue ``Partition`` (values, storage, parameters)."""
    return {k: partition[k] for k in ("Values", "StorageDescriptor", "Parameters") if k in partition}


def _check_batch(response: dict[str, Any], action: str) -> None:
    """Raise on the per-item errors a Glue batch call reports instead of failing."""
    errors = response.get("Errors") or []
    if errors:
        first = errors[0]
        detail = first.get("ErrorDetail", {})
        raise RuntimeError(
            f"{action} failed for {len(errors)} partition(s), e.g. {first.get('PartitionValues') or first.get('PartitionValueList')}: "
            f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
        )


class AthenaAdapter(AthenaQueries, TrinoAdapter):
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
        return _is_hive(options) and bool(options.partitioned_by)

    # ---- AWS (Glue / S3) -----------------------------------------------------------------
    def aws_client(self, service: str) -> Any:
        """A boto3 client for ``service`` in the profile's region, credentials as ``connect``."""
        try:
            import boto3
        except ImportError:
            raise self.missing_driver("boto3") from None
        session = boto3.session.Session(region_name=self.config.region_name, **self._aws_credentials())
        return session.client(service)

    def _aws_credentials(self) -> dict[str, Any]:
        """Profile and keys from the target (none: the standard AWS credential chain)."""
        cfg = self.config
        out: dict[str, Any] = {}
        if cfg.aws_profile_name:
            out["profile_name"] = cfg.aws_profile_name
        if cfg.aws_access_key_id:
            out["aws_access_key_id"] = cfg.aws_access_key_id
        if cfg.aws_secret_access_key is not None:
            out["aws_secret_access_key"] = cfg.aws_secret_access_key.get_secret_value()
        if cfg.aws_session_token is not None:
            out["aws_session_token"] = cfg.aws_session_token.get_secret_value()
        return out

    def glue_table(self, glue: Any, relation: Relation) -> dict[str, Any] | None:
        """The Glue ``Table`` of ``relation``, None when there is none."""
        try:
            table: dict[str, Any] = glue.get_table(
                DatabaseName=relation.schema or self.schema, Name=relation.identifier
            )["Table"]
        except glue.exceptions.EntityNotFoundException:
            return None
        return table

    def delete_s3_prefix(self, s3: Any, location: str) -> int:
        """Delete every object under ``location`` (a prefix, never a bucket root); the count."""
        bucket, prefix = _split_s3(location)
        if not prefix:
            raise ValueError(f"refusing to delete a whole bucket: {location!r}")
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                response = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                if response.get("Errors"):
                    first = response["Errors"][0]
                    raise RuntimeError(
                        f"could not delete s3://{bucket}/{first.get('Key')}: {first.get('Message')}"
                    )
                deleted += len(chunk)
        return deleted

    def glue_partitions(self, glue: Any, relation: Relation) -> list[dict[str, Any]]:
        """Every Glue ``Partition`` of ``relation``."""
        found: list[dict[str, Any]] = []
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName=relation.schema or self.schema, TableName=relation.identifier
        )
        for page in pages:
            found.extend(page.get("Partitions", []))
        return found

    def repoint_partitions(
        self,
        glue: Any,
        target: Relation,
        new: Sequence[dict[str, Any]],
        *,
        current: Sequence[dict[str, Any]] | None = None,
        started: list[bool] | None = None,
    ) -> list[str]:
        """Point ``target``'s partitions at the data of the ``new`` Glue partitions.

        A partition that exists is updated (now reading its new prefix), a missing one is
        created. Given ``current`` (all of the target's partitions), those that ``new`` lacks
        are deleted: the partitions become exactly ``new``'s; else only the values in ``new``
        are looked up and touched. Each partition switches at once, so readers see its old or
        its new rows, never a mix or nothing. Returns the locations the replaced partitions
        had (for cleanup). ``started`` gets True once the first change was made.
        """
        database = target.schema or self.schema
        table = target.identifier
        replace_all = current is not None
        if current is not None:
            existing = list(current)
        else:
            existing = []
            wanted = [{"Values": p["Values"]} for p in new]
            for chunk in _chunks(wanted, 1000):
                response = glue.batch_get_partition(
                    DatabaseName=database, TableName=table, PartitionsToGet=chunk
                )
                if response.get("UnprocessedKeys"):
                    raise RuntimeError(
                        f"Glue could not read {len(response['UnprocessedKeys'])} partition(s) of {table}"
                    )
                existing.extend(response.get("Partitions", []))
        old = {tuple(p["Values"]): p for p in existing}
        fresh = {tuple(p["Values"]) for p in new}
        updates = [
            {"PartitionValueList": p["Values"], "PartitionInput": _partition_input(p)}
            for p in new
            if tuple(p["Values"]) in old
        ]
        creates = [_partition_input(p) for p in new if tuple(p["Values"]) not in old]
        gone = [{"Values": list(v)} for v in old if v not in fresh] if replace_all else []
        calls = [  # Glue's batch limits: 100 updates or creates, 25 deletes per call
            (glue.batch_update_partition, "Entries", updates, 100, "updating partitions"),
            (glue.batch_create_partition, "PartitionInputList", creates, 100, "creating partitions"),
            (glue.batch_delete_partition, "PartitionsToDelete", gone, 25, "deleting partitions"),
        ]
        for call, key, items, size, action in calls:
            for chunk in _chunks(items, size):
                _check_batch(call(DatabaseName=database, TableName=table, **{key: chunk}), action)
                if started is not None:
                    started[:] = [True]
        return [loc for p in old.values() if (loc := _location(p)) is not None]

    def swap_table(  # noqa: D102
        self,
        tmp: Relation,
        target: Relation,
        existing: RelationType | None,
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> bool:
        if not _is_hive(options):
            return False  # Iceberg tables rename
        database = target.schema or self.schema
        started = [False]
        try:
            glue = self.aws_client("glue")
            tmp_table = self.glue_table(glue, tmp)
            if tmp_table is None:
                raise RuntimeError(f"the new table {database}.{tmp.identifier} is not in the Glue catalog")
            table_input: dict[str, Any] = {"Name": target.identifier}
            table_input.update({k: tmp_table[k] for k in _TABLE_INPUT_KEYS if k in tmp_table})
            new_location = _location(tmp_table)
            new_parts = self.glue_partitions(glue, tmp) if tmp_table.get("PartitionKeys") else []
            old_table = self.glue_table(glue, target) if existing else None
            old_parts = (
                self.glue_partitions(glue, target) if old_table and old_table.get("PartitionKeys") else []
            )
            if old_table is None:
                glue.create_table(DatabaseName=database, TableInput=table_input)
            else:
                # VersionId: a concurrent rebuild of the same table fails here instead of being lost
                version = {"VersionId": old_table["VersionId"]} if old_table.get("VersionId") else {}
                glue.update_table(DatabaseName=database, TableInput=table_input, **version)
            started[:] = [True]
            if new_parts or old_parts:
                self.repoint_partitions(glue, target, new_parts, current=old_parts)
        except BaseException as exc:
            if not started[0]:
                self.discard_table(tmp, options, beside=target, model=model, record=record)
            else:  # the target already reads the new data: keep it, and the temporary entry, which
                # tells the next run to finish this swap (pyflow.adapters.gluerecovery)
                log.warning("%s: %s is kept: the next run finishes the swap", model or "-", tmp.identifier)
            if isinstance(exc, Exception) and not isinstance(exc, PyflowError):
                raise self.aws_error(
                    exc, f"swapping {database}.{tmp.identifier} in as {target.identifier}", model
                ) from exc
            raise
        # the target now reads the new data; what follows only cleans up, so it warns, never fails.
        # The temporary Glue entry goes last: while it exists, the next run finishes this swap
        old = [loc for loc in [_location(old_table), *(_location(p) for p in old_parts)] if loc]
        self._delete_unused(
            old, [loc for loc in [new_location, *(_location(p) for p in new_parts)] if loc], model
        )
        self._drop_glue_entry(glue, tmp, model)
        return True

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

    def _check_partitioning(self, target: Relation, options: TableOptions, model: str | None) -> None:
        """Fail before writing when the table in Glue is not partitioned as ``partitioned_by`` says."""
        try:
            found = self.glue_table(self.aws_client("glue"), target)
        except PyflowError:
            raise
        except Exception as exc:
            raise self.aws_error(exc, f"reading the Glue entry of {target.identifier}", model) from exc
        keys = [k["Name"] for k in (found or {}).get("PartitionKeys", [])]
        if [k.lower() for k in keys] != [p.lower() for p in options.partitioned_by]:
            raise MaterializationError(
                f"insert_overwrite replaces partitions by {', '.join(options.partitioned_by)}, but the table "
                f"{target.schema or self.schema}.{target.identifier} is partitioned by "
                f"{', '.join(keys) if keys else 'nothing'} in Glue; nothing was written",
                model=model,
                hint="rebuild it with the new partitioning: pyflow run --full-refresh --select "
                + (model or "<model>"),
                code="partitioning-changed",
            )

    def _drop_glue_entry(self, glue: Any, relation: Relation, model: str | None) -> None:
        """Delete a temporary table's Glue entry (a Hive table's data stays; warns on failure)."""
        database = relation.schema or self.schema
        try:
            glue.delete_table(DatabaseName=database, Name=relation.identifier)
        except Exception as exc:  # a stale entry pointing at live data: DROP TABLE keeps Hive data
            self._cleanup_failed(model, f"delete the Glue entry {database}.{relation.identifier}", exc)

    def _cleanup_failed(self, model: str | None, action: str, exc: BaseException) -> None:
        """Warn that a cleanup step failed (cleanup never fails a build; credentials scrubbed)."""
        log.warning("%s: could not %s: %s", model or "-", action, self.scrub(str(exc)))

    def _delete_unused(self, old: Sequence[str], new: Sequence[str], model: str | None) -> None:
        """Delete the objects under each ``old`` location that no ``new`` location overlaps (warns on failure)."""
        s3 = None
        done: list[str] = []
        for location in sorted(dict.fromkeys(old), key=len):  # a table's prefix before its partitions'
            if any(_overlaps(location, d) for d in done):
                continue  # inside a prefix already deleted
            try:
                inside = [n for n in new if _overlaps(location, n)]
                if inside:
                    log.warning(
                        "%s: not deleting the old data at %s: the new table uses %s",
                        model or "-",
                        location,
                        inside[0],
                    )
                    continue
                s3 = s3 or self.aws_client("s3")
                self.delete_s3_prefix(s3, location)
                done.append(location)
            except Exception as exc:
                self._cleanup_failed(model, f"delete the old data at {location}", exc)

    def replace_partitions(  # noqa: D102
        self,
        target: Relation,
        staging: Relation,
        columns: Sequence[str],
        batches: Sequence[str | None],
        options: TableOptions,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> bool:
        # Hive: the batch goes to a new table at a fresh prefix (CTAS, then INSERTs within the
        # partition limit), whose partitions then replace the target's in Glue; old prefixes go last
        if not _is_hive(options):
            return False
        if options.partitioned_by:
            self._check_partitioning(target, options, model)
        q = self.quote
        given = {c.lower() for c in columns}
        target_columns = self.get_columns(target)  # partition columns last, as Hive stores them
        items = [
            q(c.name) if c.name.lower() in given else f"CAST(NULL AS {c.data_type}) AS {q(c.name)}"
            for c in target_columns
        ]
        names = [c.name for c in target_columns]
        select = f"SELECT {', '.join(items)} FROM {self.render(staging)}"
        tmp = self.temp_relation(target, "overwrite")
        tmp_options = dataclasses.replace(options, external_location=None)  # never the target's own prefix
        try:
            for statement in self.create_in_batches_sql(tmp, select, names, batches, tmp_options):
                self.execute(statement, model=model, record=record)
        except BaseException:
            self.discard_table(tmp, tmp_options, beside=target, model=model, record=record)
            raise
        if not options.partitioned_by:  # the batch replaces every row: a rebuild
            return self.swap_table(tmp, target, "table", tmp_options, model=model, record=record)
        started = [False]
        try:
            glue = self.aws_client("glue")
            new_parts = self.glue_partitions(glue, tmp)
            old = self.repoint_partitions(glue, target, new_parts, started=started)
        except BaseException as exc:
            if started[0]:  # some partitions already read the new data: keep it, and the temporary
                # entry, which tells the next run to finish repointing (pyflow.adapters.gluerecovery)
                log.warning("%s: %s is kept: the next run finishes the swap", model or "-", tmp.identifier)
            else:
                self.discard_table(tmp, tmp_options, beside=target, model=model, record=record)
            if isinstance(exc, Exception) and not isinstance(exc, PyflowError):
                raise self.aws_error(exc, f"replacing partitions of {target.identifier}", model) from exc
            raise
        self._drop_glue_entry(glue, tmp, model)
        self._delete_unused(old, [loc for p in new_parts if (loc := _location(p))], model)
        return True

    def discard_table(  # noqa: D102
        self,
        relation: Relation,
        options: TableOptions,
        *,
        beside: Relation | None = None,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> None:
        if not _is_hive(options):  # DROP TABLE of an Iceberg table deletes its data too
            super().discard_table(relation, options, beside=beside, model=model, record=record)
            return
        # DROP TABLE of a Hive table keeps its files: find them, delete them, then drop the Glue
        # entry (last: while it exists, a run killed in between is recovered by the next one).
        # Cleanup problems are logged, not raised, so they never hide the error that caused the discard.
        location = kept = None
        try:
            glue = self.aws_client("glue")
            location = _location(self.glue_table(glue, relation))
            if location is None and not options.external_location:
                location = self.data_location(relation, options)  # where a failed CTAS may have written
            kept = _location(self.glue_table(glue, beside)) if beside is not None else None
        except Exception as exc:
            self._cleanup_failed(model, f"look up {relation} in Glue", exc)
            location = None
        try:
            if location is not None and _overlaps(location, kept):
                log.warning("%s: not deleting %s: %s uses it", model or "-", location, beside)
            elif location is not None:
                self.delete_s3_prefix(self.aws_client("s3"), location)
        except Exception as exc:
            self._cleanup_failed(model, f"delete the temporary data at {location}", exc)
        super().discard_table(relation, options, beside=beside, model=model, record=record)

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

    def aws_error(self, exc: Exception, action: str, model: str | None) -> AdapterError:
        """An AdapterError for a failed Glue / S3 call (credentials scrubbed)."""
        return AdapterError(
            f"athena error while {action}: {self.scrub(str(exc)) or type(exc).__name__}",
            model=model,
            hint="check the IAM permissions listed in docs/deploying-athena.md (Glue and S3)",
            code="database-error",
        )

    # ---- tables --------------------------------------------------------------------------
    def data_location(self, relation: Relation, options: TableOptions | None) -> str | None:
        """Where a new table's files go: ``external_location``, else ``s3_data_dir`` + naming."""
        if options is not None and options.external_location:
            return options.external_location
        base = self.config.s3_data_dir
        if not base:
            return None  # Athena then uses the workgroup's / staging dir's default location
        schema = relation.schema or self.schema
        unique = self.unique_suffix(relation)
        parts = {
            "unique": [unique],
            "table": [relation.identifier],
            "table_unique": [relation.identifier, unique],
            "schema_table": [schema, relation.identifier],
            "schema_table_unique": [schema, relation.identifier, unique],
        }[self.config.s3_data_naming]
        return "/".join([base.rstrip("/"), *parts]) + "/"

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
