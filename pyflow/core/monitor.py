"""Monitor tests: the built-in test kinds that judge a relation against its own history.

``volume`` (row count, or rows added, against the range learned from recent runs),
``freshness`` (age of the newest value of a timestamp column), ``schema_change`` (columns
added, dropped or retyped since the last run), ``null_rate`` and ``distinct_rate`` (of a
column, within fixed bounds). They are declared in YAML like any generic test and take the
same config (``severity``, ``warn_if`` ...). This module owns their arguments and the pure
rules; the runner measures and judges (:mod:`pyflow.runner.monitors`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MONITOR_TESTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (required arguments, optional arguments)
    "volume": ((), ("measure", "lookback", "min_history", "tolerance")),
    "freshness": (("column_name", "max_age"), ()),
    "schema_change": ((), ()),
    "null_rate": (("column_name",), ("min_rate", "max_rate")),
    "distinct_rate": (("column_name",), ("min_rate", "max_rate")),
}
NEEDS_HISTORY = frozenset({"volume", "schema_change"})
"""Monitors that compare with earlier runs: they need ``run-history`` enabled."""
PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


def is_monitor(test_name: str) -> bool:
    """True when ``test_name`` is a built-in monitor test."""
    return test_name in MONITOR_TESTS


@dataclass(frozen=True)
class VolumeRule:
    """How ``volume`` judges: which measure, over how many runs, from how many on, how loosely."""

    measure: str = "row_count"
    lookback: int = 10
    min_history: int = 3
    tolerance: float = 0.2


def _int(args: Mapping[str, Any], key: str, default: int, low: int) -> int:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"'{key}' must be a whole number of at least {low}, not {value!r}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{key}' must be a number, not {value!r}")
    return float(value)


def volume_rule(args: Mapping[str, Any]) -> VolumeRule:
    """The rule of a ``volume`` test from its arguments (ValueError naming a bad one)."""
    measure = args.get("measure", "row_count")
    if measure not in ("row_count", "rows_added"):
        raise ValueError(f"'measure' must be row_count or rows_added, not {measure!r}")
    tolerance = _number(args.get("tolerance", 0.2), "tolerance")
    if tolerance < 0:
        raise ValueError(f"'tolerance' must be 0 or more (0.2 = 20%), not {tolerance!r}")
    return VolumeRule(measure, _int(args, "lookback", 10, 1), _int(args, "min_history", 3, 1), tolerance)


def max_age_seconds(args: Mapping[str, Any]) -> float:
    """``max_age: {count: 6, period: hour}`` of a ``freshness`` test, in seconds."""
    age = args.get("max_age")
    if not isinstance(age, Mapping) or set(age) != {"count", "period"}:
        raise ValueError(f"'max_age' must be a mapping like {{count: 6, period: hour}}, not {age!r}")
    count = _number(age["count"], "max_age.count")
    if count <= 0:
        raise ValueError(f"'max_age.count' must be more than 0, not {age['count']!r}")
    if age["period"] not in PERIODS:
        raise ValueError(f"'max_age.period' must be minute, hour or day, not {age['period']!r}")
    return count * PERIODS[str(age["period"])]


def rate_bounds(args: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """``(min_rate, max_rate)`` of a ``null_rate``/``distinct_rate`` test, each within 0..1."""
    bounds: list[float | None] = []
    for key in ("min_rate", "max_rate"):
        if args.get(key) is None:
            bounds.append(None)
            continue
        value = _number(args[key], key)
        if not 0 <= value <= 1:
            raise ValueError(f"'{key}' is a fraction between 0 and 1 (0.05 = 5%), not {value!r}")
        bounds.append(value)
    low, high = bounds
    if low is None and high is None:
        raise ValueError("give 'min_rate', 'max_rate' or both (fractions between 0 and 1)")
    if low is not None and high is not None and low > high:
        raise ValueError(f"'min_rate' ({low}) is above 'max_rate' ({high})")
    return low, high


def check_arguments(test: str, args: Mapping[str, Any]) -> None:
    """Raise ValueError when a monitor's arguments cannot be used (checked when the project loads)."""
    if test == "volume":
        volume_rule(args)
    elif test == "freshness":
        max_age_seconds(args)
    elif test in ("null_rate", "distinct_rate"):
        rate_bounds(args)


def learned_range(series: Sequence[float], tolerance: float) -> tuple[float, float]:
    """The range a value may take given earlier values: their min and max, widened by ``tolerance``."""
    low, high = min(series), max(series)
    return low - tolerance * abs(low), high + tolerance * abs(high)


def added(counts: Sequence[float]) -> list[float]:
    """Rows added between consecutive runs, from row counts oldest first."""
    return [b - a for a, b in itertools.pairwise(counts)]
