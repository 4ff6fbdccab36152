"""Trino: a distributed SQL engine reached over HTTP(S); the base of the Athena adapter.

Trino has no multi-statement transactions for DDL, so a table is swapped in by renames (see
:mod:`pyflow.materializers.table`). Catalog questions go to ``information_schema`` of the
target catalog. The ``trino`` driver is imported only when a connection opens, and a
connection opens only when a statement must run: until :meth:`TrinoAdapter.open` (or a first
statement) the adapter is *offline* and catalog questions answer "nothing exists", which is how
``pyflow compile`` works with no server, credentials or driver.

The adapter's parts: connections, sending statements and scrubbing secrets
(:mod:`~pyflow.adapters.trinoconnection`), catalog questions and what the catalog's connector
supports (:mod:`~pyflow.adapters.trinocatalog`), frames loaded as ``VALUES`` batches and type
names (:mod:`~pyflow.adapters.trinoframe`); this module keeps the settings and the SQL.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pyflow.adapters.base import Adapter, Capabilities, RelationType, StatementLog, TableOptions
from pyflow.adapters.remotequery import RemoteQueries
from pyflow.adapters.retry import RateLimiter, RetryPolicy
from pyflow.adapters.seedbatch import batches, read_seed, value_rows
from pyflow.adapters.trinocatalog import (
    ALL_STRATEGIES,
    CONNECTORS,
    UNKNOWN_CONNECTOR,
    ConnectorSupport,
    TrinoCatalog,
    literal,
)
from pyflow.adapters.trinoconnection import Connect, TrinoConnection, secret_values
from pyflow.adapters.trinoframe import TrinoFrames
from pyflow.errors import MaterializationError, UnsupportedError
from pyflow.relation import Relation

__all__ = [  # the names moved out of this module stay importable from it
    "ALL_STRATEGIES",
    "CONNECTORS",
    "UNKNOWN_CONNECTOR",
    "Connect",
    "ConnectorSupport",
    "TrinoAdapter",
    "literal",
    "secret_values",
]


class TrinoAdapter(TrinoConnection, TrinoCatalog, TrinoFrames, RemoteQueries, Adapter):
    """Adapter for ``type: trino`` targets."""

    type: ClassVar[str] = "trino"
    dialect: ClassVar[str] = "trino"
    capabilities: ClassVar[Capabilities] = Capabilities(
        transactions=False,
        rename_table=True,
        replace_view=True,
        merge=True,  # on connectors with row-level writes (Iceberg, Delta Lake, Hive ACID)
        file_sources=False,
        ibis_backend=False,
        temp_tables=False,
        comments=True,
        grants=True,  # where the connector manages permissions (Hive with sql-standard security ...)
        constraints=frozenset({"not_null"}),
    )

    asks_connector: ClassVar[bool] = True
    """Whether the catalog's connector is asked from ``system.metadata.catalogs`` once online, when
    the target does not declare ``connector`` (Athena decides per table instead)."""

    drains_results: ClassVar[bool] = True
    """Whether :meth:`execute` reads each statement's result to its end (a ``trino`` cursor's
    statement is finished only then; ``pyathena`` waits for the query in ``execute``)."""

    timestamp_precision: ClassVar[int] = 3
    """Fractional second digits of snapshot timestamps: milliseconds, which every connector (and
    Athena's Hive tables) stores exactly, so a stored time always equals the time it came from."""
    timestamp_type: ClassVar[str] = "TIMESTAMP(3)"

    default_num_retries: ClassVar[int] = 3
    """Retries of a throttled statement when the profile sets no ``num_retries``."""
    retry_base_delay: ClassVar[float] = 1.0
    """Seconds before the first retry (doubled each time, jittered, capped at ``retry_max_delay``)."""
    retry_max_delay: ClassVar[float] = 30.0
    max_query_bytes: ClassVar[int] = 1_000_000
    """The longest statement (UTF-8 bytes) sent; Trino's default ``query.max-length``. Seed batches stay under it."""

    def __init__(
        self,
        config: Any,
        *,
        invocation_id: str = "local",
        connect: Connect | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(config, invocation_id=invocation_id)
        self._connect = connect
        self._online = False
        self._reached = False  # connected at least once (see TrinoConnection.connected)
        self._connections: list[Any] = []
        self._cursors: list[Any] = []
        self._cancelled = False
        self._connector: str | None = getattr(config, "connector", None)
        num_retries = getattr(config, "num_retries", None)
        self.retry = RetryPolicy(
            num_retries=self.default_num_retries if num_retries is None else int(num_retries),
            base_delay=self.retry_base_delay,
            max_delay=self.retry_max_delay,
            sleep=sleep,
            rng=rng,
        )
        # one bucket for every thread of this adapter; it holds one second's worth of queries
        rate = getattr(config, "max_queries_per_second", None)
        self.rate_limiter = RateLimiter(
            rate=rate, burst=max(1.0, float(rate or 1.0)), clock=clock, sleep=sleep
        )

    @property
    def database(self) -> str:  # noqa: D102
        return str(self.config.database)

    @property
    def schema(self) -> str:  # noqa: D102
        return str(self.config.schema_)

    # ---- naming --------------------------------------------------------------------------
    def unique_suffix(self, relation: Relation) -> str:
        """A name part unique to this run and relation (deterministic for a given invocation)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{self.invocation_id}/{relation}").hex

    # ---- SQL -----------------------------------------------------------------------------
    def rename_relation_sql(self, relation: Relation, new_identifier: str, kind: RelationType) -> str:
        """ALTER ... RENAME TO a fully qualified name (Trino resolves a bare one in the session schema)."""
        return f"ALTER {kind.upper()} {self.render(relation)} RENAME TO {self.render(relation.with_identifier(new_identifier))}"

    def create_table_as_sql(  # noqa: D102
        self, relation: Relation, select: str, options: TableOptions | None = None
    ) -> str:
        if options is None or not options.partitioned_by:
            return super().create_table_as_sql(relation, select, options)
        prop = self.connector_support().partition_property
        if prop is None:
            return super().create_table_as_sql(relation, select, options)
        parts = ", ".join(literal(p) for p in options.partitioned_by)
        return f"CREATE TABLE {self.render(relation)}\nWITH ({prop} = ARRAY[{parts}]) AS\n{select}"

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
        # connectors without row-level writes (hive): INSERT with the catalog's overwrite session
        # property replaces each partition it writes, atomically per partition
        prop = self.connector_support().overwrite_session
        if prop is None or not options.partitioned_by:
            return False
        stored = self.fetchall(f"SHOW COLUMNS FROM {self.render(target)}", model=model)
        keys = [str(r[0]) for r in stored if "partition key" in str(r[2]).lower()]
        if [k.lower() for k in keys] != [p.lower() for p in options.partitioned_by]:
            raise MaterializationError(
                f"insert_overwrite replaces partitions by {', '.join(options.partitioned_by)}, but the table "
                f"{target.schema or self.schema}.{target.identifier} is partitioned by "
                f"{', '.join(keys) if keys else 'nothing'}; nothing was written",
                model=model,
                hint="rebuild it with the new partitioning: pyflow run --full-refresh --select "
                + (model or "<model>"),
                code="partitioning-changed",
            )
        q = self.quote
        given = {c.lower() for c in columns}
        items = [  # the table's column order (partition columns last); columns not in the batch: NULL
            q(str(r[0])) if str(r[0]).lower() in given else f"CAST(NULL AS {r[1]}) AS {q(str(r[0]))}"
            for r in stored
        ]
        names = self.column_list([str(r[0]) for r in stored])
        catalog = q(target.database or self.database)
        self.execute(f"SET SESSION {catalog}.{prop} = 'OVERWRITE'", model=model, record=record)
        try:
            for where in batches:
                tail = f"\nWHERE {where}" if where else ""
                self.execute(
                    f"INSERT INTO {self.render(target)} ({names})\n"
                    f"SELECT {', '.join(items)} FROM {self.render(staging)}{tail}",
                    model=model,
                    record=record,
                )
        finally:
            self.execute(f"RESET SESSION {catalog}.{prop}", model=model, record=record)
        return True

    def file_scan_sql(self, location: str, file_format: str | None = None) -> str:  # noqa: D102
        raise UnsupportedError(
            f"{self.type} cannot read files directly ({location})",
            hint="load the files into a table and declare the source's `schema`",
            code="unsupported-file-source",
        )

    def csv_scan_sql(self, path: Path, column_types: dict[str, str], delimiter: str) -> str:  # noqa: D102
        raise UnsupportedError(
            f"{self.type} cannot read local files ({path.name}); seeds load by INSERT instead",
            hint="use `seed_statements`",
            code="unsupported",
        )

    def seed_statements(  # noqa: D102
        self,
        relation: Relation,
        path: Path,
        column_types: dict[str, str],
        delimiter: str,
        options: TableOptions | None = None,
    ) -> list[str]:
        # CREATE TABLE AS the first batch, then INSERT ... VALUES batches, each under max_query_bytes
        table = read_seed(path, column_types, delimiter)
        q = self.quote
        typed = list(zip(table.columns, table.types, strict=True))
        if not table.rows:
            nulls = ", ".join(f"CAST(NULL AS {t}) AS {q(c)}" for c, t in typed)
            return [self.create_table_as_sql(relation, f"SELECT {nulls}\nWHERE false", options)]
        cols = self.column_list(table.columns)
        casts = ", ".join(f"CAST({q(c)} AS {t}) AS {q(c)}" for c, t in typed)

        def select(values: str) -> str:
            return f"SELECT {casts}\nFROM (VALUES\n{values}\n) AS pyflow_seed ({cols})"

        return batches(
            value_rows(table),
            lambda values: self.create_table_as_sql(relation, select(values), options),
            lambda values: f"INSERT INTO {self.render(relation)} ({cols})\n{select(values)}",
            self.max_query_bytes,
            path=path,
        )

    def timestamp_literal(self, value: Any) -> str:
        """A TIMESTAMP literal with the engine's fractional digits (extra digits truncated)."""
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f")[: 20 + self.timestamp_precision]
        return f"TIMESTAMP '{text}'"

    def utc_timestamp_sql(self, expr: str, data_type: str) -> str:  # noqa: D102
        if "WITH TIME ZONE" in data_type.upper():
            return f"CAST({expr} AT TIME ZONE 'UTC' AS {self.timestamp_type})"
        return f"CAST({expr} AS {self.timestamp_type})"

    def now_minus_sql(self, amount: int, datepart: str) -> str:  # noqa: D102
        return (
            f"CAST(current_timestamp AT TIME ZONE 'UTC' AS {self.timestamp_type}) "
            f"- INTERVAL '{int(amount)}' {datepart.upper()}"
        )

    def alter_column_type_sql(self, target: Relation, column: str, data_type: str) -> str:  # noqa: D102
        return (
            f"ALTER TABLE {self.render(target)} ALTER COLUMN {self.quote(column)} SET DATA TYPE {data_type}"
        )

    def hash_sql(self, exprs: Sequence[str]) -> str:  # noqa: D102
        parts = " || '|' || ".join(f"coalesce(CAST({e} AS VARCHAR), '')" for e in exprs)
        return f"lower(to_hex(md5(to_utf8({parts}))))"
