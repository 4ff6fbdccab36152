"""`pyflow compile` of many Python models: worker processes against one process, cold and warm.

Generates a project of ``--models`` Ibis models (``project_gen.py --language python``) and times
whole ``pyflow compile -q`` processes: cold (``target/`` removed: no compile cache, no parse
cache), the second run (unchanged project: every model from the compile cache) and warm (the
third run: since the compile witness, an unchanged project answered without loading it), with
``PYFLOW_COMPILE_WORKERS=1`` (the baseline: everything in pyflow's process) and with the default
(one worker per core). ``--before DIR`` adds another checkout, run with ``PYTHONPATH=DIR`` (its
default settings). All variants use the same project and are interleaved, repetition by
repetition; wall time and CPU (user + system of the process and its workers) are printed with
their medians and the ratios to the baseline.

Correctness first: after each cold and each warm run the compiled SQL files must equal the
baseline's (with ``--before``, the other tree's too), else the script stops.

    python bench/compile.py [--models 1000] [--reps 3] [--before /path/to/checkout] [--workdir D]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from measure import process_env, pyflow_command, workspace

GENERATOR = Path(__file__).resolve().parent / "project_gen.py"


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _compiled(project: Path) -> dict[str, str]:
    base = project / "target" / "compiled"
    return {str(p.relative_to(base)): p.read_text(encoding="utf-8") for p in sorted(base.rglob("*.sql"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", type=int, default=1000, help="Python models (default 1000)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each variant (default 3)")
    parser.add_argument("--before", type=Path, help="another checkout to compare against")
    parser.add_argument("--workdir", help="parent of the temporary folder (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    opts = parser.parse_args()

    base_env = process_env()
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "one process": (pyflow_command(), {**base_env, "PYFLOW_COMPILE_WORKERS": "1"}),
        "workers": (pyflow_command(), {k: v for k, v in base_env.items() if k != "PYFLOW_COMPILE_WORKERS"}),
    }
    if opts.before is not None:
        entry = [sys.executable, "-c", "from pyflow.cli.main import entrypoint; entrypoint()"]
        variants["before"] = (entry, {**variants["workers"][1], "PYTHONPATH": str(opts.before.resolve())})

    with workspace("pyflow-bench-compile-", opts.workdir, opts.keep) as workdir:
        project = workdir / "project"
        subprocess.run(
            [
                sys.executable,
                str(GENERATOR),
                str(project),
                "--models",
                str(opts.models),
                "--language",
                "python",
            ],
            check=True,
            capture_output=True,
        )
        print(f"{opts.models} Python models, {os.cpu_count()} cores; {opts.reps} repetitions, interleaved")
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        expected: dict[str, str] | None = None
        for rep in range(opts.reps + 1):  # the first round is a warm-up: bytecode caches fill
            for name, (cmd, env) in variants.items():
                args = [*cmd, "compile", "--project-dir", str(project), "-q"]
                shutil.rmtree(project / "target", ignore_errors=True)
                cold = _run(args, env, workdir)
                found = _compiled(project)
                if expected is None:
                    expected = found
                elif found != expected:
                    differ = sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))
                    raise SystemExit(f"{name}: compiled SQL differs from the first run's: {differ[:5]}")
                cached = _run(args, env, workdir)
                warm = _run(args, env, workdir)
                if _compiled(project) != expected:
                    raise SystemExit(f"{name}: the warm compile left other compiled SQL than the cold one")
                if rep:
                    samples.setdefault((name, "cold"), []).append(cold)
                    samples.setdefault((name, "2nd"), []).append(cached)
                    samples.setdefault((name, "warm"), []).append(warm)

    print(f"checked: every cold and warm run left the same {len(expected or {})} compiled files")
    print("2nd: the run after the cold one (everything from the compile cache, the project loaded);")
    print("warm: the run after that (since the compile witness: answered without loading the project)\n")
    print(f"{'variant':<12} {'run':<5} {'wall med':>9} {'cpu med':>8} {'wall/one process':>17}   walls")
    for (name, kind), values in samples.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        base = statistics.median(w for w, _ in samples[("one process", kind)])
        walls = ", ".join(f"{w:.2f}" for w, _ in values)
        print(f"{name:<12} {kind:<5} {wall:>8.2f}s {cpu:>7.2f}s {wall / base:>16.2f}x   {walls}")


if __name__ == "__main__":
    main()
