"""The run history table ``pyflow_run_history``: one row per node per invocation, in the target.

Enabled by ``run-history`` in pyflow.yml (:class:`~pyflow.core.runconfig.RunHistoryConfig`).
After ``run``/``seed``/``snapshot``/``test``/``build``, every node's status, timings, rows
affected, bytes scanned (where the engine reports them), failures and message are appended,
with the invocation id, the command, the target and the project's git commit. Monitor tests
add what they measured (``metric``, ``metric_value``, ``metric_details``), which later runs
read back to learn what is normal (:mod:`pyflow.runner.monitors`).

Everything goes through the adapter interface (``create_table_as_sql``, ``execute``,
``fetchall``, literals and types of the dialect), so the table is written the same way on every
engine. Writing it never fails the run: :func:`record` turns any error into a warning.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.core.runconfig import HISTORY_TABLE, RunHistoryConfig
from pyflow.relation import Relation
from pyflow.runner.events import NodeResult
from pyflow.secret import scrub

log = logging.getLogger(__name__)

COLUMNS: tuple[tuple[str, str], ...] = (
    # name, kind (text, int, float or timestamp: the dialect's type is chosen when writing)
    ("invocation_id", "text"),
    ("run_started_at", "timestamp"),
    ("command", "text"),
    ("project_name", "text"),
    ("target_name", "text"),
    ("git_commit", "text"),
    ("pyflow_version", "text"),
    ("unique_id", "text"),
    ("node_name", "text"),
    ("resource_type", "text"),
    ("relation_name", "text"),
    ("status", "text"),
    ("started_at", "timestamp"),
    ("completed_at", "timestamp"),
    ("execution_time", "float"),
    ("rows_affected", "int"),
    ("row_count", "int"),
    ("bytes_scanned", "int"),
    ("failures", "int"),
    ("message", "text"),
    ("test_name", "text"),
    ("monitored", "text"),
    ("metric", "text"),
    ("metric_value", "float"),
    ("metric_details", "text"),
)
"""The table's columns, in order (documented in docs/monitoring.md#the-history-table)."""
MESSAGE_CHARS = 2000
"""Longer messages are cut: the history is for trends, run_results.json has them whole."""
BATCH_ROWS = 100
"""Rows per INSERT statement (engines limit the length of a statement)."""


@dataclass(frozen=True)
class MetricPoint:
    """One earlier measurement of a monitor: when, the value, and its details."""

    invocation_id: str
    at: datetime
    value: float | None
    details: Any


def history_relation(config: RunHistoryConfig, database: str, schema: str) -> Relation:
    """Where the table lives: the configured schema/database, else ``<target schema>__pyflow``.

    pyflow's own tables (this one, and the blue-green release log) sit in that schema beside
    the target's, never among the models: a BI tool or a ``dbt``-shaped comparison of the
    target schema sees only what the project built.
    """
    return Relation(config.database or database, config.schema_ or f"{schema}__pyflow", HISTORY_TABLE)


def git_commit(root: Path) -> str | None:
    """The commit checked out in the git work tree holding ``root``, or None (no git, no repo)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


class RunHistory:
    """The history table of one target, read and appended through ``adapter``."""

    def __init__(self, adapter: Adapter, relation: Relation, target_name: str) -> None:
        self.adapter = adapter
        self.relation = relation
        self.target_name = target_name

    # ---- writing -------------------------------------------------------------------------
    def _literal(self, value: Any, kind: str) -> str:
        a = self.adapter
        sql_type = {"text": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "timestamp": a.timestamp_type}[
            kind
        ]
        if value is None:
            return f"CAST(NULL AS {sql_type})"
        if kind == "timestamp":
            return f"CAST({a.timestamp_literal(value)} AS {sql_type})"
        if kind == "int":
            return f"CAST({int(value)} AS BIGINT)"
        if kind == "float":
            return f"CAST({float(value)!r} AS DOUBLE)"
        return f"CAST({a.literal_sql(str(value))} AS VARCHAR)"

    def _select(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
        """One VALUES list (a UNION ALL of one SELECT per row took twice as long on DuckDB)."""
        values = ",\n".join(
            "  (" + ", ".join(self._literal(row.get(n), k) for n, k in columns) + ")" for row in rows
        )
        names = ", ".join(self.adapter.quote(n) for n, _ in columns)
        return f"SELECT * FROM (VALUES\n{values}\n) AS history_rows ({names})"

    def append(self, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Append ``rows`` (column -> value), creating the schema and table when missing.

        A table made by an older pyflow gets the columns it has. Returns the statements sent.
        """
        a = self.adapter
        rel = self.relation
        sent: list[str] = []

        def run(sql: str) -> None:
            sent.append(sql)
            a.execute(sql, model=HISTORY_TABLE)

        existing = {c.name for c in a.get_columns(rel)} if a.relation_type(rel) is not None else set()
        columns = [(n, k) for n, k in COLUMNS if not existing or n in existing]
        batches = [rows[i : i + BATCH_ROWS] for i in range(0, len(rows), BATCH_ROWS)]
        for i, batch in enumerate(batches):
            select = self._select(batch, columns)
            if i == 0 and not existing:
                if rel.schema and not a.schema_exists(rel.database, rel.schema):
                    run(a.create_schema_sql(rel.database, rel.schema))
                run(a.create_table_as_sql(rel, select))
            else:
                cols = ", ".join(a.quote(n) for n, _ in columns)
                run(f"INSERT INTO {a.render(rel)} ({cols})\n{select}")
        return sent

    # ---- reading -------------------------------------------------------------------------
    def exists(self) -> bool:
        """True when the table exists."""
        return self.adapter.relation_type(self.relation) is not None

    def metric_series(self, monitored: str, metric: str, limit: int) -> list[MetricPoint]:
        """The last ``limit`` runs' values of ``metric`` of ``monitored``, newest first (one per run)."""
        if not self.exists():
            return []
        lit = self.adapter.literal_sql
        sql = (
            f"SELECT invocation_id, run_started_at, metric_value, metric_details\n"
            f"FROM {self.adapter.render(self.relation)}\n"
            f"WHERE target_name = {lit(self.target_name)} AND monitored = {lit(monitored)} "
            f"AND metric = {lit(metric)}\n"
            f"ORDER BY run_started_at DESC\nLIMIT {int(limit) * 4}"  # several monitors may measure one run
        )
        points: list[MetricPoint] = []
        seen: set[str] = set()
        for invocation, at, value, details in self.adapter.fetchall(sql, model=HISTORY_TABLE):
            if invocation in seen:
                continue
            seen.add(invocation)
            points.append(
                MetricPoint(invocation, at, None if value is None else float(value), _json(details))
            )
            if len(points) == limit:
                break
        return points

    def recent(self, runs: int) -> list[dict[str, Any]]:
        """Every row of the last ``runs`` invocations on this target, oldest first."""
        if not self.exists():
            return []
        lit = self.adapter.literal_sql
        table = self.adapter.render(self.relation)
        target = lit(self.target_name)
        ids = self.adapter.fetchall(
            f"SELECT invocation_id, max(run_started_at) AS last_started\nFROM {table}\n"
            f"WHERE target_name = {target}\nGROUP BY invocation_id\nORDER BY last_started DESC\nLIMIT {int(runs)}",
            model=HISTORY_TABLE,
        )
        if not ids:
            return []
        names = [c.name for c in self.adapter.get_columns(self.relation)]
        wanted = ", ".join(lit(str(i)) for i, _ in ids)
        rows = self.adapter.fetchall(
            f"SELECT {', '.join(self.adapter.quote(n) for n in names)}\nFROM {table}\n"
            f"WHERE target_name = {target} AND invocation_id IN ({wanted})\n"
            "ORDER BY run_started_at, started_at",
            model=HISTORY_TABLE,
        )
        return [dict(zip(names, r, strict=True)) for r in rows]

    def last_successes(self, resource_types: Sequence[str]) -> list[tuple[str, str, Any]]:
        """``(node_name, resource_type, completed_at)`` of each node's latest successful build."""
        if not self.exists():
            return []
        lit = self.adapter.literal_sql
        kinds = ", ".join(lit(k) for k in resource_types)
        return [
            (str(name), str(kind), at)
            for name, kind, at in self.adapter.fetchall(
                f"SELECT node_name, resource_type, max(completed_at) AS last_success\n"
                f"FROM {self.adapter.render(self.relation)}\n"
                f"WHERE target_name = {lit(self.target_name)} AND status = 'success' "
                f"AND resource_type IN ({kinds})\n"
                "GROUP BY node_name, resource_type\nORDER BY node_name",
                model=HISTORY_TABLE,
            )
        ]


def count_rows(adapter: Adapter, relations: Mapping[str, str]) -> dict[str, int]:
    """Rows in each relation (unique id -> rendered name), with one query per 50 relations."""
    out: dict[str, int] = {}
    items = sorted(relations.items())
    for i in range(0, len(items), 50):
        sql = "\nUNION ALL\n".join(
            f"SELECT {adapter.literal_sql(uid)} AS unique_id, count(*) AS row_count FROM {rel}"
            for uid, rel in items[i : i + 50]
        )
        out.update((str(uid), int(n)) for uid, n in adapter.fetchall(sql, model=HISTORY_TABLE))
    return out


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


def _utc(ts: float) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None) if ts else None


def rows_for(
    results: Sequence[NodeResult],
    run: Mapping[str, Any],
    resource_type: Callable[[str], str],
    test_name: Callable[[str], str | None],
    row_counts: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """History rows of an invocation's results; ``run`` holds the invocation's own columns.

    ``row_counts``: rows in each built table after the run (by unique id), where counted.
    """
    row_counts = row_counts or {}
    rows = []
    for r in results:
        metrics = r.metrics or {}
        message = scrub(r.message or "")
        rows.append(
            {
                **run,
                "unique_id": r.unique_id,
                "node_name": r.name,
                "resource_type": resource_type(r.unique_id),
                "relation_name": r.relation,
                "status": r.status,
                "started_at": _utc(r.started_at),
                "completed_at": _utc(r.completed_at),
                "execution_time": r.execution_time,
                "rows_affected": None if metrics else r.rows_affected,
                "row_count": row_counts.get(r.unique_id),
                "bytes_scanned": r.bytes_scanned,  # None where the engine does not report it
                "failures": r.failures,
                "message": message[:MESSAGE_CHARS],
                "test_name": test_name(r.unique_id),
                "monitored": metrics.get("monitored"),
                "metric": metrics.get("metric"),
                "metric_value": metrics.get("value"),
                "metric_details": json.dumps(metrics["details"], default=str, sort_keys=True)
                if metrics.get("details") is not None
                else None,
            }
        )
    return rows
