"""How much wall time pyflow adds on top of the SQL it runs, and how fast its CLI starts.

One run of this script measures, on generated projects (see ``project_gen.py``), as whole
processes (wall clock, so interpreter start-up and imports count):

1. ``pyflow run`` on N models (default 100) against the *floor*: the very statements pyflow
   executed (read back from ``target/run/**.sql``), run in DAG order with the bare duckdb API in
   a fresh ``python`` process on a fresh database file. Plus an in-process breakdown of one extra
   run from ``--log-format json`` events.
2. ``pyflow compile`` on N models (default 1000): cold (after ``rm -rf target/``) and warm
   (unchanged project, second run).
3. ``pyflow --help``.

Ratios are against a baseline measured in the same run, so the figures compare across machines;
nothing here asserts timings. Everything is written under a temporary folder, never in the repo.

    python bench/run_overhead.py            # full run (a few minutes)
    python bench/run_overhead.py --quick    # smoke run, < 30 s
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import project_gen
from measure import (
    PYCACHE,
    TIMEOUT_S,
    Samples,
    process_env,
    pyflow_command,
    pyflow_origin,
    timed,
    workspace,
)

REPO = Path(__file__).resolve().parent.parent
# Bytecode cache shared with bench/incremental.py: outside the repo, kept between runs.
# Imported once, untimed, so the first timed process does not pay for writing their bytecode.
PRIME_IMPORTS = "import duckdb, ibis, ibis.backends.duckdb, pandas, pyarrow, sqlglot, pyflow.cli.main"

# Targets, for the default sizes only.
RUN_MODELS, COMPILE_MODELS, REPS, HELP_REPS = 100, 1000, 3, 5
RUN_RATIO_TARGET = 1.5
WARM_COMPILE_TARGET_S = 1.0
HELP_TARGET_S = 0.3

# The floor: what executing pyflow's statements costs without pyflow. Run with `python -c`, so
# it pays interpreter start-up and `import duckdb` like pyflow does. One transaction per model,
# as pyflow's materializers use; argv: database file, JSON list of per-model statement lists.
FLOOR_SCRIPT = """\
import json, sys, time
t0 = time.perf_counter()
import duckdb
t1 = time.perf_counter()
with open(sys.argv[2], encoding="utf-8") as f:
    models = json.load(f)
con = duckdb.connect(sys.argv[1])
for statements in models:
    con.execute("BEGIN TRANSACTION")
    for sql in statements:
        con.execute(sql)
    con.execute("COMMIT")
t2 = time.perf_counter()
con.close()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "statements": t2 - t1, "close": t3 - t2}))
"""


# ---- processes ----------------------------------------------------------------------------------
def prime_bytecode() -> None:
    """Fill the bytecode cache for the heavy imports (untimed; failures are ignored)."""
    subprocess.run(
        [sys.executable, "-c", PRIME_IMPORTS],
        env=process_env(),
        capture_output=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def remove_database(project: Path) -> None:
    """Delete the project's DuckDB file (and its WAL) so a run starts on a fresh database."""
    for name in ("pyflow.duckdb", "pyflow.duckdb.wal"):
        (project / name).unlink(missing_ok=True)


# ---- 1. pyflow run vs the floor ----------------------------------------------------------------
@dataclass
class RunReport:
    """Figures of the ``pyflow run`` benchmark."""

    models: int
    summary: str
    cold: float
    warm: Samples
    floor: Samples
    floor_parts: dict[str, float]
    statements: int
    phases: list[tuple[str, float]]
    node_time_sum: float

    @property
    def ratio(self) -> float:
        """Median pyflow run over median floor."""
        return self.warm.median / self.floor.median


def executed_statements(project: Path) -> list[list[str]]:
    """Statements pyflow ran, one list per model, in completion order (a valid DAG order)."""
    target = project / "target"
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    files = {p.stem: p for p in (target / "run").rglob("*.sql")}
    out: list[list[str]] = []
    for r in sorted(results, key=lambda r: r["completed_at"]):
        if r["status"] != "success":
            raise SystemExit(f"model {r['name']} did not succeed ({r['status']}): {r['message']}")
        text = files[r["name"]].read_text(encoding="utf-8").rstrip().removesuffix(";")
        out.append([s for s in text.split(";\n\n") if s.strip()])
    return out


def relations(database: Path) -> list[tuple[str, str]]:
    """(name, type) of every table and view in a DuckDB file, to check the floor built the same.

    pyflow's own schema (``<schema>__pyflow``: the run history) is left out: the floor has no
    such bookkeeping, but pyflow's time writing it is counted, as users have it on by default.
    """
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE NOT ends_with(table_schema, '__pyflow') ORDER BY table_name"
        ).fetchall()
    finally:
        con.close()
    return [(str(n), str(t)) for n, t in rows]


def run_floor(statements_file: Path, database: Path) -> tuple[float, dict[str, float]]:
    """Execute the statements in a fresh process on a fresh database; wall time and its split."""
    shutil.rmtree(database.parent, ignore_errors=True)
    database.parent.mkdir(parents=True)
    elapsed, out = timed([sys.executable, "-c", FLOOR_SCRIPT, str(database), str(statements_file)])
    return elapsed, json.loads(out)


def json_run_phases(cmd: Sequence[str], project: Path) -> tuple[list[tuple[str, float]], float]:
    """One run with ``--log-format json``: wall time split at the events' timestamps.

    Each phase ends at an event; when an event is missing (the CLI changed), its phase is
    merged into the next one rather than guessed.
    """
    remove_database(project)
    spawned = time.time()
    _, out = timed([*cmd, "run", "--project-dir", str(project), "--log-format", "json"])
    ended = time.time()
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    finishes = [e for e in events if e["kind"] == "node_finish"]

    def first(kind: str, text: str = "") -> float | None:
        found = (e["ts"] for e in events if e["kind"] == kind and str(e.get("text", "")).startswith(text))
        return next(found, None)

    ends: list[tuple[str, float | None]] = [
        ("start-up: interpreter, imports, CLI parsing", first("message", "Running with")),
        ("load project: config, profile, model files, Jinja", first("message", "Found")),
        ("open database, compile (cache), write compiled/ + manifest", first("run_start")),
        (
            f"execute {len(finishes)} nodes (DAG scheduler, threads)",
            max((e["ts"] for e in finishes), default=None),
        ),
        ("write target/run/ + run_results.json", first("run_finish")),
        ("close: save caches, summary, interpreter exit", ended),
    ]
    phases: list[tuple[str, float]] = []
    previous, pending = spawned, []
    for label, ts in ends:
        pending.append(label)
        if ts is not None:
            phases.append((" + ".join(pending), ts - previous))
            previous, pending = ts, []
    node_sum = sum(e["result"]["execution_time"] for e in finishes)
    return phases, node_sum


def bench_run(cmd: Sequence[str], workdir: Path, n: int, reps: int, rows: int, depth: int) -> RunReport:
    """``pyflow run`` of an N-model project vs executing its statements directly.

    Timed pyflow and floor runs alternate, so a machine whose load changes during the benchmark
    slows both sides alike rather than one of them.
    """
    project = workdir / f"run_{n}"
    plan = project_gen.generate(project, n, depth=depth, rows=rows)
    print(f"[run] generated {project}: {plan.summary()}", flush=True)
    run = [*cmd, "run", "--project-dir", str(project)]
    cold, _ = timed(run)  # no target/, no database: fills the compile cache (the warm-up)
    print(f"[run] cold first run: {cold:.3f} s", flush=True)

    statements = executed_statements(project)
    statements_file = workdir / f"statements_{n}.json"
    statements_file.write_text(json.dumps(statements), encoding="utf-8")
    floor_db = workdir / "floor" / "pyflow.duckdb"  # same file name: the catalog is `pyflow`
    run_floor(statements_file, floor_db)  # warm-up (OS file cache), like pyflow's cold run
    if relations(floor_db) != relations(project / "pyflow.duckdb"):
        raise SystemExit("the floor built different relations than pyflow run: the comparison is void")

    warm, floor = Samples(), Samples()
    parts: list[dict[str, float]] = []
    for rep in range(reps):
        remove_database(project)  # the floor's statements exactly: every model built from scratch
        warm.values.append(timed(run)[0])
        elapsed, split = run_floor(statements_file, floor_db)
        floor.values.append(elapsed)
        parts.append(split)
        print(
            f"[run] rep {rep + 1}/{reps}: pyflow {warm.values[-1]:.3f} s, floor {elapsed:.3f} s", flush=True
        )
    floor_parts = {key: statistics.median(p[key] for p in parts) for key in parts[0]}

    phases, node_sum = json_run_phases(cmd, project)
    return RunReport(
        n, plan.summary(), cold, warm, floor, floor_parts, sum(map(len, statements)), phases, node_sum
    )


# ---- 2. pyflow compile -------------------------------------------------------------------------
@dataclass
class CompileReport:
    """Figures of the ``pyflow compile`` benchmark."""

    models: int
    summary: str
    cold: Samples
    warm: Samples


def bench_compile(
    cmd: Sequence[str], workdir: Path, n: int, reps: int, rows: int, depth: int
) -> CompileReport:
    """Cold (no ``target/``) and warm (unchanged project) ``pyflow compile``."""
    project = workdir / f"compile_{n}"
    plan = project_gen.generate(project, n, depth=depth, rows=rows)
    print(f"[compile] generated {project}: {plan.summary()}", flush=True)
    compile_ = [*cmd, "compile", "--project-dir", str(project)]
    cold, warm = Samples(), Samples()
    for _ in range(reps):
        shutil.rmtree(project / "target", ignore_errors=True)
        cold.values.append(timed(compile_)[0])
    print(f"[compile] cold: {cold.describe().strip()}", flush=True)
    for _ in range(reps):
        warm.values.append(timed(compile_)[0])
    print(f"[compile] warm: {warm.describe().strip()}", flush=True)
    return CompileReport(n, plan.summary(), cold, warm)


# ---- 3. pyflow --help --------------------------------------------------------------------------
def bench_help(cmd: Sequence[str], reps: int) -> tuple[Samples, Samples]:
    """``pyflow --help``, and ``python -c pass`` as the interpreter's own start-up for reference."""
    timed([*cmd, "--help"])  # warm-up
    helps, bare = Samples(), Samples()
    for _ in range(reps):
        helps.values.append(timed([*cmd, "--help"])[0])
        bare.values.append(timed([sys.executable, "-c", "pass"])[0])
    print(f"[help] pyflow --help: {helps.describe().strip()}", flush=True)
    return helps, bare


# ---- report ------------------------------------------------------------------------------------
def verdict(ok: bool, applies: bool) -> str:
    """PASS/FAIL, or ``info`` when the run's size is not the one the target is set for."""
    if not applies:
        return "info (non-default N)"
    return "PASS" if ok else "FAIL"


def machine_load() -> tuple[str, bool]:
    """The 1/5/15-minute load averages, and whether the machine is busier than its CPU count."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown", False
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min)", five > (os.cpu_count() or 1)


def print_report(
    run: RunReport, comp: CompileReport, helps: Samples, bare: Samples, cmd: Sequence[str]
) -> None:
    """Side-by-side figures, the breakdown, and the final table."""
    print()
    print(f"pyflow command: {' '.join(cmd)}")
    print(f"pyflow package: {pyflow_origin()}")
    load, busy = machine_load()
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, {load}")
    if busy:
        print(
            "note: the machine is busy (load above its CPU count): absolute times are inflated; trust ratios"
        )
    print(f"bytecode cache: {PYCACHE} (PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE unset for the runs)")
    print()
    print(f"== 1. pyflow run, N = {run.models}: {run.summary}")
    print(f"  {'pyflow run (cold, first ever)':<44}{run.cold:8.3f} s  (no target/, no database)")
    print(f"  {'pyflow run (warm cache, fresh database)':<44}{run.warm.describe()}")
    print(f"  {'floor (python + duckdb, same statements)':<44}{run.floor.describe()}")
    print(
        f"  {'ratio pyflow / floor':<44}{run.ratio:8.2f} x   (overhead {run.warm.median - run.floor.median:+.3f} s)"
    )
    print(f"  statements executed: {run.statements} (one transaction per model in the floor)")
    print()
    print("  floor process, split:")
    other = run.floor.median - sum(run.floor_parts.values())
    for label, value in (
        ("interpreter start-up + exit", other),
        ("import duckdb", run.floor_parts["import"]),
        ("statements", run.floor_parts["statements"]),
        ("close (checkpoint)", run.floor_parts["close"]),
    ):
        print(f"    {label:<58}{value:8.3f} s")
    print("  pyflow run process, split (one extra run, --log-format json):")
    for label, value in run.phases:
        print(f"    {label:<58}{value:8.3f} s")
    print(f"    {'total':<58}{sum(v for _, v in run.phases):8.3f} s")
    print(f"    (sum of per-node execution_time: {run.node_time_sum:.3f} s; nodes overlap on threads)")
    print()
    print(f"== 2. pyflow compile, N = {comp.models}: {comp.summary}")
    print(f"  {'cold (after rm -rf target/)':<44}{comp.cold.describe()}")
    print(f"  {'warm (unchanged, second run)':<44}{comp.warm.describe()}")
    print()
    print("== 3. pyflow --help")
    print(f"  {'pyflow --help':<44}{helps.describe()}")
    print(f"  {'python -c pass (reference)':<44}{bare.describe()}")
    print()

    rows = [
        (
            f"run N={run.models}: pyflow / floor",
            f"{run.ratio:.2f}x",
            f"<= {RUN_RATIO_TARGET}x",
            verdict(run.ratio <= RUN_RATIO_TARGET, run.models == RUN_MODELS),
        ),
        (f"run N={run.models}: pyflow (warm)", f"{run.warm.median:.3f} s", "-", "info"),
        (f"run N={run.models}: floor", f"{run.floor.median:.3f} s", "-", "info"),
        (f"run N={run.models}: pyflow (cold)", f"{run.cold:.3f} s", "-", "info"),
        (
            f"compile N={comp.models}: warm",
            f"{comp.warm.median:.3f} s",
            f"< {WARM_COMPILE_TARGET_S} s",
            verdict(comp.warm.median < WARM_COMPILE_TARGET_S, comp.models == COMPILE_MODELS),
        ),
        (f"compile N={comp.models}: cold", f"{comp.cold.median:.3f} s", "-", "info"),
        (
            "pyflow --help",
            f"{helps.median:.3f} s",
            f"< {HELP_TARGET_S} s",
            verdict(helps.median < HELP_TARGET_S, True),
        ),
    ]
    widths = [max(len(r[i]) for r in [("metric", "measured", "target", "verdict"), *rows]) for i in range(4)]
    for row in [("metric", "measured", "target", "verdict"), tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


# ---- command line ------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Flags; ``--quick`` changes the defaults of the flags not given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--run-models", type=int, help=f"models for `pyflow run` (default {RUN_MODELS})")
    parser.add_argument(
        "--compile-models", type=int, help=f"models for `pyflow compile` (default {COMPILE_MODELS})"
    )
    parser.add_argument(
        "--reps", type=int, help=f"timed repetitions of run, floor and compile (default {REPS})"
    )
    parser.add_argument("--help-reps", type=int, help=f"timed repetitions of --help (default {HELP_REPS})")
    parser.add_argument("--rows", type=int, default=project_gen.SOURCE_ROWS, help="rows of the source table")
    parser.add_argument("--depth", type=int, default=project_gen.DEPTH, help="DAG depth of the projects")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=10/50, one repetition (< 30 s)")
    parser.add_argument("--workdir", type=Path, help="parent of the temporary folder (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects and print where")
    args = parser.parse_args(argv)
    defaults = (
        {"run_models": 10, "compile_models": 50, "reps": 1, "help_reps": 1}
        if args.quick
        else {
            "run_models": RUN_MODELS,
            "compile_models": COMPILE_MODELS,
            "reps": REPS,
            "help_reps": HELP_REPS,
        }
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
        elif getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.workdir is not None and args.workdir.resolve().is_relative_to(REPO):
        parser.error(f"--workdir must be outside the repository ({REPO})")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the three benchmarks and print the report."""
    args = parse_args(argv)
    cmd = pyflow_command()
    started = time.perf_counter()
    prime_bytecode()
    with workspace("pyflow-bench-", args.workdir, args.keep) as workdir:
        run = bench_run(cmd, workdir, args.run_models, args.reps, args.rows, args.depth)
        comp = bench_compile(cmd, workdir, args.compile_models, args.reps, args.rows, args.depth)
        helps, bare = bench_help(cmd, args.help_reps)
        print_report(run, comp, helps, bare, cmd)
    print(f"\nbenchmark took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
