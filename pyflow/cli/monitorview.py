"""Text form of ``pyflow monitor``'s report (:mod:`pyflow.runner.monitorreport`): lines to print."""

from __future__ import annotations

from typing import Any


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}s"


def _summary_line(message: str) -> str:
    lines = [ln.strip() for ln in (message or "").splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith(("Failure in test", "Warning in test")):
        return lines[1]
    return lines[0] if lines else ""


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as text: runs, models with trends, slowest, stale, failing monitors."""
    runs = report["runs"]
    out = [f"Run history of target '{report['target']}' in {report['table']}: last {len(runs)} run(s)"]
    if not runs:
        out.append("  no runs recorded yet: run `pyflow build` (with run-history on) first")
        return out
    for run in runs:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(run["statuses"].items()))
        commit = f"  commit {run['git_commit'][:10]}" if run.get("git_commit") else ""
        out.append(f"  {run['started_at']}  {run['command']:<8} {run['nodes']} node(s): {statuses}{commit}")
    out += ["", "Models (oldest run first):"]
    models = report["models"]
    width = max([len(m["name"]) for m in models] + [5])
    out.append(f"  {'name':<{width}}  {'last':<9} {'runs':>4}  {'duration':<14} {'rows':<14}")
    for m in models:
        rows = m["rows"][-1] if m["rows"] else None
        out.append(
            f"  {m['name']:<{width}}  {m['last_status']:<9} {m['runs']:>4}  "
            f"{m['duration_trend']:<{len(runs)}} {_seconds(m['durations'][-1]):>7}  "
            f"{m['rows_trend']:<{len(runs)}} {'-' if rows is None else rows:>7}"
        )
    if not models:
        out.append("  none")
    out += ["", "Slowest (mean duration):"]
    for i, s in enumerate(report["slowest"], 1):
        out.append(f"  {i}. {s['name']}  {_seconds(s['mean_seconds'])} (last {_seconds(s['last_seconds'])})")
    if not report["slowest"]:
        out.append("  none")
    out += ["", "Stale:"]
    for s in report["stale"]:
        out.append(f"  {s['name']}: {s['reason']}")
    if not report["stale"]:
        out.append("  none")
    out += ["", "Failing monitors (latest run of each):"]
    for f in report["failing_monitors"]:
        out.append(f"  {f['status'].upper()} {f['name']}: {_summary_line(f['message'])}")
    if not report["failing_monitors"]:
        out.append("  none")
    return out
