"""Faults injected into the statements pyflow sends to a real DuckDB database.

:func:`inject` wraps the adapter's per-thread cursor: every statement still runs on DuckDB,
except the one chosen, which raises a given driver error instead (a full disk, say) or kills
the whole process with SIGKILL before it runs (``kill -9`` at an exact step of a build).
Only statements sent from the run's worker threads (``pyflow_*``) count, so the catalog reads
done while compiling in the main thread do not shift the numbering.

In a subprocess, :func:`install_from_env` reads the plan from ``PYFLOW_FAULT_KILL_AT`` (kill
before the k-th statement, 0-based) and ``PYFLOW_FAULT_LOG`` (append each statement to this
file), so a test can run ``python -c "import tests.reliability.faults as f;
f.install_from_env(); ..."``.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

KILL_AT = "PYFLOW_FAULT_KILL_AT"
LOG = "PYFLOW_FAULT_LOG"


class Plan:
    """Which statement fails, and how; the statements seen so far."""

    def __init__(
        self,
        *,
        at: int | None = None,
        prefix: str | None = None,
        error: BaseException | None = None,
        kill: bool = False,
        log: str | None = None,
    ) -> None:
        self.at = at
        self.prefix = prefix.upper() if prefix else None
        self.error = error
        self.kill = kill
        self.log = log
        self.seen: list[str] = []
        self.fired = False
        self._lock = threading.Lock()

    def before(self, sql: str) -> None:
        """Called before each statement of a worker thread: fail or kill when it is the chosen one."""
        with self._lock:
            index = len(self.seen)
            self.seen.append(sql)
            if self.log:
                with open(self.log, "a", encoding="utf-8") as f:
                    f.write(" ".join(sql.split())[:200] + "\n")
            chosen = not self.fired and (
                (self.at is not None and index == self.at)
                or (self.prefix is not None and sql.lstrip().upper().startswith(self.prefix))
            )
            if chosen:
                self.fired = True
        if not chosen:
            return
        if self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        assert self.error is not None
        raise self.error


class _Cursor:
    """A DuckDB cursor that asks the plan before each ``execute``."""

    def __init__(self, cursor: Any, plan: Plan) -> None:
        self._cursor = cursor
        self._plan = plan

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("pyflow_"):
            self._plan.before(sql)
        self._cursor.execute(sql, *args, **kwargs)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def inject(setattr_: Callable[[Any, str, Any], None], plan: Plan) -> Plan:
    """Route every cursor of :class:`DuckDBAdapter` through ``plan`` (``setattr_``:
    ``monkeypatch.setattr``, or ``setattr`` in a subprocess)."""
    from pyflow.adapters.duckdb import DuckDBAdapter

    # _thread_cursor: the cursor every statement runs on (_cursor, which hands the cursor to
    # code outside the adapter, goes through it too)
    original = DuckDBAdapter._thread_cursor

    def cursor(self: DuckDBAdapter) -> Any:
        return _Cursor(original(self), plan)

    setattr_(DuckDBAdapter, "_thread_cursor", cursor)
    return plan


def install_from_env() -> None:
    """In a subprocess: inject the plan described by the environment (see the module docstring)."""
    at = os.environ.get(KILL_AT)
    inject(setattr, Plan(at=int(at) if at else None, kill=True, log=os.environ.get(LOG)))
