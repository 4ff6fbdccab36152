"""Tests for pyflow.runner.parallelcompile: worker processes compile what the serial pass would.

One project mixes what the parent must handle itself with plain Python models: a SQL model
between Python models, an ephemeral Python model, models reading a var and ``run_started_at``
through ``ctx``, a DataFrame model, a memtable (it lives in the process that compiled it), a
model that raises and its child. Compiled with workers and without, every result and every
error must be the same, and the workers must have compiled the plain models.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import signal
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pyflow.compile.cache import CompileCache
from pyflow.config.loader import load_project
from pyflow.core.spec import TargetInfo
from pyflow.errors import PyflowError
from pyflow.runner import parallelcompile
from pyflow.runner.compilation import ProjectCompiler
from tests.unit.runner.test_compilekey import SOURCES

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")

TARGET = TargetInfo(name="dev", type="duckdb", schema="main", database="memory")
NOW = datetime(2024, 1, 1, tzinfo=UTC)
MEMTABLE = re.compile(r"ibis_pandas_memtable_\w+")
CHAIN = 30  # plain Python models p00 -> p01 -> ... and a fan of f00..f29 over raw


def _py(name: str, params: str, body: str, deco: str = "@model") -> str:
    return f"import ibis\nfrom pyflow import model\n\n\n{deco}\ndef {name}({params}):\n    {body}\n"


def _files() -> dict[str, str]:
    files = {
        "pyflow.yml": "name: shop\nvars:\n  threshold: 10\n",
        "models/sources.yml": SOURCES,  # raw.orders: id integer, amount double
        "models/p00.py": _py("p00", "raw__orders", "return raw__orders.mutate(k=raw__orders.id + 0)"),
        # a SQL model between Python models: the parent describes it
        "models/s.sql": "select id, amount, id * 2 as twice from {{ ref('p05') }}\n",
        "models/after_sql.py": _py("after_sql", "s", "return s.filter(s.twice > 4)"),
        "models/eph.py": _py(
            "eph", "p03", "return p03.select('id', 'k')", '@model(materialized="ephemeral")'
        ),
        "models/reads_eph.py": _py("reads_eph", "eph", "return eph.filter(eph.k > 1)"),
        "models/uses_var.py": _py(
            "uses_var", "p01, ctx", 'return p01.filter(p01.amount > ctx.var("threshold"))'
        ),
        "models/volatile.py": _py(
            "volatile", "p02, ctx", "return p02.mutate(at=ibis.literal(ctx.run_started_at))"
        ),
        "models/frame.py": "import pandas as pd\nfrom pyflow import model\n\n\n@model\n"
        "def frame(p04) -> pd.DataFrame:\n    return pd.DataFrame({'x': [1]})\n",
        "models/memtable.py": _py(
            "memtable",
            "p06",
            "labels = ibis.memtable({'id': [1, 2], 'label': ['one', 'two']})\n"
            "    return p06.join(labels, 'id')",
            '@model(materialized="table")',  # attached at run time, not inlined as VALUES
        ),
        "models/broken.py": _py("broken", "p07", "return p07.no_such_column"),
        "models/child_of_broken.py": _py("child_of_broken", "broken", "return broken"),
    }
    for i in range(1, CHAIN):
        prev = f"p{i - 1:02d}"
        files[f"models/p{i:02d}.py"] = _py(f"p{i:02d}", prev, f"return {prev}.mutate(k={prev}.k + {i})")
    for i in range(CHAIN):
        files[f"models/f{i:02d}.py"] = _py(
            f"f{i:02d}", "raw__orders", f"return raw__orders.filter(raw__orders.id > {i})"
        )
    return files


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _compile(root: Path, adapter: Any, processes: int) -> tuple[dict[str, Any], int]:
    """Every model's result (or error text), the way Session.compile_nodes compiles them."""
    project = load_project(root)
    compiler = ProjectCompiler(project, adapter, TARGET, NOW, cache=CompileCache(None))
    ids = project.graph.topo_order()
    handed: list[str] = []
    try:
        in_workers = parallelcompile.precompile(
            compiler, ids, processes, on_compiled=lambda uid, _: handed.append(uid)
        )
        assert len(handed) == len(set(handed)) == in_workers  # each, as it came back
        out: dict[str, Any] = {}
        for uid in ids:
            node = project.node(uid)
            if node.resource_type != "model":
                continue
            try:
                compiled = compiler.compile(uid)
            except PyflowError as exc:
                out[node.name] = ("error", str(exc), exc.path, exc.line, exc.hint)
            else:
                out[node.name] = (
                    MEMTABLE.sub("memtable", compiled.sql or ""),  # a new name at each compile
                    compiled.columns,
                    compiled.vars_read,
                    compiled.volatile,
                    compiled.is_dataframe,
                    compiled.runtime is not None,
                )
        return out, in_workers
    finally:
        compiler.close()


def _collect(into: list[str]) -> Any:
    return lambda uid, _compiled: into.append(uid)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    _write(tmp_path, _files())
    return tmp_path


def test_parallelcompile_workers_give_the_serial_results_and_errors(root: Path, duckdb_adapter: Any) -> None:
    serial, none = _compile(root, duckdb_adapter, processes=0)
    parallel, in_workers = _compile(root, duckdb_adapter, processes=2)
    assert none == 0
    assert parallel == serial
    # what the workers cannot compile is left to the serial pass, which reports it
    assert serial["broken"][0] == "error" and "no_such_column" in serial["broken"][1]
    assert serial["child_of_broken"][0] == "error"
    assert serial["memtable"][5] is True  # carries its in-memory table
    assert serial["uses_var"][2] == ("threshold",) and serial["volatile"][3] is True
    assert serial["frame"][4] is True
    # the workers compiled every plain Python model: the chain, the fan, after_sql, eph,
    # reads_eph, uses_var and volatile; not the DataFrame model, not memtable (sent back to the
    # parent), not broken (failed there), not its child (never sent)
    assert in_workers == 2 * CHAIN + 5


def test_parallelcompile_small_projects_and_one_process_stay_serial(root: Path, duckdb_adapter: Any) -> None:
    project = load_project(root)
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW, cache=CompileCache(None))
    ids = project.graph.topo_order()
    few = [uid for uid in ids if project.node(uid).name.startswith("f")][: parallelcompile.MIN_MODELS - 1]
    try:
        assert parallelcompile.precompile(compiler, few, 2) == 0
        assert parallelcompile.precompile(compiler, ids, 1) == 0
        assert not any(compiler.has_compiled(uid) for uid in ids)
    finally:
        compiler.close()


def test_parallelcompile_cached_models_are_not_sent_to_workers(root: Path, duckdb_adapter: Any) -> None:
    cache_file = root / "target" / "cache.json"
    # second time only volatile (it reads run_started_at: never cached), memtable and broken are
    # left: too few to start the workers, the parent compiles them
    for expected_in_workers, not_compiled in ((2 * CHAIN + 5, {"memtable"}), (0, set())):
        project = load_project(root)
        compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW, cache=CompileCache(cache_file))
        handed: list[str] = []
        try:
            ids = project.graph.topo_order()
            in_workers = parallelcompile.precompile(compiler, ids, 2, on_compiled=_collect(handed))
            assert in_workers == len(handed) == len(set(handed)) == expected_in_workers
            # left to the serial pass: what failed, what reads it, the DataFrame model, and
            # (from a worker) the memtable model
            python = {node.name for node in project.models.values() if node.is_python}
            compiled = {project.node(uid).name for uid in ids if compiler.has_compiled(uid)} & python
            assert compiled == python - {"frame", "broken", "child_of_broken", *not_compiled}
        finally:
            compiler.close()


@pytest.mark.parametrize(("value", "expected"), [("1", 0), ("0", 0), ("3", 3), ("many", 0), ("", None)])
def test_parallelcompile_workers_setting(value: str, expected: int | None) -> None:
    found = parallelcompile.workers({parallelcompile.ENV: value} if value else {})
    if expected is None:  # the default: one per core on Linux when there are two or more
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        linux = __import__("sys").platform.startswith("linux")
        assert found == (cores if linux and cores > 1 else 0)
    else:
        assert found == expected


def test_parallelcompile_a_killed_worker_leaves_the_rest_to_this_process(
    tmp_path: Path, duckdb_adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # a worker killed mid-compile (the OOM killer, say): the models not compiled yet compile here
    files = _files()
    files["models/killer.py"] = _py(
        "killer",
        "f03",
        f"import os, signal\n    if os.getpid() != {os.getpid()}:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n    return f03",
    )
    _write(tmp_path, files)
    serial, _ = _compile(tmp_path, duckdb_adapter, processes=0)
    with caplog.at_level("WARNING", logger="pyflow.runner.parallelcompile"):
        parallel, in_workers = _compile(tmp_path, duckdb_adapter, processes=2)
    assert parallel == serial and serial["killer"][0] != "error"
    assert "compile workers stopped" in caplog.text
    assert in_workers < 2 * CHAIN + 5


def test_parallelcompile_ctrl_c_does_not_wait_for_a_running_model(
    tmp_path: Path, duckdb_adapter: Any
) -> None:
    # a model function still running in a worker (slow, or stuck) must not hold up Ctrl-C. Only
    # plain models here: pyflow's own DuckDB queries (a model reading ctx.this, a SQL model's
    # columns) turn a SIGINT that lands in them into "Query interrupted", not KeyboardInterrupt
    started = tmp_path / "sleeper-started"
    fan = re.compile(r"models/f\d\d\.py")
    files = {rel: text for rel, text in _files().items() if not rel.startswith("models/") or fan.match(rel)}
    files["models/sources.yml"] = SOURCES
    files["models/sleeper.py"] = _py(
        "sleeper",
        "raw__orders",
        f"import os, pathlib, time\n    if os.getpid() != {os.getpid()}:\n"
        f"        pathlib.Path({str(started)!r}).touch()\n        time.sleep(120)\n    return raw__orders",
    )
    _write(tmp_path, files)
    project = load_project(tmp_path)
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW, cache=CompileCache(None))
    main = threading.get_ident()

    def interrupt() -> None:  # Ctrl-C reaches pyflow's main thread once the sleeper runs
        for _ in range(800):  # a loaded machine may take a while to reach it
            if started.exists():
                break
            time.sleep(0.05)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    began = time.monotonic()
    # a SIGTERM handler in pyflow's process (the CLI turns SIGTERM into KeyboardInterrupt) is
    # inherited by the workers: it must not keep them alive once stopped
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        with pytest.raises(KeyboardInterrupt):
            parallelcompile.precompile(compiler, project.graph.topo_order(), 2)
    finally:
        signal.signal(signal.SIGTERM, previous)
        compiler.close()
    assert started.exists()
    assert time.monotonic() - began < 90  # a hang guard: the sleeper sleeps 120 s
    assert multiprocessing.active_children() == []


def test_parallelcompile_ctrl_c_while_forking_leaves_no_worker_unreaped(
    tmp_path: Path, duckdb_adapter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C after the workers are forked but before the executor's thread starts (the thread
    # that otherwise reaps them): pyflow reaps them itself, no zombie is left
    from concurrent.futures import process as futures_process

    if not hasattr(futures_process.ProcessPoolExecutor, "_launch_processes"):
        pytest.skip("this Python's executor forks its workers elsewhere")
    launch = futures_process.ProcessPoolExecutor._launch_processes
    forked: list[Any] = []

    def launch_then_interrupt(self: Any) -> None:
        launch(self)
        forked.extend(self._processes.values())
        raise KeyboardInterrupt

    monkeypatch.setattr(futures_process.ProcessPoolExecutor, "_launch_processes", launch_then_interrupt)
    _write(tmp_path, _files())
    project = load_project(tmp_path)
    compiler = ProjectCompiler(project, duckdb_adapter, TARGET, NOW, cache=CompileCache(None))
    try:
        with pytest.raises(KeyboardInterrupt):
            parallelcompile._start(compiler, 2)
    finally:
        compiler.close()
    assert len(forked) == 2
    for process in forked:
        with pytest.raises(ChildProcessError):  # reaped: no such child any more
            os.waitpid(process.pid, os.WNOHANG)


def _nearest_by_walking(parents: dict[str, dict[str, str]], candidates: list[str]) -> dict[str, set[str]]:
    """The reference: walk up from each candidate, stopping at candidates."""
    wanted, out = set(candidates), {}
    for uid in candidates:
        found, seen, stack = set(), set(), list(parents.get(uid, {}).values())
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                if current in wanted:
                    found.add(current)
                else:
                    stack.extend(parents.get(current, {}).values())
        out[uid] = found
    return out


@pytest.mark.parametrize("seed", range(5))
def test_parallelcompile_dependencies_equal_walking_up_from_each_model(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(300)]
    parents = {
        node: {f"k{j}": nodes[j] for j in rng.sample(range(i), min(i, rng.randint(0, 3)))}
        for i, node in enumerate(nodes)
    }
    candidates = [n for n in nodes if rng.random() < 0.3]
    blockers, children = parallelcompile._dependencies(parents, candidates)
    assert blockers == _nearest_by_walking(parents, candidates)
    assert {(c, p) for c, ps in blockers.items() for p in ps} == {
        (c, p) for p, cs in children.items() for c in cs
    }


def test_parallelcompile_dependencies_of_a_chain_5000_deep() -> None:
    # models under a 5,000-deep chain of SQL models: no recursion, and the chain is walked once
    parents = {f"s{i}": ({"up": f"s{i - 1}"} if i else {}) for i in range(5000)}
    parents.update({f"py{j}": {"s": "s4999"} for j in range(100)})
    blockers, children = parallelcompile._dependencies(parents, [f"py{j}" for j in range(100)])
    assert blockers == {f"py{j}": set() for j in range(100)} and children == {}
    parents["s0"] = {"root": "py_root"}
    candidates = ["py_root", *(f"py{j}" for j in range(100))]
    blockers, children = parallelcompile._dependencies(parents, candidates)
    assert blockers["py7"] == {"py_root"} and len(children["py_root"]) == 100
