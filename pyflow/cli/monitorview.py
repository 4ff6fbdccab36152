"""Text form of ``pyflow monitor``'s report (:mod:`pyflow.runner.monitorreport`): lines to print."""

from __future__ import annotations

from typing import Any

from pyflow.runner.nodecost import format_bytes


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}s"


def _latest(values: list[Any]) -> Any:
    return next((v for v in reversed(values) if v is not None), None)


def _summary_line(message: str) -> str:
    lines = [ln.strip() for ln in (message or "").splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].startswith(("Failure in test", "Warning in test")):
        return lines[1]
    return lines[0] if lines else ""


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as text: runs, models with trends, slowest, costliest, stale, failing monitors."""
    runs = report["runs"]
    out = [f"Run history of target '{report['target']}' in {report['table']}: last {len(runs)} run(s)"]
    if not runs:
        out.append("  no runs recorded yet: run `pyflow build` (with run-history on) first")
        return out
    for run in runs:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(run["statuses"].items()))
        commit = f"  commit {run['git_commit'][:10]}" if run.get("git_commit") else ""
        out.append(f"  {run['started_at']}  {run['command']:<8} {run['nodes']} node(s): {statuses}{commit}")
    out += ["", "Models (oldest run first; the value shown is the latest known):"]
    models = report["models"]
    width = max([len(m["name"]) for m in models] + [4])
    spark = max(len(runs), 5)
    out.append(
        f"  {'name':<{width}}  {'last run':<9} {'runs':>4}  {'duration':<{spark + 9}}  {'rows':<{spark + 9}}"
    )
    for m in models:
        seconds = _latest(m["durations"])
        rows = _latest(m["rows"])
        out.append(
            f"  {m['name']:<{width}}  {m['last_status']:<9} {m['runs']:>4}  "
            f"{m['duration_trend']:<{spark}} {_seconds(seconds):>8}  "
            f"{m['rows_trend']:<{spark}} {'-' if rows is None else f'{rows:,}':>8}"
        )
    if not models:
        out.append("  none")
    out += ["", "Slowest (mean duration):"]
    for i, s in enumerate(report["slowest"], 1):
        last = "" if s["last_seconds"] is None else f" (last {_seconds(s['last_seconds'])})"
        out.append(f"  {i}. {s['name']}  {_seconds(s['mean_seconds'])}{last}")
    if not report["slowest"]:
        out.append("  none")
    out += ["", "Costliest (mean bytes scanned per run):"]
    for i, c in enumerate(report["costliest"], 1):
        out.append(
            f"  {i}. {c['name']}  {format_bytes(c['mean_bytes'])} (last {format_bytes(c['last_bytes'])}, "
            f"total {format_bytes(c['total_bytes'])})  {c['bytes_trend']}"
        )
    if not report["costliest"]:
        out.append("  none reported (the engine does not report bytes scanned: DuckDB)")
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
    return [line.rstrip() for line in out]
