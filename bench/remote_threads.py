"""Threads on a remote engine: how close a wide DAG's wall time gets to its critical path.

On Trino and Athena a model's time is the engine's, not pyflow's: the client waits. With enough
threads a wide DAG should then take about as long as its longest chain (the critical path), not
the sum of its models. This script builds one generated project, a root, ``--width`` independent
table models over it and a sink over all of them, with ``--threads`` 1, 4 and 8, and prints
per run: the wall time of the build, the critical path (the longest chain of node times read
from ``run_results.json``), the ideal: what a scheduler with no cost of its own would take with
the same node times and threads (simulated), wall time over both, and the sum of node times over
the wall time (the parallelism reached). Wall over ideal is pyflow's own cost: run-level
statements (schemas), scheduling and bookkeeping.

Offline (default) every statement goes to a fake Trino connection that answers after a fixed
``--latency`` (catalog queries too, as a remote engine's would), so the figures measure pyflow's
scheduling alone. ``--live URL`` runs the same project on a running Trino (e.g.
``scripts/trino.sh start``; ``--catalog memory``) instead.

    python bench/remote_threads.py                 # offline, latency 0.2 s, width 24
    python bench/remote_threads.py --live http://127.0.0.1:18080 --catalog memory

Results are checked: every run must build every model (status success, one result each).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse

_TABLES = re.compile(r"information_schema\.tables WHERE table_schema = '([^']*)' AND table_name = '([^']*)'")


class LatencyCursor:
    """A DB-API cursor whose every statement takes ``latency`` seconds, as a remote engine's."""

    def __init__(self, con: LatencyConnection) -> None:
        self.con = con
        self.description: list[tuple[Any, ...]] | None = None
        self.query_id: str | None = None
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, params: Any = None) -> LatencyCursor:
        time.sleep(self.con.latency)
        with self.con.lock:
            self.con.statements += 1
            self.query_id = f"q{self.con.statements}"
            created = re.match(r'CREATE TABLE (?:IF NOT EXISTS )?"?(\w+)"?\."?(\w+)"?', sql)
            renamed = re.match(r'ALTER TABLE "?(\w+)"?\."?(\w+)"? RENAME TO "?(\w+)"?\."?(\w+)"?', sql)
            if created:
                self.con.tables.add((created[1], created[2]))
            if renamed:
                self.con.tables.discard((renamed[1], renamed[2]))
                self.con.tables.add((renamed[3], renamed[4]))
            self._rows, self.description = [], None
            if m := _TABLES.search(sql):
                self._rows = [("BASE TABLE",)] if (m[1], m[2]) in self.con.tables else []
            elif sql.lstrip().upper().startswith("SELECT") and "LIMIT 0" in sql:
                self.description = [("id", "bigint", None, None, None, None, None)]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


class LatencyConnection:
    """Shared by every thread: a catalog of the tables created so far and a statement count."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.tables: set[tuple[str, str]] = set()
        self.statements = 0

    def cursor(self) -> LatencyCursor:
        return LatencyCursor(self)

    def close(self) -> None:
        pass


def write_project(root: Path, width: int, host: str, port: int, catalog: str, schema: str) -> None:
    """A root, ``width`` table models over it and a sink over all of them (SQL models)."""
    models = root / "models"
    models.mkdir(parents=True)
    (root / "pyflow.yml").write_text("name: wide\nprofile: wide\nmodels:\n  +materialized: table\n")
    (root / "profiles.yml").write_text(
        "wide:\n  target: remote\n  outputs:\n    remote:\n      type: trino\n"
        f"      host: {host}\n      port: {port}\n      user: bench\n      catalog: {catalog}\n"
        f"      schema: {schema}\n      threads: 1\n"
    )
    (models / "root.sql").write_text("select 1 as id\n")
    for i in range(width):
        (models / f"w{i:03d}.sql").write_text(f"select id + {i} as id from {{{{ ref('root') }}}}\n")
    union = "\nunion all\n".join(f"select id from {{{{ ref('w{i:03d}') }}}}" for i in range(width))
    (models / "sink.sql").write_text(union + "\n")


def node_times(project: Path) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Each node's execution time and its parents, from the run's artifacts (all must succeed)."""
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    took = {r["unique_id"]: float(r["execution_time"]) for r in results}
    bad = [r["unique_id"] for r in results if r["status"] != "success"]
    if bad or len(results) != len(manifest["nodes"]):
        raise SystemExit(f"the build did not build every model: {bad or len(results)}")
    parents = {uid: [p for p in manifest["nodes"][uid]["depends_on"]["nodes"] if p in took] for uid in took}
    return took, parents


def critical_path(took: dict[str, float], parents: dict[str, list[str]]) -> float:
    """The longest chain of node times (the DAG is three levels deep: no deep recursion)."""
    finish: dict[str, float] = {}

    def end(uid: str) -> float:
        if uid not in finish:
            finish[uid] = took[uid] + max((end(p) for p in parents[uid]), default=0.0)
        return finish[uid]

    return max(end(uid) for uid in took)


def ideal(took: dict[str, float], parents: dict[str, list[str]], threads: int) -> float:
    """The wall time of a scheduler with no cost of its own: the same node times, ``threads``
    workers, a ready node started as soon as a worker is free (in name order, as pyflow does)."""
    done: dict[str, float] = {}
    running: list[tuple[float, str]] = []
    now = 0.0
    while len(done) < len(took):
        ready = sorted(
            u
            for u in took
            if u not in done and u not in {r for _, r in running} and all(p in done for p in parents[u])
        )
        while ready and len(running) < threads:
            uid = ready.pop(0)
            running.append((now + took[uid], uid))
        running.sort()
        now, uid = running.pop(0)
        done[uid] = now
    return now


def build(project: Path, threads: int, latency: float | None) -> tuple[float, int]:
    """Wall seconds of one in-process build, and the statements the fake connection got."""
    from pyflow.adapters.trino import TrinoAdapter
    from pyflow.runner.session import Options, Session

    con = LatencyConnection(latency) if latency is not None else None
    patch = mock.patch.object(TrinoAdapter, "connect", lambda self: con) if con else contextlib.nullcontext()
    opts = Options(project_dir=project, profiles_dir=project, threads=threads, full_refresh=True)
    with patch:
        start = time.perf_counter()
        with Session(opts) as session:
            outcome = session.execute("run")
        wall = time.perf_counter() - start
    if not outcome.ok:
        raise SystemExit(
            f"threads={threads}: the build failed: {[r.message for r in outcome.results if r.message]}"
        )
    return wall, con.statements if con else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per statement (offline)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 8, 32])
    parser.add_argument("--live", metavar="URL", help="a running Trino, e.g. http://127.0.0.1:18080")
    parser.add_argument("--catalog", default="memory")
    args = parser.parse_args()
    host, port = ("latency.invalid", 8080)
    if args.live:
        url = urlparse(args.live)
        host, port = url.hostname or "127.0.0.1", url.port or 8080
    latency = None if args.live else args.latency
    where = (
        f"live Trino {args.live} ({args.catalog})"
        if args.live
        else f"fake connection, {args.latency:.2f} s per statement"
    )
    print(f"remote_threads: root + {args.width} table models + sink on {where}")
    print(
        f"{'threads':>7} {'wall s':>8} {'critical s':>10} {'ideal s':>8} {'wall/critical':>13}"
        f" {'wall/ideal':>10} {'sum/wall':>8} {'statements':>10}"
    )
    with tempfile.TemporaryDirectory(prefix="pyflow-remote-") as tmp:
        for threads in args.threads:
            project = Path(tmp) / f"t{threads}"
            write_project(project, args.width, host, port, args.catalog, f"bench_t{threads}")
            wall, statements = build(project, threads, latency)
            took, parents = node_times(project)
            cp, total, bound = critical_path(took, parents), sum(took.values()), ideal(took, parents, threads)
            print(
                f"{threads:>7} {wall:>8.2f} {cp:>10.2f} {bound:>8.2f} {wall / cp:>12.2f}x"
                f" {wall / bound:>9.2f}x {total / wall:>7.2f}x {statements if statements else '-':>10}"
            )
    polling_table()
    sys.stdout.flush()


def polling_table() -> None:
    """When an Athena query is seen finished: pyathena's fixed 1 s interval vs pyflow's schedule.

    Computed from the schedules (pyflow.adapters.athenapoll), not timed: the polls of a real
    cursor against a fake status sequence are checked by tests/unit/adapters/test_athenapoll.py.
    """
    import itertools

    from pyflow.adapters.athenapoll import poll_delays, seen_finished_after

    print("\nAthena: when a query of a given duration is seen finished (computed from the schedules)")
    print(
        f"{'query s':>7} {'pyathena 1 s':>12} {'ratio':>6} {'pyflow':>7} {'ratio':>6} {'status requests':>16}"
    )
    for duration in (0.3, 0.8, 1.05, 1.3, 2.2, 3.7, 7.5, 30.4):
        fixed, fixed_n = seen_finished_after(duration, itertools.repeat(1.0))
        ours, ours_n = seen_finished_after(duration, poll_delays(1.0))
        print(
            f"{duration:>7.2f} {fixed:>12.2f} {fixed / duration:>5.2f}x {ours:>7.2f} {ours / duration:>5.2f}x"
            f" {f'{fixed_n} -> {ours_n}':>16}"
        )
    grid = [0.1 * i for i in range(1, 101)]  # every duration from 0.1 s to 10 s
    late_fixed = sum(seen_finished_after(d, itertools.repeat(1.0))[0] - d for d in grid) / len(grid)
    late_ours = sum(seen_finished_after(d, poll_delays(1.0))[0] - d for d in grid) / len(grid)
    print(f"mean delay over queries of 0.1-10 s: pyathena {late_fixed:.2f} s, pyflow {late_ours:.2f} s")


if __name__ == "__main__":
    main()
