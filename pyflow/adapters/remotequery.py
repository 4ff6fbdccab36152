"""What Trino and Athena say about each query, and the settings a node's queries run with.

Mixins of :class:`~pyflow.adapters.trino.TrinoAdapter` (:class:`RemoteQueries`) and
:class:`~pyflow.adapters.athena.AthenaAdapter` (:class:`AthenaQueries`):

- query ids (logged at DEBUG with a link where the engine has one);
- :meth:`query_stats`: bytes scanned and engine time of the cursor's last query, read from the
  ``trino`` cursor's ``stats`` (``processedBytes``, ``elapsedTimeMillis``) or the ``pyathena``
  cursor (``data_scanned_in_bytes``, ``engine_execution_time_in_millis``,
  ``reused_previous_result``);
- :meth:`node_settings`: per-node settings for the statements the calling thread sends while a
  node runs: on Athena the workgroup and query result reuse (``work_group``, ``result_reuse``),
  passed to each ``execute`` (:meth:`execute_options`);
- :meth:`estimate_scan`: ``EXPLAIN (TYPE IO, FORMAT JSON)`` of a query, for ``--dry-run``.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pyflow.adapters.querystats import QueryStats

log = logging.getLogger(__name__)

REUSE_DEFAULT_MINUTES = 60
"""``result_reuse: true`` reuses results up to this old (Athena's own default)."""
REUSE_MAX_MINUTES = 10080
"""Athena's longest result reuse age (7 days)."""


@dataclass(frozen=True)
class ScanEstimate:
    """What ``EXPLAIN`` says a query would read: bytes (None: unknown) from ``tables``."""

    bytes: int | None
    tables: tuple[str, ...]
    unknown: tuple[str, ...] = ()
    """Tables the engine has no size estimate for (no statistics)."""


def reuse_minutes(value: bool | int | None) -> int | None:
    """The max age a ``result_reuse`` setting asks for (None: no reuse)."""
    if value is None or value is False:
        return None
    if value is True:
        return REUSE_DEFAULT_MINUTES
    return int(value)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_query(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)
    return bool(head) and head[0].upper() in ("SELECT", "WITH", "VALUES")


class RemoteQueries:
    """Query ids, statistics, per-node settings and scan estimates of a Trino-like adapter."""

    if TYPE_CHECKING:
        type: ClassVar[str]
        _local: threading.local

        def fetchall(self, sql: str, *, model: str | None = None) -> list[tuple[Any, ...]]:  # noqa: D102
            ...

    def _log_query_id(self, cursor: Any, model: str | None) -> None:
        qid = getattr(cursor, "query_id", None)
        if not qid:
            stats = getattr(cursor, "stats", None)
            qid = stats.get("queryId") if isinstance(stats, dict) else None
        if qid:
            link = self.query_link(str(qid))
            log.debug("%s query %s for %s%s", self.type, qid, model or "-", f": {link}" if link else "")

    def query_link(self, query_id: str) -> str | None:
        """Where a person can look at a query (None: the engine has no stable link)."""
        return None

    def query_stats(self, cursor: Any) -> QueryStats | None:
        """The ``trino`` cursor's ``stats`` of its finished query: processed bytes, elapsed time."""
        stats = getattr(cursor, "stats", None)
        if not isinstance(stats, dict) or "processedBytes" not in stats:
            return None
        qid = stats.get("queryId") or getattr(cursor, "query_id", None)
        return QueryStats(
            query_id=str(qid) if qid else None,
            bytes_scanned=_int(stats.get("processedBytes")),
            engine_ms=_int(stats.get("elapsedTimeMillis")),
        )

    # ---- per-node settings ---------------------------------------------------------------
    @contextmanager
    def node_settings(self, settings: Mapping[str, Any]) -> Iterator[None]:
        """Send the calling thread's statements with ``settings`` (a node's config) in the block."""
        previous = getattr(self._local, "node_settings", None)
        self._local.node_settings = dict(settings)
        try:
            yield
        finally:
            self._local.node_settings = previous

    def current_settings(self) -> dict[str, Any]:
        """The settings of the node the calling thread runs (empty outside a node)."""
        return dict(getattr(self._local, "node_settings", None) or {})

    def execute_options(self, sql: str) -> dict[str, Any]:
        """Keyword arguments of the driver's ``execute`` for ``sql`` (Trino: none)."""
        return {}

    # ---- estimates -----------------------------------------------------------------------
    def explain_io_sql(self, sql: str) -> str:
        """The statement asking the engine what ``sql`` would read."""
        return f"EXPLAIN (TYPE IO, FORMAT JSON)\n{sql}"

    def estimate_scan(self, sql: str, *, model: str | None = None) -> ScanEstimate:
        """What the engine estimates ``sql`` would read (summed over its input tables)."""
        rows = self.fetchall(self.explain_io_sql(sql), model=model)
        plan = json.loads(rows[0][0]) if rows and rows[0] else {}
        known: list[int] = []
        tables: list[str] = []
        unknown: list[str] = []
        for info in plan.get("inputTableColumnInfos") or []:
            table = info.get("table") or {}
            schema_table = table.get("schemaTable") or {}
            name = ".".join(
                str(p)
                for p in (table.get("catalog"), schema_table.get("schema"), schema_table.get("table"))
                if p
            )
            tables.append(name)
            size = (info.get("estimate") or {}).get("outputSizeInBytes")
            if isinstance(size, int | float) and math.isfinite(size):
                known.append(int(size))
            else:  # "NaN": no statistics for the table
                unknown.append(name)
        size = sum(known) if known or not tables else None  # no input table: nothing to read
        return ScanEstimate(size, tuple(tables), tuple(unknown))


class AthenaQueries(RemoteQueries):
    """Athena: the console link, pyathena's statistics, workgroup and result reuse per node."""

    if TYPE_CHECKING:
        config: Any

    def query_link(self, query_id: str) -> str:
        """The query's page in the Athena console (logged at DEBUG with each query id)."""
        region = self.config.region_name
        return (
            f"https://{region}.console.aws.amazon.com/athena/home?region={region}"
            f"#/query-editor/history/{query_id}"
        )

    def query_stats(self, cursor: Any) -> QueryStats | None:
        """The pyathena cursor's ``data_scanned_in_bytes``, ``engine_execution_time_in_millis``, ``query_id``."""
        scanned = _int(getattr(cursor, "data_scanned_in_bytes", None))
        engine = _int(getattr(cursor, "engine_execution_time_in_millis", None))
        qid = getattr(cursor, "query_id", None)
        if scanned is None and engine is None:
            return None
        reused = getattr(cursor, "reused_previous_result", None)
        return QueryStats(
            query_id=str(qid) if qid else None,
            bytes_scanned=scanned,
            engine_ms=engine,
            reused=reused if isinstance(reused, bool) else None,
        )

    def execute_options(self, sql: str) -> dict[str, Any]:
        """The node's ``work_group``, and result reuse for queries (Athena reuses SELECT results only).

        The target's ``work_group`` is the connection's; a node's replaces it for its statements.
        ``result_reuse`` of the node, else of the target: ``true`` (up to 60 minutes old), a
        number of minutes, or ``false``.
        """
        node = self.current_settings()
        out: dict[str, Any] = {}
        if node.get("work_group"):
            out["work_group"] = node["work_group"]
        reuse = node["result_reuse"] if node.get("result_reuse") is not None else self.config.result_reuse
        minutes = reuse_minutes(reuse)
        if minutes is not None and _is_query(sql):
            out["result_reuse_enable"] = True
            out["result_reuse_minutes"] = minutes
        return out


@runtime_checkable
class TakesNodeSettings(Protocol):
    """An adapter whose statements take per-node settings (Trino, Athena)."""

    def node_settings(self, settings: Mapping[str, Any]) -> AbstractContextManager[None]:
        """Apply ``settings`` to the calling thread's statements in the block."""


@runtime_checkable
class EstimatesScan(Protocol):
    """An adapter whose engine can estimate what a query would read (``EXPLAIN``)."""

    def estimate_scan(self, sql: str, *, model: str | None = None) -> ScanEstimate:
        """What ``sql`` would read."""


def with_node_settings(adapter: object, settings: Mapping[str, Any]) -> AbstractContextManager[None]:
    """``adapter.node_settings(settings)`` where the adapter takes them and there are any."""
    if settings and isinstance(adapter, TakesNodeSettings):
        return adapter.node_settings(settings)
    return nullcontext()
