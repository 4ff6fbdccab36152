"""Events the runner emits; the CLI renders them as log lines, a progress bar or JSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["success", "error", "skipped", "pass", "warn", "fail"]


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
    statements: list[str] = field(default_factory=list)
    started_at: float = 0.0
    completed_at: float = 0.0
    thread_id: str = ""


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

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``--log-format json``)."""
        out = asdict(self)
        if self.result is not None:
            out["result"] = {k: v for k, v in asdict(self.result).items() if k != "statements"}
        return out


Emit = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An Emit that drops every event."""
