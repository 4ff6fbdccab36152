"""The engine interface every adapter implements, and its declared capabilities.

Materializers call only these methods and branch only on :class:`Capabilities`, so view, table
and seed logic is written once. The SQL text builders of incremental and snapshot steps live in
:mod:`pyflow.adapters.dml` (mixed in). No driver and no ``core`` import here.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from pyflow.adapters.dml import DMLBuilders as DMLBuilders
from pyflow.adapters.kinds import Capabilities as Capabilities
from pyflow.adapters.kinds import Column as Column
from pyflow.adapters.kinds import Leftover as Leftover
from pyflow.adapters.kinds import RelationType as RelationType
from pyflow.adapters.kinds import TableOptions as TableOptions
from pyflow.adapters.kinds import leftover_types as leftover_types
from pyflow.adapters.querystats import QueryStats as QueryStats
from pyflow.adapters.querystats import StatementLog as StatementLog
from pyflow.adapters.storage import StorageHooks as StorageHooks
from pyflow.errors import AdapterError, PyflowError, UnsupportedError, is_disk_full
from pyflow.relation import Relation

log = logging.getLogger(__name__)


class Adapter(StorageHooks, DMLBuilders, abc.ABC):
    """One target: a connection (one per thread) plus SQL builders for its dialect."""

    type: ClassVar[str]
    dialect: ClassVar[str]
    """sqlglot / Ibis dialect name."""
    capabilities: ClassVar[Capabilities]

    def __init__(self, config: Any, *, invocation_id: str = "local") -> None:
        self.config = config
        self.invocation_id = invocation_id
        self._local = threading.local()
        self._lock = threading.Lock()

    # ---- connection ----------------------------------------------------------------------
    @abc.abstractmethod
    def open(self) -> None:
        """Open the connection (idempotent)."""

    def probe(self) -> str:
        """Check that the target answers a query (``pyflow debug``); what was reached, in words."""
        self.open()
        self.fetchall("SELECT 1")
        return f"{self.type} database '{self.database}'"

    @property
    def connected(self) -> bool:
        """Whether this invocation reached the database (so far); True unless the adapter knows.

        A compile that did not is a function of the project alone (:mod:`pyflow.runner.compilewitness`).
        """
        return True

    @abc.abstractmethod
    def close(self) -> None:
        """Close every connection."""

    @abc.abstractmethod
    def cancel(self) -> None:
        """Interrupt running statements (called from the signal handler thread)."""

    def checkpoint_due(self) -> bool:
        """True when the engine wants a moment with no statement running for its upkeep.

        On DuckDB: to write its log down and let go of its cache (see
        :mod:`pyflow.adapters.duckdbcheckpoint`). The scheduler then lets running nodes finish, starts no new one, and calls
        :meth:`checkpoint` (:mod:`pyflow.runner.checkpoints`). Remote engines answer False.
        """
        return False

    def checkpoint(self) -> None:
        """Do that upkeep (called only when :meth:`checkpoint_due`, with no node running)."""

    @abc.abstractmethod
    def _cursor(self) -> Any:
        """The calling thread's DB-API cursor."""

    @property
    @abc.abstractmethod
    def database(self) -> str:
        """The default database (catalog) of the target."""

    @property
    @abc.abstractmethod
    def schema(self) -> str:
        """The default schema of the target."""

    # ---- execution -----------------------------------------------------------------------
    def execute(
        self,
        sql: str,
        *,
        model: str | None = None,
        record: StatementLog | None = None,
    ) -> int | None:
        """Run one statement; return rows affected when the engine says."""
        if record is not None:
            record.statements.append(sql)
        started = time.perf_counter()
        try:
            cur = self._send(sql, model)
            rows = self._rows_affected(cur)
            if record is not None:
                record.add(self.query_stats(cur))
        except PyflowError:
            raise
        except Exception as exc:
            raise self.wrap_error(exc, sql, model) from exc
        log.debug("%s (%.3fs): %s", model or "-", time.perf_counter() - started, sql)
        return rows

    def fetchall(self, sql: str, *, model: str | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""
        try:
            cur = self._send(sql, model)
            return list(cur.fetchall())
        except PyflowError:
            raise
        except Exception as exc:
            raise self.wrap_error(exc, sql, model) from exc

    def _send(self, sql: str, model: str | None) -> Any:
        """Execute ``sql`` on the calling thread's cursor and return the cursor.

        Adapters add retries, rate limiting and query-id logging here.
        """
        cur = self._cursor()
        cur.execute(sql)
        return cur

    def _rows_affected(self, cursor: Any) -> int | None:
        return None

    def query_stats(self, cursor: Any) -> QueryStats | None:
        """What the engine reported about the cursor's last query (None: nothing)."""
        return None

    def wrap_error(self, exc: BaseException, sql: str, model: str | None) -> AdapterError:
        """An AdapterError naming the engine, the model and the start of the SQL."""
        if is_disk_full(exc):
            return self.disk_full_error(exc, model)
        head = "\n".join(sql.strip().splitlines()[:8])
        first = str(exc).strip().splitlines()
        return AdapterError(
            f"{self.type} error: {first[0] if first else type(exc).__name__}",
            model=model,
            detail="\n".join([*first[1:6], "SQL:", *("  " + ln for ln in head.splitlines())]),
            hint="fix the model's SQL or logic; the full statement is in target/run/",
            code="database-error",
        )

    def disk_full_error(self, exc: BaseException, model: str | None) -> AdapterError:
        """The error of a statement that hit a full disk (``disk-full``); engines name the file."""
        first = str(exc).strip().splitlines()
        return AdapterError(
            f"no space left on device while writing to the {self.type} database",
            model=model,
            detail=first[0] if first else None,
            hint="free space on the disk the database writes to, then run again",
            code="disk-full",
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, rolling back on any exception (no-op without transactions; nested: joins the outer one)."""
        if not self.capabilities.transactions or getattr(self._local, "in_transaction", False):
            yield
            return
        self._send("BEGIN TRANSACTION", None)  # _send: an interrupt is the engine's CancelledError
        self._local.in_transaction = True
        try:
            yield
        except BaseException:
            self._local.in_transaction = False
            try:
                self._cursor().execute("ROLLBACK")
            except Exception:
                log.debug("rollback failed", exc_info=True)
            raise
        else:
            self._local.in_transaction = False
            try:
                self._send("COMMIT", None)
            except PyflowError:
                raise
            except Exception as exc:  # a commit can fail too (a full disk): say which engine and why
                try:  # engines that keep the transaction open after a failed commit: end it
                    self._cursor().execute("ROLLBACK")
                except Exception:
                    log.debug("rollback after a failed commit failed", exc_info=True)
                raise self.wrap_error(exc, "COMMIT", None) from exc

    # ---- naming --------------------------------------------------------------------------
    def scratch_relation(self, relation: Relation, suffix: str) -> Relation:
        """A per-run name for a working table of one step (temporary where the engine can)."""
        return self.temp_relation(relation, suffix)

    def create_scratch_table_sql(self, relation: Relation, select: str) -> str:
        """CREATE the working table ``relation`` (see :meth:`scratch_relation`)."""
        return self.create_table_as_sql(relation, select)

    def temp_relation(self, relation: Relation, suffix: str = "tmp") -> Relation:
        """A per-run unique name beside ``relation``."""
        return relation.with_identifier(f"{relation.identifier}__pyflow_{suffix}_{self.invocation_id[:8]}")

    # ---- catalog -------------------------------------------------------------------------
    @abc.abstractmethod
    def relation_type(self, relation: Relation) -> RelationType | None:
        """``table``, ``view`` or None when the relation does not exist."""

    @abc.abstractmethod
    def schema_exists(self, database: str | None, schema: str) -> bool:
        """True when the schema exists."""

    @abc.abstractmethod
    def get_columns(self, relation: Relation) -> list[Column]:
        """Columns of an existing relation (empty when it does not exist)."""

    @abc.abstractmethod
    def describe_query(self, sql: str) -> list[Column]:
        """Columns a SELECT would return, without running it."""

    # ---- SQL builders (dialect specific) ---------------------------------------------------
    def create_schema_sql(self, database: str | None, schema: str) -> str:
        """CREATE SCHEMA IF NOT EXISTS."""
        return f"CREATE SCHEMA IF NOT EXISTS {Relation(database, schema, '').render(self.quote).rstrip('.')}"

    def create_view_sql(self, relation: Relation, select: str) -> str:
        """CREATE OR REPLACE VIEW ... AS <select>."""
        return f"CREATE OR REPLACE VIEW {self.render(relation)} AS\n{select}"

    def create_table_as_sql(
        self, relation: Relation, select: str, options: TableOptions | None = None
    ) -> str:
        """CREATE TABLE ... AS <select> (``options``: storage settings, where the engine has them)."""
        return f"CREATE TABLE {self.render(relation)} AS\n{select}"

    def create_in_batches_sql(
        self,
        relation: Relation,
        select: str,
        columns: Sequence[str],
        batches: Sequence[str | None],
        options: TableOptions | None = None,
    ) -> list[str]:
        """CREATE ``relation`` AS ``select`` for the first batch, then one INSERT per further batch.

        ``select`` reads ``columns`` and has no WHERE; ``batches`` are its row filters (None: all
        rows), e.g. partition batches within :meth:`partition_limit`.
        """
        first, *rest = batches

        def where(batch: str | None) -> str:
            return f"\nWHERE {batch}" if batch else ""

        into = f"INSERT INTO {self.render(relation)} ({self.column_list(columns)})\n"
        return [
            self.create_table_as_sql(relation, select + where(first), options),
            *(into + select + where(batch) for batch in rest),
        ]

    def drop_relation_sql(self, relation: Relation, kind: RelationType) -> str:
        """DROP TABLE/VIEW IF EXISTS."""
        return f"DROP {kind.upper()} IF EXISTS {self.render(relation)}"

    def rename_relation_sql(self, relation: Relation, new_identifier: str, kind: RelationType) -> str:
        """ALTER TABLE/VIEW ... RENAME TO ..."""
        return f"ALTER {kind.upper()} {self.render(relation)} RENAME TO {self.quote(new_identifier)}"

    @abc.abstractmethod
    def file_scan_sql(self, location: str, file_format: str | None = None) -> str:
        """A table expression reading files (``read_parquet('...')``)."""

    @abc.abstractmethod
    def csv_scan_sql(self, path: Path, column_types: dict[str, str], delimiter: str) -> str:
        """A SELECT reading a seed CSV with inferred types and overrides."""

    def seed_statements(
        self,
        relation: Relation,
        path: Path,
        column_types: dict[str, str],
        delimiter: str,
        options: TableOptions | None = None,
    ) -> list[str]:
        """The statements that create ``relation`` holding a seed CSV's rows, in order.

        By default one CREATE TABLE AS over :meth:`csv_scan_sql`; engines that cannot read
        local files override it (e.g. CREATE TABLE then INSERT ... VALUES batches).
        """
        return [self.create_table_as_sql(relation, self.csv_scan_sql(path, column_types, delimiter), options)]

    def upload_seed(
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
        """Create ``relation`` holding a seed by uploading its rows as files; the row count.

        None (the default): not done here, the seed loads by :meth:`seed_statements`. Engines
        over object storage (Athena) write the CSV as a Parquet file and register the table in
        their catalog, with no query.
        """
        return None

    # ---- data ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_table_from_dataframe(
        self,
        relation: Relation,
        frame: Any,
        *,
        record: StatementLog | None = None,
        options: TableOptions | None = None,
    ) -> int:
        """Create ``relation`` (a table of ``options``) holding a pandas/pyarrow frame; its row count."""

    def ibis_connection(self) -> Any:
        """An Ibis backend on the calling thread's connection (needs ``ibis_backend``)."""
        raise UnsupportedError(
            f"{self.type} cannot run DataFrame models",
            hint="return an Ibis expression instead of a DataFrame",
            code="unsupported",
        )

    def type_to_ibis(self, data_type: str) -> str:
        """An Ibis dtype string for an engine type name."""
        return data_type

    def ibis_to_type(self, ibis_type: str) -> str:
        """The engine type name for an Ibis dtype string."""
        return ibis_type

    def relations_in(self, names: Sequence[Relation]) -> dict[Relation, RelationType]:
        """Types of the given relations that exist (one catalog query where possible)."""
        out: dict[Relation, RelationType] = {}
        for rel in names:
            kind = self.relation_type(rel)
            if kind:
                out[rel] = kind
        return out
