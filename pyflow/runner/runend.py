"""What happens after a run: append it to the run history, then send the ``on-run-end`` alerts.

Neither can fail the run: each failure becomes a warning on the console and in the log
(docs/monitoring.md). Called by :meth:`pyflow.runner.session.Session.execute`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyflow.adapters.base import Adapter
from pyflow.config.profile import Target
from pyflow.core.monitor import is_monitor
from pyflow.core.node import TestNode, is_unit_test
from pyflow.core.runconfig import RunHistoryConfig
from pyflow.errors import PyflowError
from pyflow.runner.alerts import send_alerts
from pyflow.runner.events import Event, NodeResult
from pyflow.runner.history import RunHistory, count_rows, git_commit, history_relation, rows_for
from pyflow.secret import scrub

if TYPE_CHECKING:
    from pyflow.runner.events import RunOutcome
    from pyflow.runner.session import Session

log = logging.getLogger(__name__)

BUILT = ("model", "seed", "snapshot")


def open_history(config: RunHistoryConfig, adapter: Adapter, target: Target) -> RunHistory | None:
    """The target's history table when ``run-history`` is on, else None."""
    if not config.enabled:
        return None
    return RunHistory(adapter, history_relation(config, target.database, target.schema_name), target.name)


def monitor_ids(session: Session, results: Sequence[NodeResult]) -> set[str]:
    """Unique ids of the monitor tests among ``results``."""
    out = set()
    for r in results:
        node = session.project.graph.nodes.get(r.unique_id)
        if isinstance(node, TestNode) and node.kind == "generic" and is_monitor(node.test_name):
            out.add(r.unique_id)
    return out


def run_columns(session: Session, command: str) -> dict[str, Any]:
    """The invocation's own columns of each history row (and fields of the alert payload)."""
    from pyflow.version import __version__

    return {
        "invocation_id": session.invocation_id,
        "run_started_at": session.run_started_at.replace(tzinfo=None),
        "command": command,
        "project_name": session.project.name,
        "target_name": session.target.name,
        "git_commit": git_commit(session.root),
        "pyflow_version": __version__,
    }


def _warn(session: Session, text: str) -> None:
    text = scrub(text)
    log.warning("%s", text)
    session.emit(Event("message", level="warn", text=text))


def finish_run(session: Session, command: str, outcome: RunOutcome) -> None:
    """Record ``outcome`` in the run history and send the alerts; never raises."""
    try:
        _finish(session, command, outcome.results)
    except Exception as exc:  # a bug here must not fail the run either
        _warn(session, f"the end-of-run steps failed: {type(exc).__name__}: {exc}")
        log.debug("end-of-run steps failed", exc_info=True)


def _finish(session: Session, command: str, results: Sequence[NodeResult]) -> None:
    run = run_columns(session, command)
    if (
        session.history is not None
        and results
        and not all(
            is_unit_test(session.project.node(r.unique_id))
            for r in results  # those never connect
        )
    ):
        _record(session, run, results)
    alerts = session.project.config.alerts
    if alerts:
        warnings = send_alerts(alerts, results, monitor_ids(session, results), run, Path(session.root))
        for text in warnings:
            _warn(session, text)


def _row_counts(session: Session, results: Sequence[NodeResult]) -> dict[str, int]:
    """Rows in each table built successfully (views are not counted: that would run their query)."""
    tables = {}
    for r in results:
        node = session.project.graph.nodes.get(r.unique_id)
        materialized = getattr(getattr(node, "config", None), "materialized", "table")
        built = r.status == "success" and r.relation and node is not None and node.resource_type in BUILT
        if built and materialized not in ("view", "ephemeral"):
            tables[r.unique_id] = str(r.relation)
    if not tables:
        return {}
    try:
        return count_rows(session.adapter, tables)
    except Exception as exc:  # the history is still written, without row counts
        log.warning("could not count the rows of the tables built: %s", exc)
        return {}


def _record(session: Session, run: dict[str, Any], results: Sequence[NodeResult]) -> None:
    history = session.history
    assert history is not None
    project = session.project

    def resource(uid: str) -> str:
        node = project.graph.nodes.get(uid)
        return node.resource_type if node is not None else uid.split(".", 1)[0]

    def test_name(uid: str) -> str | None:
        node = project.graph.nodes.get(uid)
        return node.test_name if isinstance(node, TestNode) else None

    try:
        history.adapter.open()
        counts = _row_counts(session, results)
        history.append(rows_for(results, run, resource, test_name, counts))
    except Exception as exc:  # never fails the run
        text = exc.message if isinstance(exc, PyflowError) else f"{type(exc).__name__}: {exc}"
        first = (text.strip().splitlines() or [type(exc).__name__])[0]
        _warn(
            session,
            f"the run history could not be written to {history.adapter.render(history.relation)}: "
            f"{first} (the run itself is unaffected; check the schema and permissions of run-history)",
        )
        log.debug("writing the run history failed", exc_info=True)
