"""Pauses between nodes for the engine's upkeep: DuckDB's checkpoint and block cache.

The adapter says when one is due (``BaseAdapter.checkpoint_due``: on DuckDB, when its
write-ahead log or its block cache grew, see :mod:`pyflow.adapters.duckdbcheckpoint`).
The scheduler then starts no new node, lets the running ones finish and calls ``checkpoint``,
then goes on. With one thread a pause costs nothing; with several, threads idle while the last
running nodes finish, so:

- a node still running after :data:`WAIT_S` (a long model) ends the pause without a checkpoint;
- a pause starts only while waiting for running nodes took under :data:`SHARE` of the run's
  time so far, plus one pause (:data:`WAIT_S`): a slow node in the first pause of a run must
  not stop the pauses for the rest of it.

A checkpoint that fails turns the pauses off for the run, with a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

WAIT_S = 1.0
"""How long a due checkpoint holds new nodes back while the running ones finish."""
SHARE = 0.05
"""The most of a run's wall time spent waiting for running nodes in pauses (from the first node)."""


class Checkpointer(Protocol):
    """The adapter (see ``BaseAdapter.checkpoint_due``)."""

    def checkpoint_due(self) -> bool: ...  # noqa: D102

    def checkpoint(self) -> None: ...  # noqa: D102


class Pauses:
    """The scheduler's side: :meth:`node_done` after each node, :meth:`holding` before starting one."""

    def __init__(self, checkpointer: Checkpointer | None, warn: Callable[[str], None]) -> None:
        self.checkpointer = checkpointer
        self.warn = warn
        self.count = 0
        """Checkpoints run."""
        self.waited_s = 0.0
        """Time spent holding nodes back while others ran (the checkpoints themselves are work
        the engine does anyway: at a commit with one thread, at the end of the run with several)."""
        self._started = time.monotonic()
        self._since: float | None = None
        """When the pause started (a checkpoint is due and no node starts)."""

    def node_done(self) -> None:
        """A node finished: start a pause when the engine wants one and the budget allows it."""
        if self.checkpointer is None or self._since is not None:
            return
        now = time.monotonic()
        if self.waited_s > SHARE * (now - self._started) + WAIT_S:  # one pause early in a run
            return
        try:
            if self.checkpointer.checkpoint_due():
                self._since = now
        except Exception as exc:
            self._turn_off(exc)

    def holding(self, running: int) -> bool:
        """True while no node may start; ``running`` jobs are still at work."""
        if self._since is None:
            return False
        if running and time.monotonic() - self._since < WAIT_S:
            return True
        self.waited_s += time.monotonic() - self._since
        self._since = None
        if not running and self.checkpointer is not None:  # else a long node: go on without it
            try:
                self.checkpointer.checkpoint()
                self.count += 1
            except Exception as exc:
                self._turn_off(exc)
        return False

    def stop(self) -> None:
        """The run stopped: no pause any more."""
        self.checkpointer, self._since = None, None

    def _turn_off(self, exc: Exception) -> None:
        self.checkpointer, self._since = None, None
        self.warn(f"the run goes on without checkpoints between nodes: {exc}")
