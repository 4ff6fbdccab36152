"""Checkpoints of a DuckDB file database between nodes, and the block cache they release.

The scheduler pauses between nodes when :meth:`Checkpoints.due` says so (see
:mod:`pyflow.runner.checkpoints`); no statement runs during :meth:`Checkpoints.run`.

- **The log.** DuckDB checkpoints by itself at a commit when its write-ahead log passed
  ``checkpoint_threshold`` (16 MiB by default), but only when no other transaction is open; with
  several threads one nearly always is. A 1,000-model build ended with 275 MB of log, the data it
  describes held in memory (650-830 MiB peak RSS instead of ~450), and the last statement paid
  the whole checkpoint.
- **The block cache.** DuckDB keeps every block a query wrote or read in its buffer pool until
  ``memory_limit`` (80 % of RAM by default) forces it out, so a build holds every table it
  wrote. Once checkpointed, those blocks are in the database file, and the operating system's
  page cache keeps them for the children that read them next (memory it gives back under
  pressure, which DuckDB's buffer pool does not). So when the cache passed :data:`CACHE_BYTES`
  a pause checkpoints, sets ``memory_limit`` down for a moment, which makes DuckDB evict its
  unpinned blocks, and sets it back. 1,000 small models: peak RSS 440 -> 280-310 MiB on one
  thread, 550-850 -> 260-275 on four. Each pause's checkpoint and eviction take ~0.2 s with
  every thread idle, but the checkpoints are work DuckDB did anyway (at the end of the run):
  ``bench/run_overhead.py`` could not separate the times before and after (bench/README.md).
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

CACHE_BYTES = 128 * 2**20
"""DuckDB's buffer-pool memory above which a pause checkpoints and releases it."""
RELEASE_TO = "16MB"
"""The ``memory_limit`` set for a moment to evict (a limit DuckDB cannot reach is refused, harmlessly)."""
DEFAULT_THRESHOLD = 16 * 2**20

_SIZE = re.compile(r"([0-9.]+)\s*(bytes|KiB|MiB|GiB|TiB)")
_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def setting_bytes(shown: str) -> int | None:
    """A DuckDB size setting as ``current_setting`` shows it (``16.0 MiB``, ``0 bytes``), in bytes."""
    found = _SIZE.fullmatch(shown.strip())
    return None if found is None else int(float(found.group(1)) * _UNITS[found.group(2)])


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _setting(cur: Any, name: str) -> str:
    return str(cur.execute(f"SELECT current_setting('{name}')").fetchall()[0][0])


class Checkpoints:
    """The log and cache of the database file at ``path`` (``:memory:``: never due)."""

    def __init__(self, path: str, memory_limit: str | None) -> None:
        self.path = path
        self.memory_limit = memory_limit
        """The target's own ``memory_limit`` setting, put back after a release (else the default)."""
        self._threshold: int | None = None
        self._limit_shown: str | None = None
        """``memory_limit`` as DuckDB showed it once the database opened with the target's settings."""
        self._cache_asked = 0.0

    def opened(self, cur: Any) -> None:
        """The database opened: note its ``memory_limit``, to know later whether a hook changed it.

        Without one in the target's settings, DuckDB's default (80 % of RAM) is set explicitly as
        DuckDB shows it (at most 0.1 GiB less), since a release must put back an exact value:
        ``RESET memory_limit`` after a lower limit shows the default again but leaves the buffer
        pool at the lower one (DuckDB 1.5), and the value shown is rounded down.
        """
        if self.path == ":memory:":
            return
        if self.memory_limit is None:
            self.memory_limit = _setting(cur, "memory_limit")
            cur.execute(f"SET memory_limit = {_quoted(self.memory_limit)}")
        self._limit_shown = _setting(cur, "memory_limit")

    def due(self, cur: Any) -> bool:
        """The log passed ``checkpoint_threshold``, or the cache :data:`CACHE_BYTES`.

        The log alone is not enough: DuckDB's own checkpoints (when it finds no other
        transaction open) empty the log but keep the cache, which grew to 900 MB unseen.
        """
        if self.path == ":memory:":
            return False
        if self._threshold is None:
            found = setting_bytes(_setting(cur, "checkpoint_threshold"))
            self._threshold = DEFAULT_THRESHOLD if found is None else found
        try:
            if os.stat(f"{self.path}.wal").st_size >= self._threshold:
                return True
        except OSError:  # no log yet, or not a local file (md:, s3://)
            pass
        now = time.monotonic()
        if now - self._cache_asked < 0.05:  # the query costs ~0.4 ms: not after every node
            return False
        self._cache_asked = now
        return self.cached(cur) >= CACHE_BYTES

    @staticmethod
    def cached(cur: Any) -> int:
        """Bytes DuckDB's buffer manager holds."""
        return int(
            cur.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchall()[0][0]
        )

    def run(self, cur: Any) -> None:
        """Checkpoint, then evict the cache down to what is pinned and put ``memory_limit`` back.

        Only while ``memory_limit`` is still what :meth:`opened` found; one a hook changed is left
        alone, and so is the cache.
        """
        cur.execute("CHECKPOINT").fetchall()
        if self._limit_shown is None or _setting(cur, "memory_limit") != self._limit_shown:
            return
        try:
            cur.execute(f"SET memory_limit = '{RELEASE_TO}'")
        except Exception:  # more is pinned than that: the cache stays, nothing else changes
            pass
        finally:
            cur.execute(f"SET memory_limit = {_quoted(self.memory_limit or self._limit_shown)}")
