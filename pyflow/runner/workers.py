"""The scheduler's pool of daemon threads (:class:`pyflow.runner.execute.Executor` runs jobs on it)."""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import queue
import threading
from collections.abc import Callable

from pyflow.runner.events import NodeResult

Job = Callable[[str, int, int], NodeResult]


class Workers:
    """A fixed pool of daemon threads (``pyflow_0`` ...) running submitted calls.

    Unlike ``concurrent.futures.ThreadPoolExecutor``, whose threads the interpreter joins at
    exit, a thread stuck in a job does not keep the process alive once the run gave up on it.
    """

    def __init__(self, size: int, prefix: str) -> None:
        self._queue: queue.SimpleQueue[tuple[cf.Future[NodeResult], Callable[[], NodeResult]] | None]
        self._queue = queue.SimpleQueue()
        self._running: dict[cf.Future[NodeResult], threading.Thread] = {}
        self._threads = [
            threading.Thread(target=self._work, name=f"{prefix}_{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                future, call = item
                if not future.set_running_or_notify_cancel():
                    continue
                self._running[future] = threading.current_thread()
                try:
                    future.set_result(call())
                except BaseException as exc:  # handed to the scheduler through the future
                    if not future.done():
                        future.set_exception(exc)
                finally:
                    self._running.pop(future, None)
        except SystemExit:
            pass  # stopped by :meth:`stop` between two jobs

    def stop(self, future: cf.Future[NodeResult]) -> None:
        """Raise SystemExit in the thread running ``future``, at its next Python instruction.

        A job looping in Python code ends (SystemExit, so the thread ends silently); one blocked
        in a C call (a sleep, a pandas kernel) ends when the call returns.
        """
        thread = self._running.get(future)
        if thread is not None and thread.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit)
            )

    def submit(self, job: Job, uid: str, index: int, total: int) -> cf.Future[NodeResult]:
        """Queue ``job(uid, index, total)``; its future completes when a thread ran it."""
        future: cf.Future[NodeResult] = cf.Future()
        self._queue.put((future, lambda: job(uid, index, total)))
        return future

    def shutdown(self, *, wait: bool) -> None:
        """Let the threads end once the queue is drained; join them when ``wait``."""
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()
