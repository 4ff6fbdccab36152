"""Tests for pyflow.adapters.athenapoll: when a finished Athena query is noticed."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from pyflow.adapters.athenapoll import cursor_class, poll_delays, seen_finished_after


def test_poll_delays_grow_geometrically_up_to_the_poll_interval() -> None:
    delays = list(itertools.islice(poll_delays(1.0), 9))

    assert delays == pytest.approx([0.05 * 1.25**i for i in range(9)])
    assert list(itertools.islice(poll_delays(1.0), 20, 23)) == [1.0, 1.0, 1.0]


def test_short_queries_are_seen_finished_soon_after_they_end() -> None:
    # pyathena's fixed 1 s interval notices a 1.05 s query at 2 s and a 0.3 s one at 1 s; the
    # schedule notices them at 1.29 s and 0.41 s
    assert seen_finished_after(1.05, poll_delays(1.0)) == (pytest.approx(1.2901161193847657), 10)
    assert seen_finished_after(0.3, poll_delays(1.0)) == (pytest.approx(0.4103515625), 6)
    assert seen_finished_after(1.05, itertools.repeat(1.0)) == (2.0, 3)
    assert seen_finished_after(0.3, itertools.repeat(1.0)) == (1.0, 2)


def test_a_long_query_is_polled_at_the_poll_interval() -> None:
    delays = list(itertools.islice(poll_delays(2.0), 40))

    assert delays[-1] == 2.0 and max(delays) == 2.0


def test_the_cursor_waits_on_the_schedule_and_restarts_it_for_each_query() -> None:
    pytest.importorskip("pyathena")
    waits: list[float] = []
    cls = cursor_class(0.2, sleep=waits.append)
    states = iter(["QUEUED", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED", "RUNNING", "SUCCEEDED"])
    cursor = cls.__new__(cls)
    cursor._on_poll = None
    cursor._get_query_execution = lambda query_id: SimpleNamespace(state=next(states), query_id=query_id)

    first = cursor._poll_until_terminal("q1")
    second = cursor._poll_until_terminal("q2")

    assert (first.state, first.query_id, second.query_id) == ("SUCCEEDED", "q1", "q2")
    assert waits == pytest.approx([0.05, 0.0625, 0.078125, 0.09765625, 0.05])


def test_the_athena_connection_uses_the_scheduled_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    pyathena = pytest.importorskip("pyathena")
    from pyflow.adapters.athena import AthenaAdapter
    from pyflow.config.profile import AthenaTarget

    seen: dict[str, object] = {}
    monkeypatch.setattr(pyathena, "connect", lambda **kwargs: seen.update(kwargs))
    target = AthenaTarget.model_validate(
        {
            "type": "athena",
            "s3_staging_dir": "s3://b/s/",
            "region_name": "eu-west-1",
            "schema": "a",
            "poll_interval": 0.5,
        }
    )

    AthenaAdapter(target).connect()

    cls = seen["cursor_class"]
    assert isinstance(cls, type) and cls.__name__ == "ScheduledPollCursor"
    assert issubclass(cls, pyathena.cursor.Cursor) and cls.poll_cap == 0.5
