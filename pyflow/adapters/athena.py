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
the temporary Glue entry is deleted (metadata only), and only then the objects under the old
table's S3 prefix are deleted. A failure before the target changed drops the temporary table and
its S3 objects and leaves the old table as it was.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from pyflow.adapters.base import RelationType, StatementLog, TableOptions
from pyflow.adapters.trino import TrinoAdapter, literal
from pyflow.errors import AdapterError, PyflowError
from pyflow.relation import Relation

log = logging.getLogger(__name__)

_TABLE_INPUT_KEYS = ("StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
"""What a swap copies from the temporary table's Glue definition to the target's."""


def _split_s3(location: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` -> ``("bucket", "some/prefix/")`` (prefix ends with ``/``)."""
    if not location.startswith(("s3://", "s3a://", "s3n://")):
        raise ValueError(f"not an S3 location: {location!r}")
    bucket, _, prefix = location.split("://", 1)[1].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def _overlaps(a: str | None, b: str | None) -> bool:
    """Whether one S3 location is inside (or equal to) the other."""
    if not a or not b:
        return False
    (bucket_a, prefix_a), (bucket_b, prefix_b) = _split_s3(a), _split_s3(b)
    return bucket_a == bucket_b and (prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a))


def _location(table: dict[str, Any] | None) -> str | None:
    """The S3 location of a Glue ``Table`` (None for views and missing tables)."""
    if table is None:
        return None
    return table.get("StorageDescriptor", {}).get("Location") or None


def _is_hive(options: TableOptions) -> bool:
    return (options.table_type or "hive").lower() != "iceberg"


class AthenaAdapter(TrinoAdapter):
    """Adapter for ``type: athena`` targets."""

    type: ClassVar[str] = "athena"
    dialect: ClassVar[str] = "athena"

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
        return connect(**kwargs, **self._aws_credentials())

    default_num_retries: ClassVar[int] = 5
    max_query_bytes: ClassVar[int] = 262_144
    """Athena's query string limit (UTF-8 bytes)."""

    def query_link(self, query_id: str) -> str:
        """The query's page in the Athena console (logged at DEBUG with each query id)."""
        region = self.config.region_name
        return (
            f"https://{region}.console.aws.amazon.com/athena/home?region={region}"
            f"#/query-editor/history/{query_id}"
        )

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
        if not _is_hive(options) or options.partitioned_by:
            # Iceberg renames; partitioned Hive tables would also need their Glue partitions moved
            return False
        database = target.schema or self.schema
        try:
            glue = self.aws_client("glue")
            tmp_table = self.glue_table(glue, tmp)
            if tmp_table is None:
                raise RuntimeError(f"the new table {database}.{tmp.identifier} is not in the Glue catalog")
            table_input: dict[str, Any] = {"Name": target.identifier}
            table_input.update({k: tmp_table[k] for k in _TABLE_INPUT_KEYS if k in tmp_table})
            new_location = _location(tmp_table)
            old_table = self.glue_table(glue, target) if existing else None
            if old_table is None:
                glue.create_table(DatabaseName=database, TableInput=table_input)
            else:
                glue.update_table(DatabaseName=database, TableInput=table_input)
        except BaseException as exc:
            self.discard_table(tmp, options, beside=target, model=model, record=record)
            if isinstance(exc, Exception) and not isinstance(exc, PyflowError):
                raise self.aws_error(
                    exc, f"swapping {database}.{tmp.identifier} in as {target.identifier}", model
                ) from exc
            raise
        # the target now reads the new data; what follows only cleans up, so it warns, never fails
        try:
            glue.delete_table(DatabaseName=database, Name=tmp.identifier)
        except Exception as exc:  # a stale entry pointing at live data: DROP TABLE keeps Hive data
            log.warning(
                "%s: could not delete the Glue entry %s.%s: %s",
                model or "-",
                database,
                tmp.identifier,
                self.scrub(str(exc)),
            )
        old_location = _location(old_table)
        if old_location is None:
            return True
        try:
            if _overlaps(old_location, new_location):
                log.warning(
                    "%s: not deleting the old data at %s: the new table uses %s",
                    model or "-",
                    old_location,
                    new_location,
                )
            else:
                self.delete_s3_prefix(self.aws_client("s3"), old_location)
        except Exception as exc:
            log.warning(
                "%s: could not delete the old data at %s: %s",
                model or "-",
                old_location,
                self.scrub(str(exc)),
            )
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
        # DROP TABLE of a Hive table keeps its files: find them first, delete them after. Cleanup
        # problems are logged, not raised, so they never hide the error that caused the discard.
        location = kept = None
        try:
            glue = self.aws_client("glue")
            location = _location(self.glue_table(glue, relation))
            if location is None and not options.external_location:
                location = self.data_location(relation, options)  # where a failed CTAS may have written
            kept = _location(self.glue_table(glue, beside)) if beside is not None else None
        except Exception as exc:
            log.warning("%s: could not look up %s in Glue: %s", model or "-", relation, self.scrub(str(exc)))
            location = None
        super().discard_table(relation, options, beside=beside, model=model, record=record)
        if location is None:
            return
        try:
            if _overlaps(location, kept):
                log.warning("%s: not deleting %s: %s uses it", model or "-", location, beside)
                return
            self.delete_s3_prefix(self.aws_client("s3"), location)
        except Exception as exc:
            log.warning(
                "%s: could not delete the temporary data at %s: %s",
                model or "-",
                location,
                self.scrub(str(exc)),
            )

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
