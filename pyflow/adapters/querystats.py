"""What a node's statements cost: the statements sent, and what the engine said about each query.

:class:`StatementLog` collects, per node, every statement an adapter sent for it and, where the
driver's cursor reports them (:meth:`pyflow.adapters.base.Adapter.query_stats`), each query's
id, bytes scanned and engine time. The runner copies the sums into the node's result
(``run_results.json``, the log line, the run history): a node's cost is the sum over its
statements. Engines that report nothing (DuckDB) leave the sums None, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QueryStats:
    """What the engine reported about one query (None: not reported)."""

    query_id: str | None = None
    bytes_scanned: int | None = None
    engine_ms: int | None = None
    """Time the engine spent on the query, in milliseconds (queueing excluded where reported)."""
    reused: bool | None = None
    """True when the engine answered from an earlier query's result (Athena result reuse)."""


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@dataclass
class StatementLog:
    """The statements one node sent, for ``target/run/`` and error messages, with their stats."""

    statements: list[str] = field(default_factory=list)
    rows_affected: int | None = None
    queries: list[QueryStats] = field(default_factory=list)
    """One entry per query the engine reported on, in the order sent."""

    def add(self, stats: QueryStats | None) -> None:
        """Keep what the engine reported about the last statement (None: nothing)."""
        if stats is not None:
            self.queries.append(stats)

    @property
    def bytes_scanned(self) -> int | None:
        """Bytes scanned by all the node's queries (None: the engine reported none)."""
        return _sum([q.bytes_scanned for q in self.queries])

    @property
    def engine_ms(self) -> int | None:
        """Engine time of all the node's queries, in milliseconds."""
        return _sum([q.engine_ms for q in self.queries])

    def response(self) -> dict[str, object]:
        """The engine's figures as ``adapter_response`` keys (empty when it reported nothing).

        Both dbt-athena's names (``data_scanned_in_bytes``, ``query_id`` of the last query) and
        pyflow's (``bytes_scanned``, ``engine_time_ms``, every ``query_ids``) are given.
        """
        if not self.queries:
            return {}
        ids = [q.query_id for q in self.queries if q.query_id]
        out: dict[str, object] = {
            "data_scanned_in_bytes": self.bytes_scanned,
            "engine_execution_time_in_millis": self.engine_ms,
            "query_id": ids[-1] if ids else None,
            "bytes_scanned": self.bytes_scanned,
            "engine_time_ms": self.engine_ms,
            "query_ids": ids,
        }
        reused = [q.reused for q in self.queries if q.reused is not None]
        if reused:
            out["reused_previous_result"] = all(reused)
        return out
