"""Source freshness verdicts: ages against warn_after / error_after, and how they are shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pyflow.core.node import Freshness
from pyflow.runner.freshness import Measure, _utc, criteria, human, seconds, verdict

RULE = Freshness(warn_after=(12, "hour"), error_after=(1, "day"))


@pytest.mark.parametrize(
    ("age", "rule", "status"),
    [
        (60.0, RULE, "pass"),
        (12 * 3600.0, RULE, "pass"),  # exactly the limit is not past it
        (12 * 3600.0 + 1, RULE, "warn"),
        (86400.0 + 1, RULE, "error"),
        (86400.0 * 30, Freshness(warn_after=(1, "day")), "warn"),
        (86400.0 * 30, Freshness(error_after=(45, "day")), "pass"),
        (None, RULE, "error"),  # no rows
        (None, Freshness(warn_after=(5, "minute")), "warn"),
    ],
)
def test_verdict(age: float | None, rule: Freshness, status: str) -> None:
    assert verdict(rule, age) == status


def test_seconds_and_criteria() -> None:
    assert [seconds((2, "minute")), seconds((3, "hour")), seconds((1, "day"))] == [120, 10800, 86400]
    assert criteria(Freshness(warn_after=(12, "hour"), filter="x > 1")) == {
        "warn_after": {"count": 12, "period": "hour"},
        "error_after": {"count": None, "period": None},
        "filter": "x > 1",
    }


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (30.0, "30 seconds"),
        (61.0, "1 minute"),
        (7260.0, "2 hours 1 minute"),
        (93784.0, "1 day 2 hours"),
        (86400.0 * 3, "3 days"),
    ],
)
def test_human(age: float, text: str) -> None:
    assert human(age) == text


def test_database_values_become_aware_utc_datetimes() -> None:
    naive = datetime(2024, 1, 1, 10, 0)
    assert _utc(naive) == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert _utc(datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))) == datetime(
        2024, 1, 1, 10, 0, tzinfo=UTC
    )
    assert _utc(date(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert _utc("2024-01-01 10:00:00") == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert _utc(None) is None


def test_measure_age() -> None:
    now = datetime(2024, 1, 2, tzinfo=UTC)
    assert Measure("pass", now - timedelta(hours=3), now).age == 3 * 3600
    assert Measure("runtime error").age is None
