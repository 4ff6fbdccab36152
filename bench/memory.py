"""Peak memory of a whole build: pyflow vs dbt-duckdb 1.11 on the same dbt project.

One generated project of ``--models`` SQL models (the layout of ``project_gen.py``: staging views,
intermediate filters, mutates and joins, aggregate marts, over a ``raw.events`` table of
``--rows`` rows) written as a dbt project: ``dbt_project.yml``, ``profiles.yml``, a macro, a
sources file. pyflow reads it unchanged. Each tool builds it from scratch on its own copy of the
same DuckDB file in a wrapper process that reports the peak resident set size
of its one child (``getrusage(RUSAGE_CHILDREN)``), so the figure is the whole process's: the
interpreter, imports, the parsed project and DuckDB's own memory.

A floor is measured beside them: the statements pyflow ran, replayed in one process that
imports only DuckDB, one transaction per model on one connection (what DuckDB itself needs).

Checked: every database ends with the same relations holding the same rows (count and an
order-independent hash of every row per relation), else the script aborts.

    python bench/memory.py                   # N=1000, 10,000 source rows, installs dbt once
    python bench/memory.py --models 200 --no-dbt
    python bench/memory.py --before /tmp/main-tree   # also pyflow from another source tree

pyflow runs once per ``--threads`` value (default 1 and 4), dbt once with 4 threads (its
profile's). ``--before DIR`` measures a second pyflow source tree (e.g. a ``git worktree`` of
the commit before a change) the same way, its modules put first on ``PYTHONPATH``, so a change
is measured before and after in one run.

dbt-duckdb 1.11 comes from the virtualenv ``bench/incremental.py`` manages
(``~/.cache/pyflow-bench/dbt-venv``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from incremental import DBT_VENV, ensure_dbt
from measure import process_env, pyflow_command, workspace
from project_gen import MACROS_SQL, _folder, _sql_model, plan_project, write_source

DBT_PROJECT = """\
name: bench
version: "1.0"
profile: bench
config-version: 2
vars:
  min_amount: 0.5
models:
  bench:
    +materialized: table
    staging:
      +materialized: view
"""

PROFILES = """\
bench:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: bench.duckdb
      threads: {threads}
"""

SOURCES = """\
version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: events
"""

PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)
"""A wrapper process: runs one command and prints its peak RSS (KiB on Linux) and exit code."""

FLOOR = """\
import json, sys
from pathlib import Path
import duckdb
built = Path(sys.argv[1])
run = json.loads((built / "target" / "run_results.json").read_text(encoding="utf-8"))
nodes = json.loads((built / "target" / "manifest.json").read_text(encoding="utf-8"))["nodes"]
con = duckdb.connect("bench.duckdb")
for result in run["results"]:
    node = nodes[result["unique_id"]]
    sql = (built / "target" / "run" / "bench" / node["original_file_path"]).read_text(encoding="utf-8")
    con.execute("BEGIN TRANSACTION")
    con.execute(sql)
    con.execute("COMMIT")
con.close()
"""
"""The floor: the statements a pyflow build ran (``target/run/``), in its order, one transaction
per model on one DuckDB connection, in a process that imports nothing but DuckDB."""


def write_project(root: Path, models: int, rows: int) -> None:
    """The dbt project and its database (the source table only)."""
    import duckdb

    plan = plan_project(models)
    root.mkdir(parents=True)
    (root / "dbt_project.yml").write_text(DBT_PROJECT, encoding="utf-8")
    (root / "profiles.yml").write_text(PROFILES.format(threads=4), encoding="utf-8")
    (root / "macros").mkdir()
    (root / "macros" / "money.sql").write_text(MACROS_SQL, encoding="utf-8")
    (root / "models" / "staging").mkdir(parents=True)
    (root / "models" / "staging" / "sources.yml").write_text(SOURCES, encoding="utf-8")
    for m in plan.models:
        folder = root / "models" / _folder(m, plan.depth)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{m.name}.sql").write_text(_sql_model(m), encoding="utf-8")
    parquet = root / "events.parquet"  # project_gen's source, loaded as the table raw.events
    write_source(parquet, rows)
    con = duckdb.connect(str(root / "bench.duckdb"))
    try:
        con.execute("CREATE SCHEMA raw")
        con.execute(f"CREATE TABLE raw.events AS SELECT * FROM read_parquet('{parquet.as_posix()}')")
    finally:
        con.close()
    parquet.unlink()


def peak(project: Path, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of ``command`` run in ``project``."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, str(project), *command],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    kib, code = proc.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command[:2])} failed (exit {code}) in {project}")
    return int(kib) / 1024, wall


def contents(database: Path) -> dict[str, tuple[int, int]]:
    """Every relation of the main schema: (rows, order-independent hash of its rows)."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        ]
        out = {}
        for name in names:
            count, digest = con.execute(
                f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM main."{name}" AS t'
            ).fetchone()
            out[name] = (int(count), int(digest))
        return out
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--threads", default="1,4", help="pyflow's thread counts, comma-separated")
    parser.add_argument("--before", type=Path, default=None, help="another pyflow source tree to measure")
    parser.add_argument("--no-dbt", action="store_true")
    parser.add_argument("--dbt-venv", type=Path, default=DBT_VENV)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    dbt = None if args.no_dbt else ensure_dbt(args.dbt_venv, install=True)
    env = process_env()
    trees = [("pyflow", env)]
    if args.before is not None:
        before = args.before.resolve()
        trees.insert(0, (f"pyflow before ({before})", {**env, "PYTHONPATH": str(before)}))
    threads = [int(t) for t in args.threads.split(",")]
    with workspace("pyflow-memory-", args.workdir, args.keep) as work:
        base = work / "base"
        write_project(base, args.models, args.rows)
        print(f"memory: {args.models} SQL models over {args.rows:,} source rows")
        built: dict[str, tuple[float, float, Path]] = {}
        for n in threads:
            for label, tree_env in trees:
                ours = work / f"pyflow-{len(built)}"
                shutil.copytree(base, ours)
                (ours / "profiles.yml").write_text(PROFILES.format(threads=n), encoding="utf-8")
                rss, wall = peak(
                    ours, [*pyflow_command(), "build", "--project-dir", ".", "--profiles-dir", "."], tree_env
                )
                built[f"{label}, {n} thread(s)"] = (rss, wall, ours)
                print(f"{label + f', {n} thread(s)':<60} peak RSS {rss:8.0f} MiB   {wall:6.1f} s", flush=True)
        floor_dir = work / "floor"
        shutil.copytree(base, floor_dir)
        first = next(iter(built.values()))[2]
        floor_rss, floor_wall = peak(floor_dir, [sys.executable, "-c", FLOOR, str(first)], env)
        print(
            f"{'floor: the same statements, one DuckDB connection':<60} peak RSS {floor_rss:8.0f} MiB   {floor_wall:6.1f} s"
        )
        reference = contents(first / "bench.duckdb")
        if contents(floor_dir / "bench.duckdb") != reference:
            raise SystemExit("the floor's database differs from the first build's")
        for name, (rss, _, _) in built.items():
            print(f"{name:<60} / floor: peak RSS {rss / floor_rss:.2f}x")
        for name, (_, _, folder) in built.items():
            if contents(folder / "bench.duckdb") != reference:
                raise SystemExit(f"{name}: its database differs from the first build's")
        if dbt is None or dbt.exe is None:
            print(f"dbt-duckdb: {dbt.note if dbt else 'skipped (--no-dbt)'}")
            print(f"same {len(reference)} relations and rows in every pyflow build")
            return
        theirs = work / "dbt"
        shutil.copytree(base, theirs)
        dbt_rss, dbt_wall = peak(
            theirs, [str(dbt.exe), "build", "--project-dir", ".", "--profiles-dir", "."], {**env, **dbt.env}
        )
        print(f"{'dbt-duckdb, 4 threads':<60} peak RSS {dbt_rss:8.0f} MiB   {dbt_wall:6.1f} s")
        if contents(theirs / "bench.duckdb") != reference:
            raise SystemExit("the dbt build differs from pyflow's")
        print(f"same {len(reference)} relations and rows in every build")
        for name, (rss, wall, _) in built.items():
            print(
                f"{name:<60} / dbt: peak RSS {rss / dbt_rss:.2f}x (target <= 0.5x); wall time {wall / dbt_wall:.2f}x"
            )
        print(f"{'floor':<60} / dbt: peak RSS {floor_rss / dbt_rss:.2f}x")
        print(
            json.dumps(
                {
                    "dbt_mib": round(dbt_rss),
                    "floor_mib": round(floor_rss),
                    **{name: round(rss) for name, (rss, _, _) in built.items()},
                }
            )
        )


if __name__ == "__main__":
    main()
