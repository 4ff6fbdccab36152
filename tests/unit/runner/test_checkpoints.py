"""Checkpoint pauses between nodes (pyflow.runner.checkpoints) in the scheduler and on DuckDB."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pyflow.adapters import duckdbcheckpoint
from pyflow.adapters.duckdb import DuckDBAdapter, MemoryConfig
from pyflow.adapters.duckdbcheckpoint import Checkpoints, setting_bytes
from pyflow.core.graph import Graph
from pyflow.core.node import ModelNode
from pyflow.runner import checkpoints
from pyflow.runner.events import Event, NodeResult
from pyflow.runner.execute import Executor

MiB = 2**20
TICK = 0.1
"""The scheduler's wait for a finished job (``cf.wait(timeout=0.1)``): a pause ends at a tick."""


def _graph(names: list[str]) -> tuple[Graph, list[str]]:
    nodes = {f"model.p.{n}": ModelNode(name=n, package="p", path=f"models/{n}.sql", line=1) for n in names}
    return Graph(nodes=dict(nodes), parents={}), list(nodes)


def _executor(
    order: list[str], graph: Graph, job: Any, checkpointer: Any, events: list[Event], threads: int = 4
):
    return Executor(
        graph,
        order,
        job,
        threads=threads,
        fail_fast=False,
        emit=events.append,
        on_cancel=lambda: None,
        describe=lambda uid: uid,
        checkpointer=checkpointer,
    )


class Counting:
    """Jobs that sleep a little and count how many run at once."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.lock = threading.Lock()
        self.active = 0
        self.finished = 0
        self.started_after_checkpoint = 0
        self.checkpointed = False

    def __call__(self, uid: str, index: int, total: int) -> NodeResult:
        with self.lock:
            self.active += 1
            self.started_after_checkpoint += self.checkpointed
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
            self.finished += 1
        return NodeResult(uid, self.graph.nodes[uid].name, "success")


@pytest.mark.parametrize("threads", [1, 4])
def test_a_due_checkpoint_runs_when_no_node_runs_then_the_run_goes_on(threads: int) -> None:
    graph, order = _graph([f"m{i}" for i in range(12)])
    jobs = Counting(graph)
    seen: list[int] = []

    class Engine:
        def checkpoint_due(self) -> bool:
            return jobs.finished >= 3 and not seen

        def checkpoint(self) -> None:
            seen.append(jobs.active)
            jobs.checkpointed = True

    events: list[Event] = []
    executor = _executor(order, graph, jobs, Engine(), events, threads=threads)
    results = executor.run()

    assert [r.status for r in results] == ["success"] * 12
    assert seen == [0]  # once, with no node running
    assert executor.pauses.count == 1
    assert jobs.started_after_checkpoint > 0
    assert not [e for e in events if e.kind == "message"]


def test_a_long_node_ends_the_pause_without_a_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "WAIT_S", 0.1)
    graph, order = _graph(["long", *[f"m{i}" for i in range(8)]])
    quick_done = threading.Event()
    long_running = threading.Event()
    finished: list[str] = []
    during_long: list[bool] = []

    def job(uid: str, index: int, total: int) -> NodeResult:
        name = graph.nodes[uid].name
        if name == "long":  # runs until every quick node finished: a pause held forever fails this
            long_running.set()
            try:
                assert quick_done.wait(10), "the quick nodes waited for the long one"
            finally:
                long_running.clear()
        else:
            time.sleep(0.01)
            finished.append(name)
            if len(finished) == 8:
                quick_done.set()
        return NodeResult(uid, name, "success")

    class Engine:
        def checkpoint_due(self) -> bool:
            return True

        def checkpoint(self) -> None:
            during_long.append(long_running.is_set())

    executor = _executor(order, graph, job, Engine(), [])
    results = executor.run()

    assert [r.status for r in results] == ["success"] * 9
    assert True not in during_long  # never while the long node ran
    # each pause given up after WAIT_S (seen at the scheduler's next 0.1 s tick), and no more
    # than two: waiting then passed the share and the slack
    assert 0.1 <= executor.pauses.waited_s <= 2 * (0.1 + TICK)


def test_a_failing_checkpoint_warns_once_and_the_run_goes_on() -> None:
    graph, order = _graph([f"m{i}" for i in range(10)])
    calls: list[str] = []

    class Engine:
        def checkpoint_due(self) -> bool:
            return True

        def checkpoint(self) -> None:
            calls.append("checkpoint")
            raise RuntimeError("IO Error: could not write the checkpoint")

    events: list[Event] = []
    results = _executor(order, graph, Counting(graph), Engine(), events).run()

    assert [r.status for r in results] == ["success"] * 10
    assert calls == ["checkpoint"]
    assert [(e.level, e.text) for e in events if e.kind == "message"] == [
        (
            "warn",
            "the run goes on without checkpoints between nodes: IO Error: could not write the checkpoint",
        )
    ]


def test_pauses_take_at_most_their_share_of_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "WAIT_S", 0.05)  # the slack: one pause
    graph, order = _graph([f"m{i}" for i in range(60)])

    def job(uid: str, index: int, total: int) -> NodeResult:
        time.sleep(0.04 if index % 2 else 0.01)  # a short node ends while a long one runs
        return NodeResult(uid, graph.nodes[uid].name, "success")

    class Engine:
        def checkpoint_due(self) -> bool:
            return True

        def checkpoint(self) -> None:
            pass

    executor = _executor(order, graph, job, Engine(), [], threads=2)
    started = time.monotonic()
    assert [r.status for r in executor.run()] == ["success"] * 60
    elapsed = time.monotonic() - started

    # without the budget: a pause after nearly every node, ~0.87 s of waiting in ~1.2 s
    assert executor.pauses.count >= 1
    assert 0.02 < executor.pauses.waited_s <= checkpoints.SHARE * elapsed + 0.05 + (0.05 + TICK)


def _file_adapter(tmp_path: Path, **settings: str) -> DuckDBAdapter:
    adapter = DuckDBAdapter(MemoryConfig(path=str(tmp_path / "wal.duckdb"), settings=settings))
    adapter.open()
    return adapter


def _wal(tmp_path: Path) -> int:
    path = tmp_path / "wal.duckdb.wal"
    return path.stat().st_size if path.exists() else 0


def test_duckdb_checkpoint_is_due_when_its_log_passes_duckdbs_threshold(tmp_path: Path) -> None:
    adapter = _file_adapter(tmp_path, checkpoint_threshold="64KiB")
    try:
        writer = adapter._con.cursor()  # another open write keeps DuckDB from checkpointing itself
        writer.execute("BEGIN TRANSACTION")
        writer.execute("CREATE TABLE other (i INTEGER)")
        adapter.execute("CREATE TABLE t (i INTEGER, s VARCHAR)")
        assert not adapter.checkpoint_due()
        for n in range(20):
            adapter.execute(
                f"INSERT INTO t SELECT range, md5(range::VARCHAR) FROM range({n * 500}, {n * 500 + 500})"
            )
        assert _wal(tmp_path) >= 64 * 1024
        assert adapter.checkpoint_due()

        writer.execute("COMMIT")
        adapter.checkpoint()

        assert _wal(tmp_path) < 64 * 1024
        assert not adapter.checkpoint_due()
        assert adapter.fetchall("SELECT count(*) FROM t") == [(10_000,)]
    finally:
        adapter.close()


def test_duckdb_in_memory_is_never_due() -> None:
    adapter = DuckDBAdapter.in_memory()
    adapter.open()
    try:
        adapter.execute("CREATE TABLE t AS SELECT range AS i FROM range(100000)")
        assert not adapter.checkpoint_due()
    finally:
        adapter.close()


BIG = "CREATE TABLE big AS SELECT hash(range) AS h FROM range(10000000)"  # ~80 MB, incompressible


def _limit(adapter: DuckDBAdapter) -> str:
    return str(adapter.fetchall("SELECT current_setting('memory_limit')")[0][0])


@pytest.mark.parametrize("configured", [None, "1GB"])
def test_duckdb_a_pause_releases_the_block_cache_and_restores_memory_limit(
    tmp_path: Path, configured: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duckdbcheckpoint, "CACHE_BYTES", 64 * MiB)
    settings = {} if configured is None else {"memory_limit": configured}
    adapter = _file_adapter(tmp_path, **settings)
    try:
        limit = _limit(adapter)
        adapter.execute(BIG)
        adapter.execute("CHECKPOINT")
        contents = adapter.fetchall("SELECT count(*), sum(h::HUGEINT) FROM big")
        cur = adapter._thread_cursor()
        assert Checkpoints.cached(cur) >= 64 * MiB  # the table's blocks, kept after the checkpoint
        assert _wal(tmp_path) == 0
        assert adapter.checkpoint_due()  # for the cache alone

        adapter.checkpoint()

        assert Checkpoints.cached(cur) < 24 * MiB
        time.sleep(0.06)  # the cache is asked at most every 50 ms
        assert not adapter.checkpoint_due()
        assert _limit(adapter) == limit
        assert adapter.fetchall("SELECT count(*), sum(h::HUGEINT) FROM big") == contents
    finally:
        adapter.close()


def test_duckdb_a_memory_limit_a_hook_set_survives_a_pause(tmp_path: Path) -> None:
    adapter = _file_adapter(tmp_path)
    try:
        adapter.execute(BIG)
        adapter.execute("SET memory_limit = '3GB'")
        shown = _limit(adapter)
        cached = Checkpoints.cached(adapter._thread_cursor())

        adapter.checkpoint()

        assert _limit(adapter) == shown  # left alone, not put back from the rounded value
        assert cached >= 64 * MiB
        assert Checkpoints.cached(adapter._thread_cursor()) >= 64 * MiB
    finally:
        adapter.close()


@pytest.mark.parametrize("shown, expected", [("16.0 MiB", 16 * 2**20), ("0 bytes", 0), ("97.6 KiB", 99942)])
def test_duckdb_size_settings_are_read_in_bytes(shown: str, expected: int) -> None:
    assert setting_bytes(shown) == expected
    assert setting_bytes("unlimited") is None


def _build(tmp_path: Path, checkpointer: bool) -> tuple[int, int]:
    """40 nodes on 4 threads, each writing a small table in a transaction held a little while.

    Returns the largest log seen after a node's commit (not the log at the end: the last commit
    has no other transaction beside it, so DuckDB may checkpoint there, as it did on a loaded
    machine) and the number of pauses.
    """
    adapter = _file_adapter(tmp_path, checkpoint_threshold="256KiB")
    graph, order = _graph([f"m{i}" for i in range(40)])
    largest = [0]
    lock = threading.Lock()

    def job(uid: str, index: int, total: int) -> NodeResult:
        name = graph.nodes[uid].name
        with adapter.transaction():
            adapter.execute(
                f"CREATE TABLE {name} AS SELECT range AS i, repeat('y', 30) AS s FROM range(2000)"
            )
            time.sleep(0.01)
        with lock:
            largest[0] = max(largest[0], _wal(tmp_path))
        return NodeResult(uid, name, "success")

    try:
        executor = _executor(order, graph, job, adapter if checkpointer else None, [])
        assert [r.status for r in executor.run()] == ["success"] * 40
        return largest[0], executor.pauses.count
    finally:
        adapter.close()


def test_a_threaded_duckdb_build_keeps_its_log_near_duckdbs_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "SHARE", 0.5)  # a short run: let the pauses take their time
    (tmp_path / "without").mkdir()
    (tmp_path / "with").mkdir()
    wal_without, _ = _build(tmp_path / "without", checkpointer=False)
    wal_with, count = _build(tmp_path / "with", checkpointer=True)

    assert wal_without > 1024 * 1024  # the problem: with 4 threads DuckDB hardly checkpoints
    assert count >= 2
    assert wal_with < wal_without / 2
