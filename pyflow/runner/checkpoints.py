"""Pauses between nodes for the engine to checkpoint (DuckDB's write-ahead log).

DuckDB checkpoints by itself at a commit only when no other transaction is open. With several
threads one nearly always is, so a build's whole output stayed in the log and in memory until
the end (1,000 models: 275 MB of log, 650-830 MiB peak RSS instead of 455, and the last
statement paid the whole checkpoint). When the adapter says one is due, the scheduler starts no
new node, lets the running ones finish and calls the checkpoint, then goes on.

A node still running after :data:`WAIT_S` (a long model) ends the pause without a checkpoint,
and none is asked for again before :data:`RETRY_S`, so idle threads cost at most ~3 % of a run
whatever its models. A checkpoint that fails turns the pauses off for the run, with a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

WAIT_S = 1.0
"""How long a due checkpoint holds new nodes back while the running ones finish."""
RETRY_S = 30.0
"""After a pause given up, how long before a checkpoint is asked for again."""


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
        self._since: float | None = None
        """When the pause started (a checkpoint is due and no node starts)."""
        self._ask_after = 0.0

    def node_done(self) -> None:
        """A node finished: start a pause when the engine wants a checkpoint."""
        if self.checkpointer is None or self._since is not None or time.monotonic() < self._ask_after:
            return
        try:
            if self.checkpointer.checkpoint_due():
                self._since = time.monotonic()
        except Exception as exc:
            self._turn_off(exc)

    def holding(self, running: int) -> bool:
        """True while no node may start; ``running`` jobs are still at work."""
        if self._since is None:
            return False
        if running and time.monotonic() - self._since < WAIT_S:
            return True
        self._since = None
        if running:  # a long node: go on without the checkpoint
            self._ask_after = time.monotonic() + RETRY_S
        elif self.checkpointer is not None:
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
