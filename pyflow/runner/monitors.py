"""Running monitor tests: measure the relation, judge the numbers, say which ones made it fail.

A monitor's compiled query (:mod:`pyflow.compile.monitor`) returns numbers, not failing rows.
Here they are judged: ``volume`` against the range learned from the run history
(:mod:`pyflow.runner.history`), ``schema_change`` against the columns of the last run,
``freshness`` against ``max_age``, ``null_rate``/``distinct_rate`` against their bounds. The
outcome is a failure count like any test's (0 passes), so ``severity``, ``warn_if`` and
``error_if`` apply unchanged; what was measured goes to ``NodeResult.metrics`` and from there
to the history, where later runs learn from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyflow.adapters.base import Adapter
from pyflow.core.monitor import NEEDS_HISTORY, added, learned_range, max_age_seconds, rate_bounds, volume_rule
from pyflow.core.node import TestNode
from pyflow.errors import ProjectError
from pyflow.runner.events import NodeResult
from pyflow.runner.history import RunHistory

Decide = Callable[[str, str, str, int], str]


@dataclass
class Verdict:
    """What a monitor found: failures (0 passes), the sentence explaining it, what to record."""

    failures: int
    explanation: str
    value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    metric: str = ""


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


class MonitorRunner:
    """Judges monitor tests of one session (history may be None: ``run-history`` is off)."""

    def __init__(
        self,
        adapter: Adapter,
        history: RunHistory | None,
        decide: Decide,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.adapter = adapter
        self.history = history
        self.decide = decide
        self.now = now

    def run(self, node: TestNode, sql: str, result: NodeResult, statements: list[str]) -> None:
        """Measure and judge ``node``; fill ``result`` (status, failures, message, metrics)."""
        test = node.test_name
        if test in NEEDS_HISTORY and self.history is None:
            raise ProjectError(
                f"monitor '{test}' compares with earlier runs, but the run history is off",
                model=node.name,
                resource="test",
                path=node.path,
                line=node.line,
                hint="remove `run-history: false` from pyflow.yml (see docs/monitoring.md#run-history)",
                code="monitor-needs-history",
            )
        statements.append(sql)
        verdict = getattr(self, f"_{test}")(node, sql)
        where = f" where {node.config.where}" if node.config.where else ""
        monitored = node.attached or node.name
        result.metrics = {
            "monitored": monitored,
            "metric": verdict.metric + where,
            "value": verdict.value,
            "details": verdict.details or None,
        }
        cfg = node.config
        status = self.decide(cfg.severity, cfg.error_if, cfg.warn_if, verdict.failures)
        result.status = status  # type: ignore[assignment]
        result.failures = verdict.failures
        result.rows_affected = verdict.failures
        column = f" column {node.column_name}" if node.column_name else ""
        what = f"monitor '{test}' on {monitored}{column}{where}: {verdict.explanation}"
        if status == "pass":
            result.message = f"passed: {what}"
            result.response = "PASS"
            return
        rule = cfg.error_if if status == "fail" else cfg.warn_if
        result.message = (
            f"{'Failure' if status == 'fail' else 'Warning'} in test {node.name} ({node.path}:{node.line})\n"
            f"  {what}\n"
            f"  {verdict.failures} finding(s), configured to {'fail' if status == 'fail' else 'warn'} if {rule}"
        )
        result.response = f"{status.upper()} {verdict.failures}"

    def _series(self, node: TestNode, metric: str, limit: int) -> list[float]:
        """Earlier values of ``metric`` of the tested relation, oldest first."""
        assert self.history is not None
        where = f" where {node.config.where}" if node.config.where else ""
        points = self.history.metric_series(node.attached or node.name, metric + where, limit)
        return [p.value for p in reversed(points) if p.value is not None]

    # ---- the monitors --------------------------------------------------------------------
    def _volume(self, node: TestNode, sql: str) -> Verdict:
        rule = volume_rule(node.kwargs)
        count = float(self.adapter.fetchall(sql, model=node.name)[0][0])
        counts = self._series(node, "row_count", rule.lookback + (rule.measure == "rows_added"))
        if rule.measure == "rows_added":
            series, current = added(counts), (count - counts[-1] if counts else None)
            unit = "rows added"
        else:
            series, current = counts, count
            unit = "rows"
        details: dict[str, Any] = {"measure": rule.measure, "current": current, "history": series}
        verdict = Verdict(0, "", count, details, "row_count")
        if current is None or len(series) < rule.min_history:
            verdict.explanation = (
                f"{_num(count)} rows; learning: {len(series)} of the {rule.min_history} earlier "
                f"run(s) needed before it judges"
            )
            return verdict
        low, high = learned_range(series, rule.tolerance)
        details["expected"] = [low, high]
        inside = low <= current <= high
        verdict.failures = 0 if inside else 1
        verdict.explanation = (
            f"{_num(current)} {unit}, {'within' if inside else 'outside'} the range {_num(low)} to "
            f"{_num(high)} learned from the last {len(series)} run(s) "
            f"({', '.join(_num(v) for v in series)}; tolerance {_pct(rule.tolerance)})"
        )
        return verdict

    def _freshness(self, node: TestNode, sql: str) -> Verdict:
        limit = max_age_seconds(node.kwargs)
        newest, count = self.adapter.fetchall(sql, model=node.name)[0]
        now = self.now().astimezone(UTC).replace(tzinfo=None)
        if isinstance(newest, datetime) and newest.tzinfo is not None:
            newest = newest.astimezone(UTC).replace(tzinfo=None)
        details: dict[str, Any] = {"max_age_seconds": limit, "rows": count}
        if not isinstance(newest, datetime):
            return Verdict(1, f"no value in {count} row(s): nothing is fresh", None, details, "age_seconds")
        age = max((now - newest).total_seconds(), 0.0)  # a clock ahead of ours: fresh
        details["newest"] = newest.isoformat()
        late = age > limit
        return Verdict(
            int(late),
            f"newest value {newest.isoformat(sep=' ', timespec='seconds')} UTC is {_age(age)} old, "
            f"{'more' if late else 'less'} than the {_age(limit)} allowed",
            age,
            details,
            "age_seconds",
        )

    def _schema_change(self, node: TestNode, sql: str) -> Verdict:
        columns = {c.name: c.data_type for c in self.adapter.describe_query(sql)}
        assert self.history is not None
        where = f" where {node.config.where}" if node.config.where else ""
        points = self.history.metric_series(node.attached or node.name, "columns" + where, 1)
        verdict = Verdict(0, "", float(len(columns)), {"columns": columns}, "columns")
        before = points[0].details.get("columns") if points and isinstance(points[0].details, dict) else None
        if not isinstance(before, dict):
            verdict.explanation = f"{len(columns)} column(s) recorded as the baseline"
            return verdict
        gone = sorted(set(before) - set(columns))
        new = sorted(set(columns) - set(before))
        retyped = sorted(c for c in set(before) & set(columns) if before[c] != columns[c])
        verdict.details.update(added=new, dropped=gone, retyped=retyped)
        changes = [
            *(f"added {c} ({columns[c]})" for c in new),
            *(f"dropped {c} ({before[c]})" for c in gone),
            *(f"retyped {c} from {before[c]} to {columns[c]}" for c in retyped),
        ]
        verdict.failures = len(changes)
        verdict.explanation = (
            f"since the last run: {'; '.join(changes)}" if changes else f"{len(columns)} column(s), unchanged"
        )
        return verdict

    def _rate(self, node: TestNode, sql: str, what: str) -> Verdict:
        low, high = rate_bounds(node.kwargs)
        total, counted = self.adapter.fetchall(sql, model=node.name)[0]
        total = int(total)
        hits = total - int(counted) if what == "null" else int(counted)
        metric = f"{what}_rate:{node.column_name}"
        details = {"rows": total, what if what == "null" else "distinct": hits, "expected": [low, high]}
        if total == 0:
            return Verdict(0, "no rows: nothing to judge", None, details, metric)
        rate = hits / total
        inside = (low is None or rate >= low) and (high is None or rate <= high)
        bounds = " and ".join(
            b for b in (f"at least {_pct(low)}" if low is not None else "",
                        f"at most {_pct(high)}" if high is not None else "") if b
        )  # fmt: skip
        noun = "null" if what == "null" else "distinct"
        return Verdict(
            int(not inside),
            f"{_pct(rate)} {noun} ({hits:,} of {total:,} rows), expected {bounds}",
            rate,
            details,
            metric,
        )

    def _null_rate(self, node: TestNode, sql: str) -> Verdict:
        return self._rate(node, sql, "null")

    def _distinct_rate(self, node: TestNode, sql: str) -> Verdict:
        return self._rate(node, sql, "distinct")


def _age(seconds: float) -> str:
    """``3d 4h``, ``5h 12m``, ``42m`` or ``17s``."""
    s = int(seconds)
    parts: Sequence[tuple[int, str]] = ((s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"))
    shown = [f"{n}{u}" for n, u in parts if n]
    return " ".join(shown[:2]) if shown else f"{s}s"
