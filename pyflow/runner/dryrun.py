"""``pyflow run/build --dry-run``: what would run, and what the engine estimates it would scan.

Nothing is built, no hook runs and no history is written: the selected nodes are compiled (as
``pyflow compile`` does) and listed in DAG order with their SQL. Where the adapter can ask its
engine (:class:`~pyflow.adapters.remotequery.EstimatesScan`: Trino and Athena, through
``EXPLAIN (TYPE IO, FORMAT JSON)``), each query's estimated scan is added; an estimate the
engine cannot give (no table statistics, or an upstream table not built yet) is said so, with
the reason. The result is plain data, printed by the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyflow.adapters.remotequery import EstimatesScan, with_node_settings
from pyflow.compile.model import CompiledModel
from pyflow.core.node import ModelNode
from pyflow.errors import PyflowError
from pyflow.runner.nodecost import engine_settings

if TYPE_CHECKING:
    from pyflow.runner.session import Session


@dataclass
class PlannedNode:
    """One node a run would execute."""

    unique_id: str
    name: str
    resource_type: str
    action: str
    """``sql table model analytics.orders``, as in the log lines."""
    sql: str | None = None
    estimated_bytes: int | None = None
    tables: list[str] = field(default_factory=list)
    """The tables the engine says the query reads."""
    note: str | None = None
    """Why there is no (whole) estimate, or why the node would fail to compile."""


@dataclass
class DryRun:
    """The plan of one command."""

    command: str
    target: str
    engine: str
    nodes: list[PlannedNode]
    estimates: bool
    """True when the engine was asked for estimates."""

    @property
    def estimated_bytes(self) -> int | None:
        """The sum of the estimates the engine gave (None: none)."""
        known = [n.estimated_bytes for n in self.nodes if n.estimated_bytes is not None]
        return sum(known) if known else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "command": self.command,
            "target": self.target,
            "engine": self.engine,
            "estimates": self.estimates,
            "estimated_bytes": self.estimated_bytes,
            "nodes": [vars(n) for n in self.nodes],
        }


def _first_line(exc: PyflowError) -> str:
    lines = [ln.strip() for ln in exc.message.splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def dry_run(session: Session, command: str) -> DryRun:
    """The plan of ``command`` over the session's selection; nothing is executed."""
    ids = [
        uid
        for uid in session.selected(command)
        if not (
            isinstance(n := session.project.node(uid), ModelNode) and n.config.materialized == "ephemeral"
        )
    ]
    session.compiler.call_frames = True  # DataFrame models not built yet are called for their columns
    compiled = session.compile_nodes(ids)
    adapter = session.adapter
    estimates = isinstance(adapter, EstimatesScan)
    if estimates:
        adapter.open()
    nodes = []
    for uid in ids:
        node = session.project.node(uid)
        planned = PlannedNode(uid, node.name, node.resource_type, session.describe(uid))
        got = compiled.get(uid)
        if isinstance(got, PyflowError):
            planned.note = f"would fail: {_first_line(got)}"
        elif isinstance(got, CompiledModel) and got.sql is not None:
            planned.sql = got.sql
            if isinstance(adapter, EstimatesScan):
                with with_node_settings(adapter, engine_settings(node)):  # the model's workgroup
                    _estimate(adapter, planned, got.sql)
        nodes.append(planned)
    return DryRun(command, session.target.name, adapter.type, nodes, estimates)


def _estimate(adapter: EstimatesScan, planned: PlannedNode, sql: str) -> None:
    try:
        found = adapter.estimate_scan(sql, model=planned.name)
    except PyflowError as exc:  # e.g. an upstream table that this run would create first
        planned.note = f"no estimate: {_first_line(exc)}"
        return
    planned.estimated_bytes = found.bytes
    planned.tables = list(found.tables)
    if found.unknown:
        planned.note = f"no size estimate for {', '.join(found.unknown)} (no table statistics)"
