"""``pyflow monitor``: what the run history says about the last runs of a target.

Per model, seed and snapshot: its status, duration and rows over the last runs (with a small
sparkline of each); the slowest ones; the costliest ones (most bytes scanned per run, where the
engine reports bytes: Trino, Athena); the stale ones (no successful build for longer than
``stale_after``, or a failing ``freshness`` monitor); and the monitors failing or warning in
their latest run. Read from ``pyflow_run_history`` (:mod:`pyflow.runner.history`); the result
is plain data, printed by the CLI as text or JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyflow.errors import ProjectError
from pyflow.runner.history import RunHistory

if TYPE_CHECKING:
    from pyflow.runner.session import Session

BARS = "▁▂▃▄▅▆▇█"
BUILT = ("model", "seed", "snapshot")
"""Resource types that build a relation (the rest are tests)."""
SLOWEST = 5


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, scaled between the smallest and the largest (a gap for None)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(
        " "
        if v is None
        else BARS[0 if span == 0 else min(len(BARS) - 1, int((v - low) / span * (len(BARS) - 1) + 0.5))]
        for v in values
    )


def _iso(value: Any) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else None


def build_report(
    history: RunHistory, runs: int, stale_after_hours: float, now: datetime | None = None
) -> dict[str, Any]:
    """The report over the last ``runs`` invocations on the history's target."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    rows = history.recent(runs)
    report: dict[str, Any] = {
        "target": history.target_name,
        "table": history.adapter.render(history.relation),
        "runs": [],
        "models": [],
        "slowest": [],
        "costliest": [],
        "stale": [],
        "failing_monitors": [],
    }
    if not rows:
        return report
    invocations: dict[str, dict[str, Any]] = {}
    for r in rows:
        inv = invocations.setdefault(
            r["invocation_id"],
            {
                "invocation_id": r["invocation_id"],
                "command": r["command"],
                "started_at": _iso(r["run_started_at"]),
                "git_commit": r.get("git_commit"),
                "nodes": 0,
                "statuses": {},
            },
        )
        inv["nodes"] += 1
        inv["statuses"][r["status"]] = inv["statuses"].get(r["status"], 0) + 1
    order = list(invocations)
    report["runs"] = list(invocations.values())
    report["models"] = _models(rows, order)
    ranked = sorted(report["models"], key=lambda m: -(m["mean_seconds"] or 0.0))
    report["slowest"] = [
        {"name": m["name"], "mean_seconds": m["mean_seconds"], "last_seconds": m["durations"][-1]}
        for m in ranked[:SLOWEST]
        if m["mean_seconds"] is not None
    ]
    report["costliest"] = costliest(report["models"])
    latest_tests: dict[str, dict[str, Any]] = {}
    for r in rows:  # oldest first: the last one wins
        if r["resource_type"] == "test" and r.get("metric"):
            latest_tests[r["unique_id"]] = r
    report["failing_monitors"] = [
        {
            "name": r["node_name"],
            "test_name": r.get("test_name"),
            "monitored": r.get("monitored"),
            "status": r["status"],
            "value": r.get("metric_value"),
            "message": r["message"],
            "at": _iso(r["run_started_at"]),
        }
        for r in latest_tests.values()
        if r["status"] in ("warn", "fail", "error")
    ]
    report["stale"] = _stale(history, latest_tests.values(), stale_after_hours, now)
    return report


def costliest(models: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The models that scanned the most bytes per run (only where the engine reports bytes)."""
    out = []
    for m in models:
        known = [int(b) for b in m["bytes_scanned"] or [] if b is not None]
        if known:
            out.append(
                {
                    "name": m["name"],
                    "mean_bytes": sum(known) // len(known),
                    "total_bytes": sum(known),
                    "last_bytes": known[-1],
                    "bytes_trend": sparkline([None if b is None else float(b) for b in m["bytes_scanned"]]),
                }
            )
    return sorted(out, key=lambda c: (-c["mean_bytes"], c["name"]))[:SLOWEST]


def _models(rows: Sequence[dict[str, Any]], order: Sequence[str]) -> list[dict[str, Any]]:
    by_node: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        if r["resource_type"] in BUILT:
            by_node.setdefault(r["unique_id"], {})[r["invocation_id"]] = r
    out = []
    for uid, seen in sorted(by_node.items(), key=lambda kv: next(iter(kv[1].values()))["node_name"]):
        runs = [seen[i] for i in order if i in seen]
        durations = [  # a skipped node did not run: a gap, not a zero
            None if r["execution_time"] is None or r["status"] == "skipped" else float(r["execution_time"])
            for r in runs
        ]
        rows_affected = [  # rows in the table after the run, else the rows the engine said it wrote
            r["rows_affected"] if r.get("row_count") is None else r["row_count"] for r in runs
        ]
        known = [d for d in durations if d is not None]
        scanned = [r.get("bytes_scanned") for r in runs]
        out.append(
            {
                "name": runs[-1]["node_name"],
                "unique_id": uid,
                "resource_type": runs[-1]["resource_type"],
                "runs": len(runs),
                "last_status": runs[-1]["status"],
                "last_run_at": _iso(runs[-1]["completed_at"]),
                "durations": durations,
                "rows": rows_affected,
                "bytes_scanned": scanned if any(s is not None for s in scanned) else None,
                "mean_seconds": sum(known) / len(known) if known else None,
                "duration_trend": sparkline(durations),
                "rows_trend": sparkline([None if v is None else float(v) for v in rows_affected]),
            }
        )
    return out


def _stale(history: RunHistory, tests: Any, stale_after_hours: float, now: datetime) -> list[dict[str, Any]]:
    out = []
    for name, resource, last in history.last_successes(BUILT):
        if not isinstance(last, datetime):
            continue
        age = (now - last.replace(tzinfo=None)).total_seconds() / 3600
        if age > stale_after_hours:
            out.append(
                {
                    "name": name,
                    "resource_type": resource,
                    "reason": f"last built successfully {age:.1f}h ago (more than {stale_after_hours:g}h)",
                    "last_success_at": _iso(last),
                    "age_hours": round(age, 2),
                }
            )
    for r in tests:
        if r.get("test_name") == "freshness" and r["status"] in ("warn", "fail"):
            out.append(
                {
                    "name": r.get("monitored"),
                    "resource_type": "monitored",
                    "reason": f"freshness monitor {r['node_name']} {r['status']}ed",
                    "last_success_at": None,
                    "age_hours": round(float(r["metric_value"]) / 3600, 2)
                    if r.get("metric_value") is not None
                    else None,
                }
            )
    return out


def monitor_report(session: Session, runs: int, stale_after_hours: float) -> dict[str, Any]:
    """``pyflow monitor``'s report for the session's target (an error when history is off)."""
    history = session.history
    if history is None:
        raise ProjectError(
            "pyflow monitor reads the run history, which is off for this project",
            path="pyflow.yml",
            hint="remove `run-history: false` from pyflow.yml (the history is on by default), run "
            "`pyflow build` a few times, then run `pyflow monitor` again (docs/monitoring.md#run-history)",
            code="run-history-off",
        )
    session.adapter.open()
    return build_report(history, runs, stale_after_hours)
