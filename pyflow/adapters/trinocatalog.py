"""The Trino catalog: what it holds (``information_schema``) and what its connector supports.

:class:`TrinoCatalog`, a mixin of :class:`~pyflow.adapters.trino.TrinoAdapter`, answers the
catalog questions of the adapter interface (does a relation or schema exist, its columns, the
leftovers of interrupted runs, a query's columns) from ``information_schema`` of the target
catalog; while the adapter is offline it answers "nothing exists", without a connection. It also
owns :class:`ConnectorSupport`, the table of what each connector's tables support
(:data:`CONNECTORS`), and the adapter answers that follow from it (incremental strategies,
dropping columns, changing column types, partition column order).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from pyflow.adapters.base import Adapter, Column, RelationType, TableOptions, leftover_types
from pyflow.adapters.typechange import TypeChanges, can_change_type
from pyflow.errors import PyflowError
from pyflow.relation import Relation

log = logging.getLogger(__name__)


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class ConnectorSupport:
    """What the tables of one Trino connector support: the adapter's answers depend on it."""

    strategies: tuple[str, ...]
    """The incremental strategies (``merge`` and the one-MERGE ``delete+insert`` need row-level writes)."""
    drop_columns: bool = True
    """``ALTER TABLE ... DROP COLUMN`` works (``on_schema_change: sync_all_columns``)."""
    partition_property: str | None = None
    """The CREATE TABLE property that takes ``partitioned_by`` (None: the connector has no partitions)."""
    partitions_last: bool = False
    """Partition columns must come last in a new table's SELECT."""
    max_timestamp_precision: int | None = None
    """The most fractional second digits a stored TIMESTAMP may have (None: Trino's 12). The Hive
    connector stores milliseconds unless the catalog sets ``hive.timestamp-precision``."""
    overwrite_session: str | None = None
    """A catalog session property whose value ``OVERWRITE`` makes INSERT replace the partitions it
    writes: ``insert_overwrite`` of a partitioned table is then one INSERT (no row-level writes)."""
    type_changes: TypeChanges = "any"
    """Which column type changes ``ALTER COLUMN ... SET DATA TYPE`` can make (:mod:`~pyflow.adapters.typechange`)."""


ALL_STRATEGIES = ("append", "merge", "delete+insert", "insert_overwrite")

CONNECTORS: dict[str, ConnectorSupport] = {
    "iceberg": ConnectorSupport(ALL_STRATEGIES, partition_property="partitioning", type_changes="iceberg"),
    "delta_lake": ConnectorSupport(ALL_STRATEGIES, partition_property="partitioned_by"),
    "hive": ConnectorSupport(
        ("append", "insert_overwrite"),
        partition_property="partitioned_by",
        partitions_last=True,
        max_timestamp_precision=3,
        overwrite_session="insert_existing_partitions_behavior",
        type_changes="none",
    ),
    "memory": ConnectorSupport(("append",), drop_columns=False, type_changes="none"),
}
"""Per connector (``connector_name`` of ``system.metadata.catalogs``): what its tables support.
Trino 476: ``memory`` has no DELETE/UPDATE/MERGE nor DROP COLUMN; ``hive`` (non-transactional
tables) has no MERGE and deletes whole partitions only; ``iceberg`` and ``delta_lake`` have all.
Column types: ``hive`` and ``memory`` change none, ``iceberg`` only by Iceberg's type promotions."""

UNKNOWN_CONNECTOR = ConnectorSupport(ALL_STRATEGIES)
"""Any other connector, or one not known yet (offline, no ``connector`` in the target): every
strategy is attempted and the engine's own error reports what its tables cannot do."""


class TrinoCatalog(Adapter):
    """Catalog questions and connector support of a Trino-like adapter."""

    asks_connector: ClassVar[bool]
    _online: bool
    _connector: str | None

    # ---- catalog -------------------------------------------------------------------------
    def _catalog_rows(self, sql: str) -> list[tuple[Any, ...]] | None:
        """Rows of a catalog query, or None while offline (no connection asked for yet)."""
        if not self._online:
            log.debug("%s offline; not asked: %s", self.type, sql)
            return None
        return self.fetchall(sql)

    def _where(self, relation: Relation) -> str:
        return (
            f"table_schema = {literal(relation.schema or self.schema)} "
            f"AND table_name = {literal(relation.identifier)}"
        )

    def _information_schema(self, database: str | None) -> str:
        return f"{self.quote(database or self.database)}.information_schema"

    def relation_type(self, relation: Relation) -> RelationType | None:  # noqa: D102
        rows = self._catalog_rows(
            f"SELECT table_type FROM {self._information_schema(relation.database)}.tables WHERE {self._where(relation)}"
        )
        if not rows:
            return None
        return "view" if str(rows[0][0]).upper() == "VIEW" else "table"

    def schema_exists(self, database: str | None, schema: str) -> bool:  # noqa: D102
        rows = self._catalog_rows(
            f"SELECT schema_name FROM {self._information_schema(database)}.schemata "
            f"WHERE schema_name = {literal(schema)}"
        )
        return bool(rows)

    def leftover_relations(self, database: str | None, schema: str) -> dict[str, RelationType]:  # noqa: D102
        rows = self._catalog_rows(
            f"SELECT table_name, table_type FROM {self._information_schema(database)}.tables "
            f"WHERE table_schema = {literal(schema)} AND table_name LIKE '%pyflow%'"
        )
        return leftover_types(rows or ())

    def get_columns(self, relation: Relation) -> list[Column]:  # noqa: D102
        rows = self._catalog_rows(
            f"SELECT column_name, data_type FROM {self._information_schema(relation.database)}.columns "
            f"WHERE {self._where(relation)} ORDER BY ordinal_position"
        )
        return [Column(str(r[0]), str(r[1])) for r in rows or ()]

    def describe_query(self, sql: str) -> list[Column]:
        """Column names and types from the cursor metadata of ``SELECT * FROM (<sql>) LIMIT 0``."""
        query = f"SELECT * FROM (\n{sql}\n) AS pyflow_describe LIMIT 0"
        try:
            cur = self._send(query, None)
            cur.fetchall()
            description = cur.description or ()
        except PyflowError:
            raise
        except Exception as exc:
            raise self.wrap_error(exc, query, None) from exc
        return [Column(str(d[0]), str(d[1])) for d in description]

    # ---- what the catalog's connector supports ------------------------------------------------
    def connector_support(self) -> ConnectorSupport:
        """What tables of the target catalog support (:data:`CONNECTORS`, by its connector).

        The target's ``connector`` when declared (checked offline, by ``pyflow compile``); else,
        once online, the catalog's ``connector_name`` asked once; else :data:`UNKNOWN_CONNECTOR`.
        """
        if self._connector is None and self.asks_connector and self._online:
            try:
                rows = self.fetchall(
                    "SELECT connector_name FROM system.metadata.catalogs "
                    f"WHERE catalog_name = {literal(self.database)}"
                )
            except PyflowError as exc:  # e.g. access control: the engine's own errors then say it
                log.debug("%s: the connector of catalog %s is unknown: %s", self.type, self.database, exc)
                return UNKNOWN_CONNECTOR
            self._connector = str(rows[0][0]) if rows else ""
        return CONNECTORS.get(self._connector or "", UNKNOWN_CONNECTOR)

    def incremental_strategies(self, options: TableOptions) -> tuple[str, ...]:
        """The connector's strategies; ``insert_overwrite`` by partition overwrite needs partitions."""
        support = self.connector_support()
        if support.overwrite_session and not options.partitioned_by:
            return tuple(s for s in support.strategies if s != "insert_overwrite")
        return support.strategies

    def can_drop_columns(self, options: TableOptions) -> bool:  # noqa: D102
        return self.connector_support().drop_columns

    def can_change_type(self, options: TableOptions, old: str, new: str) -> bool:  # noqa: D102
        rules = "iceberg" if options.is_iceberg else self.connector_support().type_changes
        return can_change_type(rules, old, new)

    def storage_name(self, options: TableOptions) -> str:  # noqa: D102
        support = self.connector_support()
        kind = (
            "unpartitioned tables" if support.overwrite_session and not options.partitioned_by else "tables"
        )
        return f"{kind} of catalog '{self.database}' ({self._connector or 'unknown'} connector)"

    def partitions_last(self, options: TableOptions) -> bool:  # noqa: D102
        return bool(options.partitioned_by) and self.connector_support().partitions_last
