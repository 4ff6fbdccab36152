"""What a selection costs against loading everything: ``pyflow ls -s one+`` and ``run -s one``.

On a generated project of N models (default 2,000; see ``project_gen.py``), whole processes
(wall clock, so interpreter start-up and imports count), median of ``--reps``:

* ``pyflow ls`` (every node: the whole project loads) against ``pyflow ls -s ONE+``;
* ``pyflow run`` (every model) against ``pyflow run -s ONE``;
* the same two selections with the whole project loaded (an ``--exclude`` glob the definition
  index does not plan forces the full load), so the ratio isolates what loading costs.

Each *cold* (``target/`` removed before every sample: no parse cache, no index, no compile
cache) and *warm* (unchanged project, caches filled). The script checks that the partial
and the full load select the same nodes (``ls`` output) and that ``run -s ONE`` writes the same
compiled SQL and builds the same table; it aborts otherwise. Nothing is asserted about time.

    python bench/selective_load.py                        # 2,000 models (about 5-10 min)
    python bench/selective_load.py --models 300 --reps 1  # smoke run
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import project_gen
from measure import CommandFailed, Samples, process_env, pyflow_command, pyflow_origin, timed, workspace

FULL_LOAD = ("--exclude", "__bench_no_such_model_*")
"""A criterion the index cannot plan (a glob), matching nothing: the whole project loads."""


def one_model(plan: project_gen.ProjectPlan) -> str:
    """A model in the middle of the DAG that other models read (so ``ONE+`` has children)."""
    middle = plan.depth // 2
    readers = {p for m in plan.models for p in m.parents}
    return next(m.name for m in plan.models if m.layer == middle and m.name in readers)


@dataclass
class Figure:
    """Wall-clock and CPU seconds (user + system) of repeated runs of one command."""

    wall: Samples = field(default_factory=Samples)
    cpu: Samples = field(default_factory=Samples)


def sample(project: Path, args: Sequence[str], reps: int, *, cold: bool) -> tuple[Figure, str]:
    """Times of ``pyflow ARGS`` in ``project`` (``target/`` removed first when cold).

    CPU time is the measured process's own (its user and system time, every thread): on a
    machine shared with other work it varies far less than wall time.
    """
    out = Figure()
    stdout = ""
    for _ in range(reps):
        if cold:
            shutil.rmtree(project / "target", ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, stdout = timed([*pyflow_command(), *args], cwd=project)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.wall.values.append(seconds)
        out.cpu.values.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return out, stdout


LOAD_CODE = """
import sys, time
from pyflow.config.loader import load_project
from pyflow.config.partial import Request
import pyflow.runner.session  # what every command imports before loading
select = sys.argv[2:]
before = time.process_time()
project = load_project(sys.argv[1], needs=Request(tuple(select), imports=False) if select else None)
print(time.process_time() - before, len(project.models), project.partial)
"""


def load_phase(project: Path, select: Sequence[str], reps: int, *, cold: bool) -> Samples:
    """CPU seconds of the load alone (``load_project``), each in a fresh process after pyflow's
    imports: what ``ls`` with ``select`` (nothing: everything) spends loading the project."""
    out = Samples()
    for _ in range(reps):
        if cold:
            shutil.rmtree(project / "target", ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-c", LOAD_CODE, str(project), *select],
            capture_output=True,
            text=True,
            check=True,
            env=process_env(),
        )
        seconds, _models, partial = proc.stdout.split()
        if (partial == "True") != bool(select):
            raise CommandFailed(f"load of {select or 'everything'} was not the expected kind: {proc.stdout}")
        out.values.append(float(seconds))
    return out


def table_rows(project: Path, name: str) -> str:
    """Row count and a hash of the sorted rows of table ``name`` (read in a child process)."""
    code = (
        "import duckdb, hashlib, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "rows = sorted(c.execute(f'select * from main.{sys.argv[2]}').fetchall(), key=repr); "
        "print(len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(project / "pyflow.duckdb"), name],
        capture_output=True,
        text=True,
        check=True,
        env=process_env(),
    )
    return proc.stdout.strip()


def compiled_sql(project: Path, name: str) -> str:
    """The compiled SQL ``pyflow run`` wrote for model ``name``."""
    found = list((project / "target" / "compiled").rglob(f"{name}.sql"))
    if len(found) != 1:
        raise CommandFailed(f"expected one compiled file for {name}, found {found}")
    return found[0].read_text()


def ratio(part: Figure, whole: Figure) -> str:
    """``part/whole`` as percentages of wall-clock and of CPU time."""
    return f"{part.wall.median / whole.wall.median:6.1%} wall, {part.cpu.median / whole.cpu.median:6.1%} CPU"


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the project, measure, check the outputs agree, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=int, default=2000, help="models in the project (default 2000)")
    parser.add_argument("--rows", type=int, default=2000, help="source rows (default 2000)")
    parser.add_argument("--reps", type=int, default=3, help="samples per ls/selected-run figure (default 3)")
    parser.add_argument(
        "--run-reps", type=int, default=1, help="samples of the run of everything (default 1)"
    )
    parser.add_argument("--workdir", help="parent of the temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args(argv)
    print(f"pyflow: {' '.join(pyflow_command())}\n        {pyflow_origin()}")
    with workspace("pyflow-selective-", args.workdir, args.keep) as workdir:
        project = workdir / "project"
        plan = project_gen.generate(project, args.models, rows=args.rows)
        one = one_model(plan)
        print(f"project: {plan.summary()}\nONE = {one}\n")
        tiny = workdir / "tiny"  # the fixed cost of each command: the same on a one-model project
        project_gen.generate(tiny, 1, rows=args.rows)
        floors = {}
        for cmd in ("ls", "run"):
            sample(tiny, [cmd], 1, cold=False)  # fills the caches
            floors[cmd] = sample(tiny, [cmd], args.reps, cold=False)[0]

        def figure(label: str, cmd: Sequence[str], reps: int) -> tuple[Figure, Figure, str]:
            cold, _ = sample(project, cmd, reps, cold=True)
            warm, out = sample(project, cmd, reps, cold=False)
            for when, fig in (("cold", cold), ("warm", warm)):
                print(f"{label if when == 'cold' else '':<28} {when} wall {fig.wall.describe()}")
                print(f"{'':<33} CPU  {fig.cpu.describe()}", flush=True)
            return cold, warm, out

        loads = {}
        for when in ("cold", "warm"):
            for label, sel in (("everything", []), ("ONE+", [f"{one}+"])):
                if when == "warm":
                    load_phase(project, sel, 1, cold=False)  # the caches a previous command leaves
                loads[when, label] = load_phase(project, sel, args.reps, cold=when == "cold")
                print(f"load phase, {label:<10} {when} CPU {loads[when, label].describe()}", flush=True)
        ls_all = figure("ls (everything)", ["ls"], args.reps)
        ls_one = figure("ls -s ONE+", ["ls", "-s", f"{one}+"], args.reps)
        ls_full = figure("ls -s ONE+, full load", ["ls", "-s", f"{one}+", *FULL_LOAD], args.reps)
        if ls_one[2] != ls_full[2]:
            raise CommandFailed("ls -s ONE+ lists other nodes with a partial load than with a full one")
        run_all = figure("run (everything)", ["run"], args.run_reps)
        run_full = figure("run -s ONE, full load", ["run", "-s", one, *FULL_LOAD], args.reps)
        full_sql, full_rows = compiled_sql(project, one), table_rows(project, one)
        run_one = figure("run -s ONE", ["run", "-s", one], args.reps)
        if compiled_sql(project, one) != full_sql or table_rows(project, one) != full_rows:
            raise CommandFailed("run -s ONE compiles or builds differently with a partial load")
        print(f"\nchecked: same ls output ({len(ls_one[2].split())} nodes), same compiled SQL and table")
        print(
            "fixed cost (warm, one-model project), wall / CPU: "
            + ", ".join(f"{c} {f.wall.median:.3f} / {f.cpu.median:.3f} s" for c, f in floors.items())
            + "\n"
        )
        print("load phase (CPU): what ls -s ONE+ spends loading, against loading everything")
        for when in ("cold", "warm"):
            part, whole = loads[when, "ONE+"].median, loads[when, "everything"].median
            print(f"  {when}: {part:.3f} s / {whole:.3f} s = {part / whole:6.1%}")
        part, whole = loads["warm", "ONE+"].median, loads["cold", "everything"].median
        print(
            f"  warm selection / cold load of everything: {part:.3f} s / {whole:.3f} s = {part / whole:6.1%}\n"
        )
        print(f"{'':<34}{'cold':>40}{'warm':>44}")
        for label, part, whole in [
            ("ls -s ONE+ / ls", ls_one, ls_all),
            ("ls -s ONE+ / same, full load", ls_one, ls_full),
            ("run -s ONE / run", run_one, run_all),
            ("run -s ONE / same, full load", run_one, run_full),
        ]:
            print(f"{label:<34}{ratio(part[0], whole[0]):>40}{ratio(part[1], whole[1]):>44}")


if __name__ == "__main__":
    main()
