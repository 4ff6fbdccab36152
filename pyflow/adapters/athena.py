"""Amazon Athena: Trino's SQL over S3 and the Glue data catalog. Lists only its differences.

Differences from :class:`~pyflow.adapters.trino.TrinoAdapter`: the ``pyathena`` driver (imported
when a connection opens; AWS credentials from the standard chain, ``aws_profile_name`` or the
profile's keys), the ``athena`` dialect, ``CREATE TABLE ... WITH (...)`` properties built from
the model's table options, S3 locations from ``s3_data_dir`` + ``s3_data_naming``, and Hive DDL
(``DROP TABLE``, ``ALTER TABLE ... RENAME``, ``CREATE SCHEMA``) written with backticks and
without the catalog, as Athena requires.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyflow.adapters.base import RelationType, TableOptions
from pyflow.adapters.trino import TrinoAdapter, literal
from pyflow.relation import Relation


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
        if cfg.aws_profile_name:
            kwargs["profile_name"] = cfg.aws_profile_name
        if cfg.aws_access_key_id:
            kwargs["aws_access_key_id"] = cfg.aws_access_key_id
        if cfg.aws_secret_access_key is not None:
            kwargs["aws_secret_access_key"] = cfg.aws_secret_access_key.get_secret_value()
        if cfg.aws_session_token is not None:
            kwargs["aws_session_token"] = cfg.aws_session_token.get_secret_value()
        return connect(**kwargs)

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
