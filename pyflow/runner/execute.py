"""Run node jobs in DAG order on a pool of threads.

A node starts when all its selected parents succeeded. When one fails or is cancelled, every
selected descendant is ``skipped``, naming that ancestor (``cause``), and independent branches
go on. ``--fail-fast`` stops everything instead: running nodes are interrupted and they and the
nodes not started yet are ``cancelled`` (not errors). Ctrl-C / SIGTERM (a flag set by a signal
handler, or a KeyboardInterrupt in the main thread) cancels the running statements and the
pending nodes the same way, and still returns a result for every node. A node is never skipped
without a failed or cancelled ancestor: one that could never start in a run that was not
stopped (a scheduling bug) is an ``error`` saying so, not a silent skip.

Jobs run on daemon threads. A job still running :data:`ABANDON_AFTER_S` after the interrupt
(a Python model busy in a loop or inside a C call, which no flag or statement interrupt reaches)
is abandoned: reported cancelled and no longer waited for, so the run stops anyway; SystemExit
is raised in its thread, which ends a loop in Python code at once (a C call must return first,
or the process end). It cannot change its target afterwards: the adapter refuses every
statement once cancelled, and the transaction it may have opened is rolled back when the
connection closes.
"""

from __future__ import annotations

import concurrent.futures as cf
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pyflow.core.graph import Graph
from pyflow.errors import CancelledError
from pyflow.runner.checkpoints import Checkpointer, Pauses
from pyflow.runner.events import FAILED, Emit, Event, NodeResult, Status
from pyflow.runner.workers import Job, Workers

ABANDON_AFTER_S = 0.75
"""How long running jobs get to stop after an interrupt before they are abandoned."""


class Executor:
    """Schedules ``job(uid, index, total)`` over the graph."""

    def __init__(
        self,
        graph: Graph,
        order: Sequence[str],
        job: Job,
        *,
        threads: int,
        fail_fast: bool,
        emit: Emit,
        on_cancel: Callable[[], None],
        describe: Callable[[str], str],
        extra_parents: Mapping[str, Sequence[str]] | None = None,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self.graph = graph
        self.extra_parents = {k: list(v) for k, v in (extra_parents or {}).items()}
        """Ordering edges beyond the graph: in ``build``, a model waits for its parents' tests."""
        self.extra_children: dict[str, list[str]] = {}
        for child, ups in self.extra_parents.items():
            for up in ups:
                self.extra_children.setdefault(up, []).append(child)
        self.order = list(order)
        self.selected = set(order)
        self.job = job
        self.threads = max(1, min(threads, len(self.order)))  # never more workers than nodes
        self.fail_fast = fail_fast
        self.emit = emit
        self.on_cancel = on_cancel
        self.describe = describe
        self.cancelled = False
        """True when the run was interrupted (Ctrl-C / SIGTERM)."""
        self.stopped = False
        """True once no node may start any more (interrupted, or --fail-fast after a failure)."""
        self.cancel_reason = "not run"
        self.stop_cause: str | None = None
        """The node whose failure stopped the run under ``--fail-fast``."""
        self._waits: dict[str, set[str]] = {}
        """The selected nodes each node waits for (parents, seen through unselected ones, and extra)."""
        self.results: dict[str, NodeResult] = {}
        self.abandoned: list[str] = []
        """Jobs still running when the run gave up on them (see :data:`ABANDON_AFTER_S`)."""
        self._abandon_at = float("inf")
        self._pool: Workers | None = None
        self._started: dict[str, tuple[int, float]] = {}
        """Index and start time of each submitted job."""
        self._interrupted = False
        self.pauses = Pauses(checkpointer, self._warn)
        """Pauses between nodes for the engine's checkpoints (:mod:`pyflow.runner.checkpoints`)."""
        self._counter = 0
        self._lock = threading.Lock()

    def _index(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _skip(self, uid: str, cause: str) -> None:
        """Skip ``uid`` because of ``cause``: a failed or cancelled ancestor (or one skipped for one)."""
        found = self.results[cause]
        if found.status == "skipped" and found.cause is not None:
            cause, found = found.cause, self.results[found.cause]
        verb = "was cancelled" if found.status == "cancelled" else "failed"
        self._finish(uid, "skipped", f"skipped because '{found.name}' {verb}", cause=cause)

    def _finish(
        self, uid: str, status: Status, message: str, *, cause: str | None = None, error: bool = False
    ) -> None:
        """Record the result of a node that did not run (skipped, cancelled, never started)."""
        if uid in self.results:
            return
        node = self.graph.nodes[uid]
        result = NodeResult(uid, node.name, status, message, cause=cause)
        if error:
            result.error = {"code": "internal", "message": message}
        self.results[uid] = result
        self.emit(
            Event(
                "node_finish",
                index=self._index(),
                total=len(self.order),
                description=self.describe(uid),
                result=result,
            )
        )

    def run(self) -> list[NodeResult]:
        """Run everything; return results in plan order."""
        waiting = {uid: self._upstream(uid) for uid in self.order}
        self._waits = {uid: set(ups) for uid, ups in waiting.items()}
        dependents: dict[str, list[str]] = {}
        for uid, ups in waiting.items():
            for up in ups:
                dependents.setdefault(up, []).append(uid)
        position = {uid: i for i, uid in enumerate(self.order)}
        ready = sorted((u for u, ps in waiting.items() if not ps), key=position.__getitem__)
        running: dict[cf.Future[NodeResult], str] = {}
        total = len(self.order)
        pool = self._pool = Workers(self.threads, "pyflow")
        restore_signals = self._catch_signals()
        try:
            while ready or running:
                if self._interrupted:
                    self._cancel()
                if self.cancelled and running and time.monotonic() >= self._abandon_at:
                    self._abandon(running)
                    break
                holding = self.pauses.holding(len(running))
                while ready and len(running) < self.threads and not self.stopped and not holding:
                    uid = ready.pop(0)
                    if uid in self.results:
                        continue
                    index = self._index()
                    self._started[uid] = (index, time.time())
                    running[pool.submit(self.job, uid, index, total)] = uid
                if not running:
                    break
                try:
                    done, _ = cf.wait(list(running), timeout=0.1, return_when=cf.FIRST_COMPLETED)
                except KeyboardInterrupt:
                    self._cancel()
                    continue
                for fut in done:
                    uid = running.pop(fut)
                    result = fut.result()
                    self.results[uid] = result
                    if result.status == "cancelled" and self.stop_cause is not None:
                        result.cause = result.cause or self.stop_cause
                        result.message = f"cancelled by {self.cancel_reason}: {result.message}"
                    if result.status in FAILED or result.status == "cancelled":
                        self._on_failure(uid, result)
                    for child in dependents.get(uid, []):
                        if uid in waiting[child]:
                            waiting[child].discard(uid)
                            if not waiting[child] and child not in self.results:
                                ready.append(child)
                    ready.sort(key=position.__getitem__)
                if done:
                    self.pauses.node_done()
        except KeyboardInterrupt:
            self._cancel()
            done, _ = cf.wait(list(running), timeout=max(0.0, self._abandon_at - time.monotonic()))
            for fut in done:
                self.results[running.pop(fut)] = fut.result()
            self._abandon(running)
        finally:
            pool.shutdown(wait=not self.abandoned)
            restore_signals()
        if self._interrupted:
            self._cancel()
        self._settle_pending()
        return [self.results[uid] for uid in self.order]

    def _warn(self, text: str) -> None:
        self.emit(Event("message", level="warn", text=text))

    def _settle_pending(self) -> None:
        """Give every node that did not run its result: skipped, cancelled or (a bug) an error."""
        pending = [uid for uid in self.order if uid not in self.results]
        if not self.stopped:  # nothing stopped the run: a node left waiting is a scheduling bug
            stuck = [uid for uid in pending if self._waits_on_itself(uid)]
            waits_for = {
                uid: next(u for u in self.order if u in self._waits[uid] and u in pending) for uid in stuck
            }
            for uid, up in waits_for.items():
                name, other = self.graph.nodes[uid].name, self.graph.nodes[up].name
                message = (
                    f"internal error: '{name}' never started: it waits for '{other}', which never "
                    "finished (a scheduling bug in pyflow: please report it)"
                )
                self._finish(uid, "error", message, error=True)
        position = {uid: i for i, uid in enumerate(self.order)}
        for uid in pending:
            self._settle(uid, position, set())

    def _settle(self, uid: str, position: Mapping[str, int], visiting: set[str]) -> None:
        if uid in self.results or uid in visiting:
            return
        visiting.add(uid)
        ups = sorted(self._waits.get(uid, ()), key=position.__getitem__)
        for up in ups:
            self._settle(up, position, visiting)
        bad = [
            u for u in ups if u in self.results and self.results[u].status not in ("success", "pass", "warn")
        ]
        if bad:
            self._skip(uid, bad[0])
        else:
            self._finish(
                uid, "cancelled", f"cancelled before it started: {self.cancel_reason}", cause=self.stop_cause
            )

    def _waits_on_itself(self, uid: str) -> bool:
        """True when ``uid`` waits, through nodes that never ran, for itself."""
        seen: set[str] = set()
        stack = list(self._waits.get(uid, ()))
        while stack:
            up = stack.pop()
            if up == uid:
                return True
            if up in seen or up in self.results:
                continue
            seen.add(up)
            stack.extend(self._waits.get(up, ()))
        return False

    def _catch_signals(self) -> Callable[[], None]:
        """Make Ctrl-C / SIGTERM set a flag the scheduling loop checks; return the undo.

        A KeyboardInterrupt raised at an arbitrary point of the loop (inside ``pool.submit``,
        say) could lose a job that had just started: it would run on but be reported as
        skipped. A second signal raises KeyboardInterrupt as before.
        """
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_signal(signum: int, frame: Any) -> None:
            if self._interrupted:
                raise KeyboardInterrupt
            self._interrupted = True

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for s, handler in previous.items():
                if handler is not None:
                    signal.signal(s, handler)

        return restore

    def _upstream(self, uid: str) -> set[str]:
        """Find the selected nodes ``uid`` waits for: parents, seen through unselected ones (ephemeral)."""
        found: set[str] = set()
        seen: set[str] = set()
        stack = [*self.graph.parents.get(uid, []), *self.extra_parents.get(uid, [])]
        while stack:
            parent = stack.pop()
            if parent in seen:
                continue
            seen.add(parent)
            if parent in self.selected:
                found.add(parent)
            else:
                stack.extend(self.graph.parents.get(parent, []))
        return found

    def _on_failure(self, uid: str, result: NodeResult) -> None:
        """Skip what lies below a failed or cancelled node; stop everything under --fail-fast."""
        name = self.graph.nodes[uid].name
        if self.fail_fast and result.status in FAILED and not self.stopped:
            self.stop_cause = uid
            self._cancel(f"--fail-fast after '{name}' failed", interrupted=False)
        below: set[str] = set()
        frontier = [uid]
        while frontier:
            n = frontier.pop()
            for c in [*self.graph.children.get(n, []), *self.extra_children.get(n, [])]:
                if c not in below:
                    below.add(c)
                    frontier.append(c)
        for d in self.order:
            if d in below:
                self._skip(d, uid)

    def _abandon(self, running: dict[cf.Future[NodeResult], str]) -> None:
        """Report the jobs still running after an interrupt as cancelled, and stop waiting for them."""
        for future, uid in running.items():
            if self._pool is not None:
                self._pool.stop(future)  # a loop in Python code ends now, not at exit
            node = self.graph.nodes[uid]
            err = CancelledError(
                "interrupted: the run was cancelled while this node was running, and it did not "
                f"stop within {ABANDON_AFTER_S:g}s (busy in Python code); it was abandoned and "
                "its target left as it was",
                model=node.name,
                path=node.path,
                resource=node.resource_type,
                hint="run the command again; make long Python steps return sooner",
                code="cancelled",
            )
            index, started = self._started[uid]
            result = NodeResult(
                uid, node.name, "cancelled", str(err), error=err.to_dict(), started_at=started
            )
            result.completed_at = time.time()
            result.execution_time = result.completed_at - started
            self.results[uid] = result
            self.abandoned.append(uid)
            self.emit(
                Event(
                    "node_finish",
                    index=index,
                    total=len(self.order),
                    description=self.describe(uid),
                    result=result,
                )
            )
        running.clear()

    def _cancel(
        self, reason: str = "the run was interrupted (Ctrl-C / SIGTERM)", *, interrupted: bool = True
    ) -> None:
        if interrupted and not self.cancelled:
            self._abandon_at = time.monotonic() + ABANDON_AFTER_S
        self.cancelled = self.cancelled or interrupted
        if self.stopped:
            return
        self.stopped = True
        self.pauses.stop()
        self.cancel_reason = reason
        self.on_cancel()
