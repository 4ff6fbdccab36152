"""Monitor test arguments and rules (pyflow.core.monitor)."""

from __future__ import annotations

import pytest

from pyflow.core.monitor import (
    VolumeRule,
    added,
    check_arguments,
    learned_range,
    max_age_seconds,
    rate_bounds,
    volume_rule,
)


def test_volume_rule_defaults_and_values() -> None:
    assert volume_rule({}) == VolumeRule("row_count", 10, 3, 0.2)
    assert volume_rule(
        {"measure": "rows_added", "lookback": 5, "min_history": 1, "tolerance": 0}
    ) == VolumeRule("rows_added", 5, 1, 0.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"measure": "bytes"}, "'measure' must be row_count or rows_added, not 'bytes'"),
        ({"tolerance": -0.1}, "'tolerance' must be 0 or more (0.2 = 20%), not -0.1"),
        ({"tolerance": "10%"}, "'tolerance' must be a number, not '10%'"),
        ({"lookback": 0}, "'lookback' must be a whole number of at least 1, not 0"),
        ({"min_history": True}, "'min_history' must be a whole number of at least 1, not True"),
    ],
)
def test_volume_rule_rejects_bad_arguments(args: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        volume_rule(args)
    assert str(info.value) == message


def test_max_age() -> None:
    assert max_age_seconds({"max_age": {"count": 6, "period": "hour"}}) == 6 * 3600
    assert max_age_seconds({"max_age": {"count": 1.5, "period": "day"}}) == 1.5 * 86400
    for bad in ({"count": 6}, {"count": 0, "period": "hour"}, {"count": 1, "period": "week"}, "6h"):
        with pytest.raises(ValueError):
            max_age_seconds({"max_age": bad})


def test_rate_bounds() -> None:
    assert rate_bounds({"max_rate": 0.05}) == (None, 0.05)
    assert rate_bounds({"min_rate": 0, "max_rate": 1}) == (0.0, 1.0)
    with pytest.raises(ValueError, match="give 'min_rate', 'max_rate' or both"):
        rate_bounds({})
    with pytest.raises(ValueError, match="is a fraction between 0 and 1"):
        rate_bounds({"max_rate": 5})
    with pytest.raises(ValueError, match=r"'min_rate' \(0\.5\) is above 'max_rate' \(0\.1\)"):
        rate_bounds({"min_rate": 0.5, "max_rate": 0.1})


def test_check_arguments_dispatches_per_monitor() -> None:
    check_arguments("schema_change", {})
    check_arguments("volume", {"tolerance": 0.5})
    with pytest.raises(ValueError):
        check_arguments("null_rate", {"column_name": "x"})
    with pytest.raises(ValueError):
        check_arguments("freshness", {"column_name": "x", "max_age": 3})


def test_learned_range_widens_min_and_max_by_the_tolerance() -> None:
    assert learned_range([100, 105, 110], 0.2) == (80.0, 132.0)
    assert learned_range([50], 0.0) == (50.0, 50.0)
    assert learned_range([-10, 20], 0.5) == (-15.0, 30.0)  # a negative low moves down, not up


def test_added_between_consecutive_runs() -> None:
    assert added([100, 110, 125, 125]) == [10, 15, 0]
    assert added([100]) == []
