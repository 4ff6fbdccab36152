"""Snapshot times are stored as UTC wall-clock ``TIMESTAMP`` values whatever the time zones.

The process runs in America/Los_Angeles (``TZ`` + ``time.tzset()``) and the adapter is opened
after that, so the engine session may pick the zone up too; the source's updated_at is a
``TIMESTAMP WITH TIME ZONE`` written in Asia/Tokyo; run times are aware datetimes in a third
zone. valid_from / valid_to / updated_at must still be the UTC wall time of each instant.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pyflow.adapters.base import Adapter
from pyflow.testing import snapshot_step

from .history import Meta, check_history
from .tables import dicts_of, frame

META = Meta()
TOKYO = ZoneInfo("Asia/Tokyo")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def los_angeles() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def by_version(df) -> list[tuple]:
    return sorted(
        ((r["id"], r["v"], r[META.valid_from], r[META.valid_to], r[META.updated_at]) for r in dicts_of(df)),
        key=repr,
    )


def test_snapshot_timestamp_strategy_stores_utc(
    los_angeles: None, new_adapter: Callable[[], Adapter]
) -> None:
    adapter = new_adapter()
    config = {"unique_key": "id", "strategy": "timestamp", "updated_at": "u", "hard_deletes": "invalidate"}
    u1 = datetime(2024, 1, 1, 9, 0, tzinfo=TOKYO)  # 2024-01-01 00:00 UTC
    u2 = datetime(2024, 1, 2, 18, 30, tzinfo=TOKYO)  # 2024-01-02 09:30 UTC
    run1 = datetime(2024, 1, 1, 13, 0, tzinfo=PARIS)  # 12:00 UTC
    run2 = datetime(2024, 1, 3, 1, 0, tzinfo=PARIS)  # 2024-01-03 00:00 UTC
    s1 = snapshot_step(
        frame("id v u", [(1, "a", u1), (2, "b", u1)]), None, run_at=run1, adapter=adapter, **config
    )
    s2 = snapshot_step(frame("id v u", [(1, "a2", u2)]), s1, run_at=run2, adapter=adapter, **config)
    utc_u1, utc_u2, utc_run2 = datetime(2024, 1, 1), datetime(2024, 1, 2, 9, 30), datetime(2024, 1, 3)
    assert by_version(s2) == sorted(
        [
            (1, "a", utc_u1, utc_u2, utc_u1),
            (1, "a2", utc_u2, None, utc_u2),
            (2, "b", utc_u1, utc_run2, utc_u1),
        ],
        key=repr,
    )
    check_history(dicts_of(s2), ["id"], META)
    # the source column itself keeps its instants
    assert sorted(r["u"].astimezone(UTC) for r in dicts_of(s2)) == sorted(
        [u1.astimezone(UTC), u1.astimezone(UTC), u2.astimezone(UTC)]
    )


@pytest.mark.parametrize(
    "run_at",
    [
        datetime(2024, 1, 2, 13, 0, tzinfo=PARIS),
        datetime(2024, 1, 2, 12, 0, tzinfo=UTC),
        datetime(2024, 1, 2, 12, 0),
    ],
    ids=["aware-paris", "aware-utc", "naive-is-utc"],
)
def test_snapshot_check_strategy_stores_the_run_time_in_utc(
    los_angeles: None, new_adapter: Callable[[], Adapter], run_at: datetime
) -> None:
    adapter = new_adapter()
    config = {"unique_key": "id", "strategy": "check", "check_cols": "all", "hard_deletes": "new_record"}
    first = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    s1 = snapshot_step(frame("id v", [(1, "a"), (2, "b")]), None, run_at=first, adapter=adapter, **config)
    s2 = snapshot_step(frame("id v", [(1, "a2")]), s1, run_at=run_at, adapter=adapter, **config)
    noon, start = datetime(2024, 1, 2, 12, 0), datetime(2024, 1, 1, 12, 0)
    assert by_version(s2) == sorted(
        [
            (1, "a", start, noon, start),
            (1, "a2", noon, None, noon),
            (2, "b", start, noon, start),
            (2, "b", noon, None, noon),
        ],
        key=repr,
    )
