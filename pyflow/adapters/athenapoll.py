"""How often pyflow asks Athena whether a query has finished.

pyathena polls ``GetQueryExecution`` at a fixed ``poll_interval`` (1 s by default), so a query
that takes 1.05 s is seen finished at 2 s: on a DAG of short queries the waiting, not Athena,
sets the pace. pyflow's cursor polls on a geometric schedule instead: first after
:data:`FIRST_DELAY`, each wait :data:`GROWTH` times the previous one, never longer than the
target's ``poll_interval``. A query is then seen finished at most ``GROWTH - 1`` (a quarter)
of its own duration late while short, and at most ``poll_interval`` late once long, for a
handful of status requests: a 0.3 s statement (a rename, a drop) is seen at 0.41 s, not 1 s; a
1.05 s query at 1.29 s, not 2 s, after 10 requests, where a fixed 0.1 s interval would need 12.
``bench/remote_threads.py`` prints the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

FIRST_DELAY = 0.05
"""Seconds before the first status request after the query started."""
GROWTH = 1.25
"""Each wait is this many times the previous one, up to the target's ``poll_interval``."""


def poll_delays(cap: float, *, first: float = FIRST_DELAY, growth: float = GROWTH) -> Iterator[float]:
    """The waits between status requests of one query: geometric from ``first``, capped at ``cap``."""
    delay = min(first, cap)
    while True:
        yield delay
        delay = min(delay * growth, cap)


def seen_finished_after(duration: float, delays: Iterator[float]) -> tuple[float, int]:
    """When a query of ``duration`` seconds is seen finished, and after how many status requests.

    The first request is sent as the query starts; each later one after the next delay.
    """
    elapsed, requests = 0.0, 1
    while elapsed < duration:
        elapsed += next(delays)
        requests += 1
    return elapsed, requests


def cursor_class(cap: float, sleep: Callable[[float], None] = time.sleep) -> type[Any]:
    """A pyathena ``Cursor`` that polls on :func:`poll_delays` capped at ``cap`` seconds."""
    from pyathena.cursor import Cursor

    class ScheduledPollCursor(Cursor):
        """pyathena's cursor with a fresh polling schedule for every query."""

        poll_cap = cap
        _delays: Iterator[float] = iter(())

        def _poll_until_terminal(self, query_id: str) -> Any:
            self._delays = poll_delays(cap)
            return super()._poll_until_terminal(query_id)

        def _wait_poll_interval(self) -> None:
            sleep(next(self._delays, cap))

    return ScheduledPollCursor
