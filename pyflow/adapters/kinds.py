"""The value types of the engine interface: relation kinds, capabilities, table options, columns.

Plain frozen data shared by adapters, materializers and the runner (re-exported by
:mod:`pyflow.adapters.base`, where :class:`~pyflow.adapters.base.Adapter` uses them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pyflow.relation import Relation

RelationType = Literal["table", "view"]


@dataclass(frozen=True)
class Leftover:
    """A temporary relation named after a target: ``<target>__pyflow_<role>_<run>``."""

    relation: Relation
    role: str
    """``tmp`` (a new table not swapped in), ``old`` (the table swapped out), or a working table."""
    kind: RelationType


def leftover_types(rows: Sequence[tuple[Any, ...]]) -> dict[str, RelationType]:
    """``(table_name, table_type)`` catalog rows -> name -> type, keeping names with ``__pyflow_``."""
    return {
        str(name): "view" if str(kind).upper() == "VIEW" else "table"
        for name, kind in rows
        if "__pyflow_" in str(name)
    }


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; materializers branch on these, never on the engine name."""

    transactions: bool = False
    """DDL and DML can run inside one BEGIN/COMMIT and roll back together."""
    rename_table: bool = False
    """``ALTER TABLE ... RENAME TO`` exists (used to swap a freshly built table in)."""
    replace_view: bool = True
    """``CREATE OR REPLACE VIEW`` exists."""
    merge: bool = False
    """``MERGE INTO`` exists."""
    file_sources: bool = False
    """Sources may point at local files (Parquet/CSV/JSON path or glob)."""
    ibis_backend: bool = False
    """An Ibis backend can be bound to the open connection (for DataFrame models)."""
    temp_tables: bool = False
    """Session-local temporary tables exist (scratch tables then never touch storage)."""
    csv_scan: bool = False
    """A SELECT can read a local CSV file (:meth:`Adapter.csv_scan_sql`), so a seed can be
    reloaded in place by ``INSERT ... SELECT``; otherwise seeds load by
    :meth:`Adapter.seed_statements` only."""
    asof_join: bool = False
    """``ASOF JOIN`` exists (Ibis ``asof_join`` compiles to it; elsewhere it is a compile error)."""
    comments: bool = False
    """``COMMENT ON TABLE/VIEW/COLUMN`` exists (``persist_docs``; :mod:`pyflow.adapters.annotation`)."""
    grants: bool = False
    """``GRANT privilege ON table TO grantee`` exists, on some connectors at least (``grants``)."""
    constraints: frozenset[str] = frozenset()
    """dbt constraint types enforced in ``CREATE TABLE`` (:mod:`pyflow.adapters.constraint`)."""
    unnest_struct_arrays: bool = False
    """Ibis's SQL for unnesting an array of structs runs (``pivot_longer`` too; ibis#9998)."""


def _names(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


@dataclass(frozen=True)
class TableOptions:
    """How a table is stored (format, location, partitions), for engines where it matters.

    Built from a model's config; engines that have no use for an option ignore it.
    """

    table_type: str | None = None
    format: str | None = None
    write_compression: str | None = None
    external_location: str | None = None
    partitioned_by: tuple[str, ...] = ()
    bucketed_by: tuple[str, ...] = ()
    bucket_count: int | None = None
    partition_batch_size: int | None = None
    """The most partitions one statement may write (None: the engine's default limit)."""

    @classmethod
    def from_config(cls, config: Any) -> TableOptions:
        """The options a node config sets (missing attributes count as unset)."""
        return cls(
            table_type=getattr(config, "table_type", None),
            format=getattr(config, "format", None),
            write_compression=getattr(config, "write_compression", None),
            external_location=getattr(config, "external_location", None),
            partitioned_by=_names(getattr(config, "partitioned_by", None)),
            bucketed_by=_names(getattr(config, "bucketed_by", None)),
            bucket_count=getattr(config, "bucket_count", None),
            partition_batch_size=getattr(config, "partition_batch_size", None),
        )

    @property
    def is_iceberg(self) -> bool:
        """``table_type: iceberg`` (else a plain table: Hive on Athena and Trino's Hive connector)."""
        return (self.table_type or "hive").lower() == "iceberg"


@dataclass(frozen=True)
class Column:
    """A column of a relation as the engine reports it."""

    name: str
    data_type: str
