"""``pyflow source freshness``: how long ago each selected source table last received data.

A source table is checked when it has a freshness rule (``freshness: {warn_after: ...,
error_after: ...}``) and a ``loaded_at_field``. One query per table reads the newest
``loaded_at_field`` (rows matching ``filter`` only) converted to UTC by the adapter's builder for
the column's type (TIMESTAMP is taken as UTC; TIMESTAMP WITH TIME ZONE is converted); its age
against the current UTC time decides ``pass``, ``warn`` or ``error`` (``runtime error`` when the
query fails). Tables in the warehouse and file sources work alike. Results go to the console as
node events and to ``target/sources.json`` in dbt's shape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pyflow.core.node import Freshness, SourceNode
from pyflow.errors import DiskFullError, PyflowError
from pyflow.jsonfile import write_json
from pyflow.runner import artifacts
from pyflow.runner.events import Event, NodeResult, RunOutcome, Status
from pyflow.runner.execute import Executor
from pyflow.runner.selection import resolve_selection
from pyflow.runner.session import Session

PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
SOURCES_FILE = "sources.json"
STATUSES: dict[str, Status] = {"pass": "pass", "warn": "warn", "error": "error"}
"""A verdict as the node's status in events (a stale ``error`` fails the command)."""


@dataclass(frozen=True)
class Measure:
    """What one check found: the newest row's time, when it was asked, and the verdict."""

    status: str
    """``pass``, ``warn``, ``error`` or ``runtime error``."""
    max_loaded_at: datetime | None = None
    snapshotted_at: datetime | None = None
    error: str | None = None

    @property
    def age(self) -> float | None:
        """Seconds between the newest row and the check."""
        if self.max_loaded_at is None or self.snapshotted_at is None:
            return None
        return (self.snapshotted_at - self.max_loaded_at).total_seconds()


def seconds(after: tuple[int, str]) -> int:
    """``(12, "hour")`` -> 43200."""
    return after[0] * PERIOD_SECONDS[after[1]]


def verdict(rule: Freshness, age: float | None) -> str:
    """``error`` past error_after, else ``warn`` past warn_after, else ``pass`` (no rows: stale)."""
    if age is None:
        return "error" if rule.error_after else "warn"
    if rule.error_after and age > seconds(rule.error_after):
        return "error"
    if rule.warn_after and age > seconds(rule.warn_after):
        return "warn"
    return "pass"


def criteria(rule: Freshness) -> dict[str, Any]:
    """The rule as sources.json writes it (dbt's shape)."""

    def after(value: tuple[int, str] | None) -> dict[str, Any]:
        return {"count": value[0], "period": value[1]} if value else {"count": None, "period": None}

    return {
        "warn_after": after(rule.warn_after),
        "error_after": after(rule.error_after),
        "filter": rule.filter,
    }


def human(age: float) -> str:
    """``93784.0`` -> ``1 day 2 hours 3 minutes``."""
    left = int(max(age, 0))
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        n, left = divmod(left, size)
        if n:
            parts.append(f"{n} {name}{'s' if n > 1 else ''}")
    return " ".join(parts[:2]) or f"{left} seconds"


def _utc(value: Any) -> datetime | None:
    """A database value as an aware UTC datetime (naive values are UTC already)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime) and isinstance(value, date):
        value = datetime(value.year, value.month, value.day)
    stamp: datetime = value
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


class FreshnessCheck:
    """Checks the selected sources of one session."""

    def __init__(self, session: Session, output: Path | None = None) -> None:
        self.session = session
        self.output = output or session.project.target_dir / SOURCES_FILE
        self.project = session.project
        self.adapter = session.adapter
        self.measures: dict[str, Measure] = {}

    def selected(self) -> list[str]:
        """Source tables to check, in name order; tell about those that cannot be."""
        opts = self.session.options
        sel = resolve_selection(self.project, opts.select, opts.exclude, {"source"}, selector=opts.selector)
        for warning in sel.warnings:
            self.session.emit(Event("message", level="warn", text=warning))
        out = []
        for uid in sorted(sel.ids):
            node = self.project.node(uid)
            assert isinstance(node, SourceNode)
            if node.freshness is None:
                continue
            if not node.loaded_at_field:
                self.session.emit(
                    Event(
                        "message",
                        level="warn",
                        text=f"source '{node.name}' ({node.path}:{node.line}) has a freshness rule but no "
                        "loaded_at_field: not checked (set loaded_at_field on the table or its source)",
                    )
                )
                continue
            out.append(uid)
        return out

    def run(self) -> RunOutcome:
        """Check every selected source; write sources.json."""
        started = time.perf_counter()
        ids = self.selected()
        if not ids:
            self.session.emit(
                Event(
                    "message",
                    text="Nothing to do: no selected source has both freshness and loaded_at_field.",
                )
            )
        self.adapter.open()
        threads = self.session.options.threads or self.session.target.threads
        self.session.emit(
            Event(
                "run_start",
                total=len(ids),
                data={"command": "source freshness", "threads": threads, "target": self.session.target.name},
            )
        )
        executor = Executor(
            self.project.graph,
            ids,
            self._run_one,
            threads=threads,
            fail_fast=self.session.options.fail_fast,
            emit=self.session.emit,
            on_cancel=self.adapter.cancel,
            describe=self.describe,
        )
        results = executor.run()
        outcome = RunOutcome(results, time.perf_counter() - started, executor.cancelled)
        try:
            self.write(outcome)
        except DiskFullError as exc:  # reported after the summary
            outcome.errors.append(exc)
        self.session.emit(
            Event(
                "run_finish",
                total=len(ids),
                data={"elapsed": outcome.elapsed, "cancelled": outcome.cancelled},
            )
        )
        return outcome

    def describe(self, uid: str) -> str:
        """``freshness of ecommerce.orders``."""
        return f"freshness of {self.project.node(uid).name}"

    def sql(self, node: SourceNode) -> str:
        """The query returning the newest ``loaded_at_field`` of a source table, in UTC."""
        assert node.freshness is not None and node.loaded_at_field is not None
        compiler = self.session.compiler
        field = node.loaded_at_field
        up = compiler.upstream(node.unique_id, with_columns=False)
        data_type = compiler.column_type(node.unique_id, field) or "TIMESTAMP"
        where = f"\nWHERE {node.freshness.filter}" if node.freshness.filter else ""
        newest = self.adapter.utc_timestamp_sql(field, data_type)
        return f"SELECT max({newest}) AS max_loaded_at\nFROM {up.sql_ref} AS pyflow_source{where}"

    def _run_one(self, uid: str, index: int, total: int) -> NodeResult:
        node = self.project.node(uid)
        assert isinstance(node, SourceNode) and node.freshness is not None
        desc = self.describe(uid)
        self.session.emit(Event("node_start", index=index, total=total, description=desc, unique_id=uid))
        started = time.time()
        result = NodeResult(
            uid, node.name, "pass", started_at=started, thread_id=threading.current_thread().name
        )
        sql = ""
        try:
            sql = self.sql(node)
            rows = self.adapter.fetchall(sql, model=node.name)
            snapshotted_at = datetime.now(UTC)
            measure = Measure("pass", _utc(rows[0][0] if rows else None), snapshotted_at)
            measure = Measure(verdict(node.freshness, measure.age), measure.max_loaded_at, snapshotted_at)
            self._explain(node, measure, result)
        except PyflowError as exc:
            exc.model, exc.resource = exc.model or node.name, "source"
            exc.path, exc.line = exc.path or node.path, exc.line or node.line
            if exc.code == "database-error":
                exc.hint = (
                    f"check that the source table exists and that loaded_at_field '{node.loaded_at_field}' "
                    "is one of its columns (or a SQL expression over them)"
                    + (" and that the freshness filter is valid SQL" if node.freshness.filter else "")
                )
            measure = Measure("runtime error", error=str(exc))
            result.status, result.message, result.error = "error", str(exc), exc.to_dict()
            result.response = "ERROR"
        self.measures[uid] = measure
        result.completed_at = time.time()
        result.execution_time = result.completed_at - started
        result.statements = [sql] if sql else []
        self.session.emit(Event("node_finish", index=index, total=total, description=desc, result=result))
        return result

    def _explain(self, node: SourceNode, measure: Measure, result: NodeResult) -> None:
        assert node.freshness is not None
        rule = node.freshness
        result.status = STATUSES[measure.status]
        result.response = {"pass": "PASS", "warn": "WARN", "error": "ERROR STALE"}[measure.status]
        if measure.status == "pass":
            result.message = "fresh"
            return
        limit = rule.error_after if measure.status == "error" else rule.warn_after
        assert limit is not None
        newest = (
            f"its newest row is {human(measure.age)} old "
            f"(max({node.loaded_at_field}) = {measure.max_loaded_at:%Y-%m-%d %H:%M:%S} UTC)"
            if measure.age is not None and measure.max_loaded_at is not None
            else f"it has no rows{' matching the filter' if rule.filter else ''}"
        )
        verb = "error" if measure.status == "error" else "warn"
        result.message = (
            f"{'Error' if verb == 'error' else 'Warning'}: source {node.name} is stale ({node.path}:{node.line})\n"
            f"  {newest}; configured to {verb} after {limit[0]} {limit[1]}{'s' if limit[0] > 1 else ''}\n"
            f"  Fix: load fresh data into the source, or relax freshness.{verb}_after"
        )

    def write(self, outcome: RunOutcome) -> None:
        """Write ``target/sources.json``."""
        meta = artifacts.metadata(self.project, self.session.invocation_id, self.session.target.public_dict())
        rows = []
        for r in outcome.results:
            node = self.project.node(r.unique_id)
            assert isinstance(node, SourceNode) and node.freshness is not None
            m = self.measures.get(r.unique_id, Measure("runtime error", error=r.message or "not run"))
            rows.append(
                {
                    "unique_id": r.unique_id,
                    "max_loaded_at": m.max_loaded_at.isoformat() if m.max_loaded_at else None,
                    "snapshotted_at": m.snapshotted_at.isoformat() if m.snapshotted_at else None,
                    "max_loaded_at_time_ago_in_s": m.age,
                    "status": m.status,
                    "criteria": criteria(node.freshness),
                    "error": m.error,
                    "execution_time": r.execution_time,
                    "thread_id": r.thread_id,
                    "timing": _timing(r),
                    "adapter_response": {},
                }
            )
        with artifacts.reporting_full_disk(self.output):
            write_json(
                self.output,
                {"metadata": meta, "results": rows, "elapsed_time": outcome.elapsed},
                indent=2,
            )


def _timing(r: NodeResult) -> list[Mapping[str, str]]:
    if not r.started_at:
        return []
    return [
        {
            "name": "execute",
            "started_at": datetime.fromtimestamp(r.started_at, UTC).isoformat(),
            "completed_at": datetime.fromtimestamp(r.completed_at, UTC).isoformat(),
        }
    ]


def source_freshness(session: Session, output: Path | None = None) -> RunOutcome:
    """Run ``pyflow source freshness`` in ``session``; results go to ``output`` (default target/sources.json)."""
    return FreshnessCheck(session, output).run()
