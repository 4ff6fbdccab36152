"""Trino: a distributed SQL engine reached over HTTP(S); the base of the Athena adapter.

Trino has no multi-statement transactions for DDL, so a table is swapped in by renames (see
:mod:`pyflow.materializers.table`). Catalog questions go to ``information_schema`` of the
target catalog. The ``trino`` driver is imported only when a connection opens, and a
connection opens only when a statement must run: until :meth:`TrinoAdapter.open` (or a first
statement) the adapter is *offline* and catalog questions answer "nothing exists", which is how
``pyflow compile`` works with no server, credentials or driver.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pyflow.adapters.base import (
    Adapter,
    Capabilities,
    Column,
    RelationType,
    StatementLog,
    TableOptions,
    leftover_types,
)
from pyflow.adapters.remotequery import RemoteQueries
from pyflow.adapters.retry import RateLimiter, RetriesExhausted, RetryPolicy
from pyflow.adapters.seedbatch import batches, read_seed, value_rows
from pyflow.adapters.typechange import TypeChanges, can_change_type
from pyflow.errors import AdapterError, CancelledError, MaterializationError, PyflowError, UnsupportedError
from pyflow.relation import Relation

log = logging.getLogger(__name__)

Connect = Callable[[], Any]
"""Opens one DB-API connection (tests inject a recording fake)."""


def literal(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def secret_values(config: Any) -> Iterator[str]:
    """Every non-empty SecretStr value in a (pydantic) target config, at any depth."""
    from pydantic import BaseModel, SecretStr

    if isinstance(config, SecretStr):
        if config.get_secret_value():
            yield config.get_secret_value()
    elif isinstance(config, BaseModel):
        for name in type(config).model_fields:
            yield from secret_values(getattr(config, name))


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

_TIMESTAMP = re.compile(r"TIMESTAMP\((\d+)\)", re.IGNORECASE)

UNKNOWN_CONNECTOR = ConnectorSupport(ALL_STRATEGIES)
"""Any other connector, or one not known yet (offline, no ``connector`` in the target): every
strategy is attempted and the engine's own error reports what its tables cannot do."""


class TrinoAdapter(RemoteQueries, Adapter):
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

    # ---- connection ----------------------------------------------------------------------
    def open(self) -> None:
        """Connect the calling thread (idempotent); from now on catalog questions are asked."""
        self._online = True
        self._cursor()

    def close(self) -> None:  # noqa: D102
        with self._lock:
            for con in self._connections:
                try:
                    con.close()
                except Exception:
                    log.debug("closing a %s connection failed", self.type, exc_info=True)
            self._connections.clear()
            self._cursors.clear()
        self._local = threading.local()
        self._online = False

    def cancel(self) -> None:
        """Stop the run: statements not yet sent never start, running queries are cancelled.

        Called from the signal handler's thread: each thread's cursor is asked to cancel its
        query (the driver stops it on the engine; Athena through StopQueryExecution). A cursor
        with nothing running refuses, which is fine.
        """
        self._cancelled = True
        with self._lock:
            cursors = list(self._cursors)
        for cur in cursors:
            stop = getattr(cur, "cancel", None)
            if stop is None:
                continue
            try:
                stop()
            except Exception as exc:
                log.debug("%s: cancelling a query: %s", self.type, self.scrub(str(exc)))

    def _interrupted(self) -> CancelledError:
        return CancelledError(
            "interrupted: the run was cancelled", hint="run the command again", code="cancelled"
        )

    def _cursor(self) -> Any:
        if self._cancelled:
            raise self._interrupted()
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            self._online = True
            try:
                con = self._connect() if self._connect is not None else self.connect()
            except PyflowError:
                raise
            except Exception as exc:
                lines = self.scrub(str(exc)).strip().splitlines()
                raise AdapterError(
                    f"cannot connect to the {self.type} target: {lines[0] if lines else type(exc).__name__}",
                    hint="check the target in profiles.yml (host, credentials); `pyflow debug` tests the connection",
                    code="connection-failed",
                ) from None
            with self._lock:
                self._connections.append(con)
            cur = con.cursor()
            self._local.cursor = cur
            with self._lock:
                self._cursors.append(cur)
        return cur

    def connect(self) -> Any:
        """A new DB-API connection through the ``trino`` driver."""
        try:
            import trino
        except ImportError:
            raise self.missing_driver("trino") from None
        cfg = self.config
        auth: Any = None
        if cfg.auth.method == "basic":
            auth = trino.auth.BasicAuthentication(cfg.user, cfg.auth.password.get_secret_value())
        elif cfg.auth.method == "jwt":
            auth = trino.auth.JWTAuthentication(cfg.auth.token.get_secret_value())
        return trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=cfg.host,
            port=cfg.port,
            user=cfg.user,
            catalog=cfg.database,
            schema=cfg.schema_,
            http_scheme=cfg.http_scheme,
            auth=auth if auth is not None else trino.constants.DEFAULT_AUTH,
            session_properties={k: str(v) for k, v in cfg.session_properties.items()},
            source="pyflow",
        )

    def missing_driver(self, package: str) -> UnsupportedError:
        """The error for a driver that is not installed."""
        return UnsupportedError(
            f"the {self.type} target needs the '{package}' package, which is not installed",
            hint=f'pip install "pyflow[{self.type}]" (or pip install {package}); pyflow compile works without it',
            code="missing-driver",
        )

    @property
    def is_online(self) -> bool:
        """True once a connection was asked for; before that catalog questions answer 'nothing'."""
        return self._online

    @property
    def database(self) -> str:  # noqa: D102
        return str(self.config.database)

    @property
    def schema(self) -> str:  # noqa: D102
        return str(self.config.schema_)

    # ---- execution -----------------------------------------------------------------------
    def _send(self, sql: str, model: str | None) -> Any:
        """Execute with the shared rate limit and retries of throttling / commit conflicts.

        Each query id (and where to see the query) is logged at DEBUG.
        """

        def attempt() -> Any:
            cur = self._cursor()
            self.rate_limiter.acquire()
            try:
                cur.execute(sql, **self.execute_options(sql))
            finally:
                self._log_query_id(cur, model)
            return cur

        try:
            return self.retry.call(
                attempt, describe=f"{self.type} statement of {model or '-'}", scrub=self.scrub
            )
        except RetriesExhausted as exc:
            err = self.wrap_error(exc.last, sql, model)
            raise AdapterError(
                f"{err.message} (gave up after {exc.attempts} attempts)",
                model=model,
                detail=err.detail,
                hint=(
                    f"the engine kept throttling the query or conflicting on commit: raise `num_retries` "
                    f"(now {self.retry.num_retries}) or lower `max_queries_per_second` / `threads` in profiles.yml"
                ),
                code="database-throttled",
            ) from exc.last
        except Exception:
            if self._cancelled:  # the driver's error for a query that cancel() stopped
                raise self._interrupted() from None
            raise

    def _rows_affected(self, cursor: Any) -> int | None:
        """Read the statement's result to its end, then its update count.

        The ``trino`` driver's ``execute`` returns at the first row (the count of a CTAS or
        INSERT), before the query has finished and committed: the next statement could then
        miss the new table or rows. Reading to the end waits for the commit (and raises its error).
        """
        if not self.drains_results:
            return None
        cursor.fetchall()
        count = getattr(cursor, "rowcount", -1)
        return count if isinstance(count, int) and count >= 0 else None

    # ---- errors --------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        """``text`` with every secret of the target masked."""
        for secret in secret_values(self.config):
            text = text.replace(secret, "**********")
        return text

    def wrap_error(self, exc: BaseException, sql: str, model: str | None) -> AdapterError:  # noqa: D102
        text = self.scrub(str(exc)) or type(exc).__name__
        return super().wrap_error(RuntimeError(text), self.scrub(sql), model)

    # ---- naming --------------------------------------------------------------------------
    def unique_suffix(self, relation: Relation) -> str:
        """A name part unique to this run and relation (deterministic for a given invocation)."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{self.invocation_id}/{relation}").hex

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

    # ---- SQL -----------------------------------------------------------------------------
    def rename_relation_sql(self, relation: Relation, new_identifier: str, kind: RelationType) -> str:
        """ALTER ... RENAME TO a fully qualified name (Trino resolves a bare one in the session schema)."""
        return f"ALTER {kind.upper()} {self.render(relation)} RENAME TO {self.render(relation.with_identifier(new_identifier))}"

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

    # ---- data ----------------------------------------------------------------------------
    def create_table_from_dataframe(
        self,
        relation: Relation,
        frame: Any,
        *,
        record: StatementLog | None = None,
        options: TableOptions | None = None,
    ) -> int:
        """CREATE TABLE AS the frame's first rows, then INSERT ... VALUES batches under ``max_query_bytes``.

        Column types come from the frame's Arrow schema (through Ibis); values travel as typed
        literals. Meant for small frames (DataFrame models, test fixtures): every row is SQL text.
        """
        import ibis
        import pyarrow as pa
        from ibis.backends.sql.datatypes import TrinoType

        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        schema = ibis.Schema.from_pyarrow(table.schema)
        # a column of NULLs only has no type: VARCHAR, as Trino types an untyped NULL column
        types = [
            "VARCHAR" if dtype.is_null() else self._stored_type(TrinoType.to_string(dtype))
            for dtype in schema.types
        ]
        names = [str(n) for n in schema.names]
        q = self.quote
        cols = self.column_list(names)
        casts = ", ".join(f"CAST({q(c)} AS {t}) AS {q(c)}" for c, t in zip(names, types, strict=True))
        options = TableOptions()
        if table.num_rows == 0:
            nulls = ", ".join(f"CAST(NULL AS {t}) AS {q(c)}" for c, t in zip(names, types, strict=True))
            self.execute(
                self.create_table_as_sql(relation, f"SELECT {nulls}\nWHERE false", options), record=record
            )
            return 0
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        rows = [
            "(" + ", ".join(self._value_sql(col[i]) for col in columns) + ")" for i in range(table.num_rows)
        ]

        def select(values: str) -> str:
            return f"SELECT {casts}\nFROM (VALUES\n{values}\n) AS pyflow_frame ({cols})"

        try:
            statements = batches(
                rows,
                lambda values: self.create_table_as_sql(relation, select(values), options),
                lambda values: f"INSERT INTO {self.render(relation)} ({cols})\n{select(values)}",
                self.max_query_bytes,
                path=Path(f"{relation.identifier}.frame"),
            )
        except AdapterError as exc:  # one row longer than the query limit
            raise AdapterError(
                f"a row of the frame for {relation.identifier} makes a statement longer than the "
                f"engine's {self.max_query_bytes:,}-byte query limit",
                hint="keep large values out of frames loaded into this engine",
                code="unsupported",
            ) from exc
        for statement in statements:
            self.execute(statement, record=record)
        return int(table.num_rows)

    def _stored_type(self, data_type: str) -> str:
        """``data_type`` with a TIMESTAMP's precision capped at what the catalog stores."""
        found = _TIMESTAMP.match(data_type)
        if found is None or int(found[1]) <= 3:  # every connector stores milliseconds
            return data_type
        limit = self.connector_support().max_timestamp_precision
        if limit is None or int(found[1]) <= limit:
            return data_type
        return f"TIMESTAMP({limit}){data_type[found.end() :]}"

    def _value_sql(self, value: Any) -> str:
        """A literal of a frame value (timestamps keep their microseconds: see ``literal_sql``)."""
        import datetime as dt
        import math

        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return "NULL" if math.isnan(value) else ("infinity()" if value > 0 else "-infinity()")
        if isinstance(value, dt.time):
            return f"TIME '{value.isoformat()}'"
        if isinstance(value, list):
            return "ARRAY[" + ", ".join(self._value_sql(v) for v in value) + "]"
        if isinstance(value, dict):  # a struct: the column's CAST names its fields
            return "ROW(" + ", ".join(self._value_sql(v) for v in value.values()) + ")"
        if isinstance(value, bytes):
            return f"X'{value.hex()}'"
        return self.literal_sql(value)

    def type_to_ibis(self, data_type: str) -> str:  # noqa: D102
        from ibis.backends.sql.datatypes import TrinoType

        return str(TrinoType.from_string(data_type))

    def ibis_to_type(self, ibis_type: str) -> str:  # noqa: D102
        import ibis
        from ibis.backends.sql.datatypes import TrinoType

        return str(TrinoType.to_string(ibis.dtype(ibis_type)))
