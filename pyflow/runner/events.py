"""Events the runner emits; the CLI renders them as log lines, a progress bar or JSON.

A node's status says what happened to it: ``success``; for tests ``pass``, ``warn`` or
``fail``; ``error`` (it failed); ``cancelled`` (the run was interrupted, or stopped by
``--fail-fast``, while it ran or before it started); ``skipped`` (not run because an
ancestor failed or was cancelled: ``cause`` names that ancestor).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pyflow.adapters.querystats import StatementLog
    from pyflow.errors import PyflowError

Status = Literal["success", "error", "skipped", "cancelled", "pass", "warn", "fail"]

FAILED: frozenset[str] = frozenset({"error", "fail"})
"""Statuses of a node that failed (its descendants are skipped, the command exits 1)."""

EVENT_CODES: dict[str, tuple[str, str]] = {
    "message": ("M001", "LogMessage"),
    "run_start": ("R001", "RunStarted"),
    "run_finish": ("R002", "RunFinished"),
    "node_start": ("N001", "NodeStarted"),
    "node_finish": ("N002", "NodeFinished"),
    "user_error": ("E001", "UserError"),
    "internal_error": ("E002", "InternalError"),
}
"""Kind -> (event code, event name) of every JSON log event (stable: add, never renumber)."""


def iso(ts: float) -> str:
    """A Unix time as ISO 8601 in UTC."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def envelope(kind: str, ts: float, invocation_id: str, unique_id: str | None = None) -> dict[str, Any]:
    """The fields every JSON log event starts with."""
    code, name = EVENT_CODES[kind]
    return {
        "kind": "error" if kind.endswith("_error") else kind,
        "event_code": code,
        "event_name": name,
        "invocation_id": invocation_id,
        "ts": ts,
        "timestamp": iso(ts),
        "unique_id": unique_id,
    }


@dataclass
class NodeResult:
    """The outcome of one node in one invocation (a row of run_results.json)."""

    unique_id: str
    name: str
    status: Status
    message: str = ""
    execution_time: float = 0.0
    rows_affected: int | None = None
    response: str | None = None
    failures: int | None = None
    """Failing rows of a test."""
    relation: str | None = None
    error: dict[str, Any] | None = None
    cause: str | None = None
    """For ``skipped``: the failed or cancelled ancestor; for ``cancelled`` by ``--fail-fast``:
    the node whose failure stopped the run (unique ids)."""
    statements: list[str] = field(default_factory=list)
    bytes_scanned: int | None = None
    """Bytes the engine scanned for the node's queries, where it reports them (Trino, Athena)."""
    query_stats: dict[str, Any] = field(default_factory=dict)
    """The engine's figures of the node's queries, as ``adapter_response`` keys
    (:meth:`pyflow.adapters.querystats.StatementLog.response`); empty when it reported none."""
    metrics: dict[str, Any] | None = None
    """What a monitor test measured: ``monitored``, ``metric``, ``value``, ``details``, ``expected``."""
    started_at: float = 0.0
    completed_at: float = 0.0
    thread_id: str = ""
    traceback: str | None = None
    """The whole chained traceback of an error (shown by ``--debug``; not in artifacts or events)."""

    def take_log(self, log: StatementLog) -> None:
        """Keep the statements the node sent and what the engine reported about them."""
        self.statements = log.statements
        self.bytes_scanned = log.bytes_scanned
        self.query_stats = log.response()


@dataclass
class RunOutcome:
    """Results of ``run``/``seed``/``build``."""

    results: list[NodeResult]
    elapsed: float
    cancelled: bool = False
    errors: list[PyflowError] = field(default_factory=list)
    """Failures outside any node: artifacts that could not be written (a full disk)."""

    def count(self, status: str) -> int:
        """How many nodes ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        """True when nothing failed and the run was not cancelled."""
        return (
            not self.cancelled
            and not self.errors
            and not any(self.count(s) for s in ("error", "fail", "cancelled"))
        )


@dataclass
class Event:
    """One thing that happened: ``kind`` plus fields for renderers."""

    kind: Literal["run_start", "node_start", "node_finish", "run_finish", "message"]
    ts: float = field(default_factory=time.time)
    index: int = 0
    total: int = 0
    description: str = ""
    result: NodeResult | None = None
    level: str = "info"
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    unique_id: str | None = None
    """The node of a ``node_start`` / ``node_finish`` event."""
    invocation_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``--log-format json``)."""
        unique_id = self.unique_id or (self.result.unique_id if self.result is not None else None)
        out = envelope(self.kind, self.ts, self.invocation_id, unique_id)
        out.update((k, v) for k, v in asdict(self).items() if k not in out and k != "invocation_id")
        if self.result is not None:
            out["result"] = {
                k: v
                for k, v in asdict(self.result).items()
                if k not in ("statements", "traceback", "bytes_scanned", "query_stats")  # as run_results
            }
        return out


Emit = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An Emit that drops every event."""
