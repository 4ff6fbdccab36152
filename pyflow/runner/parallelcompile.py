"""Compile Python models in worker processes, in dependency order.

Calling a ``@model`` function and compiling its Ibis expression to SQL is CPU work in Python
(about 4 ms a model), so a project of many Python models compiles on one core however many
the machine has. This module spreads that work over forked worker processes:

- the parent process keeps everything that reads the database or the project's state: compile
  keys, the compile cache, each model's inputs and their columns, whether it builds
  incrementally. It turns each model into a :class:`~pyflow.compile.python.PythonJob` (plain
  data) once every Python model it reads is compiled, since a child's inputs are its parents'
  output columns;
- a worker, forked from the parent after loading (it has the project's functions already),
  runs :func:`~pyflow.compile.python.run_python_job` and sends back the compiled model.

Only what the serial pass would compile is compiled here (the Python models among the nodes
asked for, not yet compiled), and the serial pass still runs after it: a model whose compile
failed in a worker, or that carries in-memory tables or Python UDFs (they live in the process
that compiled them), is left to it, so its result and its error are exactly the serial ones.

Used on Linux only (``fork``; macOS and Windows start workers by ``spawn``, which would import
everything again) and with at least :data:`MIN_MODELS` candidates; ``PYFLOW_COMPILE_WORKERS``
sets the number of processes (``1`` turns this off).
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from pyflow.compile.model import CompiledModel
from pyflow.compile.python import PythonJob, run_python_job
from pyflow.core.node import ModelNode
from pyflow.errors import PyflowError

if TYPE_CHECKING:
    from pyflow.runner.compilation import ProjectCompiler

MIN_MODELS = 24
"""Fewer Python models to compile than this are compiled in the parent (forking costs more)."""
MIN_JOBS = 8
"""The workers start once this many models are ready to compile at once; until then (and when
only a few models changed) the parent compiles them itself."""
MAX_BATCH = 8
"""At most this many ready models go to a worker in one task. A task per model cost the parent
(the executor's threads, pipe wake-ups, bookkeeping) about 0.7 ms a model, on the cores the
workers need."""
TASKS_PER_WORKER = 2
"""Tasks in flight per worker: one running and one queued, so no worker waits for the parent."""
ENV = "PYFLOW_COMPILE_WORKERS"
log = logging.getLogger(__name__)

_forked: ProjectCompiler | None = None
"""In a worker process only: the compiler it was forked from (set by :func:`_adopt`)."""


def workers(environ: Mapping[str, str] = os.environ) -> int:
    """How many worker processes compile (0: compile in this process)."""
    raw = environ.get(ENV, "").strip()
    if raw:
        try:
            wanted = int(raw)
        except ValueError:
            log.warning("%s=%r is not a whole number: compiling in one process", ENV, raw)
            return 0
        return wanted if wanted > 1 else 0
    if not sys.platform.startswith("linux"):
        return 0
    cores = len(os.sched_getaffinity(0))
    return cores if cores > 1 else 0


def precompile(
    compiler: ProjectCompiler,
    ids: Sequence[str],
    processes: int | None = None,
    *,
    on_compiled: Callable[[str, CompiledModel], None] | None = None,
) -> int:
    """Compile the Python models among ``ids`` in worker processes; the number compiled there.

    Results land in the compiler's memo and cache, as :meth:`ProjectCompiler.compile` leaves
    them (fresh ones are also handed to ``on_compiled`` as they come); whatever is not compiled
    here is left to the caller's serial pass.
    """
    processes = workers() if processes is None else processes
    project = compiler.project
    candidates = [uid for uid in ids if _eligible(compiler, uid)]
    if processes < 2 or len(candidates) < MIN_MODELS:
        return 0
    blockers, children = _dependencies(project.graph.param_map, candidates)
    ready = deque(uid for uid in candidates if not blockers[uid])
    inflight: dict[Future[list[CompiledModel | None]], list[tuple[str, str]]] = {}
    finished: queue.SimpleQueue[Future[list[CompiledModel | None]]] = queue.SimpleQueue()
    pending: list[tuple[str, str, PythonJob]] = []
    pool: ProcessPoolExecutor | None = None
    done = 0

    def release(uid: str) -> None:
        for child in children.get(uid, ()):
            blockers[child].discard(uid)
            if not blockers[child]:
                ready.append(child)

    try:
        while ready or inflight or pending:
            while ready:
                uid = ready.popleft()
                node = project.node(uid)
                assert isinstance(node, ModelNode)
                try:
                    key, cached = compiler.lookup(node)
                    if cached is not None:
                        compiler.remember(uid, cached)
                        release(uid)
                        continue
                    pending.append((uid, key, compiler.python_job(node)))
                except PyflowError:
                    continue  # the serial pass raises it, for this model and those reading it
            if pool is None and len(pending) < MIN_JOBS:
                # too few to pay for starting the workers (one model changed, say): compile here
                for uid, _, _ in pending:
                    try:
                        compiler.compile(uid)
                    except PyflowError:
                        continue  # the serial pass reports it
                    release(uid)
                pending.clear()
                continue
            if pending:
                pool = pool or _start(compiler, processes)
                # two tasks per worker at most: one running, one waiting, so a worker never idles
                # while models are ready, and what becomes ready meanwhile makes bigger batches
                while pending and (slots := TASKS_PER_WORKER * processes - len(inflight)) > 0:
                    batch = pending[: min(MAX_BATCH, -(-len(pending) // slots))]
                    del pending[: len(batch)]
                    future = pool.submit(_run, [job for _, _, job in batch])
                    inflight[future] = [(uid, key) for uid, key, _ in batch]
                    future.add_done_callback(finished.put)
            done_now = [finished.get()]  # each future is put once, when it is done
            while not finished.empty():
                done_now.append(finished.get())
            for future in done_now:
                for (uid, key), compiled in zip(inflight.pop(future), future.result(), strict=True):
                    if compiled is not None:
                        compiler.store(uid, key, compiled)
                        if on_compiled is not None:
                            on_compiled(uid, compiled)
                        done += 1
                        release(uid)
    except BrokenProcessPool as exc:  # a worker died (killed, out of memory): on submit or result
        log.warning("compile workers stopped (%s): compiling the rest in one process", exc)
    except BaseException:  # Ctrl-C, an error: do not wait for a model function still running
        if pool is not None:
            _stop(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return done


def _eligible(compiler: ProjectCompiler, uid: str) -> bool:
    """A Python model returning an expression, not compiled yet."""
    node = compiler.project.node(uid)
    return (
        isinstance(node, ModelNode)
        and node.is_python
        and not node.returns_dataframe
        and not compiler.has_compiled(uid)
    )


def _dependencies(
    parents: Mapping[str, Mapping[str, str]], candidates: Sequence[str]
) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """For each candidate, the nearest candidates above it (through any other nodes); and the inverse.

    A candidate becomes a job once those are compiled: the others above it (SQL models, seeds,
    sources) the parent resolves itself when it computes the job's inputs. What each other node
    has above it is computed once (in a loop: a chain may be thousands deep), so a layer of
    Python models under thousands of SQL models costs the graph's size, not its square.
    """
    wanted = set(candidates)
    above: dict[str, frozenset[str]] = {}  # a node that is not a candidate -> nearest candidates

    def nearest(uid: str) -> set[str]:
        found: set[str] = set()
        for parent in parents.get(uid, {}).values():
            found |= {parent} if parent in wanted else above[parent]
        return found

    for start in {p for uid in candidates for p in parents.get(uid, {}).values()} - wanted:
        stack = [(start, False)]
        while stack:
            current, expanded = stack.pop()
            if current in above:
                continue
            if expanded:
                above[current] = frozenset(nearest(current))
                continue
            stack.append((current, True))
            stack.extend(
                (p, False) for p in parents.get(current, {}).values() if p not in wanted and p not in above
            )
    blockers = {uid: nearest(uid) for uid in candidates}
    children: dict[str, list[str]] = {}
    for uid, found in blockers.items():
        for parent in found:
            children.setdefault(parent, []).append(uid)
    return blockers, children


def _start(compiler: ProjectCompiler, processes: int) -> ProcessPoolExecutor:
    """Fork the workers (all at once, at the first job) from the parent as it is now."""
    import multiprocessing

    compiler.python_target  # noqa: B018 (computed once, here, for every worker)
    gc.freeze()  # the workers share the parent's objects unchanged: no collection copies them
    pool = ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("fork"), initializer=_adopt, initargs=(compiler,)
    )
    try:
        pool.submit(int).result()  # forks them now, while frozen
    except BaseException:  # Ctrl-C while forking: no worker is left behind
        _stop(pool)
        raise
    finally:
        gc.unfreeze()
    return pool


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers now, whatever they are running (the executor has no public way before 3.14).

    Only the executor's own thread reaps them: two threads waiting on one child race (the loser
    is told there is no such child and takes it for alive), so this waits for them to exit on
    their sentinels, then for that thread.
    """
    from multiprocessing.connection import wait as wait_for_exit

    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    running = {process.sentinel: process for process in processes}
    deadline = time.monotonic() + 2
    while running and (left := deadline - time.monotonic()) > 0:
        for sentinel in wait_for_exit(list(running), left):
            del running[sentinel]
    for process in running.values():  # a SIGTERM handler survived somehow: this one cannot be caught
        process.kill()
    pool.shutdown(wait=True, cancel_futures=True)  # its thread sees them gone, reaps them and ends
    for process in processes:  # reaped already, unless that thread never started (Ctrl-C in a fork)
        process.join(1)


def _adopt(compiler: ProjectCompiler) -> None:
    """In a worker: keep the forked compiler; Ctrl-C is the parent's to handle, SIGTERM ends it.

    (The parent's handlers are inherited: pyflow's CLI turns SIGTERM into KeyboardInterrupt,
    which a worker would report as a failed job and go on.)
    """
    global _forked
    _forked = compiler
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(jobs: list[PythonJob]) -> list[CompiledModel | None]:
    """In a worker: compile a batch of jobs; None for each the parent should compile itself."""
    return [_run_one(job) for job in jobs]


def _run_one(job: PythonJob) -> CompiledModel | None:
    compiler = _forked
    assert compiler is not None
    node = compiler.project.node(job.uid)
    assert isinstance(node, ModelNode)
    try:
        compiled = run_python_job(job, compiler.project.functions[node.name], node, compiler.python_target)
    except Exception:  # the serial pass compiles it again and reports the error there
        return None
    return compiled if compiled.runtime is None else None
